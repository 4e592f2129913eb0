"""Keyboard shortcuts: chords map to actions, and actions move focus or close by the workspace's rules."""

from __future__ import annotations

import pytest

from apm import ApmError, Workspace
from casework.shortcuts import SHORTCUTS, UI_ACTIONS, WIDGET_KEYS, action_for, chord, help_rows, run


@pytest.fixture
def workspace() -> Workspace:
    ws = Workspace()
    ws.create_session("msdyn_case_session", {"caseId": "c-1"})
    ws.create_tab("msdyn_entityrecord", {"entityName": "contact", "entityId": "p-1"})
    ws.create_session("msdyn_case_session", {"caseId": "c-2"})
    return ws


def test_chords_are_named_with_modifiers_first():
    assert chord("w", alt=True, shift=True) == "Alt+Shift+W"
    assert chord("ArrowDown", ctrl=True) == "Ctrl+ArrowDown"


def test_every_documented_chord_maps_to_its_action():
    for shortcut in SHORTCUTS:
        *mods, key = shortcut.keys.split("+") if shortcut.keys != "+" else ["+"]
        assert action_for(key, alt="Alt" in mods, shift="Shift" in mods, ctrl="Ctrl" in mods) == shortcut.action


def test_plain_symbol_keys_work_only_when_not_typing():
    # "?" arrives with Shift held on most layouts; the chord ignores it for symbols
    assert action_for("?", shift=True) == "show_shortcuts"
    assert action_for("/") == "focus_search"
    assert action_for("?", shift=True, typing=True) is None
    assert action_for("/", typing=True) is None
    # modifier chords still work from inside a field
    assert action_for("K", ctrl=True, typing=True) == "focus_search"
    assert action_for("W", alt=True, shift=True, typing=True) == "close_tab"
    assert action_for("M", alt=True) == "open_sitemap"


def test_help_lists_every_action_once_with_all_its_keys():
    rows = dict((description, keys) for keys, description in help_rows())
    assert len(rows) == len({shortcut.action for shortcut in SHORTCUTS}) + len(WIDGET_KEYS)
    assert rows["Save the record of the current tab (from anywhere in the session)"] == "Ctrl+S"
    assert rows["In a timeline note, task or phone call: save it"] == "Ctrl+Enter"
    assert rows["Search records (global search)"] == "Ctrl+K or /"
    assert rows["Show keyboard shortcuts"] == "?"


def test_ui_actions_are_left_to_the_page(workspace):
    for action in UI_ACTIONS:
        assert any(shortcut.action == action for shortcut in SHORTCUTS)
        with pytest.raises(KeyError):
            run(workspace, action)


def test_plain_keys_and_browser_chords_are_left_alone():
    assert action_for("w") is None
    assert action_for("ArrowLeft", alt=True) is None  # the browser's Back
    assert action_for("W", alt=True, shift=True, ctrl=True) is None


def test_next_and_previous_session_wrap_around(workspace):
    assert workspace.focused_session_id == "session-2"
    run(workspace, "next_session")
    assert workspace.focused_session_id == "home"
    run(workspace, "previous_session")
    assert workspace.focused_session_id == "session-2"


def test_next_tab_moves_within_the_focused_session(workspace):
    workspace.focus_session("session-1")
    first, second = workspace.session("session-1").tab_ids
    assert workspace.focused_tab_id == second
    run(workspace, "next_tab")
    assert workspace.focused_tab_id == first


def test_close_tab_refuses_the_anchor_and_closes_others(workspace):
    with pytest.raises(ApmError) as refused:
        run(workspace, "close_tab")  # session-2 shows only its anchor
    assert refused.value.code == "cannot_close_tab"
    workspace.focus_session("session-1")
    run(workspace, "close_tab")
    assert len(workspace.session("session-1").tab_ids) == 1


def test_close_session_then_home(workspace):
    run(workspace, "close_session")
    assert workspace.focused_session_id == "session-1"
    run(workspace, "home")
    assert workspace.focused_session_id == "home"
    with pytest.raises(ApmError):
        run(workspace, "close_session")  # Home never closes
