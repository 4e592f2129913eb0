"""The stored formats of macros and agent scripts, and their validation (one place, used by the page's engines and
by the server on save: the server loads this file by path, so it imports nothing beyond the standard library).

A macro definition (``macros.definition``)::

    {"schema": 1, "steps": [
        {"action": "start"},
        {"action": "update_record", "fields": {"entityName": "incident", "entityId": "${anchor.incidentid}",
                                               "attributes": {"prioritycode": "1"}}},
        {"action": "condition", "left": "${anchor.prioritycode}", "operator": "equals", "right": "1",
         "then": [...steps...], "else": [...steps...]}
    ]}

An agent script definition (``agentscripts.definition``)::

    {"schema": 1, "steps": [{"name": "Greet ${customerName}", "type": 192350000, "instruction": "..."},
                            {"name": "Escalate", "type": 192350001, "macro": "Escalate to tier 2"},
                            {"name": "Returns", "type": 192350002, "script": "returns_script"}],
     "rule": {"left": "${anchor.prioritycode}", "operator": "equals", "right": "1"}}
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA = 1
MAX_STEPS = 100
MAX_DEPTH = 5
MAX_TEXT = 4000


@dataclass(frozen=True)
class Action:
    """One macro action: the connector it belongs to, its documented name and its fields.

    Attributes:
        connector: ``productivity``, ``session``, ``omnichannel`` or ``control``.
        label: The name the reference gives the action (shown in the run log).
        required: Fields that must be given and non-blank (after slugs are filled, at run time).
        optional: Fields that may be given.
        attributes: The action takes ``attributes`` (attribute name -> value pairs).
        writes: Running it changes data outside the page (listed when a later step fails).
    """

    connector: str
    label: str
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    attributes: bool = False
    writes: bool = False


ACTIONS: dict[str, Action] = {
    "start": Action("control", "Start macro execution"),
    "condition": Action("control", "Condition"),
    # Productivity automation
    "open_new_form": Action("productivity", "Open a new form to create a record", ("entityName",), ("formId",),
                            attributes=True),
    "open_record": Action("productivity", "Open an existing record", ("entityName", "entityId"), ("formId",)),
    "autofill_form": Action("productivity", "Autofill form fields", ("entityName",), attributes=True),
    "update_record": Action("productivity", "Update an existing record", ("entityName", "entityId"),
                            attributes=True, writes=True),
    "resolve_case": Action("productivity", "Resolve a case", ("billableTime", "incidentId", "resolution"),
                           writes=True),
    "open_email_template": Action("productivity", "Open an email form with predefined template",
                                  ("entityName", "entityId", "recipients", "templateId")),
    "open_grid": Action("productivity", "Open a record grid", ("entityName", "viewId", "viewType")),
    "kb_search": Action("productivity", "Search the knowledge base for the populated phrase", (),
                        ("searchString", "tabLabel")),
    "relevance_search": Action("productivity", "Do a relevance search based on the phrase", ("searchString",)),
    "set_script_focus": Action("productivity", "Set Agent Script focus", ("scriptUniqueName",)),
    "clone_current_record": Action("productivity", "Clone current record", ("recordTitle",)),
    "open_kb_article": Action("productivity", "Open knowledge base article", ("entityId",)),
    "save_record": Action("productivity", "Save the record", writes=True),
    "clone_input_record": Action("productivity", "Clone input record", ("entityName", "entityId"), ("recordTitle",)),
    # Session connector
    "get_current_tab": Action("session", "Get the current tab"),
    "refresh_tab": Action("session", "Refresh the tab", ("tabId",)),
    "focus_tab": Action("session", "Focus on the tab", ("tabId",)),
    "open_application_tab": Action("session", "Open application tab", ("pageType",), ("templateId",),
                                   attributes=True),
    "refresh_session_context": Action("session", "Refresh the session context"),
    "set_session_context": Action("session", "Set session context", ("attributeName",), ("attributeValue",)),
    # Omnichannel connector
    "link_conversation": Action("omnichannel", "Link record to the conversation",
                                ("entityName", "entityId", "primaryName"), writes=True),
    "unlink_conversation": Action("omnichannel", "Unlink record from the conversation",
                                  ("entityName", "entityId", "primaryName"), writes=True),
    "send_kb_article": Action("omnichannel", "Send knowledge base article link in chat", (), ("articleId",),
                              writes=True),
}

OPERATORS = ("equals", "notEquals", "contains", "notContains", "isEmpty", "isNotEmpty", "greaterThan", "lessThan")
UNARY = ("isEmpty", "isNotEmpty")

TEXT, MACRO, SCRIPT = 192350000, 192350001, 192350002  # msdyn_productivityagentscriptstep.msdyn_actiontype
STEP_TYPES = {TEXT: "text", MACRO: "macro", SCRIPT: "script"}


class FormatError(ValueError):
    """A definition that cannot be stored or run; ``path`` says where (``steps[3].fields.entityId``)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.reason = message


def _text(value: object, path: str, *, required: bool) -> None:
    if not isinstance(value, str):
        raise FormatError(path, "must be text")
    if len(value) > MAX_TEXT:
        raise FormatError(path, f"is longer than {MAX_TEXT} characters")
    if required and not value.strip():
        raise FormatError(path, "is required")


def check_condition(condition: object, path: str) -> None:
    """A condition ``{"left", "operator", "right"}`` (``right`` not for isEmpty/isNotEmpty)."""
    if not isinstance(condition, dict):
        raise FormatError(path, "must be an object")
    _text(condition.get("left"), f"{path}.left", required=True)
    operator = condition.get("operator")
    if operator not in OPERATORS:
        raise FormatError(f"{path}.operator", f"must be one of {', '.join(OPERATORS)}")
    if operator not in UNARY:
        _text(condition.get("right"), f"{path}.right", required=False)


def _check_steps(steps: object, path: str, depth: int, count: list[int], searched: list[bool]) -> None:
    if not isinstance(steps, list):
        raise FormatError(path, "must be a list of steps")
    for index, step in enumerate(steps):
        where = f"{path}[{index}]"
        count[0] += 1
        if count[0] > MAX_STEPS:
            raise FormatError(where, f"a macro has at most {MAX_STEPS} steps")
        if not isinstance(step, dict):
            raise FormatError(where, "must be an object")
        name = step.get("action")
        action = ACTIONS.get(name) if isinstance(name, str) else None
        if action is None:
            raise FormatError(f"{where}.action", f"unknown action {name!r}")
        if name == "start":
            if depth or index or path != "steps":
                raise FormatError(where, "'Start macro execution' comes once, as the first step")
            continue
        if name == "condition":
            if depth >= MAX_DEPTH:
                raise FormatError(where, f"conditions nest at most {MAX_DEPTH} deep")
            check_condition({k: step.get(k) for k in ("left", "operator", "right")}, where)
            for branch in ("then", "else"):
                _check_steps(step.get(branch, []), f"{where}.{branch}", depth + 1, count, searched)
            continue
        fields = step.get("fields", {})
        if not isinstance(fields, dict):
            raise FormatError(f"{where}.fields", "must be an object")
        allowed = {*action.required, *action.optional, *(("attributes",) if action.attributes else ())}
        for key in fields:
            if key not in allowed:
                raise FormatError(f"{where}.fields.{key}", f"is not a field of '{action.label}'"
                                  f" (fields: {', '.join(sorted(allowed)) or 'none'})")
        for key in action.required:
            _text(fields.get(key), f"{where}.fields.{key}", required=True)
        for key in action.optional:
            if key in fields:
                _text(fields[key], f"{where}.fields.{key}", required=False)
        if "attributes" in fields:
            attributes = fields["attributes"]
            if not isinstance(attributes, dict) or not attributes:
                raise FormatError(f"{where}.fields.attributes", "must be an object of attribute name -> value")
            for key, value in attributes.items():
                _text(value, f"{where}.fields.attributes.{key}", required=False)
        if name == "kb_search":
            searched[0] = True
        if name == "send_kb_article" and not searched[0]:
            raise FormatError(where, "'Send knowledge base article link in chat' must follow 'Search the knowledge "
                              "base for the populated phrase'")


def check_macro(definition: object) -> None:
    """Check a macro definition.

    Raises:
        FormatError: the first problem, with its path.
    """
    if not isinstance(definition, dict):
        raise FormatError("definition", "must be an object")
    if definition.get("schema") != SCHEMA:
        raise FormatError("schema", f"must be {SCHEMA}")
    unknown = set(definition) - {"schema", "steps"}
    if unknown:
        raise FormatError(sorted(unknown)[0], "is not part of a macro definition")
    steps = definition.get("steps")
    if not isinstance(steps, list) or not steps or not isinstance(steps[0], dict) or steps[0].get("action") != "start":
        raise FormatError("steps[0]", "a macro must begin with 'Start macro execution' ({\"action\": \"start\"})")
    _check_steps(steps, "steps", 0, [0], [False])


def check_script(definition: object) -> None:
    """Check an agent script definition.

    Raises:
        FormatError: the first problem, with its path.
    """
    if not isinstance(definition, dict):
        raise FormatError("definition", "must be an object")
    if definition.get("schema") != SCHEMA:
        raise FormatError("schema", f"must be {SCHEMA}")
    unknown = set(definition) - {"schema", "steps", "rule"}
    if unknown:
        raise FormatError(sorted(unknown)[0], "is not part of an agent script definition")
    steps = definition.get("steps")
    if not isinstance(steps, list) or not steps or len(steps) > MAX_STEPS:
        raise FormatError("steps", f"must be a list of 1-{MAX_STEPS} steps")
    for index, step in enumerate(steps):
        where = f"steps[{index}]"
        if not isinstance(step, dict):
            raise FormatError(where, "must be an object")
        _text(step.get("name"), f"{where}.name", required=True)
        kind = step.get("type")
        if kind not in STEP_TYPES:
            raise FormatError(f"{where}.type", f"must be {TEXT} (text), {MACRO} (macro) or {SCRIPT} (script)")
        target = {TEXT: "instruction", MACRO: "macro", SCRIPT: "script"}[kind]
        _text(step.get(target), f"{where}.{target}", required=True)
        allowed = {"name", "type", "description", target}
        extra = set(step) - allowed
        if extra:
            raise FormatError(f"{where}.{sorted(extra)[0]}", f"is not a field of a {STEP_TYPES[kind]} step")
        if "description" in step:
            _text(step["description"], f"{where}.description", required=False)
    if "rule" in definition and definition["rule"] is not None:
        check_condition(definition["rule"], "rule")
