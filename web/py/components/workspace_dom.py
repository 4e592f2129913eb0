"""The first render of a whole workspace (a restored 10 x 10 one) in ONE call into JavaScript.

Built element by element from Python, each session item, tab button and panel costs a few dozen Python -> JS
crossings (``createElement``, ``setAttribute``, text nodes): about 70 ms for 10 sessions x 10 tabs in Pyodide, before
the first paint. Here Python describes the sessions and tabs as plain data and ``caseworkWorkspace.buildAll``
(web/js/workspace_dom.js, the one place this markup is written; ``WorkspaceView`` adds single sessions and tabs with
the same file's ``sessionElements`` / ``tabElements``) builds them into document fragments and hands back the
elements the view keeps. Text enters only as ``textContent`` or attribute values, never as HTML.
"""

from __future__ import annotations

import json
from typing import Any

import js

from apm.model import Workspace
from casework.session_labels import session_label


def _spec(workspace: Workspace) -> str:
    sessions = []
    for session_id in workspace.session_ids:
        session = workspace.session(session_id)
        tabs = []
        for tab_id in session.tab_ids:
            tab = workspace.tab(tab_id)
            tabs.append((tab_id, tab.title, bool(tab.can_close and not tab.is_anchor)))
        label = session_label(session.title, session.template_name or "", session.context, session.is_default)
        sessions.append((session_id, session.title, session.is_default, bool(session.notification),
                         bool(session.can_close), tabs, label.subtitle, label.hover, label.kind))
    return json.dumps(sessions, ensure_ascii=False, separators=(",", ":"))


def build_workspace_dom(workspace: Workspace, session_list: Any, strip_host: Any, panel_host: Any) -> tuple[
        dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Append every session item, tab strip, tab item and (empty) tab panel of ``workspace`` in one JS call.

    Returns:
        ``(session_items, strips, tab_items, panels)``: the elements by session / tab id, as
        ``WorkspaceView`` keeps them.
    """
    built = js.caseworkWorkspace.buildAll(_spec(workspace), session_list, strip_host, panel_host)
    session_items, strips, tab_items, panels = (list(part) for part in built)
    session_ids = workspace.session_ids
    tab_ids = [tab_id for session_id in session_ids for tab_id in workspace.session(session_id).tab_ids]
    return (dict(zip(session_ids, session_items, strict=True)), dict(zip(session_ids, strips, strict=True)),
            dict(zip(tab_ids, tab_items, strict=True)), dict(zip(tab_ids, panels, strict=True)))
