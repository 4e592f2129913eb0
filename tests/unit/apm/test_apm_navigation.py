"""The navigation table (one test per row) and how Workspace.open applies it."""

from __future__ import annotations

import pytest

from apm import (
    HOME_TAB_ID,
    LimitError,
    NavOutcome,
    NavSource,
    NavTarget,
    SessionCreated,
    SessionFocused,
    TabCreated,
    TabFocused,
    TabUpdated,
    ValidationError,
    Workspace,
    decide,
)
from apm_testkit import Recorder, add_contact_tab, open_case

# --- decide(): one test per row of the table ------------------------------------------


def test_record_opened_from_home_opens_new_session():
    assert decide(NavSource.HOME, focused_is_home=True) is NavOutcome.NEW_SESSION


def test_record_opened_from_global_search_opens_new_session():
    assert decide(NavSource.GLOBAL_SEARCH, focused_is_home=False) is NavOutcome.NEW_SESSION


def test_record_opened_from_search_results_loads_in_focused_session():
    assert decide(NavSource.SEARCH_RESULTS, focused_is_home=False) is NavOutcome.FOCUSED_SESSION


def test_record_opened_from_quick_create_notification_opens_new_session():
    assert decide(NavSource.QUICK_CREATE_NOTIFICATION, focused_is_home=False) is NavOutcome.NEW_SESSION


def test_creating_a_new_record_opens_new_session():
    assert decide(NavSource.CREATE_RECORD, focused_is_home=False) is NavOutcome.NEW_SESSION


def test_record_opened_from_timeline_opens_new_tab():
    assert decide(NavSource.TIMELINE, focused_is_home=False) is NavOutcome.NEW_TAB


def test_record_opened_from_form_lookup_opens_new_tab():
    assert decide(NavSource.FORM_LOOKUP, focused_is_home=False) is NavOutcome.NEW_TAB


def test_view_opened_from_site_map_opens_new_tab():
    assert decide(NavSource.SITEMAP_VIEW, focused_is_home=False) is NavOutcome.NEW_TAB


def test_dashboard_opened_from_site_map_opens_new_tab():
    assert decide(NavSource.SITEMAP_DASHBOARD, focused_is_home=False) is NavOutcome.NEW_TAB


def test_page_opened_from_site_map_loads_in_focused_session():
    assert decide(NavSource.SITEMAP_PAGE, focused_is_home=False) is NavOutcome.FOCUSED_SESSION


@pytest.mark.parametrize("source", [NavSource.OPEN_FORM, NavSource.NAVIGATE_TO], ids=["open_form", "navigate_to"])
def test_open_form_or_navigate_to_from_home_opens_new_session(source):
    assert decide(source, focused_is_home=True) is NavOutcome.NEW_SESSION


@pytest.mark.parametrize("source", [NavSource.OPEN_FORM, NavSource.NAVIGATE_TO], ids=["open_form", "navigate_to"])
def test_open_form_or_navigate_to_from_a_session_opens_new_tab(source):
    assert decide(source, focused_is_home=False) is NavOutcome.NEW_TAB


def test_every_source_has_an_outcome_whatever_the_focus():
    for source in NavSource:
        for focused_is_home in (True, False):
            assert isinstance(decide(source, focused_is_home=focused_is_home), NavOutcome)


@pytest.mark.parametrize("given", ["timeline", "TIMELINE", " timeline ", "Timeline", NavSource.TIMELINE])
def test_nav_source_parses_members_values_and_names(given):
    assert NavSource.parse(given) is NavSource.TIMELINE


@pytest.mark.parametrize("bad", ["sideways", 3, None])
def test_unknown_nav_source_raises_invalid_input(bad):
    with pytest.raises(ValidationError):
        NavSource.parse(bad)


# --- Workspace.open_record ---------------------------------------------------------------


def test_open_record_from_home_opens_a_new_case_session(ws):
    rec = Recorder(ws)
    result = ws.open_record("incident", "c-1", NavSource.HOME, attributes={"ticketnumber": "CAS-1", "title": "Broken"})
    assert result == ("session-1", "tab-1")
    session = ws.session("session-1")
    assert session.template_name == "msdyn_case_session"
    assert session.title == "CAS-1"
    assert session.context == {
        "anchor": {"ticketnumber": "CAS-1", "title": "Broken"},
        "entityName": "incident",
        "entityId": "c-1",
        "caseId": "c-1",
        "caseTitle": "Broken",
    }
    assert ws.tab("tab-1").title == "Broken"
    assert rec.take() == [
        SessionCreated("session-1", "msdyn_case_session", "CAS-1"),
        TabCreated("session-1", "tab-1", "msdyn_entityrecord", "Broken"),
        SessionFocused("session-1", "home"),
        TabFocused("session-1", "tab-1", HOME_TAB_ID),
    ]


@pytest.mark.parametrize(
    ("entity", "template"),
    [
        ("incident", "msdyn_case_session"),
        ("account", "msdyn_account_session"),
        ("contact", "msdyn_contact_session"),
        ("Contact", "msdyn_contact_session"),
        ("task", "msdyn_generic_session"),
    ],
)
def test_new_session_uses_the_entity_session_template(ws, entity, template):
    session_id, _ = ws.open_record(entity, "r-1", "home")
    assert ws.session(session_id).template_name == template


def test_account_session_title_comes_from_the_record_name(ws):
    session_id, tab_id = ws.open_record("account", "a-1", "global_search", attributes={"name": "Contoso"})
    assert ws.session(session_id).title == "Contoso"
    assert ws.tab(tab_id).title == "Contoso"


def test_generic_session_title_comes_from_its_anchor_tab(ws):
    session_id, tab_id = ws.open_record("task", "t-1", "home", title="Call back")
    assert ws.session(session_id).title == ws.tab(tab_id).title == "Call back"
    assert ws.tab(tab_id).params == {"entityName": "task", "entityId": "t-1"}


def test_open_record_already_open_focuses_the_existing_tab_and_session(ws):
    s1, t1 = ws.open_record("incident", "c-1", "home")
    ws.focus_session("home")
    rec = Recorder(ws)
    assert ws.open_record("INCIDENT", "{C-1}", "home") == (s1, t1)
    assert ws.session_ids == ["home", s1]
    assert rec.take() == [SessionFocused(s1, "home"), TabFocused(s1, t1, HOME_TAB_ID)]


def test_dedupe_wins_over_a_full_workspace():
    ws = Workspace(max_sessions=2)
    s1, t1 = ws.open_record("incident", "c-1", "home")
    ws.focus_session("home")
    assert ws.open_record("incident", "c-1", "home") == (s1, t1)


def test_open_record_from_timeline_opens_tab_in_focused_session(ws):
    s1 = open_case(ws, 1)
    rec = Recorder(ws)
    assert ws.open_record("contact", "p-1", "timeline", title="Ann") == (s1, "tab-2")
    assert rec.take() == [
        TabCreated(s1, "tab-2", "msdyn_entityrecord", "Ann"),
        TabFocused(s1, "tab-2", "tab-1"),
    ]


def test_open_record_from_form_lookup_in_home_opens_tab_in_home(ws):
    assert ws.open_record("contact", "p-1", "form_lookup") == ("home", "tab-1")


def test_open_form_from_home_opens_a_new_session(ws):
    session_id, _ = ws.open_record("contact", "p-1", "open_form")
    assert session_id == "session-1"


def test_open_form_from_a_session_opens_a_tab_in_it(ws):
    s1 = open_case(ws, 1)
    assert ws.open_record("contact", "p-1", NavSource.NAVIGATE_TO) == (s1, "tab-2")
    assert len(ws.sessions) == 2


def test_search_results_navigate_the_focused_tab_in_place(ws):
    s1 = open_case(ws, 1)
    tab = add_contact_tab(ws, 1)
    rec = Recorder(ws)
    assert ws.open_record("account", "a-1", "search_results", title="Contoso") == (s1, tab)
    assert ws.tab(tab).params == {"entityName": "account", "entityId": "a-1"}
    assert ws.find_record("contact", "contact-1") is None
    assert rec.take() == [TabUpdated(s1, tab, ("params", "title", "app_context"))]


def test_search_results_open_a_new_tab_when_the_focused_tab_is_the_anchor(ws):
    s1 = open_case(ws, 1)
    assert ws.open_record("account", "a-1", "search_results") == (s1, "tab-2")
    assert ws.tab("tab-1").params["entityId"] == "case-1"


def test_sitemap_page_from_home_opens_a_tab_in_home_because_the_dashboard_is_not_navigable(ws):
    target = NavTarget("msdyn_entitylist", {"entityName": "incident"}, title="Active cases")
    assert ws.open(target, "sitemap_page") == ("home", "tab-1")
    assert ws.tab(HOME_TAB_ID).template_name == "msdyn_dashboard"


def test_focused_session_opens_a_new_tab_when_the_focused_tab_cannot_close(ws):
    s1 = open_case(ws, 1)
    tab = add_contact_tab(ws, 1)
    ws.set_tab_can_close(tab, False)
    assert ws.open_record("account", "a-1", "search_results") == (s1, "tab-3")
    assert ws.tab(tab).params["entityId"] == "contact-1"


def test_create_record_opens_a_new_session_each_time_because_new_records_have_no_identity(ws):
    first, _ = ws.open_record("incident", None, "create_record")
    second, _ = ws.open_record("incident", None, "create_record")
    assert first != second
    assert "entityId" not in ws.tab(ws.session(first).tab_ids[0]).params


def test_new_session_at_the_limit_raises_and_closes_nothing():
    ws = Workspace(max_sessions=2)
    ws.open_record("incident", "c-1", "home")
    rec = Recorder(ws)
    before = ws.snapshot()
    with pytest.raises(LimitError) as info:
        ws.open_record("incident", "c-2", "global_search")
    assert info.value.code == "session_limit_reached"
    assert ws.snapshot() == before and rec.take() == []


def test_new_tab_at_the_limit_raises_and_closes_nothing():
    ws = Workspace(max_tabs=1)
    open_case(ws, 1)
    before = ws.snapshot()
    with pytest.raises(LimitError) as info:
        ws.open_record("contact", "p-1", "timeline")
    assert info.value.code == "tab_limit_reached"
    assert ws.snapshot() == before


def test_new_session_keeps_extra_app_context_such_as_the_form(ws):
    target = NavTarget.record("incident", "c-1")
    target.app_context["formId"] = "form-7"
    _, tab_id = ws.open(target, "home")
    assert ws.tab(tab_id).params == {"entityName": "incident", "entityId": "c-1", "formId": "form-7"}


def test_non_record_target_in_a_new_session_uses_a_generic_session(ws):
    target = NavTarget("msdyn_search", {"searchText": "printer"})
    session_id, tab_id = ws.open(target, "global_search")
    assert ws.session(session_id).template_name == "msdyn_generic_session"
    assert ws.tab(tab_id).params == {"searchType": 0, "searchText": "printer"}


@pytest.mark.parametrize(("entity_name", "entity_id"), [("", "x"), ("   ", "x"), (None, "x"), ("incident", 5)], ids=str)
def test_open_record_rejects_bad_arguments(ws, entity_name, entity_id):
    with pytest.raises(ValidationError):
        ws.open_record(entity_name, entity_id, "home")


def test_keep_tab_opens_a_search_result_beside_the_results_tab(ws):
    s1 = open_case(ws, 1)
    results = add_contact_tab(ws, 1)  # any closable, non-anchor tab: search_results would replace it
    session_id, tab_id = ws.open(NavTarget.record("account", "a-1", title="Contoso"), "search_results",
                                 keep_tab=True)
    assert session_id == s1 and tab_id != results
    assert results in ws.session(s1).tab_ids and ws.focused_session.focused_tab_id == tab_id
    assert ws.find_record("contact", "contact-1") is not None
