"""Templates by the reference's names and keys, and templates owning their session semantics (issues 12, 14.7)."""

from __future__ import annotations

import pytest

from apm import Apm, SessionTemplate, SessionType, TemplateRegistry, Workspace
from apm.templates import ENTITY_SESSION_TEMPLATES, GENERIC_SESSION

CASE_ID = "fac04293-1ab0-eb11-8236-000d3a5c49ed"
PARAMETERS_STR = f'[["entityName", "incident"], ["entityId", "{CASE_ID}"]]'


def anchor(ws: Workspace, session_id: str):
    return ws.tab(ws.session(session_id).tab_ids[0])


def test_the_reference_create_session_sample_opens_that_case_as_the_anchor():
    # x = new Map(); x.set("parametersStr", '[["entityName", "incident"], ["entityId", "..."]]')
    api = Apm(Workspace())
    session_id = api.create_session({"templateName": "case_entity_session_default_template",
                                     "sessionContext": [["parametersStr", PARAMETERS_STR]]})
    tab = anchor(api.workspace, session_id)
    assert tab.params == {"entityName": "incident", "entityId": CASE_ID}
    assert api.workspace.focused_session_id == session_id
    unfocused = api.create_session({"templateName": "case_entity_session_default_template",
                                    "sessionContext": {"parametersStr": PARAMETERS_STR}, "isFocused": False})
    assert unfocused == session_id  # the same case: its session, not a second one


@pytest.mark.parametrize("template", ["msdyn_case_session", "case_entity_session_default_template"])
@pytest.mark.parametrize("context", [
    {"entityName": "incident", "entityId": "c-7"},             # the reference's plain keys
    {"parametersStr": '[["entityName","incident"],["entityId","c-7"]]'},
    {"caseId": "c-7"},                                         # our older key still works
])
def test_every_case_template_reads_entity_id_and_the_old_case_id(template, context):
    ws = Workspace()
    session_id = ws.create_session(template, context)
    assert anchor(ws, session_id).record == ("incident", "c-7")


@pytest.mark.parametrize(("template", "entity"), [("msdyn_account_session", "account"),
                                                  ("msdyn_contact_session", "contact")])
def test_account_and_contact_templates_read_the_same_keys(template, entity):
    ws = Workspace()
    session_id = ws.create_session(template, {"entityName": entity, "entityId": "r-1"})
    assert anchor(ws, session_id).record == (entity, "r-1")


def test_a_conversation_record_opens_a_chat_session():
    ws = Workspace()
    session_id, _ = ws.open_record("msdyn_ocliveworkitem", "conv-1", "HOME", title="Ann")
    session = ws.session(session_id)
    assert session.template_name == "msdyn_chat_session"
    assert session.title == "Ann"
    assert anchor(ws, session_id).params["recordId"] == "conv-1"
    assert [ws.tab(t).template_name for t in session.tab_ids] == ["msdyn_conversation", "msdyn_customersummary"]


def test_the_entity_lookup_comes_from_each_template_entity():
    assert ENTITY_SESSION_TEMPLATES == {
        "incident": "msdyn_case_session",
        "account": "msdyn_account_session",
        "contact": "msdyn_contact_session",
        "msdyn_ocliveworkitem": "msdyn_chat_session",
    }
    registry = TemplateRegistry(builtins=False)
    registry.register_tab_template({"uniqueName": "new_form", "name": "Form", "pageType": "entityrecord"})
    registry.register_session_template(SessionTemplate(
        "new_opportunity_session", "Opportunity", SessionType.ENTITY, entity="opportunity", anchor_tab="new_form",
        anchor_app_context={"entityName": "opportunity", "entityId": "{entityId}"},
        record_context={"opportunityName": ["{anchor.name}", "{title}"]}))
    assert registry.session_template_for_entity("Opportunity") == "new_opportunity_session"
    assert registry.session_template_for_entity("incident") == GENERIC_SESSION


def test_the_context_keys_a_session_reads_are_template_data():
    registry = TemplateRegistry()
    registry.register_session_template(SessionTemplate(
        "new_opportunity_session", "Opportunity", SessionType.ENTITY, entity="opportunity",
        title="{opportunityName}", anchor_tab="msdyn_entityrecord",
        anchor_app_context={"entityName": "opportunity", "entityId": "{entityId}"},
        record_context={"opportunityName": ["{anchor.name}", "{title}"]}))
    ws = Workspace(templates=registry)
    session_id, _ = ws.open_record("opportunity", "o-1", "HOME", attributes={"name": "Big deal"})
    session = ws.session(session_id)
    assert (session.template_name, session.title) == ("new_opportunity_session", "Big deal")
    assert session.context["opportunityName"] == "Big deal"


def test_open_record_keeps_the_case_keys_older_slugs_read():
    ws = Workspace()
    session_id, _ = ws.open_record("incident", "c-3", "HOME", title="Printer jam")
    context = ws.session(session_id).context
    assert (context["caseId"], context["caseTitle"], context["entityId"]) == ("c-3", "Printer jam", "c-3")
    assert ws.session(session_id).title == "Printer jam"


def test_a_template_record_context_must_be_lists_of_slugs():
    from apm import TemplateError

    with pytest.raises(TemplateError):
        SessionTemplate("new_x_session", "X", record_context={"a": [1]})


def test_the_kbsearch_tab_is_a_web_resource_whose_data_is_the_search_text():
    ws = Workspace()
    tab_id = ws.create_tab("msdyn_omnichannel_kbsearch", [["data", "Contoso"]])
    assert ws.tab(tab_id).params == {"webresourceName": "msdyn_kbsearchpagehost.html", "data": "Contoso"}


def test_the_pcf_control_sample_anchors_a_custom_page_of_that_control():
    import json

    ws = Workspace()
    data = {"caseId": "c-1"}
    session_id = Apm(ws).create_session({"templateName": "msdyn_generic_session", "sessionContext": {
        "parametersStr": '[["controlName", "new_casecontrol"], ["data",' + json.dumps(data) + "]]"}})
    tab = anchor(ws, session_id)
    assert (tab.template_name, tab.params["name"], tab.title) == ("msdyn_custompage", "new_casecontrol",
                                                                  "new_casecontrol")
    assert ws.session(session_id).context["data"] == data


def test_a_blank_padded_entity_id_is_the_same_record():
    # The reference's createTab sample writes .set("entityId", " 22cc22cc-dd33-ee44-ff55-66aa66aa66aa")
    ws = Workspace()
    tab_id = ws.create_tab("msdyn_entityrecord", {"entityName": "account",
                                                  "entityId": " 22cc22cc-dd33-ee44-ff55-66aa66aa66aa"})
    assert ws.tab(tab_id).params["entityId"] == "22cc22cc-dd33-ee44-ff55-66aa66aa66aa"
