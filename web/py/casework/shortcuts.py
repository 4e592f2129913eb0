"""Workspace keyboard shortcuts: which keys do what, and doing it on the session engine.

Pure: the browser layer passes the key event's fields and shows any :class:`~apm.errors.ApmError` as a notice.
Alt+Shift chords are used because the plain Alt+Arrow chords belong to the browser (back/forward).
"""

from __future__ import annotations

from dataclasses import dataclass

from apm.model import Workspace


@dataclass(frozen=True)
class Shortcut:
    """One chord: ``keys`` as shown to people, ``action`` as run by :func:`run`."""

    keys: str
    action: str
    description: str
    while_typing: bool = True  # False: only when focus is not in a text field (plain keys such as ``/``, ``?``)


SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("Alt+Shift+ArrowDown", "next_session", "Next session"),
    Shortcut("Alt+Shift+ArrowUp", "previous_session", "Previous session"),
    Shortcut("Alt+Shift+ArrowRight", "next_tab", "Next tab in this session"),
    Shortcut("Alt+Shift+ArrowLeft", "previous_tab", "Previous tab in this session"),
    Shortcut("Alt+Shift+W", "close_tab", "Close the current tab"),
    Shortcut("Alt+Shift+X", "close_session", "Close the current session"),
    Shortcut("Alt+Shift+H", "home", "Go to Home"),
    Shortcut("Ctrl+K", "focus_search", "Search records (global search)"),
    Shortcut("/", "focus_search", "Search records (global search)", while_typing=False),
    Shortcut("Alt+M", "open_sitemap", "Open the site map"),
    Shortcut("?", "show_shortcuts", "Show keyboard shortcuts", while_typing=False),
    Shortcut("Ctrl+Shift+P", "open_console", "Open the Python console (supervisors and administrators)"),
    Shortcut("Ctrl+S", "save_record", "Save the record of the current tab (from anywhere in the session)"),
)

# Keys that the focused widget handles (not global chords), listed in the help after :data:`SHORTCUTS`.
WIDGET_KEYS: tuple[tuple[str, str], ...] = (
    ("Ctrl+Enter", "In a timeline note, task or phone call: save it"),
    ("ArrowUp / ArrowDown", "Move through sessions, search suggestions and menu items"),
    ("ArrowLeft / ArrowRight", "Move through the tabs of a session"),
    ("Home / End", "First / last session, tab or menu item"),
    ("Delete", "Close the selected session or tab (in the session bar or tab strip)"),
    ("Enter", "Open the selected item; in search, all results"),
    ("Escape", "Close a menu, a suggestion list or a dialog (focus goes back to what opened it)"),
)

# After these actions keyboard focus goes to the newly focused tab (into the session), not left behind.
FOCUS_FOLLOWS = frozenset({"next_session", "previous_session", "next_tab", "previous_tab", "home", "close_tab",
                           "close_session"})

# Actions the page's UI performs (the browser layer registers them); :func:`run` performs the others.
UI_ACTIONS = frozenset({"focus_search", "open_sitemap", "show_shortcuts", "open_console", "save_record"})

_BY_CHORD = {shortcut.keys.lower(): shortcut for shortcut in SHORTCUTS}


def chord(key: str, *, alt: bool = False, shift: bool = False, ctrl: bool = False, meta: bool = False) -> str:
    """The chord name of a key event, e.g. ``"Alt+Shift+W"`` (letters upper-cased). Shift is part of a typed
    symbol (``?`` is Shift+/ on many layouts), so it is not named for single non-alphanumeric keys."""
    if len(key) == 1 and not key.isalnum():
        shift = False
    parts = [name for name, down in (("Ctrl", ctrl), ("Meta", meta), ("Alt", alt), ("Shift", shift)) if down]
    return "+".join([*parts, key.upper() if len(key) == 1 else key])


def action_for(
    key: str, *, alt: bool = False, shift: bool = False, ctrl: bool = False, meta: bool = False,
    typing: bool = False,
) -> str | None:
    """The action bound to a key event, or ``None``. ``typing``: focus is in a text field, where plain keys
    (``/``, ``?``) type themselves instead."""
    shortcut = _BY_CHORD.get(chord(key, alt=alt, shift=shift, ctrl=ctrl, meta=meta).lower())
    if shortcut is None or (typing and not shortcut.while_typing):
        return None
    return shortcut.action


def help_rows() -> list[tuple[str, str]]:
    """``(keys, description)`` for the shortcut help dialog: one row per action, its chords joined with "or",
    then the widgets' own keys."""
    rows: dict[str, tuple[list[str], str]] = {}
    for shortcut in SHORTCUTS:
        keys, _ = rows.setdefault(shortcut.action, ([], shortcut.description))
        keys.append(shortcut.keys)
    return [*((" or ".join(keys), description) for keys, description in rows.values()), *WIDGET_KEYS]


def _step(items: list[str], current: str, step: int) -> str:
    return items[(items.index(current) + step) % len(items)]


def run(workspace: Workspace, action: str) -> None:
    """Perform a shortcut action on the workspace.

    Raises:
        ApmError: the model refused it (closing Home, an anchor tab alone, ...), for the caller to show.
        KeyError: ``action`` is not one of :data:`SHORTCUTS`' actions.
    """
    session = workspace.focused_session
    if action in ("next_session", "previous_session"):
        workspace.focus_session(_step(workspace.session_ids, session.session_id, 1 if action == "next_session" else -1))
    elif action in ("next_tab", "previous_tab"):
        workspace.focus_tab(_step(list(session.tab_ids), session.focused_tab_id, 1 if action == "next_tab" else -1))
    elif action == "close_tab":
        workspace.close_tab(session.focused_tab_id)
    elif action == "close_session":
        workspace.close_session(session.session_id)
    elif action == "home":
        workspace.focus_session(workspace.session_ids[0])
    else:
        raise KeyError(action)
