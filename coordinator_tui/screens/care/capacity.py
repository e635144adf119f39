"""Capacity and consent (Governance ``Y``): each customer with their consent to care and to
information sharing, and their mental capacity notes (Mental Capacity Act 2005).

Customers with a consent not yet recorded come first. ``n`` writes a capacity note for the
highlighted customer and one decision: the decision, when and who assessed, the
presumption of capacity, the support given, the functional test (understand, retain, use
or weigh, communicate: each can or cannot, with what showed it) and the outcome; where the
person lacks capacity, the impairment, who was consulted, their wishes and feelings, the
least restrictive option and any lasting power of attorney or deputy - a note without
them is not saved, and the form names each one missing. ``c`` records consent to care,
``i`` to information sharing (given, refused, or decided in their best interests, which
rests on a capacity note). ``f5`` reloads, ``esc`` goes back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.binding import Binding

from coordinator_tui.formatting import short_date, uk_date
from coordinator_tui.screens.care.base import CareListScreen, plural
from coordinator_tui.screens.form_dialog import Field
from coordinator_tui.widgets.lazy_table import Column, Row

if TYPE_CHECKING:
    from coordinator_tui.services.care.consent import CustomerConsent

COLUMNS = [
    Column("Customer", 22),
    Column("Care", 14),
    Column("Sharing", 14),
    Column("Latest capacity note"),
]


def _consent(value: str) -> Text | str:
    from coordinator_tui.services.care.consent import consent_words

    if not value:
        return Text("NOT RECORDED", style="bold yellow")
    words = consent_words(value).split(" (")[0]  # "best interests (lacks capacity)"
    return Text(words, style="red") if value == "no" else words


class CapacityScreen(CareListScreen):
    HELP = __doc__ or ""
    TITLE_TEXT = "Capacity and consent"
    PREFILL_FROM = "capacity and consent"
    SUB_TITLE = "Capacity and consent"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="capacity.back"),
        Binding("n", "new_note", "Capacity note", id="capacity.new"),
        Binding("c", "consent('care')", "Consent to care", id="capacity.care"),
        Binding("i", "consent('sharing')", "Sharing consent", id="capacity.sharing"),
        Binding("f5", "reload", "Reload", show=False, id="capacity.reload"),
    ]

    def columns(self) -> list[Column]:
        return COLUMNS

    def empty_text(self) -> str:
        return "No customer with an active package."

    def read(self, session: Any) -> list[Any]:
        from coordinator_tui.services.care.consent import consent_overview

        return consent_overview(session)

    def to_row(self, item: CustomerConsent) -> Row:
        from coordinator_tui.services.care.consent import OUTCOMES

        note = item.latest
        latest: Text | str = Text("none", style="dim")
        if note is not None:
            style = "bold" if note.outcome == "lacks_capacity" else ""
            latest = Text(
                f"{short_date(note.assessed_on)} {note.decision}: "
                f"{OUTCOMES[note.outcome].split(' for ')[0]}",
                style=style,
            )
        return Row(
            item.customer_id,
            (item.customer, _consent(item.care), _consent(item.sharing), latest),
        )

    def summary(self) -> Text:
        missing = sum(1 for c in self.rows if not (c.care and c.sharing))
        text = Text(self.TITLE_TEXT, style="bold")
        text.append(f" · {plural(len(self.rows), 'customer')}")
        if missing:
            text.append(" · ")
            text.append(f"{missing:,} consent not recorded", style="bold yellow")
        return text

    def views_bar(self) -> Text:
        bar = Text()
        for key, words in (("n", "capacity note"), ("c", "consent to care"), ("i", "sharing")):
            bar.append(f" {key} ", style="bold")
            bar.append(f"{words} ", style="dim")
        return bar

    def detail(self, item: CustomerConsent | None) -> Text | str:
        from coordinator_tui.services.care.consent import ATTORNEYS, ELEMENTS, OUTCOMES

        if item is None:
            return ""
        note = item.latest
        if note is None:
            return f"{item.customer}: no capacity note (n writes one)"
        test = ", ".join(
            f"{words.split(' ')[0]} {getattr(note, key)}" for key, words in ELEMENTS.items()
        )
        text = Text(
            f"{note.decision} · {uk_date(note.assessed_on)} by {note.assessed_by} · "
            f"{OUTCOMES[note.outcome]} · {test}"
        )
        if note.outcome == "lacks_capacity":
            text.append(
                f"\nBest interests: consulted {note.consulted}; least restrictive: "
                f"{note.least_restrictive}; {ATTORNEYS.get(note.attorney, note.attorney)}"
                + (f" ({note.attorney_detail})" if note.attorney_detail else "")
            )
        if len(item.notes) > 1:
            text.append(f" · {len(item.notes)} notes in all")
        return text

    # -- acting -----------------------------------------------------------------------------

    def _customer(self) -> CustomerConsent | None:
        item = self.current()
        if item is None:
            self.notify("No customer highlighted", severity="warning")
        return item

    def action_new_note(self) -> None:
        from coordinator_tui.services.care.consent import (
            ATTORNEYS,
            ELEMENTS,
            FINDINGS,
            OUTCOMES,
            CapacityNote,
            save_capacity_note,
        )

        item = self._customer()
        if item is None:
            return
        today, user = self.today, self.user
        findings = tuple((label, code) for code, label in FINDINGS.items())

        def apply(session: Any, v: dict[str, Any]) -> Any:
            note = CapacityNote(
                customer_id=item.customer_id,
                decision=v["decision"] or "",
                assessed_on=v["assessed_on"],
                assessed_by=v["assessed_by"] or "",
                presumption=v["presumption"] or "",
                support_given=v["support"] or "",
                findings={key: v[key] for key in ELEMENTS if v[key]},
                notes={key: v[f"{key}_note"] or "" for key in ELEMENTS},
                outcome=v["outcome"] or "",
                impairment=v["impairment"] or "",
                consulted=v["consulted"] or "",
                wishes=v["wishes"] or "",
                least_restrictive=v["least_restrictive"] or "",
                attorney=v["attorney"] or "",
                attorney_detail=v["attorney_detail"] or "",
                best_interests_decision=v["decided"] or "",
            )
            return save_capacity_note(session, note, by=user, today=today)

        rows: list[list[Field]] = [
            [Field("decision", "The decision in question", required=True)],
            [
                Field("assessed_on", "Assessed on", "date", value=today, required=True),
                Field("assessed_by", "Assessed by", value=user, required=True),
            ],
            [Field("presumption", "Presumption of capacity: how it was applied (s1(2))")],
            [Field("support", "Support given to decide (s1(3))")],
        ]
        for key, words in ELEMENTS.items():
            rows.append(
                [
                    Field(key, f"Can they {words}?", "select", options=findings),
                    Field(f"{key}_note", "What showed it"),
                ]
            )
        rows += [
            [
                Field(
                    "outcome",
                    "Outcome",
                    "select",
                    options=tuple((label, code) for code, label in OUTCOMES.items()),
                )
            ],
            [Field("impairment", "If lacking: the impairment of the mind or brain (s2(1))")],
            [Field("consulted", "Best interests: who was consulted (s4(7))")],
            [Field("wishes", "The person's wishes and feelings (s4(6))")],
            [Field("least_restrictive", "The least restrictive option (s1(6))")],
            [
                Field(
                    "attorney",
                    "Lasting power of attorney or deputy",
                    "select",
                    options=tuple((label, code) for code, label in ATTORNEYS.items()),
                ),
                Field("attorney_detail", "Who"),
            ],
            [Field("decided", "The best-interests decision")],
        ]
        self.form(
            "Mental capacity note (MCA 2005)",
            rows,
            apply,
            f"{item.customer}: one decision, at one time",
            said=lambda n: f"Capacity note saved for {item.customer}: {n.decision}",
            after=lambda: self.saved(lambda r: r.customer_id),
        )

    def action_consent(self, kind: str) -> None:
        from coordinator_tui.services.care.consent import (
            CONSENT_ANSWERS,
            CONSENT_KINDS,
            record_consent,
        )

        item = self._customer()
        if item is None:
            return
        today, user = self.today, self.user
        version = item.care_version if kind == "care" else item.sharing_version
        current = item.care if kind == "care" else item.sharing
        self.form(
            f"Consent to {CONSENT_KINDS[kind]}",
            [
                Field(
                    "given",
                    "Consent",
                    "select",
                    value=current or None,
                    required=True,
                    options=tuple((label, code) for code, label in CONSENT_ANSWERS.items()),
                ),
                Field("note", "Note (how, who was there)"),
            ],
            lambda s, v: record_consent(
                s,
                item.customer_id,
                kind,
                version,
                given=v["given"],
                note=v["note"] or "",
                by=user,
                today=today,
            ),
            item.customer,
            said=lambda r: f"{item.customer}: consent to {CONSENT_KINDS[kind]} recorded",
            after=lambda: self.saved(lambda r: r.customer_id),
        )
