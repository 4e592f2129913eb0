"""The session bar's labels (``casework.session_labels``)."""

from __future__ import annotations

from apm.model import Workspace
from apm.navigation import NavSource
from casework.session_labels import anchor_attributes, session_label


def test_a_case_session_shows_its_number_and_title_and_both_on_hover() -> None:
    label = session_label("CAS-01001", "msdyn_case_session",
                          {"entityName": "incident",
                           "anchor": {"ticketnumber": "CAS-01001", "title": "Printer offline"}})
    assert (label.title, label.subtitle, label.kind) == ("CAS-01001", "Printer offline", "case")
    assert label.hover == "CAS-01001 · Printer offline"


def test_a_case_without_a_title_shows_its_customer_and_no_line_repeats_the_title() -> None:
    label = session_label("CAS-2", "msdyn_case_session", {"entityName": "incident",
                                                          "anchor": {"customerName": "Contoso"}})
    assert label.subtitle == "Contoso"
    same = session_label("Broken", "msdyn_case_session", {"entityName": "incident", "caseTitle": "Broken"})
    assert same.subtitle == "" and same.hover == "Broken"


def test_each_kind_gets_its_icon() -> None:
    assert session_label("Home", "", {}, is_default=True).kind == "home"
    assert session_label("A", "msdyn_account_session", {"entityName": "account"}).kind == "account"
    assert session_label("C", "msdyn_contact_session", {"entityName": "contact"}).kind == "contact"
    assert session_label("Chat", "msdyn_chat_conversation", {"conversationId": "x"}).kind == "conversation"
    assert session_label("Task", "msdyn_generic_session", {"entityName": "task"}).kind == "record"
    assert session_label("S", "msdyn_generic_session", {}).kind == "generic"


def test_the_forms_anchor_retitles_a_case_session_opened_without_its_record() -> None:
    ws = Workspace()
    session_id, _tab = ws.open_record("incident", "c-1", NavSource.HOME, title="New case")
    assert ws.session(session_id).title == "New case"
    record = {"incidentid": "c-1", "ticketnumber": "CAS-9", "title": "Printer", "statecode": 0}
    ws.update_context(session_id, {"anchor": anchor_attributes("incident", record)})
    session = ws.session(session_id)
    assert session.title == "CAS-9"
    assert session_label(session.title, session.template_name, session.context).hover == "CAS-9 · Printer"
