"""Sessions held back until a gate opens (conversations wait for presence), then reinstated with events."""

from __future__ import annotations

from apm import NavSource, Workspace
from apm.model import HOME_SESSION_ID
from casework.deferred import hold_sessions, reinstate

CHAT = "msdyn_chat_session"


def workspace_with_chat(focus_chat: bool = True) -> tuple[Workspace, str, str]:
    ws = Workspace()
    case_session, _ = ws.open_record("incident", "c-1", NavSource.HOME, title="Case 1")
    chat_session = ws.create_session(CHAT, {"customerName": "Ann", "conversationId": "w-1"})
    if not focus_chat:
        ws.focus_session(case_session)
    return ws, case_session, chat_session


def events_of(ws: Workspace) -> list[str]:
    seen: list[str] = []
    ws.subscribe("*", lambda event: seen.append(event.name))
    return seen


def test_held_sessions_leave_the_workspace_without_events_and_focus_falls_back() -> None:
    ws, case_session, chat_session = workspace_with_chat()
    chat_tabs = list(ws.session(chat_session).tab_ids)
    seen = events_of(ws)
    held = hold_sessions(ws, [CHAT])
    assert held.session_ids == [chat_session]
    assert list(ws.sessions) == [HOME_SESSION_ID, case_session]
    assert not set(chat_tabs) & set(ws.tabs)
    assert ws.focused_session_id == case_session
    assert seen == []


def test_reinstate_brings_them_back_with_events_and_focus() -> None:
    ws, case_session, chat_session = workspace_with_chat()
    before = ws.to_dict()
    held = hold_sessions(ws, [CHAT])
    seen = events_of(ws)
    assert reinstate(ws, held) == []
    assert ws.to_dict() == before
    assert seen[:1] == ["session.created"] and seen.count("tab.created") == len(ws.session(chat_session).tab_ids)
    assert "session.focused" in seen
    assert not held


def test_focus_stays_where_the_agent_moved_it_meanwhile() -> None:
    ws, case_session, chat_session = workspace_with_chat()
    held = hold_sessions(ws, [CHAT])
    ws.focus_session(HOME_SESSION_ID)
    reinstate(ws, held)
    assert ws.focused_session_id == HOME_SESSION_ID
    assert chat_session in ws.sessions


def test_unfocused_held_sessions_do_not_take_focus() -> None:
    ws, case_session, chat_session = workspace_with_chat(focus_chat=False)
    held = hold_sessions(ws, [CHAT])
    assert held.focus is None
    reinstate(ws, held)
    assert ws.focused_session_id == case_session


def test_no_room_any_more_is_a_note_not_an_error() -> None:
    ws = Workspace(max_sessions=3)
    ws.open_record("incident", "c-1", NavSource.HOME, title="Case 1")
    ws.create_session(CHAT, {"customerName": "Ann", "conversationId": "w-1"})
    held = hold_sessions(ws, [CHAT])
    ws.open_record("incident", "c-2", NavSource.HOME, title="Case 2")  # the agent used the room meanwhile
    notes = reinstate(ws, held)
    assert len(notes) == 1 and "limit" in notes[0]
    assert len(ws.sessions) == 3


def test_other_templates_are_not_held() -> None:
    ws, _, _ = workspace_with_chat()
    before = ws.to_dict()
    held = hold_sessions(ws, ["msdyn_nothing"])
    assert not held and ws.to_dict() == before


def test_focus_falling_back_to_a_session_that_asked_for_attention_clears_its_indicator() -> None:
    """The focus rule holds when a held session gives the focus away: the focused session never shows the dot."""
    from apm.snapshot import dehydrate, rehydrate, workspace_problems

    ws = Workspace()
    case_session, _ = ws.open_record("incident", "c-1", NavSource.HOME, title="Case 1")
    ws.create_session(CHAT, {"customerName": "Ann", "conversationId": "w-1"})
    ws.request_focus(case_session)  # the case wants attention while the chat is focused
    restored = rehydrate(dehydrate(ws, saved_at="2026-01-01T00:00:00Z")).workspace
    held = hold_sessions(restored, [CHAT])
    assert restored.focused_session_id == case_session
    assert restored.session(case_session).notification is False
    assert workspace_problems(restored) == []
    reinstate(restored, held)
    assert workspace_problems(restored) == []


def test_reinstated_sessions_are_checked_against_the_records_open_meanwhile() -> None:
    ws, case_session, chat_session = workspace_with_chat()
    held = hold_sessions(ws, [CHAT])
    assert ws.problems() == []
    reinstate(ws, held)
    assert ws.problems() == [] and chat_session in ws.sessions
