"""Agent scripts: ordered steps that guide an agent (text instruction, macro, script), their per-session progress,
and the rule that picks a session's default script. Pure: the page draws it and keeps ``Progress`` per session.

Step types are the Dataverse values (``msdyn_productivityagentscriptstep.msdyn_actiontype``): 192350000 text,
192350001 macro, 192350002 script. Controls as the reference gives them: a text step is "Mark as done", a macro
step "Run" (the macro engine, ``casework.macros``), a script step "View" (the other script replaces the current
one). Each step ends with a tick (``done``) or a cross (``failed``) and can be run again; the last run counts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from casework.macros import MacroContext, MacroRun, evaluate, fill
from casework.productivity_format import MACRO, SCRIPT, TEXT, FormatError, check_script

DONE, FAILED = "done", "failed"


class ScriptError(Exception):
    """A script action that cannot be done; ``code`` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Step:
    name: str
    type: int
    target: str  # the instruction text, the macro's name or the script's unique name
    description: str = ""


@dataclass(frozen=True)
class Script:
    uniquename: str
    name: str
    steps: tuple[Step, ...]
    description: str = ""
    rule: Mapping[str, Any] | None = None

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Script:
        """From an ``/api/agentscripts`` record.

        Raises:
            FormatError: the definition is not a valid script.
        """
        definition = record["definition"]
        check_script(definition)
        key = {TEXT: "instruction", MACRO: "macro", SCRIPT: "script"}
        steps = tuple(Step(s["name"], s["type"], s[key[s["type"]]], s.get("description", ""))
                      for s in definition["steps"])
        return cls(record["uniquename"], record["name"], steps, record.get("description") or "",
                   definition.get("rule"))


@dataclass(frozen=True)
class Progress:
    """One session's script: which script is shown and each step's last state (by step index)."""

    script: str
    states: Mapping[int, str] = field(default_factory=dict)
    messages: Mapping[int, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"script": self.script, "states": {str(k): v for k, v in self.states.items()},
                "messages": {str(k): v for k, v in self.messages.items()}}

    @classmethod
    def from_json(cls, data: Any, scripts: Mapping[str, Script]) -> Progress | None:
        """Restore; never raises: an unknown script or malformed data gives ``None``, bad entries are dropped."""
        if not isinstance(data, dict) or data.get("script") not in scripts:
            return None
        count = len(scripts[data["script"]].steps)

        def entries(name: str, allowed: Callable[[Any], bool]) -> dict[int, Any]:
            raw = data.get(name)
            if not isinstance(raw, dict):
                return {}
            return {int(k): v for k, v in raw.items()
                    if isinstance(k, str) and k.isdigit() and int(k) < count and allowed(v)}

        return cls(data["script"], entries("states", lambda v: v in (DONE, FAILED)),
                   entries("messages", lambda v: isinstance(v, str)))


def default_script(scripts: list[Script], context: MacroContext, fallback: str | None = None) -> Script | None:
    """The session's default: the first script (in the session template's order) whose rule holds over the
    session context; else the template's ``fallback`` script; else the first script without a rule; else ``None``.
    """
    for script in scripts:
        if script.rule is not None and evaluate(script.rule, context):
            return script
    if fallback is not None:
        chosen = next((s for s in scripts if s.uniquename == fallback), None)
        if chosen is not None:
            return chosen
    return next((s for s in scripts if s.rule is None), None)


def step_text(step: Step, context: MacroContext) -> tuple[str, str]:
    """A step's title and (for text steps) instruction with slugs filled."""
    title = fill(step.name, context)[0]
    body = fill(step.target, context)[0] if step.type == TEXT else step.description
    return title, body


def _step(script: Script, index: int, kind: int) -> Step:
    if not 0 <= index < len(script.steps):
        raise ScriptError("step_not_found", f"{script.name} has no step {index + 1}.")
    step = script.steps[index]
    if step.type != kind:
        raise ScriptError("wrong_step_type", f"Step {index + 1} of {script.name} is not a "
                          f"{ {TEXT: 'text', MACRO: 'macro', SCRIPT: 'script'}[kind] } step.")
    return step


def mark_done(progress: Progress, script: Script, index: int) -> Progress:
    """"Mark as done" on a text step."""
    _step(script, index, TEXT)
    return replace(progress, states={**progress.states, index: DONE},
                   messages={k: v for k, v in progress.messages.items() if k != index})


async def run_step(progress: Progress, script: Script, index: int,
                   run_macro: Callable[[str], Awaitable[MacroRun]]) -> Progress:
    """"Run" on a macro step: runs the macro by name; the step ends done or failed with the macro's message."""
    step = _step(script, index, MACRO)
    try:
        result = await run_macro(step.target)
        ok, message = result.ok, result.message
    except Exception as exc:  # noqa: BLE001 - a macro that cannot even start is a failed step, not a crash
        ok, message = False, str(exc) or type(exc).__name__
    return replace(progress, states={**progress.states, index: DONE if ok else FAILED},
                   messages={**progress.messages, index: message})


def view_script(progress: Progress, script: Script, index: int, scripts: Mapping[str, Script]) -> Progress:
    """"View" on a script step: the target script replaces the current one, with fresh progress (as in the
    reference, the menu then shows the target script)."""
    step = _step(script, index, SCRIPT)
    if step.target not in scripts:
        raise ScriptError("script_not_found", f"No agent script {step.target!r}.")
    return Progress(step.target)


def switch(scripts: Mapping[str, Script], uniquename: str) -> Progress:
    """The agent picks another script from the menu (or a macro's "Set Agent Script focus")."""
    if uniquename not in scripts:
        raise ScriptError("script_not_found", f"No agent script {uniquename!r}.")
    return Progress(uniquename)


__all__ = ["DONE", "FAILED", "FormatError", "Progress", "Script", "ScriptError", "Step", "default_script",
           "mark_done", "run_step", "step_text", "switch", "view_script"]
