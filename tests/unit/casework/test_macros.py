"""The macro engine: every action reaches the host with its documented fields filled from slugs, a condition picks
its branch, a failing step stops the macro naming the step and listing the writes already done."""

from __future__ import annotations

import pytest

from casework.macros import MacroContext, evaluate, fill, run_macro
from casework.productivity_format import ACTIONS, FormatError, check_macro
from tests.support.aio import run as run_coroutine

CASE_ID = "5a1d0c3e-1111-4222-8333-444455556666"


class RecordingHost:
    """A host that records every call (and can be told to fail one action)."""

    def __init__(self, fail: str | None = None) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.fail = fail
        self.tab = {"tabId": "tab-1", "entityName": "incident", "entityId": CASE_ID}

    def current_tab(self) -> dict:
        return self.tab

    def __getattr__(self, name: str):
        if name not in ACTIONS:
            raise AttributeError(name)

        async def action(**fields):
            self.calls.append((name, fields))
            if name == self.fail:
                raise RuntimeError("the server said 412: the record changed")
            if name in ("get_current_tab", "open_record", "open_new_form", "open_application_tab"):
                return {"tabId": "tab-2", "entityName": fields.get("entityName", "incident"),
                        "pageType": "entityrecord"}
            if name == "refresh_session_context":
                return {"anchor": {"incidentid": CASE_ID, "title": "Refreshed title"}}
            return None
        return action


def context() -> MacroContext:
    return MacroContext(
        anchor={"incidentid": CASE_ID, "title": "Printer offline", "prioritycode": 1,
                "prioritycode@OData.Community.Display.V1.FormattedValue": "High",
                "_customerid_value@OData.Community.Display.V1.FormattedValue": "Contoso"},
        session={"customerName": "Maria Garcia"}, oc={"LiveWorkItemId": "conv-9", "customerName": "Maria (chat)"},
        anchor_tab={"entityName": "incident", "entityId": CASE_ID})


def run(definition: dict, host=None, ctx=None, name="Test macro"):
    host = host or RecordingHost()
    result = run_coroutine(run_macro(name, definition, host, ctx or context()))
    return result, host


def macro(*steps: dict) -> dict:
    return {"schema": 1, "steps": [{"action": "start"}, *steps]}


# One step per action with its documented fields, slugs in them.
EVERY_ACTION = {
    "open_new_form": {"entityName": "task", "formId": "f-1",
                      "attributes": {"subject": "Follow up ${anchor.title}",
                                     "regardingobjectid": "${anchor.incidentid}"}},
    "open_record": {"entityName": "incident", "entityId": "${anchor.incidentid}", "formId": "f-2"},
    "autofill_form": {"entityName": "incident", "attributes": {"description": "Customer: ${customerName}"}},
    "update_record": {"entityName": "incident", "entityId": "${Session.CurrentTab.entityId}",
                      "attributes": {"prioritycode": "2"}},
    "resolve_case": {"billableTime": "30", "incidentId": "${anchor.incidentid}",
                     "resolution": "Fixed: ${anchor.title}"},
    "open_email_template": {"entityName": "incident", "entityId": "${anchor.incidentid}",
                            "recipients": "${$session.customerName}", "templateId": "tpl-1"},
    "open_grid": {"entityName": "incident", "viewId": "my-active-cases", "viewType": "savedquery"},
    "kb_search": {"searchString": "${anchor.title}", "tabLabel": "KB: ${anchor.title}"},
    "relevance_search": {"searchString": "${anchor.title}"},
    "set_script_focus": {"scriptUniqueName": "escalation_script"},
    "clone_current_record": {"recordTitle": "Copy of ${anchor.title}"},
    "open_kb_article": {"entityId": "kb-1"},
    "save_record": {},
    "clone_input_record": {"entityName": "incident", "entityId": "${anchor.incidentid}", "recordTitle": "Clone"},
    "get_current_tab": {},
    "refresh_tab": {"tabId": "${$output.tabId}"},
    "focus_tab": {"tabId": "${Session.CurrentTab.tabId}"},
    "open_application_tab": {"pageType": "entityrecord", "templateId": "msdyn_entityrecord",
                             "attributes": {"entityName": "account"}},
    "refresh_session_context": {},
    "set_session_context": {"attributeName": "firstProcess", "attributeValue": "triage"},
    "link_conversation": {"entityName": "incident", "entityId": "${anchor.incidentid}",
                          "primaryName": "${anchor.title}"},
    "unlink_conversation": {"entityName": "incident", "entityId": "${anchor.incidentid}",
                            "primaryName": "${anchor.title}"},
    "send_kb_article": {"articleId": "kb-1"},
}


def test_every_documented_action_has_a_step_here() -> None:
    assert set(EVERY_ACTION) == set(ACTIONS) - {"start", "condition"}


def test_every_action_reaches_the_host_with_its_fields_filled_and_the_log_says_done() -> None:
    result, host = run(macro(*({"action": a, "fields": f} for a, f in EVERY_ACTION.items())))
    assert result.ok, result.message
    assert [name for name, _ in host.calls] == list(EVERY_ACTION)
    calls = dict(host.calls)
    assert calls["open_new_form"]["attributes"] == {"subject": "Follow up Printer offline",
                                                    "regardingobjectid": CASE_ID}
    assert calls["autofill_form"]["attributes"] == {"description": "Customer: Maria Garcia"}
    assert calls["update_record"] == {"entityName": "incident", "entityId": CASE_ID,
                                      "attributes": {"prioritycode": "2"}}
    assert calls["open_email_template"]["recipients"] == "Maria Garcia"
    assert calls["refresh_tab"] == {"tabId": "tab-2"}  # an earlier step's output
    assert calls["focus_tab"] == {"tabId": "tab-1"}
    assert calls["save_record"] == {}
    assert [e.status for e in result.log] == ["done"] * (len(EVERY_ACTION) + 1)
    assert result.log[0].label == "Start macro execution"
    assert result.message == f'Macro "Test macro" ran: {len(EVERY_ACTION) + 1} steps done.'
    assert result.writes == [
        f"Update an existing record (incident {CASE_ID})", f"Resolve a case (incident {CASE_ID})",
        f"Save the record (incident {CASE_ID})", f"Link record to the conversation (incident {CASE_ID})",
        f"Unlink record from the conversation (incident {CASE_ID})",
        "Send knowledge base article link in chat (kb-1)"]


def test_a_failed_step_stops_the_macro_names_the_step_and_lists_the_writes_done() -> None:
    definition = macro({"action": "update_record", "fields": EVERY_ACTION["update_record"]},
                       {"action": "resolve_case", "fields": EVERY_ACTION["resolve_case"]},
                       {"action": "save_record"})
    result, host = run(definition, RecordingHost(fail="resolve_case"), name="Close it")
    assert not result.ok and result.failed_step == "3"
    assert [name for name, _ in host.calls] == ["update_record", "resolve_case"]  # save never ran
    assert result.message == (f'Macro "Close it" stopped at step 3 (Resolve a case): the server said 412: the record '
                              f"changed. Already done: Update an existing record (incident {CASE_ID}).")
    assert [e.status for e in result.log] == ["done", "done", "failed"]


def test_a_required_field_left_empty_by_a_slug_fails_before_the_host_is_called() -> None:
    result, host = run(macro({"action": "open_record", "fields": {"entityName": "account",
                                                                  "entityId": "${anchor._parentaccountid_value}"}}))
    assert not result.ok and host.calls == []
    assert "entityId is empty (no value for ${anchor._parentaccountid_value})" in result.message
    assert result.message.endswith("Already done: nothing was changed.")


def test_a_condition_runs_one_branch() -> None:
    definition = macro({"action": "condition", "left": "${anchor.prioritycode}", "operator": "equals", "right": "1",
                        "then": [{"action": "set_script_focus", "fields": {"scriptUniqueName": "escalation"}}],
                        "else": [{"action": "set_script_focus", "fields": {"scriptUniqueName": "standard"}}]})
    result, host = run(definition)
    assert host.calls == [("set_script_focus", {"scriptUniqueName": "escalation"})]
    assert [(e.step, e.detail) for e in result.log[1:]] == [("2", "true: then"),
                                                           ("2.then.1", "scriptUniqueName=escalation")]
    low = context()
    low.anchor["prioritycode"] = 3
    _, host = run(definition, ctx=low)
    assert host.calls == [("set_script_focus", {"scriptUniqueName": "standard"})]


def test_set_and_refresh_session_context_change_what_later_slugs_read() -> None:
    result, host = run(macro(
        {"action": "set_session_context", "fields": {"attributeName": "stage", "attributeValue": "tier 2"}},
        {"action": "relevance_search", "fields": {"searchString": "${$session.stage} ${stage}"}},
        {"action": "refresh_session_context"},
        {"action": "kb_search", "fields": {"searchString": "${anchor.title}"}}))
    assert result.ok
    assert host.calls[1] == ("relevance_search", {"searchString": "tier 2 tier 2"})
    assert host.calls[3] == ("kb_search", {"searchString": "Refreshed title"})


@pytest.mark.parametrize(("text", "expected"), [
    ("${anchor.title}", "Printer offline"),
    ("${anchor.prioritycode@OData.Community.Display.V1.FormattedValue}", "High"),
    ("${anchor._customerid_value@OData.Community.Display.V1.FormattedValue}", "Contoso"),
    ("${$session.customerName}", "Maria Garcia"),
    ("${$oc.customerName}", "Maria (chat)"),
    ("${LiveWorkItemId}", "conv-9"),  # productivity form: session first, then the conversation
    ("${customerName}", "Maria Garcia"),
    ("${Session.CurrentTab.entityId}", CASE_ID),
    ("${Session.AnchorTab.entityName}", "incident"),
    ("${anchor.TITLE}", "Printer offline"),  # attribute names arrive in mixed case
    ("{anchor.title} and ${nothing}", "{anchor.title} and "),
])
def test_slug_forms(text: str, expected: str) -> None:
    assert fill(text, context(), {"entityId": CASE_ID})[0] == expected


def test_a_filled_value_is_never_read_for_slugs_again() -> None:
    ctx = context()
    ctx.anchor["title"] = "${$session.customerName}"
    assert fill("${anchor.title}", ctx)[0] == "${$session.customerName}"


@pytest.mark.parametrize(("operator", "right", "holds"), [
    ("equals", "printer OFFLINE", True), ("notEquals", "x", True), ("contains", "offline", True),
    ("notContains", "offline", False), ("isEmpty", None, False), ("isNotEmpty", None, True)])
def test_condition_operators(operator: str, right: str | None, holds: bool) -> None:
    assert evaluate({"left": "${anchor.title}", "operator": operator, "right": right}, context()) is holds


def test_numbers_compare_as_numbers() -> None:
    ctx = context()
    ctx.anchor["prioritycode"] = 10
    assert evaluate({"left": "${anchor.prioritycode}", "operator": "greaterThan", "right": "9"}, ctx)


@pytest.mark.parametrize(("definition", "path"), [
    ({"schema": 1, "steps": [{"action": "save_record"}]}, "steps[0]"),
    ({"schema": 2, "steps": [{"action": "start"}]}, "schema"),
    (macro({"action": "teleport"}), "steps[1].action"),
    (macro({"action": "resolve_case", "fields": {"incidentId": "x", "resolution": "y"}}),
     "steps[1].fields.billableTime"),
    (macro({"action": "open_grid", "fields": {"entityName": "a", "viewId": "b", "viewType": "c", "colour": "x"}}),
     "steps[1].fields.colour"),
    (macro({"action": "send_kb_article"}), "steps[1]"),
    (macro({"action": "condition", "left": "x", "operator": "resembles"}), "steps[1].operator"),
    (macro({"action": "condition", "left": "x", "operator": "isEmpty", "then": [{"action": "start"}]}),
     "steps[1].then[0]"),
])
def test_invalid_definitions_are_refused_with_the_path(definition: dict, path: str) -> None:
    with pytest.raises(FormatError) as caught:
        check_macro(definition)
    assert caught.value.path == path


def test_an_invalid_definition_runs_no_step() -> None:
    result, host = run({"schema": 1, "steps": [{"action": "save_record"}]})
    assert not result.ok and host.calls == [] and "must begin with 'Start macro execution'" in result.message


def test_a_host_without_an_action_fails_that_step_clearly() -> None:
    class Minimal:
        pass
    result = run_coroutine(run_macro("M", macro({"action": "save_record"}), Minimal()))
    assert not result.ok and "cannot 'Save the record' yet" in result.message


def test_the_log_is_reported_as_it_grows() -> None:
    seen = []
    run_coroutine(run_macro("M", macro({"action": "save_record"}), RecordingHost(), context(), on_step=seen.append))
    assert [e.action for e in seen] == ["start", "save_record"]
