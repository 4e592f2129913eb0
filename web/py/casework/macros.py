"""The macro engine: runs a stored macro definition step by step against a *host* (the page), with a visible log.

Pure: no ``js``. The page implements :class:`MacroHost` (open a form, update a record, resolve a case, ...) and
renders :attr:`MacroRun.log` as it grows (``on_step``). The definition format and its validation are in
``casework.productivity_format``; every action of the reference's productivity, session and omnichannel
connectors is there with its documented fields.

Slugs in any field: ``${anchor.<attribute>}`` (the anchor record, Web API shape, so
``${anchor._customerid_value@OData.Community.Display.V1.FormattedValue}`` works), ``${$session.<key>}``,
``${$oc.<key>}``, ``${Session.CurrentTab.entityId|entityName|tabId}``, ``${Session.AnchorTab.entityId|entityName}``,
``${$output.<key>}`` (what an earlier step gave: ``tabId``, ``entityName``, ``pageType``) and the productivity
form ``${customerName}`` (the session context, then the conversation's). One pass: a filled-in value is never
read for slugs again. A slug without a value becomes empty text; a required field left empty fails its step.

A failed step stops the macro; the message names the step, and the writes already done are listed, never hidden.
``runMacro``'s messages (the reference leaves them undocumented) are :func:`success_message` and
:func:`failure_message`.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from apm.slugs import to_text
from casework.productivity_format import ACTIONS, UNARY, FormatError, check_macro

SLUG = re.compile(r"\$\{([^{}]+)\}")


class MacroHost(Protocol):
    """What a macro can do in the page. Each method takes the action's documented fields as keyword arguments
    (``attributes`` as a dict), may be ``async``, returns outputs (``{"tabId": ...}``) or ``None``, and raises
    any exception to fail its step (its text is the reason shown)."""

    def current_tab(self) -> Mapping[str, Any]:
        """The focused tab: ``{"tabId", "entityName", "entityId"}`` (for ``${Session.CurrentTab.*}``)."""

    # Productivity automation
    def open_new_form(self, entityName: str, formId: str = "", attributes: dict | None = None) -> Any: ...
    def open_record(self, entityName: str, entityId: str, formId: str = "") -> Any: ...
    def autofill_form(self, entityName: str, attributes: dict | None = None) -> Any: ...
    def update_record(self, entityName: str, entityId: str, attributes: dict | None = None) -> Any: ...
    def resolve_case(self, billableTime: str, incidentId: str, resolution: str) -> Any: ...
    def open_email_template(self, entityName: str, entityId: str, recipients: str, templateId: str) -> Any: ...
    def open_grid(self, entityName: str, viewId: str, viewType: str) -> Any: ...
    def kb_search(self, searchString: str = "", tabLabel: str = "") -> Any: ...
    def relevance_search(self, searchString: str) -> Any: ...
    def set_script_focus(self, scriptUniqueName: str) -> Any: ...
    def clone_current_record(self, recordTitle: str) -> Any: ...
    def open_kb_article(self, entityId: str) -> Any: ...
    def save_record(self) -> Any: ...
    def clone_input_record(self, entityName: str, entityId: str, recordTitle: str = "") -> Any: ...
    # Session connector
    def get_current_tab(self) -> Any: ...
    def refresh_tab(self, tabId: str) -> Any: ...
    def focus_tab(self, tabId: str) -> Any: ...
    def open_application_tab(self, pageType: str, templateId: str = "", attributes: dict | None = None) -> Any: ...
    def refresh_session_context(self) -> Any:
        """Returns the fresh context: ``{"anchor": {...}, "session": {...}, "oc": {...}}`` (any part)."""
    def set_session_context(self, attributeName: str, attributeValue: str = "") -> Any: ...
    # Omnichannel connector
    def link_conversation(self, entityName: str, entityId: str, primaryName: str) -> Any: ...
    def unlink_conversation(self, entityName: str, entityId: str, primaryName: str) -> Any: ...
    def send_kb_article(self, articleId: str = "") -> Any: ...


@dataclass
class MacroContext:
    """What slugs read: the anchor record, the session and conversation contexts, earlier steps' outputs."""

    anchor: dict = field(default_factory=dict)
    session: dict = field(default_factory=dict)
    oc: dict = field(default_factory=dict)
    anchor_tab: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class LogEntry:
    """One line of the run log. ``step`` is ``"3"`` or, inside a condition, ``"3.then.1"``."""

    step: str
    action: str
    label: str
    status: str  # done | failed | skipped
    detail: str = ""


@dataclass
class MacroRun:
    """The outcome: ``ok``, the runMacro ``message``, the ``log`` and the ``writes`` that happened."""

    name: str
    ok: bool = True
    message: str = ""
    log: list[LogEntry] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    failed_step: str | None = None


class MacroError(Exception):
    """A macro that failed; ``run`` holds the log (runMacro rejects with ``str(error)``)."""

    def __init__(self, run: MacroRun) -> None:
        super().__init__(run.message)
        self.run = run


def _get(mapping: Mapping, key: str) -> object | None:
    if key in mapping:
        return mapping[key]
    folded = key.casefold()
    return next((v for k, v in mapping.items() if isinstance(k, str) and k.casefold() == folded), None)


def slug_value(key: str, context: MacroContext, current_tab: Mapping[str, Any]) -> object | None:
    """The value of the slug ``${key}`` (``None``: no value)."""
    for prefix, mapping in (("anchor.", context.anchor), ("$session.", context.session), ("$oc.", context.oc),
                            ("$output.", context.outputs), ("Session.CurrentTab.", current_tab),
                            ("Session.AnchorTab.", context.anchor_tab)):
        if key.startswith(prefix):
            return _get(mapping, key[len(prefix):])
    value = _get(context.session, key)
    return value if value is not None else _get(context.oc, key)


def fill(text: str, context: MacroContext, current_tab: Mapping[str, Any] | None = None) -> tuple[str, list[str]]:
    """``text`` with every ``${...}`` slug filled in one pass; returns it and the slugs that had no value."""
    missing: list[str] = []
    tab = current_tab or {}

    def replace(match: re.Match) -> str:
        value = slug_value(match.group(1).strip(), context, tab)
        if value is None or value == "":
            missing.append(match.group(1))
            return ""
        return to_text(value)

    return SLUG.sub(replace, text), missing


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def evaluate(condition: Mapping[str, Any], context: MacroContext, current_tab: Mapping[str, Any] | None = None
             ) -> bool:
    """Whether a condition ``{"left", "operator", "right"}`` holds (text compared case-insensitively; numbers as
    numbers for greaterThan/lessThan)."""
    left, _ = fill(condition["left"], context, current_tab)
    right, _ = fill(condition.get("right") or "", context, current_tab)
    operator = condition["operator"]
    if operator in UNARY:
        return (not left.strip()) == (operator == "isEmpty")
    a, b = left.strip().casefold(), right.strip().casefold()
    if operator == "equals":
        return a == b
    if operator == "notEquals":
        return a != b
    if operator == "contains":
        return b in a
    if operator == "notContains":
        return b not in a
    x, y = _number(a), _number(b)
    if x is not None and y is not None:
        return x > y if operator == "greaterThan" else x < y
    return a > b if operator == "greaterThan" else a < b


def success_message(name: str, done: int) -> str:
    """runMacro's resolution value."""
    return f'Macro "{name}" ran: {done} step{"s" if done != 1 else ""} done.'


def failure_message(name: str, step: str, label: str, reason: str, writes: list[str]) -> str:
    """runMacro's rejection value: the step, why, and what was already changed."""
    done = "; ".join(writes) if writes else "nothing was changed"
    return f'Macro "{name}" stopped at step {step} ({label}): {reason}. Already done: {done}.'


def _describe_write(action: str, fields: Mapping[str, Any], tab: Mapping[str, Any]) -> str:
    label = ACTIONS[action].label
    if action == "save_record":  # saves the focused tab's record
        fields = {"entityName": tab.get("entityName"), "entityId": tab.get("entityId")}
    target = fields.get("entityId") or fields.get("incidentId") or fields.get("articleId") or ""
    entity = fields.get("entityName") or ("incident" if action == "resolve_case" else "")
    what = " ".join(str(part) for part in (entity, target) if part)
    return f"{label} ({what})" if what else label


class _Failed(Exception):
    def __init__(self, step: str, label: str, reason: str) -> None:
        super().__init__(reason)
        self.step, self.label, self.reason = step, label, reason


async def run_macro(name: str, definition: Any, host: Any, context: MacroContext | None = None,
                    on_step: Callable[[LogEntry], None] | None = None) -> MacroRun:
    """Run a macro definition; never raises for a failing step (see :attr:`MacroRun.ok`).

    Args:
        name: The macro's name (for the messages).
        definition: The stored definition (checked first: an invalid one runs no step).
        host: A :class:`MacroHost`.
        context: Slug values; ``set_session_context`` and ``refresh_session_context`` change it.
        on_step: Called with each log entry as it is written (the page's live log).

    Returns:
        The run: ``ok``, ``message`` (runMacro's), ``log``, ``writes``.
    """
    run = MacroRun(name)
    context = context or MacroContext()

    def log(entry: LogEntry) -> None:
        run.log.append(entry)
        if on_step is not None:
            on_step(entry)

    try:
        check_macro(definition)
    except FormatError as exc:
        run.ok, run.failed_step = False, "definition"
        run.message = f'Macro "{name}" is not valid: {exc}.'
        log(LogEntry("definition", "", "Check the macro", "failed", str(exc)))
        return run
    done = [0]
    try:
        await _run_steps(definition["steps"], "", host, context, run, log, done)
    except _Failed as failure:
        run.ok, run.failed_step = False, failure.step
        run.message = failure_message(name, failure.step, failure.label, failure.reason, run.writes)
        return run
    run.message = success_message(name, done[0])
    return run


async def _call(host: Any, method: str, **kwargs: Any) -> Any:
    function = getattr(host, method, None)
    if function is None:
        raise NotImplementedError(f"this workspace cannot '{ACTIONS[method].label}' yet")
    result = function(**kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


async def _run_steps(steps: list, prefix: str, host: Any, context: MacroContext, run: MacroRun,
                     log: Callable[[LogEntry], None], done: list[int]) -> None:
    for index, step in enumerate(steps, start=1):
        number = f"{prefix}{index}"
        action = step["action"]
        label = ACTIONS[action].label
        if action == "start":
            log(LogEntry(number, action, label, "done"))
            done[0] += 1
            continue
        try:
            tab = dict(await _call(host, "current_tab") or {}) if hasattr(host, "current_tab") else {}
        except Exception as exc:  # noqa: BLE001 - the host's failure is the step's failure
            log(LogEntry(number, action, label, "failed", str(exc)))
            raise _Failed(number, label, str(exc) or type(exc).__name__) from None
        if action == "condition":
            holds = evaluate(step, context, tab)
            branch = "then" if holds else "else"
            log(LogEntry(number, action, label, "done", f"{'true' if holds else 'false'}: {branch}"))
            done[0] += 1
            await _run_steps(step.get(branch, []), f"{number}.{branch}.", host, context, run, log, done)
            continue
        spec = ACTIONS[action]
        fields: dict[str, Any] = {}
        missing: list[str] = []
        for key, value in step.get("fields", {}).items():
            if key == "attributes":
                filled_attributes = {}
                for attribute, text in value.items():
                    filled_attributes[attribute], gaps = fill(text, context, tab)
                    missing += gaps
                fields[key] = filled_attributes
            else:
                fields[key], gaps = fill(value, context, tab)
                missing += gaps
        empty = [key for key in spec.required if not str(fields.get(key, "")).strip()]
        if empty:
            reason = f"{empty[0]} is empty"
            if missing:
                reason += f" (no value for ${{{missing[0]}}})"
            log(LogEntry(number, action, label, "failed", reason))
            raise _Failed(number, label, reason)
        try:
            outputs = await _call(host, action, **fields)
        except Exception as exc:  # noqa: BLE001 - any host failure stops the macro, with its text
            reason = str(exc) or type(exc).__name__
            log(LogEntry(number, action, label, "failed", reason))
            raise _Failed(number, label, reason) from None
        if action == "set_session_context":
            context.session[fields["attributeName"]] = fields.get("attributeValue", "")
        elif action == "refresh_session_context" and isinstance(outputs, Mapping):
            for part in ("anchor", "session", "oc"):
                if isinstance(outputs.get(part), Mapping):
                    setattr(context, part, dict(outputs[part]))
            outputs = None
        if isinstance(outputs, Mapping):
            context.outputs.update(outputs)
        if spec.writes:
            run.writes.append(_describe_write(action, fields, tab))
        detail = ", ".join(f"{k}={v}" for k, v in fields.items() if k != "attributes" and v)
        if missing:
            detail += (", " if detail else "") + "no value for " + ", ".join(f"${{{m}}}" for m in missing)
        log(LogEntry(number, action, label, "done", detail))
        done[0] += 1
