"""Agent scripts: step controls (Mark as done, Run, View) with a tick or cross, re-runnable; slugs in text; the
default script chosen by a rule over the session context; progress restored defensively."""

from __future__ import annotations

import pytest

from casework.agent_scripts import (
    DONE,
    FAILED,
    Progress,
    Script,
    ScriptError,
    default_script,
    mark_done,
    run_step,
    step_text,
    switch,
    view_script,
)
from casework.macros import MacroContext, MacroRun
from casework.productivity_format import FormatError
from tests.support.aio import run

HIGH = {"left": "${anchor.prioritycode}", "operator": "equals", "right": "1"}


def record(uniquename: str, steps: list[dict], rule: dict | None = None) -> dict:
    definition = {"schema": 1, "steps": steps, **({"rule": rule} if rule else {})}
    return {"uniquename": uniquename, "name": uniquename.replace("_", " ").title(), "definition": definition}


STANDARD = Script.from_record(record("standard", [
    {"name": "Greet ${customerName}", "type": 192350000, "instruction": "Confirm ${anchor.ticketnumber} with them."},
    {"name": "Collect details", "type": 192350001, "macro": "Ask for details", "description": "Sends the form"},
    {"name": "Returns?", "type": 192350002, "script": "returns"},
]))
ESCALATION = Script.from_record(record("escalation", [
    {"name": "Apologise", "type": 192350000, "instruction": "Acknowledge the urgency."}], rule=HIGH))
RETURNS = Script.from_record(record("returns", [
    {"name": "Label", "type": 192350000, "instruction": "Send the return label."}]))
SCRIPTS = {s.uniquename: s for s in (STANDARD, ESCALATION, RETURNS)}


def ctx(priority: int) -> MacroContext:
    return MacroContext(anchor={"prioritycode": priority, "ticketnumber": "CAS-01001"},
                        session={"customerName": "Maria"})


def test_the_default_script_follows_the_rule_over_the_session_context() -> None:
    ordered = [ESCALATION, STANDARD, RETURNS]
    assert default_script(ordered, ctx(1)) is ESCALATION  # priority high -> escalation
    assert default_script(ordered, ctx(2)) is STANDARD  # the first script without a rule
    assert default_script([ESCALATION], ctx(3)) is None
    assert default_script(ordered, ctx(2), fallback="returns") is RETURNS  # the session template's fallback


def test_text_steps_fill_slugs() -> None:
    assert step_text(STANDARD.steps[0], ctx(2)) == ("Greet Maria", "Confirm CAS-01001 with them.")
    assert step_text(STANDARD.steps[1], ctx(2)) == ("Collect details", "Sends the form")


def test_mark_done_ticks_a_text_step_only() -> None:
    progress = mark_done(Progress("standard"), STANDARD, 0)
    assert progress.states == {0: DONE}
    with pytest.raises(ScriptError) as caught:
        mark_done(progress, STANDARD, 1)
    assert caught.value.code == "wrong_step_type"


def test_a_macro_step_shows_the_last_run_cross_then_tick() -> None:
    outcomes = iter([MacroRun("Ask for details", ok=False, message="stopped at step 2"),
                     MacroRun("Ask for details", ok=True, message="ran")])
    names = []

    async def runner(name: str) -> MacroRun:
        names.append(name)
        return next(outcomes)

    failed = run(run_step(Progress("standard"), STANDARD, 1, runner))
    assert failed.states == {1: FAILED} and failed.messages == {1: "stopped at step 2"}
    again = run(run_step(failed, STANDARD, 1, runner))
    assert again.states == {1: DONE} and again.messages == {1: "ran"} and names == ["Ask for details"] * 2


def test_a_macro_that_cannot_start_is_a_failed_step() -> None:
    async def broken(name: str) -> MacroRun:
        raise LookupError("No macro named 'Ask for details'")

    progress = run(run_step(Progress("standard"), STANDARD, 1, broken))
    assert progress.states == {1: FAILED} and "No macro named" in progress.messages[1]


def test_view_replaces_the_script_and_switch_checks_the_name() -> None:
    assert view_script(Progress("standard", {0: DONE}), STANDARD, 2, SCRIPTS) == Progress("returns")
    assert switch(SCRIPTS, "escalation") == Progress("escalation")
    with pytest.raises(ScriptError):
        switch(SCRIPTS, "nope")


def test_progress_round_trips_and_restore_drops_what_it_cannot_use() -> None:
    progress = Progress("standard", {0: DONE, 1: FAILED}, {1: "stopped"})
    assert Progress.from_json(progress.to_json(), SCRIPTS) == progress
    assert Progress.from_json({"script": "gone"}, SCRIPTS) is None
    assert Progress.from_json("junk", SCRIPTS) is None
    messy = {"script": "standard", "states": {"0": DONE, "9": DONE, "x": DONE, "1": "maybe"}, "messages": []}
    assert Progress.from_json(messy, SCRIPTS) == Progress("standard", {0: DONE})


def test_an_invalid_definition_is_refused() -> None:
    with pytest.raises(FormatError):
        Script.from_record(record("bad", [{"name": "x", "type": 1}]))
