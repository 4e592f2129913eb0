"""The body of a tab panel until the workspace issue gives each page type its real page.

Shows what the tab is (title, template, page type), its parameters and, on a session's anchor, the session
context: enough for agents and page scripts to see what the Apm API opened. Text only, through text nodes.
"""

from __future__ import annotations

import json
from typing import Any

from apm.model import Workspace
from browser.dom import h


def _definition_list(values: dict) -> Any:
    rows = []
    for key, value in values.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        rows.append(h("div", {"class": "kv"}, h("dt", None, key), h("dd", None, shown)))
    return h("dl", {"class": "kv-list"}, rows) if rows else h("p", {"class": "muted"}, "None")


class TabPanelRenderer:
    """Renders tab bodies and counts refreshes (``tab.refreshed`` renders the body again)."""

    def __init__(self) -> None:
        self.loads: dict[str, int] = {}

    def render(self, workspace: Workspace, tab_id: str, panel: Any, refreshed: bool = False) -> None:
        """Fill ``panel`` for ``tab_id`` from the model (``refreshed``: the agent or a script asked to reload it)."""
        tab = workspace.tab(tab_id)
        session = workspace.session(tab.session_id)
        self.loads[tab_id] = self.loads.get(tab_id, 0) + 1 if refreshed else 1
        loads = self.loads[tab_id]
        parts = [
            h("header", {"class": "panel-header"},
              h("h2", {"class": "panel-title"}, tab.title),
              h("p", {"class": "panel-meta"},
                f"{tab.page_type.value} · {tab.template_name}" + (" · anchor tab" if tab.is_anchor else ""))),
            h("h3", {"class": "panel-section"}, "Parameters"),
            _definition_list(dict(tab.params)),
        ]
        if tab.is_anchor and not session.is_default:
            parts += [h("h3", {"class": "panel-section"}, "Session context"), _definition_list(dict(session.context))]
        parts.append(h("p", {"class": "panel-loaded muted", "data-loads": str(loads)},
                       "Loaded once" if loads == 1 else f"Refreshed ({loads - 1}×)"))
        panel.appendChild(h("div", {"class": "panel-body"}, parts))
