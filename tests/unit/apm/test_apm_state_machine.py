"""Random sequences of API calls against the workspace, checking every invariant after each step.

Besides the structural invariants, a mirror rebuilt only from the emitted events
must always agree with the state: that proves the events are complete and in a
usable order.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from apm import ApmError, NavSource, Workspace
from apm.templates import record_identity

PICK = st.integers(min_value=0, max_value=60)
N = st.integers(min_value=0, max_value=4)
TITLES = st.sampled_from(["", "A", "{customerName}", "x" * 30])


class EventMirror:
    """The workspace as a subscriber sees it: rebuilt from events alone."""

    def __init__(self) -> None:
        self.sessions: dict[str, list[str]] = {"home": ["home-dashboard"]}
        self.focused_session = "home"
        self.focused_tab = "home-dashboard"

    def apply(self, event) -> None:
        name = event.name
        if name == "session.created":
            self.sessions[event.session_id] = []
        elif name == "tab.created":
            self.sessions[event.session_id].append(event.tab_id)
        elif name == "tab.closed":
            self.sessions[event.session_id].remove(event.tab_id)
        elif name == "session.closed":
            assert self.sessions.pop(event.session_id) == [], "tabs must be closed before their session"
        elif name == "session.focused":
            assert event.previous_session_id == self.focused_session
            self.focused_session = event.session_id
        elif name == "tab.focused":
            assert event.session_id == self.focused_session, "tab.focused must follow session.focused"
            assert event.previous_tab_id == self.focused_tab
            self.focused_tab = event.tab_id


class WorkspaceMachine(RuleBasedStateMachine):
    @initialize(max_sessions=st.integers(3, 10), max_tabs=st.integers(2, 10))
    def setup(self, max_sessions, max_tabs):
        self.ws = Workspace(max_sessions=max_sessions, max_tabs=max_tabs)
        self.events: list = []
        self.mirror = EventMirror()
        self.ws.subscribe("*", self.events.append)
        self.ws.subscribe("*", self.mirror.apply)

    # --- helpers ---------------------------------------------------------------

    def attempt(self, fn, *args, **kwargs):
        """Calls fn; on an ApmError checks that nothing changed and nothing was emitted."""
        before = self.ws.snapshot()
        emitted = len(self.events)
        try:
            return fn(*args, **kwargs)
        except ApmError:
            assert self.ws.snapshot() == before
            assert len(self.events) == emitted
            return None

    def session_id(self, pick):
        ids = [*self.ws.sessions, "session-missing"]
        return ids[pick % len(ids)]

    def tab_id(self, pick):
        ids = [*self.ws.tabs, "tab-missing"]
        return ids[pick % len(ids)]

    # --- rules -----------------------------------------------------------------

    @rule(
        kind=st.sampled_from(["case", "account", "contact", "chat", "generic", "generic_without_anchor"]),
        n=N,
        is_focused=st.booleans(),
    )
    def create_session(self, kind, n, is_focused):
        template, context = {
            "case": ("msdyn_case_session", {"caseId": f"c-{n}", "caseTitle": f"Case {n}"}),
            "account": ("msdyn_account_session", {"entityId": f"a-{n}", "anchor": {"name": f"Acc {n}"}}),
            "contact": ("msdyn_contact_session", {"entityId": f"p-{n}"}),
            "chat": ("msdyn_chat_session", {"conversationId": f"conv-{n}", "customerName": "Ann"}),
            "generic": ("msdyn_generic_session", {"entityName": "task", "entityId": f"t-{n}"}),
            "generic_without_anchor": ("msdyn_generic_session", {}),
        }[kind]
        focused_before = self.ws.focused_session_id
        result = self.attempt(self.ws.create_session, template, context, is_focused=is_focused)
        if result is not None and not is_focused:
            assert self.ws.focused_session_id == focused_before

    @rule(
        pick=PICK,
        kind=st.sampled_from(["contact", "incident", "list", "search", "dashboard", "missing_template"]),
        n=N,
        is_focused=st.booleans(),
    )
    def create_tab(self, pick, kind, n, is_focused):
        template, app_context = {
            "contact": ("msdyn_entityrecord", {"entityName": "contact", "entityId": f"p-{n}"}),
            "incident": ("msdyn_entityrecord", {"entityName": "incident", "entityId": f"c-{n}"}),
            "list": ("msdyn_entitylist", {"entityName": "contact"}),
            "search": ("msdyn_search", {"searchText": f"q{n}"}),
            "dashboard": ("msdyn_dashboard", {}),
            "missing_template": ("msdyn_missing", {}),
        }[kind]
        tab_id = self.attempt(
            self.ws.create_tab, template, app_context, session_id=self.session_id(pick), is_focused=is_focused
        )
        if tab_id is not None and is_focused:
            assert self.ws.focused_tab_id == tab_id

    @rule(pick=PICK)
    def close_session(self, pick):
        session_id = self.session_id(pick)
        order = list(self.ws.sessions)
        was_focused = session_id == self.ws.focused_session_id
        focused_before = self.ws.focused_session_id
        self.attempt(self.ws.close_session, session_id)
        if session_id not in self.ws.sessions and session_id in order:
            expected = order[order.index(session_id) - 1] if was_focused else focused_before
            assert self.ws.focused_session_id == expected

    @rule(pick=PICK)
    def close_tab(self, pick):
        tab_id = self.tab_id(pick)
        tab = self.ws.tabs.get(tab_id)
        if tab is None:
            self.attempt(self.ws.close_tab, tab_id)
            return
        session = self.ws.sessions[tab.session_id]
        strip = list(session.tab_ids)
        index = strip.index(tab_id)
        remembered = session.focused_tab_id
        focused_session = self.ws.focused_session_id
        self.attempt(self.ws.close_tab, tab_id)
        if tab_id in self.ws.tabs:
            return
        if remembered == tab_id:
            expected = strip[index + 1] if index + 1 < len(strip) else strip[index - 1]
        else:
            expected = remembered
        assert session.focused_tab_id == expected
        assert self.ws.focused_session_id == focused_session

    @rule(pick=PICK)
    def focus_session(self, pick):
        session_id = self.session_id(pick)
        self.attempt(self.ws.focus_session, session_id)
        if session_id in self.ws.sessions:
            assert self.ws.focused_session_id == session_id

    @rule(pick=PICK)
    def focus_tab(self, pick):
        tab_id = self.tab_id(pick)
        self.attempt(self.ws.focus_tab, tab_id)
        if tab_id in self.ws.tabs:
            assert self.ws.focused_tab_id == tab_id

    @rule(pick=PICK)
    def request_focus(self, pick):
        session_id = self.session_id(pick)
        self.attempt(self.ws.request_focus, session_id)
        if session_id in self.ws.sessions:
            assert self.ws.sessions[session_id].notification == (session_id != self.ws.focused_session_id)

    @rule(pick=PICK)
    def refresh_tab(self, pick):
        self.attempt(self.ws.refresh_tab, self.tab_id(pick))

    @rule(
        pick=PICK,
        key=st.sampled_from(["caseTitle", "customerName", "anchor", "queueId"]),
        value=st.one_of(st.text(max_size=5), st.integers(0, 2), st.booleans(), st.just({"ticketnumber": "CAS-1"})),
    )
    def update_context(self, pick, key, value):
        self.attempt(self.ws.update_context, self.session_id(pick), {key: value})

    @rule(
        entity=st.sampled_from(["incident", "account", "contact", "task"]),
        n=st.one_of(st.none(), N),
        source=st.sampled_from(list(NavSource)),
        title=st.one_of(st.none(), TITLES),
    )
    def open_record(self, entity, n, source, title):
        entity_id = None if n is None else f"{entity[0]}-{n}"
        result = self.attempt(self.ws.open_record, entity, entity_id, source, title=title)
        if result is None:
            return
        session_id, tab_id = result
        assert (self.ws.focused_session_id, self.ws.focused_tab_id) == (session_id, tab_id)
        if entity_id is not None:
            assert self.ws.tabs[tab_id].record == record_identity(entity, entity_id)

    @rule(pick=PICK, title=TITLES)
    def set_session_title(self, pick, title):
        self.attempt(self.ws.set_session_title, self.session_id(pick), title)

    @rule(pick=PICK, value=st.booleans())
    def set_session_can_close(self, pick, value):
        self.attempt(self.ws.set_session_can_close, self.session_id(pick), value)

    @rule(pick=PICK, title=TITLES)
    def set_tab_title(self, pick, title):
        self.attempt(self.ws.set_tab_title, self.tab_id(pick), title)

    @rule(pick=PICK, value=st.booleans())
    def set_tab_can_close(self, pick, value):
        self.attempt(self.ws.set_tab_can_close, self.tab_id(pick), value)

    @rule(pick=PICK, n=N)
    def navigate_tab(self, pick, n):
        self.attempt(
            self.ws.navigate_tab,
            self.tab_id(pick),
            "msdyn_entityrecord",
            {"entityName": "account", "entityId": f"a-{n}"},
        )

    # --- invariants ----------------------------------------------------------------

    @invariant()
    def limits_are_never_exceeded(self):
        assert len(self.ws.sessions) <= self.ws.max_sessions
        assert all(len(s.tab_ids) <= self.ws.max_tabs for s in self.ws.sessions.values())

    @invariant()
    def home_is_present_first_and_the_only_default(self):
        sessions = list(self.ws.sessions.values())
        assert sessions[0].session_id == "home" and sessions[0].is_default and not sessions[0].can_close
        assert not any(s.is_default for s in sessions[1:])
        assert sessions[0].tab_ids[0] == "home-dashboard"

    @invariant()
    def exactly_one_focused_session_holding_the_focused_tab(self):
        focused = [s for s in self.ws.sessions.values() if s.session_id == self.ws.focused_session_id]
        assert len(focused) == 1
        assert self.ws.focused_tab_id in focused[0].tab_ids
        assert self.ws.tabs[self.ws.focused_tab_id].session_id == self.ws.focused_session_id
        assert not focused[0].notification

    @invariant()
    def every_session_remembers_one_of_its_tabs(self):
        for session in self.ws.sessions.values():
            assert session.focused_tab_id in session.tab_ids

    @invariant()
    def every_session_starts_with_its_anchor_and_has_only_one(self):
        for session in self.ws.sessions.values():
            anchors = [t for t in session.tab_ids if self.ws.tabs[t].is_anchor]
            assert anchors == [session.tab_ids[0]]

    @invariant()
    def tabs_belong_to_exactly_one_session(self):
        listed = [t for s in self.ws.sessions.values() for t in s.tab_ids]
        assert len(listed) == len(set(listed)) == len(self.ws.tabs)
        assert set(listed) == set(self.ws.tabs)
        for session in self.ws.sessions.values():
            assert all(self.ws.tabs[t].session_id == session.session_id for t in session.tab_ids)

    @invariant()
    def no_record_is_open_twice_and_the_index_agrees(self):
        records = {t.tab_id: t.record for t in self.ws.tabs.values() if t.record is not None}
        assert len(set(records.values())) == len(records)
        assert self.ws._records == {record: tab_id for tab_id, record in records.items()}

    @invariant()
    def events_tell_the_whole_story(self):
        mirror = self.mirror
        assert list(mirror.sessions) == list(self.ws.sessions)
        assert mirror.sessions == {s.session_id: s.tab_ids for s in self.ws.sessions.values()}
        assert (mirror.focused_session, mirror.focused_tab) == (self.ws.focused_session_id, self.ws.focused_tab_id)


WorkspaceMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_workspace_state_machine = WorkspaceMachine.TestCase
