"""The "Python console" tab: a REPL in the page's own interpreter, so it drives the live workspace.

Tab template ``casework_console`` (page type ``custom``, ``name="casework_console"``); the site map lists it and
``Ctrl+Shift+P`` opens it (or focuses the open one) for agents with a role in :data:`SCRIPT_ROLES`. The names
pre-imported are given by the composition root (``app.boot``): ``apm`` (the page API as module functions),
``client`` (the records client), ``handle`` (``app.handle``), ``services`` and ``workspace``.

Keys in the input: Enter runs a complete input (``casework.console.is_complete``) or opens a new line (indented
after a ``:``); Shift+Enter always adds a line; Ctrl+Enter always runs; Up/Down on the first/last line walk the
history (kept per user in localStorage, restored after a reload); Tab completes the name before the cursor
(several candidates are listed; at the start of a line it indents; with nothing to complete it moves focus as
usual); Escape hides the candidates. Everything shown is text (``textContent``), tracebacks included.

The logic is in ``casework.console`` (tested under CPython); this module is the DOM around it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import js

from apm.navigation import NavSource, NavTarget
from browser import keyboard
from browser.dom import h, on
from browser.storage import LocalStorageConnector
from casework.console import (
    SNIPPETS_SETTING,
    History,
    Interpreter,
    Result,
    SnippetError,
    common_prefix,
    history_key,
    is_complete,
    parse_snippets,
    validate_snippet,
    word_before,
)
from casework.records import RecordError
from components.pages import Page, Services, is_page_type

TEMPLATE = "casework_console"
TITLE = "Python console"
SCRIPT_ROLES = frozenset({"admin", "supervisor"})
INDENT = "    "

#: Set by :func:`install`: what every console's namespace starts with (``apm``, ``client``, ``handle`` ...).
_names: dict[str, Any] = {}
#: Run once in every console's namespace before the first input (``patch_all`` of pyodide-http).
_prepare: list[Callable[[dict], Any]] = []


def may_script(services: Services) -> bool:
    """Whether the signed-in agent may open the console (a role in :data:`SCRIPT_ROLES`)."""
    return bool(set(services.agent.roles) & SCRIPT_ROLES)


def target() -> NavTarget:
    return NavTarget(TEMPLATE, {}, TITLE)


def open_console(services: Services) -> None:
    """Focus the open console tab, or open one in the focused session."""
    workspace = services.workspace
    for session_id in workspace.session_ids:
        for tab_id in workspace.session(session_id).tab_ids:
            tab = workspace.tab(tab_id)
            if tab.page_type.value == "custom" and tab.params.get("name") == TEMPLATE:
                workspace.focus_session(session_id)
                workspace.focus_tab(tab_id)
                _focus_input(tab_id)
                return
    opened = services.open(target(), NavSource.SITEMAP_PAGE)
    if opened is not None:
        _focus_input(opened[1])


def _focus_input(tab_id: str) -> None:
    element = js.document.getElementById(f"console-input-{tab_id}")
    if element is not None:
        element.focus()


def install(services: Services, names: dict[str, Any], register: Callable[..., None]) -> None:
    """Register the page (``register``: ``PageHost.register``) and, for agents who may script, Ctrl+Shift+P."""
    _names.clear()
    _names.update(names)
    register(is_page_type("custom", name=TEMPLATE), ConsolePage)
    if may_script(services):
        keyboard.register_action("open_console", lambda: open_console(services))


def prepare(step: Callable[[dict], Any]) -> None:
    """Add a step run in each console's namespace before its first input."""
    _prepare.append(step)


class ConsolePage(Page):
    """One REPL (see the module docstring)."""

    def mount(self, panel: Any) -> None:
        self.panel = panel
        agent = self.services.agent
        self.allowed = may_script(self.services)
        if not self.allowed:
            panel.appendChild(h("div", {"class": "console-page"},
                                h("h2", {"class": "panel-title"}, TITLE),
                                h("p", {"role": "status"},
                                  "The Python console is for supervisors and administrators.")))
            return
        self.store: Any = None
        self.key = history_key(str(js.window.location.origin), agent.user_id or agent.username)
        try:
            self.store = LocalStorageConnector()
            self.history = History.from_json(self.store.fetch(self.key))
        except Exception:  # storage blocked: history lasts as long as the page
            self.history = History()
        self.interpreter = Interpreter(dict(_names))
        self.prepared = False
        self.running = False
        input_id = f"console-input-{self.tab_id}"
        self.output = h("div", {"class": "console-output", "role": "log", "aria-label": "Console output",
                                "tabindex": "0", "id": f"console-output-{self.tab_id}"})
        self.candidates = h("div", {"class": "console-candidates", "role": "status", "aria-live": "polite",
                                    "hidden": True})
        self.input = h("textarea", {"id": input_id, "class": "console-input", "rows": "3", "spellcheck": "false",
                                    "autocapitalize": "off", "autocomplete": "off",
                                    "aria-describedby": f"console-help-{self.tab_id}"})
        self.run_button = h("button", {"type": "submit", "class": "button-primary"}, "Run")
        form = h("form", {"class": "console-form"},
                 h("label", {"for": input_id, "class": "console-prompt"}, "Python input"),
                 self.input, self.run_button)
        on(form, "submit", self._on_submit)
        on(self.input, "keydown", self._on_key)
        self.toolbar = self._snippet_bar()
        panel.appendChild(h(
            "div", {"class": "console-page"},
            h("div", {"class": "panel-header"},
              h("h2", {"class": "panel-title"}, TITLE),
              h("p", {"class": "console-help", "id": f"console-help-{self.tab_id}"},
                "Enter runs, Shift+Enter adds a line, Up/Down recall, Tab completes. "
                "Pre-imported: " + ", ".join(sorted(_names)) + ".")),
            self.toolbar, self.output, self.candidates, form))
        self._write("console-note", "Python in this page: top-level await works; print() and values show here.")

    # -- snippets: named inputs saved on the server (the user setting ``consoleSnippets``) and run again
    def _snippet_bar(self) -> Any:
        self.snippet_name = h("input", {"type": "text", "class": "console-snippet-name", "maxlength": "64",
                                        "aria-label": "Snippet name", "placeholder": "Snippet name"})
        save = h("button", {"type": "button", "class": "button-secondary"}, "Save input as snippet")
        self.snippet_list = h("select", {"class": "console-snippets", "aria-label": "Saved snippets"})
        run = h("button", {"type": "button", "class": "button-secondary"}, "Run snippet")
        delete = h("button", {"type": "button", "class": "button-secondary"}, "Delete snippet")
        on(save, "click", lambda _e: self.spawn(self.save_snippet(str(self.snippet_name.value),
                                                                  str(self.input.value))))
        on(run, "click", lambda _e: self.spawn(self.run_snippet(str(self.snippet_list.value))))
        on(delete, "click", lambda _e: self.spawn(self.delete_snippet(str(self.snippet_list.value))))
        self._fill_snippets()
        return h("div", {"class": "console-toolbar", "role": "group", "aria-label": "Snippets"},
                 self.snippet_name, save, self.snippet_list, run, delete)

    def snippets(self) -> dict[str, str]:
        settings = self.services.settings
        return parse_snippets(settings.get(SNIPPETS_SETTING) if settings is not None else None)

    def _fill_snippets(self) -> None:
        self.snippet_list.replaceChildren()
        names = sorted(self.snippets())
        if not names:
            self.snippet_list.appendChild(h("option", {"value": ""}, "No saved snippets"))
        for name in names:
            self.snippet_list.appendChild(h("option", {"value": name}, name))

    async def save_snippet(self, name: str, source: str) -> None:
        """Save ``source`` (the input, else the last one run) as ``name`` on the server."""
        saved = self.snippets()
        if not source.strip() and self.history.entries:
            source = self.history.entries[-1]
        try:
            name, source = validate_snippet(name, source, saved)
            await self._store_snippets({**saved, name: source})
        except (SnippetError, RecordError) as error:
            self._write("console-error", f"Snippet not saved: {getattr(error, 'message', None) or error}")
            return
        self.snippet_name.value = ""
        self._fill_snippets()
        self.snippet_list.value = name
        self._write("console-note", f"Saved snippet {name!r}.")

    async def run_snippet(self, name: str) -> Result | None:
        source = self.snippets().get(name)
        if source is None:
            return None
        return await self.submit(source)

    async def delete_snippet(self, name: str) -> None:
        saved = self.snippets()
        if name not in saved:
            return
        del saved[name]
        try:
            await self._store_snippets(saved)
        except RecordError as error:
            self._write("console-error", f"Snippet not deleted: {error.message or error}")
            return
        self._fill_snippets()
        self._write("console-note", f"Deleted snippet {name!r}.")

    async def _store_snippets(self, snippets: dict[str, str]) -> None:
        settings = self.services.settings
        if settings is None:
            raise SnippetError("settings are not loaded yet")
        await settings.set(SNIPPETS_SETTING, snippets)

    # -- running
    def _on_submit(self, event: Any) -> None:
        event.preventDefault()
        self.spawn(self.submit(str(self.input.value)))

    async def submit(self, source: str) -> Result | None:
        """Run ``source`` as typed (echoed with prompts), show what it gave and remember it."""
        if self.running or not self.allowed:
            return None
        self.running = True
        self.input.readOnly = True
        self._hide_candidates()
        try:
            self._echo(source)
            self.history.add(source)
            self._save_history()
            self.input.value = ""
            if not self.prepared:
                self.prepared = True
                if _prepare:
                    self.output.appendChild(h("p", {"class": "console-loading"},
                                              "Loading micropip, requests and pyodide-http (once)…"))
                for step in _prepare:
                    try:
                        outcome = step(self.interpreter.namespace)
                        if hasattr(outcome, "__await__"):
                            await outcome
                    except Exception as error:  # shown, the console still works
                        self._write("console-error", f"console setup: {type(error).__name__}: {error}")
            result = await self.interpreter.run(source)
            if result.output:
                self._write("console-out", result.output.rstrip("\n"))
            if result.value is not None:
                self._write("console-value", result.value)
            if result.error:
                self._write("console-error", result.error.rstrip("\n"))
            return result
        finally:
            self.running = False
            self.input.readOnly = False
            self.input.focus()

    def _echo(self, source: str) -> None:
        lines = source.rstrip("\n").split("\n") or [""]
        self._write("console-in", "\n".join(("... " if n else ">>> ") + line for n, line in enumerate(lines)))

    def _write(self, kind: str, text: str) -> None:
        self.output.appendChild(h("pre", {"class": f"console-entry {kind}"}, text))
        self.output.scrollTop = self.output.scrollHeight

    def _save_history(self) -> None:
        if self.store is None:
            return
        try:
            self.store.save(self.key, self.history.to_json())
        except Exception:  # full or blocked: the history stays in memory
            pass

    # -- keys
    def _on_key(self, event: Any) -> None:
        key = event.key
        value = str(self.input.value)
        start, end = int(self.input.selectionStart), int(self.input.selectionEnd)
        if key == "Enter" and not event.shiftKey and not event.altKey:
            event.preventDefault()
            if event.ctrlKey or event.metaKey or (end == len(value) and is_complete(value)):
                self.spawn(self.submit(value))
            else:
                self._insert_newline(value, start, end)
        elif key == "Enter" and event.shiftKey:
            event.preventDefault()
            self._insert_newline(value, start, end)
        elif key == "ArrowUp" and "\n" not in value[:start] and start == end:
            entry = self.history.previous(value)
            if entry is not None:
                event.preventDefault()
                self._set_input(entry, at_end=False)
        elif key == "ArrowDown" and "\n" not in value[end:] and start == end:
            entry = self.history.next()
            if entry is not None:
                event.preventDefault()
                self._set_input(entry, at_end=True)
        elif key == "Tab" and not event.shiftKey and not event.ctrlKey and not event.altKey:
            self._on_tab(event, value, start, end)
        elif key == "Escape":
            if not self.candidates.hidden:
                event.preventDefault()
                event.stopPropagation()
            self._hide_candidates()

    def _insert_newline(self, value: str, start: int, end: int) -> None:
        line = value[:start].rsplit("\n", 1)[-1]
        indent = line[: len(line) - len(line.lstrip(" "))]
        if line.rstrip().endswith(":"):
            indent += INDENT
        self.input.setRangeText("\n" + indent, start, end, "end")

    def _on_tab(self, event: Any, value: str, start: int, end: int) -> None:
        before = value[:start]
        word = word_before(before)
        if not word:
            line = before.rsplit("\n", 1)[-1]
            if value and not line.strip():
                event.preventDefault()
                self.input.setRangeText(INDENT, start, end, "end")
            return  # nothing to complete: Tab moves focus as usual
        event.preventDefault()
        found = self.interpreter.complete(before)
        if not found:
            self._show_candidates([], word)
            return
        insert = found[0] if len(found) == 1 else common_prefix(found)
        if len(insert) > len(word):
            self.input.setRangeText(insert, start - len(word), end, "end")
        if len(found) > 1:
            self._show_candidates(found, word)
        else:
            self._hide_candidates()

    def _show_candidates(self, found: list[str], word: str) -> None:
        """List several candidates (or say there are none) as text under the output."""
        if found:
            self.candidates.textContent = "  ".join(found[:60]) + ("  …" if len(found) > 60 else "")
        else:
            self.candidates.textContent = f"No completions for {word}" if word else ""
        self.candidates.hidden = not (found or word)

    def _hide_candidates(self) -> None:
        self.candidates.hidden = True
        self.candidates.textContent = ""

    def _set_input(self, text: str, at_end: bool) -> None:
        self.input.value = text
        position = len(text) if at_end else len(text.split("\n", 1)[0])
        self.input.setSelectionRange(position, position)
