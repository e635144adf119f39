"""Talking to customers and families (issue 18 §6): ``L`` on Governance (6).

Views ``f`` follow-ups to chase (overdue first), ``r`` contacts newest first, ``enter``
every contact with the highlighted row's customer (their log), ``t`` rota changes to tell
customers of (a carer new to them on their first visit, a visit moved outside its agreed
window; each stays until a contact about it is logged). ``n`` logs a contact (customer,
how, with whom, what was said, the outcome, a follow-up date). On a follow-up ``d`` done
(what was done), ``e`` move it to another date. On a change to tell ``y`` told (the call
logged against it, out of the list). ``f5`` reloads, ``esc`` goes back. Plan B's call list
records each call's outcome with one key too.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding

from coordinator_tui.clock import to_local
from coordinator_tui.formatting import day_datetime, uk_date
from coordinator_tui.screens.care.staff_base import StaffListScreen, View, local_time, plural
from coordinator_tui.screens.form_dialog import Field
from coordinator_tui.widgets.lazy_table import Column, Row


class ContactsScreen(StaffListScreen):
    TITLE_TEXT = "Contacts with customers and families"
    PREFILL_FROM = "the contact log"
    HELP = __doc__ or ""
    VIEWS = (
        View("f", "follow_ups", "Follow-ups"),
        View("r", "recent", "Contacts"),
        View("t", "to_tell", "Changes to tell"),
        View("enter", "customer", "One customer"),
    )
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="contacts.back"),
        Binding("n", "new", "New", id="contacts.new"),
        Binding("d", "done", "Done", id="contacts.done"),
        Binding("e", "redate", "Re-date", id="contacts.redate"),
        Binding("y", "told", "Told", id="contacts.told"),
        Binding("f", "view('follow_ups')", "Follow-ups", show=False, id="contacts.view_follow"),
        Binding("r", "view('recent')", "Contacts", show=False, id="contacts.view_recent"),
        Binding("t", "view('to_tell')", "To tell", show=False, id="contacts.view_tell"),
        Binding("enter", "customer", "Customer's log", id="contacts.customer", priority=True),
        Binding("f5", "reload", "Reload", show=False, id="contacts.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.customer: tuple[int, str] | None = None  # the one customer's log shown

    def read(self, session: Any) -> tuple[list[Any], Any]:
        from coordinator_tui.services.care import contacts

        if self.view.code == "to_tell":
            return contacts.to_be_told(session, self.today), None
        if self.view.code == "recent":
            return contacts.contacts(session), None
        if self.view.code == "customer" and self.customer is not None:
            return contacts.contacts(session, customer_id=self.customer[0]), None
        return contacts.follow_ups(session, self.today), None

    def columns(self) -> list[Column]:
        if self.view.code == "to_tell":
            return [Column("When", 15), Column("Customer", 22), Column("What changed")]
        return [
            Column("Follow-up", 13),
            Column("When", 11),
            Column("Customer", 20),
            Column("How", 9, show_from=100),
            Column("Outcome"),
        ]

    def empty_text(self) -> str:
        if self.view.code == "to_tell":
            return "No rota changes waiting to be told."
        return "Nothing in this view. n logs a contact."

    def to_row(self, index: int, item: Any) -> Row:
        from coordinator_tui.services.care.contacts import METHODS

        if self.view.code == "to_tell":
            return Row(index, (f"{item.start:%a %d/%m %H:%M}", item.customer, item.detail))
        words: Text | str = item.follow_up_words(self.today)
        if item.overdue(self.today):
            words = Text(words, style="bold red")
        return Row(
            index,
            (
                words,
                local_time(item.at),
                item.customer,
                METHODS.get(item.method, item.method).split()[0],
                item.outcome or item.said,
            ),
        )

    def summary(self) -> Text:
        noun = "change" if self.view.code == "to_tell" else "contact"
        title = self.view.title
        if self.view.code == "customer" and self.customer is not None:
            title = f"{self.customer[1]}'s contacts"
        text = Text(f"{title}: ", style="bold")
        text.append(plural(len(self.items), noun))
        if self.view.code == "follow_ups":
            late = sum(1 for item in self.items if item.overdue(self.today))
            if late:
                text.append(f" · {late} OVERDUE", style="bold red")
        return text

    def detail(self, item: Any) -> Text | str:
        if self.view.code == "to_tell":
            return Text(f"{item.words()}\ny: told (logs the call against this change)")
        text = Text()
        who = f" with {item.who}" if item.who else ""
        text.append(f"{day_datetime(to_local(item.at))}{who}: ", style="bold")
        text.append(item.said)
        if item.follow_up_note:
            text.append(f"\nFollow-up done: {item.follow_up_note}")
        return text

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        item = self.current() if self.loaded else None
        if action == "told":
            return self.view.code == "to_tell" and item is not None
        if action in ("done", "redate"):
            return (
                self.view.code != "to_tell"
                and item is not None
                and item.follow_up_on is not None
                and item.follow_up_done_at is None
            )
        return super().check_action(action, parameters)

    # -- actions ------------------------------------------------------------------------------

    def action_new(self) -> None:
        from coordinator_tui.services.care.contacts import METHODS, log_contact
        from coordinator_tui.services.care.staff_lookups import customer_choices

        with self.coordinator.session() as session:
            customers = customer_choices(session)
        user = self.coordinator.settings.user
        shown = self.customer[0] if self.view.code == "customer" and self.customer else None
        fields = [
            Field("customer", "Customer", "choice", shown, customers, True),
            Field(
                "method",
                "How",
                "select",
                "call_in",
                tuple((v, k) for k, v in METHODS.items()),
                True,
            ),
            Field("who", "With whom (daughter, GP...)", "text", ""),
            Field("said", "What was said", "lines", ""),
            Field("outcome", "Outcome", "text", ""),
            Field("follow_up", "Follow up by", "date", None),
        ]

        def write(session: Any, values: dict[str, Any]) -> str:
            now = self.now()
            log_contact(
                session,
                customer_id=values["customer"],
                at=now,
                method=values["method"],
                who=values["who"] or "",
                said=values["said"] or "",
                outcome=values["outcome"] or "",
                follow_up_on=values["follow_up"],
                by=user,
                now=now,
            )
            return "Contact logged"

        self.form("Log a contact", fields, write, "Logged at the time you save it")

    def action_customer(self) -> None:
        """``enter``: the highlighted row's customer, every contact with them, newest first
        (the per-customer log: ``n`` then logs one more, ``f``/``r``/``t`` go back)."""
        item = self.current()
        if item is None:
            return
        self.customer = (item.customer_id, item.customer)
        if self.view.code == "customer":
            self.load()
        else:
            self.action_view("customer")

    def action_done(self) -> None:
        from coordinator_tui.services.care.contacts import complete_follow_up

        item = self.current()
        if item is None:
            return
        fields = [Field("note", "What was done", "text", "", required=True)]

        def write(session: Any, values: dict[str, Any]) -> str:
            complete_follow_up(session, item.id, item.version, note=values["note"], now=self.now())
            return f"Follow-up done: {item.customer}"

        self.form("Follow-up done", fields, write, item.customer)

    def action_redate(self) -> None:
        from coordinator_tui.services.care.contacts import redate_follow_up

        item = self.current()
        if item is None:
            return
        fields = [Field("on", "Follow up by", "date", item.follow_up_on, required=True)]

        def write(session: Any, values: dict[str, Any]) -> str:
            redate_follow_up(session, item.id, item.version, on=values["on"], today=self.today)
            return f"Follow-up moved to {uk_date(values['on'])}"

        self.form("Move the follow-up", fields, write, item.customer)

    def action_told(self) -> None:
        from coordinator_tui.services.care.contacts import record_told

        item = self.current()
        if item is None:
            return
        user = self.coordinator.settings.user
        self.act(
            lambda s: (
                record_told(s, item, method="call_out", outcome="told", by=user, now=self.now()),
                f"Told: {item.customer}",
            )[1]
        )
