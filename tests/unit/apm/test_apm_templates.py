"""Tab and session templates: names, built-ins, registry, parameter and title resolution."""

from __future__ import annotations

import pytest

from apm import (
    ApmError,
    NotFoundError,
    PageType,
    SessionTemplate,
    SessionType,
    TabTemplate,
    TemplateError,
    TemplateNotFoundError,
    TemplateRegistry,
    Workspace,
)
from apm.templates import (
    record_identity,
    resolve_session,
    resolve_tab,
    session_template_for_entity,
    validate_unique_name,
)

# --- Unique names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["msdyn_entityrecord", "abc_x", "abcdefgh_name", "new_case_with_contact", "cr123_tab", "ABC_Tab"],
)
def test_valid_unique_names_are_accepted(name):
    assert validate_unique_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("ab_tab", id="two-letter-prefix"),
        pytest.param("abcdefghi_tab", id="nine-letter-prefix"),
        pytest.param("ms-dyn_tab", id="symbol-in-prefix"),
        pytest.param("msd$_tab", id="dollar-in-prefix"),
        pytest.param("msdyn_tab-1", id="symbol-in-name"),
        pytest.param("msdyntab", id="missing-underscore"),
        pytest.param("msdyn_", id="empty-name"),
        pytest.param("_tab", id="empty-prefix"),
        pytest.param("mséyn_tab", id="non-ascii-prefix"),
        pytest.param("", id="empty"),
        pytest.param(None, id="none"),
    ],
)
def test_invalid_unique_names_raise_invalid_template(name):
    with pytest.raises(TemplateError) as info:
        validate_unique_name(name)
    assert info.value.code == "invalid_template"
    assert "3 to 8 ASCII letters or digits" in info.value.message


def test_tab_template_with_a_bad_unique_name_cannot_be_built():
    with pytest.raises(TemplateError):
        TabTemplate("ab_tab", "Tab", PageType.DASHBOARD)


# --- Built-ins and registry ---------------------------------------------------------------


def test_builtin_tab_templates_have_exactly_these_names():
    assert {t.unique_name for t in TemplateRegistry().tab_templates()} == {
        "msdyn_entityrecord",
        "msdyn_entitylist",
        "msdyn_dashboard",
        "msdyn_search",
        "msdyn_knowledgesearch",
        "msdyn_customersummary",
        "msdyn_conversation",
        "msdyn_omnichannel_kbsearch",
        "msdyn_webresource",
        "msdyn_custompage",
        "msdyn_website",
        "casework_console",  # the developer console (components.console)
        "casework_calendar",  # the agent calendar (components.calendar)
    }


def test_builtin_session_templates():
    registry = TemplateRegistry()
    names = {t.unique_name: t for t in registry.session_templates()}
    assert set(names) == {
        "msdyn_generic_session",
        "msdyn_case_session",
        "msdyn_account_session",
        "msdyn_contact_session",
        "msdyn_chat_session",
        "msdyn_sms_session",
        "msdyn_whatsapp_session",
        "msdyn_facebook_session",
        "msdyn_line_session",
        "msdyn_wechat_session",
        "msdyn_teams_session",
        "case_entity_session_default_template",
    }
    assert names["msdyn_generic_session"].type is SessionType.GENERIC
    assert names["msdyn_case_session"].entity == "incident"
    assert names["msdyn_chat_session"].anchor_tab == "msdyn_conversation"
    assert names["msdyn_chat_session"].additional_tabs == ("msdyn_customersummary",)


def test_registry_without_builtins_is_empty():
    registry = TemplateRegistry(builtins=False)
    assert registry.tab_templates() == [] and registry.session_templates() == []


def test_registering_a_duplicate_tab_template_raises():
    registry = TemplateRegistry()
    with pytest.raises(TemplateError) as info:
        registry.register_tab_template(TabTemplate("msdyn_dashboard", "Again", PageType.DASHBOARD))
    assert info.value.code == "invalid_template"


def test_registering_a_duplicate_session_template_raises():
    registry = TemplateRegistry()
    with pytest.raises(TemplateError):
        registry.register_session_template(SessionTemplate("msdyn_case_session", "Again"))


def test_session_template_with_an_unknown_tab_template_raises_template_not_found():
    registry = TemplateRegistry()
    template = SessionTemplate("new_session", "New", SessionType.ENTITY, entity="account", anchor_tab="new_missingtab")
    with pytest.raises(TemplateNotFoundError) as info:
        registry.register_session_template(template)
    assert info.value.code == "template_not_found"
    assert "new_session" not in {t.unique_name for t in registry.session_templates()}


def test_template_not_found_is_both_not_found_and_template_error():
    with pytest.raises(NotFoundError) as info:
        TemplateRegistry().tab_template("msdyn_missing")
    assert isinstance(info.value, TemplateError)
    assert info.value.to_dict() == {
        "code": "template_not_found",
        "errorCode": 7,
        "message": "No tab template named 'msdyn_missing'.",
    }


def test_tab_template_rejects_a_parameter_its_page_type_does_not_know():
    with pytest.raises(TemplateError) as info:
        TabTemplate("new_dash", "Dash", PageType.DASHBOARD, params={"entityName": "x"})
    assert "entityName" in info.value.message


def test_tab_template_rejects_an_unknown_page_type():
    with pytest.raises(TemplateError):
        TabTemplate.from_dict({"uniqueName": "new_tab", "name": "T", "pageType": "spreadsheet"})


def test_entity_session_template_needs_an_entity_and_an_anchor():
    with pytest.raises(TemplateError):
        SessionTemplate("new_session", "S", SessionType.ENTITY, anchor_tab="msdyn_entityrecord")
    with pytest.raises(TemplateError):
        SessionTemplate("new_session", "S", SessionType.ENTITY, entity="account")


def test_templates_can_be_registered_from_their_json_form():
    registry = TemplateRegistry()
    tab = registry.register_tab_template(
        {
            "uniqueName": "new_kb",
            "name": "KB",
            "pageType": "website",
            "title": "KB: {caseTitle}",
            "params": {"url": "https://kb.example.com/search?q={caseTitle}"},
            "canClose": False,
        }
    )
    assert tab.page_type is PageType.WEBSITE and tab.can_close is False
    session = registry.register_session_template(
        {"uniqueName": "new_kbsession", "name": "KB session", "anchorTab": "new_kb", "title": "{caseTitle}"}
    )
    assert session.type is SessionType.GENERIC


def test_template_params_are_copied_on_registration():
    params = {"dashboardId": "d-1"}
    template = TabTemplate("new_dash", "Dash", PageType.DASHBOARD, params=params)
    params["dashboardId"] = "changed"
    assert template.params == {"dashboardId": "d-1"}


@pytest.mark.parametrize(
    ("entity", "template"),
    [
        ("incident", "msdyn_case_session"),
        ("INCIDENT", "msdyn_case_session"),
        ("account", "msdyn_account_session"),
        ("contact", "msdyn_contact_session"),
        ("opportunity", "msdyn_generic_session"),
    ],
)
def test_session_template_for_entity(entity, template):
    assert session_template_for_entity(entity) == template


# --- Tab resolution ------------------------------------------------------------------------


def _template(name):
    return TemplateRegistry().tab_template(name)


def test_entity_record_params_come_from_the_app_context():
    spec = resolve_tab(
        _template("msdyn_entityrecord"),
        {"entityName": "incident", "entityId": "c-1", "formId": "f-1", "data": {"title": "x"}, "other": 1},
    )
    assert spec.params == {"entityName": "incident", "entityId": "c-1", "formId": "f-1", "data": {"title": "x"}}
    assert spec.app_context["other"] == 1
    assert spec.record == ("incident", "c-1")


def test_entity_record_without_an_id_is_a_new_record_without_identity():
    spec = resolve_tab(_template("msdyn_entityrecord"), {"entityName": "incident"})
    assert spec.params == {"entityName": "incident"} and spec.record is None


def test_record_identity_ignores_case_and_guid_braces():
    assert record_identity("Incident", "{ABC-1}") == record_identity("incident", "abc-1") == ("incident", "abc-1")
    assert record_identity("incident", "") is None
    assert record_identity("incident", None) is None


@pytest.mark.parametrize(
    ("template", "app_context", "missing"),
    [
        ("msdyn_entityrecord", {}, "entityName"),
        ("msdyn_entitylist", {"viewId": "v"}, "entityName"),
        ("msdyn_customersummary", {}, "recordId"),
    ],
)
def test_missing_required_parameter_raises_invalid_template(template, app_context, missing):
    with pytest.raises(TemplateError) as info:
        resolve_tab(_template(template), app_context)
    assert info.value.code == "invalid_template"
    assert repr(missing) in info.value.message


def test_required_parameter_can_come_from_the_session_context():
    spec = resolve_tab(_template("msdyn_customersummary"), {}, {"conversationId": "conv-1"})
    assert spec.params["recordId"] == "conv-1"


def test_app_context_values_are_data_not_slugs():
    spec = resolve_tab(_template("msdyn_entityrecord"), {"entityName": "incident", "entityId": "{caseId}"})
    assert spec.params["entityId"] == "{caseId}"


def test_non_text_identifier_parameter_raises():
    with pytest.raises(TemplateError):
        resolve_tab(_template("msdyn_entityrecord"), {"entityName": "incident", "entityId": 42})


@pytest.mark.parametrize(("given", "expected"), [(0, 0), (1, 1), ("1", 1), ("0", 0)])
def test_search_type_accepts_relevance_and_categorized(given, expected):
    spec = resolve_tab(_template("msdyn_search"), {"searchType": given, "searchText": "printer"})
    assert spec.params == {"searchType": expected, "searchText": "printer"}


@pytest.mark.parametrize("given", [2, -1, "2", True, None, "relevance"])
def test_search_type_rejects_other_values(given):
    with pytest.raises(TemplateError):
        resolve_tab(_template("msdyn_search"), {"searchType": given})


def test_search_text_is_optional():
    assert resolve_tab(_template("msdyn_search"), {}).params == {"searchType": 0}


def _website(url, data=None):
    params = {"url": url}
    if data is not None:
        params["data"] = data
    return TabTemplate("new_site", "Site", PageType.WEBSITE, title="Site", params=params)


def test_website_url_percent_encodes_slug_values():
    spec = resolve_tab(_website("https://kb.example.com/search?q={caseTitle}"), {}, {"caseTitle": "Printer & fax"})
    assert spec.params["url"] == "https://kb.example.com/search?q=Printer%20%26%20fax"


def test_website_url_is_the_url_plus_the_resolved_data():
    # The reference: https://www.bing.com/search?q= + {anchor.ticketnumber} gives ...?q=CAS-01003-P3B7G1
    spec = resolve_tab(_website("https://www.bing.com/search?q=", "{anchor.ticketnumber}"), {},
                       {"anchor": {"ticketnumber": "CAS-01003-P3B7G1"}})
    assert spec.params["url"] == "https://www.bing.com/search?q=CAS-01003-P3B7G1"
    spec = resolve_tab(_website("https://x.example.com/p?q=", "{customerName}"), {}, {"customerName": "Ann & Lee"})
    assert spec.params["url"] == "https://x.example.com/p?q=Ann%20%26%20Lee"


def test_website_may_be_a_path_of_this_site():
    assert resolve_tab(_website("/webresources/page.html?q=", "x y"), {}).params["url"] == \
        "/webresources/page.html?q=x%20y"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "//evil.example.com", "ftp://x",
                                 "http://plain.example.com"])
def test_website_url_must_be_http(url):
    with pytest.raises(TemplateError):
        resolve_tab(_website(url), {})


def test_web_resource_and_custom_page_params():
    web = TabTemplate(
        "new_wr", "WR", PageType.WEB_RESOURCE, params={"webresourceName": "new_/page.html", "data": "{caseId}"}
    )
    assert resolve_tab(web, {}, {"caseId": "c-1"}).params == {"webresourceName": "new_/page.html", "data": "c-1"}
    custom = TabTemplate("new_cp", "CP", PageType.CUSTOM, params={"entityName": "account", "name": "new_page"})
    assert resolve_tab(custom, {"recordId": "a-1"}).params == {
        "entityName": "account",
        "name": "new_page",
        "recordId": "a-1",
    }


def test_tab_title_prefers_explicit_then_template_then_display_name():
    template = TabTemplate("new_t", "Display", PageType.DASHBOARD, title="{customerName}", params={"dashboardId": "d"})
    assert resolve_tab(template, {}, {"customerName": "Ann"}, title="Mine").title == "Mine"
    assert resolve_tab(template, {}, {"customerName": "Ann"}).title == "Ann"
    assert resolve_tab(template, {}, {}).title == "Display"


# --- Session resolution -------------------------------------------------------------------------


def _plan(name, context):
    registry = TemplateRegistry()
    return resolve_session(registry, registry.session_template(name), context)


def test_case_session_title_prefers_ticket_number_then_case_title_then_anchor_title():
    assert _plan("msdyn_case_session", {"caseId": "c", "anchor": {"ticketnumber": "CAS-9"}}).title == "CAS-9"
    assert _plan("msdyn_case_session", {"caseId": "c", "caseTitle": "Printer"}).title == "Printer"
    assert _plan("msdyn_case_session", {"caseId": "c", "anchor": {"title": "Fax"}}).title == "Fax"
    assert _plan("msdyn_case_session", {"caseId": "c"}).title == "Entity record"


def test_case_session_anchor_is_the_case_record():
    plan = _plan("msdyn_case_session", {"caseId": "c-1"})
    assert plan.anchor.params == {"entityName": "incident", "entityId": "c-1"}
    assert plan.anchor.record == ("incident", "c-1")


def test_chat_session_needs_a_conversation():
    with pytest.raises(TemplateError):
        _plan("msdyn_chat_session", {"customerName": "Ann"})


def test_knowledge_search_is_prefilled_with_the_anchor_title():
    ws = Workspace()
    session_id = ws.create_session("msdyn_case_session", {"caseId": "c", "anchor": {"title": "Printer jam"}})
    tab_id = ws.create_tab("msdyn_knowledgesearch")
    assert ws.tab(tab_id).params["data"] == "Printer jam"
    assert ws.tab(tab_id).session_id == session_id


@pytest.mark.parametrize(
    "anchor_tab",
    [{"appContext": {}}, {"templateName": 5}, "msdyn_entityrecord", {"templateName": "x", "appContext": []}],
)
def test_malformed_generic_anchor_raises_invalid_input(anchor_tab):
    ws = Workspace()
    with pytest.raises(ApmError) as info:
        ws.create_session("msdyn_generic_session", {"anchorTab": anchor_tab})
    assert info.value.code == "invalid_input"
