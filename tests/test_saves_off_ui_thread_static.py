"""Issue 12 §2: "saves run off the UI thread (a worker) so the screen stays live". Every
dialog in ``coordinator_tui/screens`` is given its save as a ``BackgroundSave`` (the write
in the dialog's worker thread, the UI part after it), never as a plain callable that
writes on the UI thread. Read from the source, so the next screen cannot regress.

A plain function is still allowed where it writes nothing (a period's check: it opens no
session and calls no writer); a name passed straight through from the caller (a dialog
subclass handing ``save`` to ``FormDialog``) is checked where the caller builds it."""

from __future__ import annotations

import ast
from pathlib import Path

import coordinator_tui

SCREENS = Path(coordinator_tui.__file__).parent / "screens"
#: What writes: a unit of work opened, or a screen's own write helper called.
WRITERS = {"session", "write", "_write", "run_change", "run_action", "_attempt"}


def _called_names(node: ast.AST) -> set[str]:
    names = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            func = call.func
            if isinstance(func, ast.Attribute):
                names.add(func.attr)
            elif isinstance(func, ast.Name):
                names.add(func.id)
    return names


def _is_background(value: ast.expr) -> bool:
    """``BackgroundSave(...)`` or a helper that returns one (``self.background(...)``,
    ``self._with_rationale(...)``)."""
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name == "BackgroundSave" or "background" in name.lower() or name == "_with_rationale"


def _scopes(tree: ast.Module) -> dict[ast.AST, list[ast.AST]]:
    """Each node -> the functions enclosing it, innermost last."""
    enclosing: dict[ast.AST, list[ast.AST]] = {}

    def visit(node: ast.AST, stack: list[ast.AST]) -> None:
        for child in ast.iter_child_nodes(node):
            enclosing[child] = stack
            inner = (
                stack + [child]
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
                else stack
            )
            visit(child, inner)

    visit(tree, [])
    return enclosing


def _problem(value: ast.expr, scopes: list[ast.AST]) -> str | None:
    """Why ``value``, given as a dialog's save, may write on the UI thread (None: fine)."""
    if _is_background(value) or (isinstance(value, ast.Constant) and value.value is None):
        return None
    if isinstance(value, ast.Lambda):
        return "a lambda"
    if not isinstance(value, ast.Name):
        return f"an expression ({ast.unparse(value)})"
    name = value.id
    for scope in reversed(scopes):
        assert isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef)
        if name in {a.arg for a in scope.args.args + scope.args.kwonlyargs}:
            return None  # handed through: checked where the caller builds it
        for node in ast.walk(scope):
            if isinstance(node, ast.FunctionDef) and node.name == name:
                writes = _called_names(node) & WRITERS
                return f"function {name} writes ({', '.join(sorted(writes))})" if writes else None
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets
            ):
                return _problem(node.value, [])
    return f"{name}: not found"


def dialog_saves() -> list[tuple[str, int, str | None]]:
    """(file, line, problem) for every save handed to a dialog under screens/."""
    found = []
    for path in sorted(SCREENS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        scopes = _scopes(tree)
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            callee = ast.unparse(func)
            if not ("Dialog" in callee or callee in ("super().__init__", "kind", "dialog")):
                continue
            values = [k.value for k in call.keywords if k.arg == "save"]
            if "Dialog" in callee:  # the custom dialogs take it by position
                values += [
                    a
                    for a in call.args
                    if (isinstance(a, ast.Name) and a.id == "save")
                    or isinstance(a, ast.Lambda)
                    or _is_background(a)
                ]
            for value in values:
                where = str(path.relative_to(SCREENS.parent))
                found.append((where, call.lineno, _problem(value, scopes.get(call, []))))
    return found


def test_every_dialog_save_writes_in_a_worker_thread():
    saves = dialog_saves()
    assert len(saves) >= 40  # the scan sees the sites (it would pass vacuously otherwise)
    bad = [f"{where}:{line}: {problem}" for where, line, problem in saves if problem]
    assert bad == [], "a dialog save runs on the UI thread:\n" + "\n".join(bad)


def test_the_scan_catches_a_plain_callable():
    source = """
def open_form(self):
    def save(values):
        with self.coordinator.session() as session:
            write_it(session, values)
    self.app.push_screen(FormDialog("T", [], today, save=save))
    self.app.push_screen(FormDialog("T", [], today, save=lambda v: self.write(v)))
    self.app.push_screen(ManualItemDialog(BackgroundSave(write, then)))
"""
    tree = ast.parse(source)
    scopes = _scopes(tree)
    calls = [
        c for c in ast.walk(tree) if isinstance(c, ast.Call) and "Dialog" in ast.unparse(c.func)
    ]
    problems = []
    for call in calls:
        values = [k.value for k in call.keywords if k.arg == "save"] + [
            a for a in call.args if _is_background(a)
        ]
        problems += [_problem(v, scopes.get(call, [])) for v in values]
    assert problems == ["function save writes (session)", "a lambda", None]


# -- one-key writes: a screen's key action never writes on the UI thread ----------------------
#
# The second half of issue 12 §2: a key that writes with no dialog (the rota's assign, a
# triage decision) writes in a worker (``screens/background_write.py``). Read from the
# source: from every key action (``action_*``) and row selection (``@on``), the code run on
# the UI thread (the method, the nested functions it calls or hands on as callbacks, and
# ``self`` methods it calls, transitively) must not open a unit of work, except for a
# read named below with why it writes nothing. A function handed to a worker
# (``write_in_background``, ``BackgroundSave``, ``run_worker``, ``asyncio.to_thread``, a
# thread, an ``@work(thread=True)`` method) is not UI-thread code.

#: What hands a function to a worker thread (every argument runs there).
TO_A_THREAD = {"run_worker", "to_thread", "Thread", "_with_rationale"}
#: What runs its first argument in a worker and the rest (``then``) on the UI thread.
WRITE_THEN = {"BackgroundSave", "write_in_background"}

#: UI-thread units of work that only read (``file::Class.method``: what it reads). Reads
#: do not wait on another writer's lock (SQLite readers go on beside a writer; PostgreSQL
#: reads take no row locks), so they keep the screen live.
READ_ONLY = {
    "accounts/users.py::UsersScreen.load": "list_accounts",
    "care/changes.py::CareChangesScreen.action_new": "customer_choices, for the form",
    "care/contacts.py::ContactsScreen.action_new": "customer_choices, for the form",
    "care/requests.py::RequestsScreen.action_new": "customer_choices, for the form",
    "care/reviews.py::CareReviewsScreen.action_interval": "review_settings, for the form",
    "care/reviews.py::CareReviewsScreen.action_raise_early": "customer_choices",
    "care/reviews.py::CareReviewsScreen.action_review": "proposed_next_review",
    "care/training.py::TrainingScreen.action_intervals": "intervals and their version",
    "care/training.py::TrainingScreen.action_supervise": "course_choices",
    "governance/actions.py::GovernanceActions._read": "a small read before a dialog",
    "governance/day_actions.py::DayVisitActions.action_cover": "cover_offer: the ranking",
    "meetings/attendees.py::AttendeesScreen.action_invite": "professionals, for the picker",
    "meetings/attendees.py::AttendeesScreen.load": "the meeting and its attendees",
    "meetings/meetings.py::MeetingsScreen.action_new": "filter_options, for the form",
    "action_tracking.py::ActionTracking.action_reassign": "professionals, for the form",
    "meetings/minuting.py::MinutingScreen.refresh_items": "minuting_items",
    "meetings/series.py::SeriesScreen.action_new": "filter_options, for the form",
    "meetings/series.py::SeriesScreen.load": "list_series",
    "meetings/triage.py::MeetingTriageScreen.action_presenter": "professionals, for the form",
    "meetings/triage.py::MeetingTriageScreen.action_start": "plan_start: may it start today",
    "referrals/referrals.py::ReferralActions._read": "a small read before a dialog",
    "registers/concerns.py::ConcernsScreen.action_register": "register_choices",
    "registers/queue.py::RegistersScreen.action_change": "the entry and choices, for the form",
    "registers/queue.py::RegistersScreen.action_health_assessment": "next_health_assessment",
    "registers/queue.py::RegistersScreen.action_resolve": "entry_for_form",
    "registers/queue.py::RegistersScreen.action_review": "proposed_next_review",
    "registers/queue.py::RegistersScreen._read_before_form": "a small read before a form",
    "registers/queue.py::RegistersScreen._matches": "queue_rows by id as / text is typed: on "
    "SQLite only (_matches_now; WAL: a read never waits on a writer), else in a worker",
    "registers/queue.py::RegistersScreen._match_source": "the matches' next pages by id, "
    "read as the table draws them, like every LazyTable source",
    "rota/grid.py::RotaScreen.absence_here": "absences_for: the absence on the cell",
    "rota/grid.py::RotaScreen.edit_absence": "cover_to_undo, for the question asked",
    "rota/grid.py::RotaScreen.remove_absence": "cover_to_undo, for the question asked",
}

#: One-key writes still made on the UI thread, in screens beyond this change: issue 12 §2
#: is not done until this is empty. Converting one is ``write_in_background`` (and taking
#: its line out of here: the test says so when a line is no longer needed).
NOT_YET_OFF_THE_UI_THREAD = {}

#: The screens this change moved off the UI thread: none of theirs may be listed above.
CONVERTED = (
    "governance/actions.py",
    "governance/candour.py",
    "governance/day_actions.py",
    "governance/governance.py",
    "rota/grid.py",
    "meetings/triage.py",
    "meetings/series.py",
    "meetings/attendees.py",
    "reports/coding_audit.py",
    "meetings/meetings.py",
    "registers/concerns.py",
    "registers/person.py",
    "reports/kpi.py",
    "reports/process_updates.py",
    "reports/themes.py",
    "rota/plan_b.py",
    "accounts/users.py",
    "meetings/entries.py",
    "meetings/minuting.py",
    "reports/sharing.py",
)


def _callee(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _in_a_thread(method: ast.AST) -> bool:
    """An ``@work(thread=True)`` method: it runs in a worker thread."""
    return any(
        isinstance(d, ast.Call)
        and _callee(d.func) == "work"
        and any(k.arg == "thread" and getattr(k.value, "value", False) for k in d.keywords)
        for d in getattr(method, "decorator_list", [])
    )


def _handed_to_a_thread(function: ast.AST) -> tuple[set[str], set[ast.AST]]:
    """The nested functions (by name) and lambdas ``function`` hands to a worker."""
    names: set[str] = set()
    lambdas: set[ast.AST] = set()
    for call in ast.walk(function):
        if not isinstance(call, ast.Call):
            continue
        callee = _callee(call.func)
        if callee in WRITE_THEN:
            in_thread = call.args[:1] + [k.value for k in call.keywords if k.arg == "write"]
        elif callee in TO_A_THREAD or "background" in callee.lower():
            in_thread = [*call.args, *(k.value for k in call.keywords)]
        else:
            continue
        for arg in in_thread:
            for node in ast.walk(arg):
                if isinstance(node, ast.Name):
                    names.add(node.id)
                elif isinstance(node, ast.Lambda):
                    lambdas.add(node)
    nested = {
        n.name: n
        for n in ast.walk(function)
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    more = True
    while more:  # what a function run in a worker calls runs there too
        more = False
        for name in list(names):
            if name in nested:
                for node in ast.walk(nested[name]):
                    if isinstance(node, ast.Name) and node.id not in names:
                        names.add(node.id)
                        more = True
    return names, lambdas


def _ui_thread_sessions(
    function: ast.AST, methods: dict[str, ast.AST], name: str, found: dict[str, int], seen: set
) -> None:
    """Record (in ``found``: method -> line) every unit of work opened on the UI thread by
    ``function`` (the method ``name``) or the ``self`` methods it calls."""
    if function in seen:
        return
    seen.add(function)
    names, lambdas = _handed_to_a_thread(function)
    functions = ast.FunctionDef | ast.AsyncFunctionDef
    nested = {n.name: n for n in ast.walk(function) if isinstance(n, functions)}
    called: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, functions) and child.name in names:
                continue
            if isinstance(child, ast.Lambda) and child in lambdas:
                continue
            if isinstance(child, ast.Call):
                func = child.func
                if isinstance(func, ast.Attribute) and func.attr == "session":
                    found.setdefault(name, child.lineno)
                if isinstance(func, ast.Name) and func.id in nested and func.id not in called:
                    called.add(func.id)  # called here: on the UI thread, wherever else it goes
                    visit(nested[func.id])
                if (
                    isinstance(func, ast.Attribute)
                    and isinstance(func.value, ast.Name)
                    and func.value.id == "self"
                    and func.attr in methods
                    and not _in_a_thread(methods[func.attr])
                ):
                    _ui_thread_sessions(methods[func.attr], methods, func.attr, found, seen)
            visit(child)

    visit(function)


def key_action_sessions(sources: dict[str, str]) -> dict[str, int]:
    """``file::Class.method`` -> line, for every unit of work a key action opens on the UI
    thread, in ``sources`` (file -> text)."""
    found: dict[str, int] = {}
    for where, text in sources.items():
        for cls in ast.walk(ast.parse(text)):
            if not isinstance(cls, ast.ClassDef):
                continue
            methods = {
                n.name: n for n in cls.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            }
            for name, method in methods.items():
                by_key = name.startswith("action_") or any(
                    isinstance(d, ast.Call) and _callee(d.func) == "on"
                    for d in method.decorator_list
                )
                if by_key and not _in_a_thread(method):
                    opened: dict[str, int] = {}
                    _ui_thread_sessions(method, methods, name, opened, set())
                    for inner, line in opened.items():
                        found.setdefault(f"{where}::{cls.name}.{inner}", line)
    return found


def screen_sources() -> dict[str, str]:
    return {
        str(path.relative_to(SCREENS)): path.read_text(encoding="utf-8")
        for path in sorted(SCREENS.rglob("*.py"))
    }


def test_no_key_action_writes_on_the_ui_thread():
    found = key_action_sessions(screen_sources())
    assert len(found) >= 25  # the scan sees the sites (it would pass vacuously otherwise)
    unexplained = sorted(set(found) - set(READ_ONLY) - set(NOT_YET_OFF_THE_UI_THREAD))
    assert unexplained == [], (
        "a key action opens a unit of work on the UI thread: write it in a worker "
        "(screens/background_write.py: write_in_background), or if it only reads, add it "
        "to READ_ONLY saying what it reads:\n"
        + "\n".join(f"{site} (line {found[site]})" for site in unexplained)
    )
    gone = sorted(set(NOT_YET_OFF_THE_UI_THREAD) - set(found))
    assert gone == [], "no longer writes on the UI thread: take it out of the list:\n" + (
        "\n".join(gone)
    )
    assert not [s for s in NOT_YET_OFF_THE_UI_THREAD if s.startswith(CONVERTED)]


def test_the_key_action_scan_catches_a_write_on_the_ui_thread():
    source = """
class ListScreen:
    def action_include(self):
        self.write(lambda s, row: include(s, row.id))

    def write(self, change):
        with self.coordinator.session() as session:
            change(session, self.current())

    def action_defer(self):
        def write():
            with self.coordinator.session() as session:
                defer(session, 1)

        def then(result):
            self.show(result)

        self.write_in_background(write, then)

    def action_invite(self):
        def picked(staff_id):
            with self.coordinator.session() as session:
                add_attendee(session, staff_id)

        self.app.push_screen(Picker(), picked)

    @work(thread=True)
    def load(self):
        with self.coordinator.session() as session:
            self.rows = read(session)

    def action_reload(self):
        self.load()

    def action_toggle(self):
        def write(active):
            with self.coordinator.session() as session:
                set_active(session, active)

        if self.stopped:
            write(True)  # called here, though also handed to a dialog's worker below
            return
        self.app.push_screen(FormDialog(save=BackgroundSave(lambda _v: write(False))))
"""
    assert key_action_sessions({"x.py": source}) == {
        "x.py::ListScreen.write": 7,  # reached from action_include
        "x.py::ListScreen.action_invite": 22,  # a picker's callback runs on the UI thread
        "x.py::ListScreen.action_toggle": 37,
    }
