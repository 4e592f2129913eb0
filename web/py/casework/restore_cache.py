"""Incremental snapshot text: the envelope's ``data`` as ``apm.snapshot.dehydrate`` + ``json.dumps`` write it, with
the JSON of unchanged tabs, sessions and view states reused from the previous save.

Pure (no ``js``). A save follows one change (a tab retitled, a draft typed), so of 100 tabs 99 are as they were:
re-serialising all of them (dicts, copies, ``json.dumps``) was most of a save's cost in Pyodide. Each piece is
cached with what it was made from and re-made when that differs:

* a tab: the same ``Tab`` object with the same title, flags, template and page type, and parameters / app context
  that are the same objects AND still equal to the copy taken when the text was made (the model replaces those
  dicts rather than mutating them; the equality check also catches an in-place change);
* a session's own fields (title, flags, context, focused tab...): likewise;
* a view state: the same object as last time, still equal to its copy. Pages that build a fresh dict per call
  are simply serialised again (typically the few mounted pages; the restored states of not-yet-shown tabs are the
  same objects every time).

Equality cannot tell ``1`` from ``1.0`` or ``True`` inside a value mutated in place; the model never does that
and view states are built anew or left alone, so the text stays exact in practice (the unit tests compare it
with ``dehydrate`` + ``json.dumps`` over generated workspaces).

The output is exactly the text ``RestoreStore`` wrote before (same keys, order and separators), so the envelope
and its schema are unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from apm.errors import ApmError
from apm.model import Session, Tab, Workspace
from apm.snapshot import json_copy, tab_record

_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False, check_circular=False).encode


class SnapshotWriter:
    """Builds the snapshot's ``data`` text, reusing the text of what did not change since the previous call."""

    def __init__(self) -> None:
        self._tabs: dict[str, tuple] = {}
        self._sessions: dict[str, tuple] = {}
        self._views: dict[str, tuple] = {}

    def body(self, workspace: Workspace, view_state: Mapping[str, Any] | None = None,
             extras: Mapping[str, Any] | None = None) -> tuple[str, tuple[str, ...]]:
        """The ``data`` text of ``workspace`` with ``view_state`` (tab id -> JSON object) and ``extras`` (session
        id -> JSON object), and the notes on entries left out because they are not JSON objects.

        Entries for tabs / sessions that do not exist are left out silently, as ``RestoreStore.save`` does.
        """
        skipped: list[str] = []  # view states first, then extras (as RestoreStore.save lists them)
        skipped_extras: list[str] = []
        tabs_cache, sessions_cache = self._tabs, self._sessions
        new_tabs: dict[str, tuple] = {}
        new_sessions: dict[str, tuple] = {}
        extras = extras or {}
        parts = []
        all_tabs = workspace.tabs
        for session_id, session in workspace.sessions.items():
            head = _session_head(workspace, session, sessions_cache.get(session_id))
            new_sessions[session_id] = head
            texts = []
            for tab_id in session.tab_ids:
                entry = _tab_entry(all_tabs[tab_id], tabs_cache.get(tab_id))
                new_tabs[tab_id] = entry
                texts.append(entry[-1])
            text = head[-1] + ',"tabs":[' + ",".join(texts) + "]"
            if session_id in extras:
                value = extras[session_id]
                try:
                    if not isinstance(value, Mapping):
                        raise TypeError
                    text += ',"extras":' + _encode(json_copy(value))
                except (ApmError, TypeError, ValueError):
                    skipped_extras.append(
                        f"The extras of session {session_id!r} is not a JSON object and was not saved.")
            parts.append(text + "}")
        self._tabs, self._sessions = new_tabs, new_sessions
        views_cache = self._views
        new_views: dict[str, tuple] = {}
        view_parts = []
        for tab_id, value in (view_state or {}).items():
            if tab_id not in all_tabs:
                continue
            entry = views_cache.get(tab_id)
            if entry is None or entry[0] is not value or entry[1] != value:
                try:
                    if not isinstance(value, Mapping):
                        raise TypeError
                    copy = json_copy(value)
                    entry = (value, copy, _encode(tab_id) + ":" + _encode(copy))
                except (ApmError, TypeError, ValueError):
                    skipped.append(f"The view state of tab {tab_id!r} is not a JSON object and was not saved.")
                    continue
            new_views[tab_id] = entry
            view_parts.append(entry[2])
        self._views = new_views
        text = ('{"focused_session_id":' + _encode(workspace.focused_session_id) + ',"sessions":[' + ",".join(parts)
                + '],"view_state":{' + ",".join(view_parts) + "}}")
        return text, (*skipped, *skipped_extras)

    def clear(self) -> None:
        """Forget every cached piece (the next call serialises everything)."""
        self._tabs, self._sessions, self._views = {}, {}, {}


def _tab_entry(tab: Tab, entry: tuple | None) -> tuple:
    if (entry is not None and entry[0] is tab and entry[1] == tab.title and entry[2] is tab.can_close
            and entry[3] is tab.is_anchor and entry[4] == tab.template_name and entry[5] is tab.page_type
            and entry[6] is tab.params and entry[7] == tab.params
            and entry[8] is tab.app_context and entry[9] == tab.app_context):
        return entry
    params, app_context = json_copy(tab.params), json_copy(tab.app_context)
    text = _encode(tab_record(tab, params, app_context))
    return (tab, tab.title, tab.can_close, tab.is_anchor, tab.template_name, tab.page_type,
            tab.params, params, tab.app_context, app_context, text)


def _session_head(workspace: Workspace, session: Session, entry: tuple | None) -> tuple:
    explicit = workspace.title_is_explicit(session.session_id)
    if (entry is not None and entry[0] is session and entry[1] == session.title and entry[2] is explicit
            and entry[3] is session.can_close and entry[4] is session.notification
            and entry[5] == session.focused_tab_id and entry[6] == session.template_name
            and entry[7] is session.context and entry[8] == session.context):
        return entry
    context = json_copy(session.context)
    text = _encode({
        "session_id": session.session_id,
        "template_name": session.template_name,
        "title": session.title,
        "title_explicit": explicit,
        "can_close": session.can_close,
        "notification": session.notification,
        "context": context,
        "focused_tab_id": session.focused_tab_id,
    })[:-1]  # open: the tabs (and extras) follow
    return (session, session.title, explicit, session.can_close, session.notification, session.focused_tab_id,
            session.template_name, session.context, context, text)
