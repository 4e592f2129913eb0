"""Workspace rules: Home, limits, anchors, focus, closing, updates — with exact event sequences."""

from __future__ import annotations

import pytest

from apm import (
    HOME_SESSION_ID,
    HOME_TAB_ID,
    ApmError,
    CannotCloseError,
    LimitError,
    NotFoundError,
    SessionClosed,
    SessionCreated,
    SessionFocused,
    SessionUpdated,
    TabClosed,
    TabCreated,
    TabFocused,
    TabRefreshed,
    TabUpdated,
    TemplateError,
    ValidationError,
    Workspace,
)
from apm.errors import SESSION_LIMIT_MESSAGE, TAB_LIMIT_MESSAGE
from apm_testkit import Recorder, add_contact_tab, open_case

# --- Home ----------------------------------------------------------------------


def test_home_session_exists_first_and_focused(ws):
    home = ws.session(HOME_SESSION_ID)
    assert ws.session_ids == ["home"]
    assert ws.focused_session_id == "home"
    assert home.is_default and home.title == "Home" and not home.can_close


def test_home_starts_with_one_dashboard_tab_that_cannot_close(ws):
    home = ws.session("home")
    assert home.tab_ids == [HOME_TAB_ID]
    dashboard = ws.tab(HOME_TAB_ID)
    assert dashboard.template_name == "msdyn_dashboard"
    assert dashboard.title == "Dashboard"
    assert dashboard.can_close is False
    assert ws.focused_tab_id == HOME_TAB_ID


def test_home_session_cannot_be_closed(ws, rec):
    with pytest.raises(CannotCloseError) as info:
        ws.close_session("home")
    assert info.value.code == "cannot_close_session"
    assert rec.take() == []


def test_home_session_cannot_be_made_closable(ws):
    with pytest.raises(CannotCloseError) as info:
        ws.set_session_can_close("home", True)
    assert info.value.code == "cannot_close_session"
    assert ws.session("home").can_close is False


def test_home_dashboard_tab_cannot_be_closed_even_when_marked_closable(ws):
    ws.set_tab_can_close(HOME_TAB_ID, True)
    with pytest.raises(CannotCloseError) as info:
        ws.close_tab(HOME_TAB_ID)
    assert info.value.code == "cannot_close_tab"


# --- Creating sessions -----------------------------------------------------------


def test_create_focused_session_emits_created_then_focus_events(ws, rec):
    session_id = open_case(ws, 1)
    assert session_id == "session-1"
    assert rec.take() == [
        SessionCreated("session-1", "msdyn_case_session", "Case 1"),
        TabCreated("session-1", "tab-1", "msdyn_entityrecord", "Case 1"),
        SessionFocused("session-1", "home"),
        TabFocused("session-1", "tab-1", HOME_TAB_ID),
    ]
    assert ws.focused_session_id == "session-1"
    assert ws.focused_tab_id == "tab-1"


def test_create_session_with_additional_tabs_emits_anchor_then_additional_tabs(ws, rec):
    ws.create_session("msdyn_chat_session", {"conversationId": "conv-1", "customerName": "Ann"})
    assert rec.take() == [
        SessionCreated("session-1", "msdyn_chat_session", "Ann"),
        TabCreated("session-1", "tab-1", "msdyn_conversation", "Ann"),
        TabCreated("session-1", "tab-2", "msdyn_customersummary", "Customer summary"),
        SessionFocused("session-1", "home"),
        TabFocused("session-1", "tab-1", HOME_TAB_ID),
    ]
    assert ws.session("session-1").tab_ids == ["tab-1", "tab-2"]
    assert ws.focused_tab_id == "tab-1"


def test_create_unfocused_session_keeps_focus_and_emits_only_created_events(ws, rec):
    open_case(ws, 1, is_focused=False)
    assert rec.take() == [
        SessionCreated("session-1", "msdyn_case_session", "Case 1"),
        TabCreated("session-1", "tab-1", "msdyn_entityrecord", "Case 1"),
    ]
    assert ws.focused_session_id == "home"
    assert ws.session("session-1").focused_tab_id == "tab-1"


def test_new_sessions_are_appended_to_the_session_bar(ws):
    open_case(ws, 1)
    open_case(ws, 2, is_focused=False)
    assert ws.session_ids == ["home", "session-1", "session-2"]


def test_anchor_is_first_tab_and_cannot_be_closed_alone(ws, rec):
    session_id = open_case(ws, 1)
    add_contact_tab(ws, 1)
    anchor = ws.tab(ws.session(session_id).tab_ids[0])
    assert anchor.is_anchor
    rec.take()
    with pytest.raises(CannotCloseError) as info:
        ws.close_tab(anchor.tab_id)
    assert info.value.code == "cannot_close_tab"
    assert rec.take() == []


def test_default_ids_are_deterministic_counters():
    first, second = Workspace(), Workspace()
    for ws in (first, second):
        open_case(ws, 1)
        add_contact_tab(ws, 1)
    assert first.snapshot() == second.snapshot()
    assert list(first.tabs) == [HOME_TAB_ID, "tab-1", "tab-2"]


def test_session_and_tab_ids_come_from_the_id_factory():
    issued = []

    def ids(kind):
        issued.append(kind)
        return f"{kind}-{len(issued)}x"

    ws = Workspace(id_factory=ids)
    session_id = open_case(ws, 1)
    assert session_id == "session-1x"
    assert ws.session(session_id).tab_ids == ["tab-2x"]


def test_id_factory_returning_a_used_id_raises_and_changes_nothing():
    ws = Workspace(id_factory=lambda kind: "home")
    before = ws.snapshot()
    with pytest.raises(ValidationError):
        open_case(ws, 1)
    assert ws.snapshot() == before


def test_unknown_session_template_raises_template_not_found(ws, rec):
    with pytest.raises(NotFoundError) as info:
        ws.create_session("msdyn_nope_session")
    assert info.value.code == "template_not_found"
    assert isinstance(info.value, TemplateError)
    assert rec.take() == []


def test_generic_session_takes_its_anchor_from_the_anchor_tab_context(ws):
    session_id = ws.create_session(
        None,
        {"anchorTab": {"templateName": "msdyn_entitylist", "appContext": {"entityName": "incident"}, "title": "Cases"}},
    )
    session = ws.session(session_id)
    anchor = ws.tab(session.tab_ids[0])
    assert session.template_name == "msdyn_generic_session"
    assert anchor.template_name == "msdyn_entitylist"
    assert anchor.params == {"entityName": "incident"}
    assert session.title == "Cases"


def test_generic_session_with_entity_name_context_anchors_that_record(ws):
    session_id = ws.create_session(
        "msdyn_generic_session", {"entityName": "task", "entityId": "t-1", "title": "Call back"}
    )
    anchor = ws.tab(ws.session(session_id).tab_ids[0])
    assert anchor.params == {"entityName": "task", "entityId": "t-1"}
    assert ws.session(session_id).title == "Call back"


def test_generic_session_without_anchor_raises_invalid_template(ws, rec):
    before = ws.snapshot()
    with pytest.raises(TemplateError) as info:
        ws.create_session("msdyn_generic_session", {"customerName": "Ann"})
    assert info.value.code == "invalid_template"
    assert ws.snapshot() == before
    assert rec.take() == []


def test_creating_a_session_for_an_open_record_focuses_it_instead(ws, rec):
    first = open_case(ws, 1)
    ws.focus_session("home")
    rec.take()
    again = ws.create_session("msdyn_case_session", {"caseId": "CASE-1"})
    assert again == first
    assert ws.session_ids == ["home", first]
    assert rec.take() == [SessionFocused(first, "home"), TabFocused(first, "tab-1", HOME_TAB_ID)]


def test_additional_tab_showing_an_open_record_is_skipped(ws):
    ws.templates.register_tab_template(
        {
            "uniqueName": "new_primarycontact",
            "name": "Primary contact",
            "pageType": "entityrecord",
            "params": {"entityName": "contact", "entityId": "{contactId}"},
        }
    )
    ws.templates.register_session_template(
        {
            "uniqueName": "new_case_with_contact",
            "name": "Case with contact",
            "type": "entity",
            "entity": "incident",
            "anchorTab": "msdyn_entityrecord",
            "anchorAppContext": {"entityName": "incident", "entityId": "{caseId}"},
            "additionalTabs": ["new_primarycontact"],
        }
    )
    add_contact_tab(ws, 7)  # contact-7 is now open in Home
    session_id = ws.create_session("new_case_with_contact", {"caseId": "c-1", "contactId": "contact-7"})
    assert len(ws.session(session_id).tab_ids) == 1


# --- Limits ----------------------------------------------------------------------


def test_session_limit_counts_home():
    ws = Workspace(max_sessions=2)
    open_case(ws, 1)
    assert not ws.can_create_session()


def test_session_limit_raises_and_closes_nothing():
    ws = Workspace(max_sessions=3)
    open_case(ws, 1)
    open_case(ws, 2)
    rec = Recorder(ws)
    before = ws.snapshot()
    with pytest.raises(LimitError) as info:
        open_case(ws, 3)
    assert info.value.code == "session_limit_reached"
    assert info.value.message == SESSION_LIMIT_MESSAGE
    assert str(info.value) == "Maximum sessions reached. Close a session before opening another."
    assert ws.snapshot() == before
    assert rec.take() == []


def test_can_create_session_reflects_the_limit():
    ws = Workspace(max_sessions=2)
    assert ws.can_create_session()
    session_id = open_case(ws, 1)
    assert not ws.can_create_session()
    ws.close_session(session_id)
    assert ws.can_create_session()


def test_tab_limit_raises_and_closes_nothing():
    ws = Workspace(max_tabs=2)
    session_id = open_case(ws, 1)
    add_contact_tab(ws, 1)
    rec = Recorder(ws)
    before = ws.snapshot()
    with pytest.raises(LimitError) as info:
        add_contact_tab(ws, 2)
    assert info.value.code == "tab_limit_reached"
    assert info.value.message == TAB_LIMIT_MESSAGE
    assert str(info.value) == "Maximum tabs reached. Close a tab in this session before opening another."
    assert ws.snapshot() == before
    assert rec.take() == []
    assert not ws.can_create_tab(session_id)


def test_tab_limit_applies_to_home_too():
    ws = Workspace(max_tabs=1)
    assert not ws.can_create_tab("home")
    with pytest.raises(LimitError):
        add_contact_tab(ws, 1)


def test_can_create_tab_defaults_to_the_focused_session():
    ws = Workspace(max_tabs=2)
    open_case(ws, 1)
    assert ws.can_create_tab()
    add_contact_tab(ws, 1)
    assert not ws.can_create_tab()
    assert ws.can_create_tab("home")


def test_session_template_with_more_tabs_than_the_limit_raises_tab_limit():
    ws = Workspace(max_tabs=1)
    before = ws.snapshot()
    with pytest.raises(LimitError) as info:
        ws.create_session("msdyn_chat_session", {"conversationId": "c"})
    assert info.value.code == "tab_limit_reached"
    assert ws.snapshot() == before


def test_limits_come_from_the_agent_profile():
    ws = Workspace.from_profile({"maxSessions": 4, "maxTabs": 3})
    assert (ws.max_sessions, ws.max_tabs) == (4, 3)
    assert (Workspace.from_profile(None).max_sessions, Workspace.from_profile({}).max_tabs) == (10, 10)


@pytest.mark.parametrize("bad", [0, -1, True, 2.5, "3", None])
def test_invalid_limits_raise_invalid_input(bad):
    with pytest.raises(ValidationError):
        Workspace(max_sessions=bad)
    with pytest.raises(ValidationError):
        Workspace(max_tabs=bad)


# --- Creating tabs -----------------------------------------------------------------


def test_create_tab_in_focused_session_emits_created_then_focused(ws, rec):
    open_case(ws, 1)
    rec.take()
    tab_id = add_contact_tab(ws, 1)
    assert rec.take() == [
        TabCreated("session-1", tab_id, "msdyn_entityrecord", "Contact 1"),
        TabFocused("session-1", tab_id, "tab-1"),
    ]
    assert ws.session("session-1").tab_ids == ["tab-1", tab_id]


def test_create_unfocused_tab_emits_only_created(ws, rec):
    open_case(ws, 1)
    rec.take()
    tab_id = add_contact_tab(ws, 1, is_focused=False)
    assert rec.take() == [TabCreated("session-1", tab_id, "msdyn_entityrecord", "Contact 1")]
    assert ws.focused_tab_id == "tab-1"


def test_create_focused_tab_in_another_session_focuses_that_session(ws, rec):
    open_case(ws, 1)
    ws.focus_session("home")
    rec.take()
    tab_id = add_contact_tab(ws, 1, session_id="session-1")
    assert rec.take() == [
        TabCreated("session-1", tab_id, "msdyn_entityrecord", "Contact 1"),
        SessionFocused("session-1", "home"),
        TabFocused("session-1", tab_id, HOME_TAB_ID),
    ]


def test_create_tab_in_unknown_session_raises_session_not_found(ws):
    with pytest.raises(NotFoundError) as info:
        add_contact_tab(ws, 1, session_id="session-99")
    assert info.value.code == "session_not_found"


def test_create_tab_for_an_open_record_focuses_the_existing_tab(ws, rec):
    first = add_contact_tab(ws, 1)
    open_case(ws, 1)
    rec.take()
    again = ws.create_tab("msdyn_entityrecord", {"entityName": "Contact", "entityId": "{CONTACT-1}"})
    assert again == first
    assert rec.take() == [SessionFocused("home", "session-1"), TabFocused("home", first, "tab-2")]
    assert len(ws.tabs) == 3


def test_create_tab_with_unknown_template_raises_and_changes_nothing(ws, rec):
    before = ws.snapshot()
    with pytest.raises(ApmError) as info:
        ws.create_tab("msdyn_nothing")
    assert info.value.code == "template_not_found"
    assert ws.snapshot() == before and rec.take() == []


def test_create_tab_missing_a_required_parameter_raises_invalid_template(ws):
    with pytest.raises(TemplateError) as info:
        ws.create_tab("msdyn_entityrecord", {"entityId": "x"})
    assert info.value.code == "invalid_template"


def test_app_context_overrides_template_params(ws):
    tab_id = ws.create_tab("msdyn_dashboard", {"dashboardId": "sales"})
    assert ws.tab(tab_id).params == {"dashboardId": "sales"}


def test_tab_params_resolve_slugs_against_session_context(ws):
    session_id = ws.create_session(
        "msdyn_chat_session", {"conversationId": "conv-9", "customerName": "Ann"}, is_focused=True
    )
    summary = ws.tab(ws.session(session_id).tab_ids[1])
    assert summary.params["recordId"] == "conv-9"


# --- Closing tabs -----------------------------------------------------------------


def _case_with_contacts(ws, count):
    session_id = open_case(ws, 1)
    tabs = [add_contact_tab(ws, n) for n in range(1, count + 1)]
    return session_id, tabs


def test_closing_focused_tab_focuses_right_neighbour(ws, rec):
    session_id, (a, b, c) = _case_with_contacts(ws, 3)
    ws.focus_tab(b)
    rec.take()
    ws.close_tab(b)
    assert rec.take() == [TabClosed(session_id, b), TabFocused(session_id, c, b)]
    assert ws.focused_tab_id == c


def test_closing_last_focused_tab_focuses_left_neighbour(ws, rec):
    session_id, (a, b) = _case_with_contacts(ws, 2)
    rec.take()
    ws.close_tab(b)
    assert rec.take() == [TabClosed(session_id, b), TabFocused(session_id, a, b)]


def test_closing_only_extra_tab_focuses_the_anchor(ws):
    session_id, (a,) = _case_with_contacts(ws, 1)
    ws.close_tab(a)
    assert ws.focused_tab_id == ws.session(session_id).tab_ids[0] == "tab-1"


def test_closing_unfocused_tab_keeps_focus(ws, rec):
    session_id, (a, b) = _case_with_contacts(ws, 2)
    rec.take()
    ws.close_tab(a)
    assert rec.take() == [TabClosed(session_id, a)]
    assert ws.focused_tab_id == b


def test_closing_remembered_tab_of_unfocused_session_moves_its_memory_silently(ws, rec):
    session_id, (a, b) = _case_with_contacts(ws, 2)
    ws.focus_tab(a)
    ws.focus_session("home")
    rec.take()
    ws.close_tab(a)
    assert rec.take() == [TabClosed(session_id, a)]
    assert ws.session(session_id).focused_tab_id == b
    assert ws.focused_session_id == "home"


def test_closing_a_tab_with_can_close_false_raises(ws, rec):
    _, (a,) = _case_with_contacts(ws, 1)
    ws.set_tab_can_close(a, False)
    rec.take()
    with pytest.raises(CannotCloseError) as info:
        ws.close_tab(a)
    assert info.value.code == "cannot_close_tab"
    assert rec.take() == []


def test_closing_an_unknown_tab_raises_tab_not_found(ws):
    with pytest.raises(NotFoundError) as info:
        ws.close_tab("tab-404")
    assert info.value.code == "tab_not_found"


def test_closed_record_can_be_opened_again_as_a_new_tab(ws):
    first = add_contact_tab(ws, 1)
    ws.close_tab(first)
    assert ws.find_record("contact", "contact-1") is None
    second = add_contact_tab(ws, 1)
    assert second != first and ws.find_record("contact", "contact-1") == second


# --- Closing sessions -----------------------------------------------------------------


def test_closing_focused_session_focuses_previous_session_in_bar_order(ws, rec):
    s1, s2, s3 = open_case(ws, 1), open_case(ws, 2), open_case(ws, 3)
    ws.focus_session(s2)
    rec.take()
    ws.close_session(s2)
    assert rec.take() == [
        TabClosed(s2, "tab-2"),
        SessionClosed(s2),
        SessionFocused(s1, s2),
        TabFocused(s1, "tab-1", "tab-2"),
    ]
    assert ws.session_ids == ["home", s1, s3]


def test_closing_first_session_focuses_home(ws, rec):
    s1 = open_case(ws, 1)
    open_case(ws, 2, is_focused=False)
    rec.take()
    ws.close_session(s1)
    assert rec.take() == [
        TabClosed(s1, "tab-1"),
        SessionClosed(s1),
        SessionFocused("home", s1),
        TabFocused("home", HOME_TAB_ID, "tab-1"),
    ]


def test_closing_unfocused_session_keeps_focus(ws, rec):
    s1 = open_case(ws, 1)
    s2 = open_case(ws, 2)
    rec.take()
    ws.close_session(s1)
    assert rec.take() == [TabClosed(s1, "tab-1"), SessionClosed(s1)]
    assert ws.focused_session_id == s2


def test_closing_session_emits_tab_closed_for_each_tab_in_strip_order_then_session_closed(ws, rec):
    session_id, (a, b) = _case_with_contacts(ws, 2)
    ws.focus_tab(a)
    rec.take()
    ws.close_session(session_id)
    assert rec.take() == [
        TabClosed(session_id, "tab-1"),
        TabClosed(session_id, a),
        TabClosed(session_id, b),
        SessionClosed(session_id),
        SessionFocused("home", session_id),
        TabFocused("home", HOME_TAB_ID, a),
    ]
    assert set(ws.tabs) == {HOME_TAB_ID}
    assert ws.find_record("incident", "case-1") is None


def test_closing_session_closes_its_non_closable_tabs_too(ws):
    session_id, (a,) = _case_with_contacts(ws, 1)
    ws.set_tab_can_close(a, False)
    ws.close_session(session_id)
    assert a not in ws.tabs


def test_closing_a_session_with_can_close_false_raises(ws, rec):
    session_id = open_case(ws, 1)
    ws.set_session_can_close(session_id, False)
    rec.take()
    with pytest.raises(CannotCloseError) as info:
        ws.close_session(session_id)
    assert info.value.code == "cannot_close_session"
    assert rec.take() == []


def test_closing_an_unknown_session_raises_session_not_found(ws):
    with pytest.raises(NotFoundError) as info:
        ws.close_session("session-404")
    assert info.value.code == "session_not_found"


def test_closing_focused_session_restores_home_notification_state(ws, rec):
    s1 = open_case(ws, 1)
    ws.request_focus("home")
    rec.take()
    ws.close_session(s1)
    assert rec.take()[-1] == SessionUpdated("home", ("notification",))
    assert ws.session("home").notification is False


# --- Focus -------------------------------------------------------------------------


def test_each_session_remembers_its_focused_tab(ws):
    s1, (a, _b) = _case_with_contacts(ws, 2)
    ws.focus_tab(a)
    s2 = open_case(ws, 2)
    ws.focus_session(s1)
    assert ws.focused_tab_id == a
    ws.focus_session(s2)
    assert ws.focused_tab_id == ws.session(s2).tab_ids[0]


def test_focus_session_emits_session_then_tab_focused(ws, rec):
    s1 = open_case(ws, 1)
    ws.focus_session("home")
    rec.take()
    ws.focus_session(s1)
    assert rec.take() == [SessionFocused(s1, "home"), TabFocused(s1, "tab-1", HOME_TAB_ID)]


def test_focusing_the_focused_session_is_a_no_op(ws, rec):
    ws.focus_session("home")
    assert rec.take() == []


def test_focus_tab_in_another_session_focuses_the_session_first(ws, rec):
    s1, (a,) = _case_with_contacts(ws, 1)
    ws.focus_session("home")
    rec.take()
    ws.focus_tab("tab-1")
    assert rec.take() == [SessionFocused(s1, "home"), TabFocused(s1, "tab-1", HOME_TAB_ID)]
    assert ws.session(s1).focused_tab_id == "tab-1"


def test_focus_tab_in_the_focused_session_emits_only_tab_focused(ws, rec):
    s1, (a,) = _case_with_contacts(ws, 1)
    rec.take()
    ws.focus_tab("tab-1")
    assert rec.take() == [TabFocused(s1, "tab-1", a)]


def test_focusing_the_focused_tab_is_a_no_op(ws, rec):
    ws.focus_tab(HOME_TAB_ID)
    assert rec.take() == []


def test_focus_unknown_ids_raise_not_found(ws):
    with pytest.raises(NotFoundError):
        ws.focus_session("nope")
    with pytest.raises(NotFoundError):
        ws.focus_tab("nope")


# --- Attention requests -----------------------------------------------------------------


def test_request_focus_on_unfocused_session_sets_notification(ws, rec):
    s1 = open_case(ws, 1, is_focused=False)
    rec.take()
    ws.request_focus(s1)
    assert ws.session(s1).notification is True
    assert ws.focused_session_id == "home"
    assert rec.take() == [SessionUpdated(s1, ("notification",))]


def test_request_focus_on_focused_session_is_a_no_op(ws, rec):
    s1 = open_case(ws, 1)
    rec.take()
    ws.request_focus(s1)
    assert ws.session(s1).notification is False
    assert rec.take() == []


def test_request_focus_twice_emits_once(ws, rec):
    s1 = open_case(ws, 1, is_focused=False)
    ws.request_focus(s1)
    ws.request_focus(s1)
    assert rec.names().count("session.updated") == 1


def test_focusing_a_session_clears_its_notification_after_the_focus_events(ws, rec):
    s1 = open_case(ws, 1, is_focused=False)
    ws.request_focus(s1)
    rec.take()
    ws.focus_session(s1)
    assert rec.take() == [
        SessionFocused(s1, "home"),
        TabFocused(s1, "tab-1", HOME_TAB_ID),
        SessionUpdated(s1, ("notification",)),
    ]
    assert ws.session(s1).notification is False


# --- Refresh ------------------------------------------------------------------------


def test_refresh_tab_emits_tab_refreshed_and_changes_nothing(ws, rec):
    before = ws.snapshot()
    ws.refresh_tab(HOME_TAB_ID)
    assert rec.take() == [TabRefreshed("home", HOME_TAB_ID)]
    assert ws.snapshot() == before


def test_refresh_unknown_tab_raises(ws):
    with pytest.raises(NotFoundError):
        ws.refresh_tab("tab-0")


# --- Context and titles -----------------------------------------------------------------


def test_update_context_merges_keys(ws, rec):
    s1 = open_case(ws, 1)
    rec.take()
    ws.update_context(s1, {"queueId": "q-1"})
    assert ws.session(s1).context == {"caseId": "case-1", "caseTitle": "Case 1", "queueId": "q-1"}
    assert rec.take() == [SessionUpdated(s1, ("context",))]


def test_update_context_re_resolves_a_template_title(ws, rec):
    s1 = open_case(ws, 1)
    rec.take()
    ws.update_context(s1, {"anchor": {"ticketnumber": "CAS-01001"}})
    assert ws.session(s1).title == "CAS-01001"
    assert rec.take() == [SessionUpdated(s1, ("context", "title"))]


def test_update_context_keeps_an_explicitly_set_title(ws, rec):
    s1 = open_case(ws, 1)
    ws.set_session_title(s1, "Escalation")
    rec.take()
    ws.update_context(s1, {"anchor": {"ticketnumber": "CAS-01001"}})
    assert ws.session(s1).title == "Escalation"
    assert rec.take() == [SessionUpdated(s1, ("context",))]


def test_update_context_without_a_change_emits_nothing(ws, rec):
    s1 = open_case(ws, 1)
    rec.take()
    ws.update_context(s1, {"caseTitle": "Case 1"})
    ws.update_context(s1, None)
    assert rec.take() == []


def test_update_context_tells_true_from_one(ws, rec):
    s1 = ws.create_session("msdyn_generic_session", {"entityName": "task", "flag": 1})
    rec.take()
    ws.update_context(s1, {"flag": True})
    assert rec.take() == [SessionUpdated(s1, ("context",))]


def test_update_context_accepts_pairs_and_json(ws):
    s1 = open_case(ws, 1)
    ws.update_context(s1, [["a", 1]])
    ws.update_context(s1, '{"b": 2}')
    assert ws.session(s1).context["a"] == 1 and ws.session(s1).context["b"] == 2


def test_update_context_rejects_bad_input_and_changes_nothing(ws, rec):
    s1 = open_case(ws, 1)
    before = ws.snapshot()
    rec.take()
    with pytest.raises(ValidationError) as info:
        ws.update_context(s1, "{not json")
    assert info.value.code == "invalid_input"
    assert ws.snapshot() == before and rec.take() == []


def test_context_is_copied_not_aliased(ws):
    context = {"caseId": "c-1", "anchor": {"title": "Printer"}}
    s1 = ws.create_session("msdyn_case_session", context)
    context["anchor"]["title"] = "changed"
    assert ws.session(s1).context["anchor"]["title"] == "Printer"


def test_set_session_title_emits_session_updated(ws, rec):
    s1 = open_case(ws, 1)
    rec.take()
    ws.set_session_title(s1, "VIP")
    assert ws.session(s1).title == "VIP"
    assert rec.take() == [SessionUpdated(s1, ("title",))]


def test_setting_an_unchanged_value_emits_nothing(ws, rec):
    s1 = open_case(ws, 1)
    rec.take()
    ws.set_session_title(s1, "Case 1")
    ws.set_session_can_close(s1, True)
    ws.set_tab_title("tab-1", "Case 1")
    ws.set_tab_can_close("tab-1", True)
    assert rec.take() == []


def test_set_session_can_close_emits_session_updated(ws, rec):
    s1 = open_case(ws, 1)
    rec.take()
    ws.set_session_can_close(s1, False)
    assert rec.take() == [SessionUpdated(s1, ("can_close",))]


def test_set_tab_title_and_can_close_emit_tab_updated(ws, rec):
    s1, (a,) = _case_with_contacts(ws, 1)
    rec.take()
    ws.set_tab_title(a, "Ann Smith")
    ws.set_tab_can_close(a, False)
    assert rec.take() == [TabUpdated(s1, a, ("title",)), TabUpdated(s1, a, ("can_close",))]
    assert ws.tab(a).title == "Ann Smith" and ws.tab(a).can_close is False


@pytest.mark.parametrize("bad", [None, 1, "yes"])
def test_setting_can_close_to_a_non_bool_raises_invalid_input(ws, bad):
    with pytest.raises(ValidationError):
        ws.set_tab_can_close(HOME_TAB_ID, bad)
    with pytest.raises(ValidationError):
        ws.set_session_can_close("home", bad)


def test_setting_a_non_text_title_raises_invalid_input(ws):
    with pytest.raises(ValidationError):
        ws.set_session_title("home", 5)
    with pytest.raises(ValidationError):
        ws.set_tab_title(HOME_TAB_ID, None)


# --- Navigating a tab in place ---------------------------------------------------------------


def test_navigate_tab_changes_template_and_params_in_place(ws, rec):
    s1, (a,) = _case_with_contacts(ws, 1)
    rec.take()
    result = ws.navigate_tab(a, "msdyn_entitylist", {"entityName": "contact", "title": "Contacts"})
    assert result == a
    tab = ws.tab(a)
    assert (tab.template_name, tab.page_type.value, tab.params, tab.title) == (
        "msdyn_entitylist",
        "entitylist",
        {"entityName": "contact"},
        "Contacts",
    )
    assert rec.take() == [TabUpdated(s1, a, ("template_name", "page_type", "params", "title", "app_context"))]
    assert ws.find_record("contact", "contact-1") is None
    assert ws.session(s1).tab_ids == ["tab-1", a]


def test_navigating_an_anchor_tab_raises(ws):
    open_case(ws, 1)
    with pytest.raises(ValidationError):
        ws.navigate_tab("tab-1", "msdyn_dashboard")


def test_navigating_to_a_record_open_elsewhere_focuses_it_instead(ws, rec):
    home_contact = add_contact_tab(ws, 1)
    s1 = open_case(ws, 1)
    a = add_contact_tab(ws, 2)
    rec.take()
    result = ws.navigate_tab(a, "msdyn_entityrecord", {"entityName": "contact", "entityId": "contact-1"})
    assert result == home_contact
    assert ws.tab(a).params["entityId"] == "contact-2"
    assert rec.take() == [SessionFocused("home", s1), TabFocused("home", home_contact, a)]


# --- Snapshot / bridge shape ---------------------------------------------------------------


def test_to_dict_renders_sessions_in_bar_order_with_camel_case_keys(ws):
    open_case(ws, 1)
    state = ws.to_dict()
    assert state["focusedSessionId"] == "session-1"
    assert state["focusedTabId"] == "tab-1"
    assert [s["sessionId"] for s in state["sessions"]] == ["home", "session-1"]
    assert state["tabs"]["tab-1"] == {
        "tabId": "tab-1",
        "sessionId": "session-1",
        "title": "Case 1",
        "canClose": True,
        "templateName": "msdyn_entityrecord",
        "pageType": "entityrecord",
        "params": {"entityName": "incident", "entityId": "case-1"},
        "isAnchor": True,
    }


# --- Restore verbs: the only way restore and the presence gate change the model -------------------------------


def test_restore_verbs_refuse_what_would_break_the_model() -> None:
    from apm.errors import ApmError
    from apm.model import HOME_TAB_ID, Session

    ws = Workspace()
    with pytest.raises(ApmError):
        ws.add_restored_session(Session("home", "", "Again"))
    with pytest.raises(ApmError):
        ws.restore_tab_fields(HOME_TAB_ID, is_anchor=False)  # not a field a saved workspace may set
    with pytest.raises(ApmError):
        ws.restore_focus("home", {"home": "no-such-tab"})
    assert ws.problems() == []


def test_restored_focus_follows_the_focus_rule() -> None:
    from apm import NavSource

    ws = Workspace()
    session_id, _ = ws.open_record("incident", "c-9", NavSource.HOME, title="Case 9")
    ws.focus_session("home")
    ws.request_focus(session_id)
    assert ws.session(session_id).notification
    ws.restore_focus(session_id, {})
    assert ws.focused_session_id == session_id and not ws.session(session_id).notification
    assert ws.problems() == []
