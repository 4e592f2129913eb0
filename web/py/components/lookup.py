"""Lookup fields: pick a related record (a case's customer, an activity's regarding record) by typing its name.

The ARIA combobox pattern: an ``<input role="combobox">`` owns a ``role="listbox"`` popup; arrows move the active
option (``aria-activedescendant``), Enter picks it, Escape closes the list (and, with the list closed, puts the
shown name back). Typing searches as you type (debounced): customers through ``/api/search`` (ranked, prefix
match over accounts and contacts), other targets with ``$filter=startswith(<name field>, ...)``. The field shows
names, never ids; a clear button empties it and an "Open" link opens the chosen record in a new tab of the focused
session (``NavSource.FORM_LOOKUP``).

Values are the typed lookups of ``casework.forms``: ``{"id", "type", "name"}`` or ``None``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from apm.navigation import NavSource
from browser.dom import build, clear, h, on, scroll_into_view
from casework.entities import BY_SET, ENTITIES, FormField, entity
from casework.records import RecordError, odata_literal
from casework.search import parse_hit

DEBOUNCE_S = 0.15
MAX_OPTIONS = 8
_NAMES: dict[tuple[str, str], str] = {}  # (logical, id) -> display name, shared by every lookup of the page
_counter = 0


def remember_name(logical: str | None, record_id: str | None, name: str | None) -> None:
    """Cache a record's display name (a search result, a created record) so lookups show it without a request."""
    if logical and record_id and name:
        _NAMES[(logical, record_id)] = name


def known_name(logical: str | None, record_id: str | None) -> str | None:
    return _NAMES.get((logical or "", record_id or ""))


async def resolve_name(services: Any, logical: str | None, record_id: str) -> str | None:
    """The display name of a record (cached; one GET otherwise; ``None`` when it cannot be read)."""
    if not logical or logical not in ENTITIES:
        return None
    cached = known_name(logical, record_id)
    if cached:
        return cached
    meta = entity(logical)
    try:
        record = await services.client.get(meta.entity_set, record_id)
    except RecordError:
        return None
    name = meta.title_of(record)
    remember_name(logical, record_id, name)
    return name


async def search_targets(services: Any, f: FormField, text: str) -> list[dict]:
    """Records of ``f``'s targets whose name starts with (or, for customers, ranks for) ``text``:
    ``[{"id", "type", "name"}]``."""
    text = text.strip()
    logicals = [BY_SET[s].logical for s in f.target if s in BY_SET]
    if set(logicals) <= {"account", "contact", "incident"} and text:
        hits = [hit for hit in map(parse_hit, await services.client.search(text, logicals, top=MAX_OPTIONS)) if hit]
        found = [{"id": hit.id, "type": hit.entity, "name": hit.title, "facts": hit.facts,
                  "snippet": "" if hit.snippet_is_title else hit.snippet_text}
                 for hit in hits]
    else:
        found = []
        for logical in logicals:
            meta = entity(logical)
            page = await services.client.list(
                meta.entity_set, filter=f"startswith({meta.primary},{odata_literal(text)})" if text else None,
                select=[meta.key, meta.primary], orderby=f"{meta.primary} asc", top=MAX_OPTIONS)
            found += [{"id": record[meta.key], "type": logical, "name": meta.title_of(record)}
                      for record in page.records]
    for option in found:
        remember_name(option["type"], option["id"], option["name"])
    return found[:MAX_OPTIONS]


class Lookup:
    """One lookup control.

    Args:
        services: The page's services (client for searching, ``open_record`` for the link).
        field: The form field (its ``target`` entity sets, ``type_field``).
        input_id: The input's id (the form's ``<label for>`` points at it).
        on_change: Called with the new typed value when the agent picks or clears.
        readonly: Show the name and the link only.
        deferred: Do not build: the caller builds ``spec`` (with others, in one ``browser.dom.build``), then ``bind``.
        required: Mark the input ``aria-required``.
        label: The input's ``aria-label`` (when no ``<label>`` points at it).
    """

    def __init__(self, services: Any, field: FormField, input_id: str,
                 on_change: Callable[[dict | None], None], *, readonly: bool = False, deferred: bool = False,
                 required: bool = False, label: str | None = None) -> None:
        global _counter
        _counter += 1
        self.services = services
        self.field = field
        self.on_change = on_change
        self.value: dict | None = None
        self.options: list[dict] = []
        self.active = -1
        self._generation = 0
        self._typing_wired = False
        self.readonly = readonly
        self.listbox_id = key = f"lookup-list-{_counter}"
        #: The control as a ``browser.dom.build`` node (``deferred``: the caller builds it, then calls ``bind``).
        self.spec = [
            "div", {"class": "lookup" + (" is-readonly" if readonly else ""), "$ref": key + ":root"},
            ["div", {"class": "lookup-control"},
             ["input", {"id": input_id, "type": "text", "class": "lookup-input", "role": "combobox",
                        "autocomplete": "off", "aria-autocomplete": "list", "aria-expanded": "false",
                        "aria-controls": key, "placeholder": "Search" if not readonly else None,
                        "readonly": readonly, "spellcheck": "false", "aria-required": "true" if required else None,
                        "aria-label": label, "$ref": key + ":input"}],
             ["button", {"type": "button", "class": "lookup-clear", "aria-label": f"Clear {field.label}",
                         "title": "Clear", "hidden": True, "$ref": key + ":clear"}, "×"]],
            ["a", {"class": "lookup-open", "href": "#", "hidden": True, "$ref": key + ":link"}, "Open"],
            ["ul", {"id": key, "class": "lookup-list", "role": "listbox", "aria-label": f"{field.label} results",
                    "hidden": True, "$ref": key + ":list"}],
            ["span", {"class": "lookup-status", "role": "status", "aria-live": "polite", "$ref": key + ":status"}]]
        if not deferred:
            _root, refs = build(self.spec)
            self.bind(refs)

    def bind(self, refs: dict[str, Any]) -> None:
        """Take the elements from a built tree and listen: clicks (the link, the clear button) on the control; the
        typing keys from its first focus on (a form opens with several lookups, most of them never typed in)."""
        key = self.listbox_id
        self.element, self.input, self.clear_button = refs[key + ":root"], refs[key + ":input"], refs[key + ":clear"]
        self.link, self.listbox, self.status = refs[key + ":link"], refs[key + ":list"], refs[key + ":status"]
        on(self.element, "click", self._clicked)
        if not self.readonly:
            on(self.element, "focusin", self._focused)

    def _clicked(self, event: Any) -> None:
        target = event.target
        if self.link.contains(target):
            self._open_linked(event)
        elif self.clear_button.contains(target) and not self.readonly:
            self._clear()

    def _focused(self, event: Any) -> None:
        if event.target != self.input or self.readonly:
            return
        if not self._typing_wired:
            self._typing_wired = True
            on(self.input, "input", lambda _event: self._search_soon())
            on(self.input, "keydown", self._keydown)
            on(self.input, "blur", lambda _event: self._blurred())
        self.input.select()

    # -- value
    def set_value(self, value: dict | None) -> None:
        """Show ``value`` (its name; looked up when unknown)."""
        self.value = dict(value) if value else None
        if self.value and not self.value.get("name"):
            self.value["name"] = known_name(self.value.get("type"), self.value["id"])
            if not self.value["name"]:
                self._resolve(self.value)
        self._show_value()

    def _resolve(self, value: dict) -> None:
        from components.pages import spawn

        async def run() -> None:
            name = await resolve_name(self.services, value.get("type"), value["id"])
            if self.value is not None and self.value["id"] == value["id"]:
                self.value["name"] = name or "(unavailable)"
                if self.input.ownerDocument.activeElement != self.input:
                    self._show_value()
                else:  # keep what the agent is typing
                    self._show_link()

        spawn(run(), self.services.report)

    def _show_value(self) -> None:
        self.input.value = (self.value or {}).get("name") or ""
        self._show_link()

    def _show_link(self) -> None:
        has = self.value is not None
        self.clear_button.hidden = not has or self.readonly
        self.link.hidden = not has
        if has:
            name = self.value.get("name") or self.field.label
            self.link.setAttribute("aria-label", f"Open {name}")
            self.link.setAttribute("title", f"Open {name} in a new tab")

    def set_locked(self, locked: bool) -> None:
        """Read-only now (a closed or not-mine record): the name and its link stay, searching and clearing go."""
        self.readonly = locked
        self.input.readOnly = locked
        self.element.classList.toggle("is-readonly", locked)
        if locked:
            self.input.removeAttribute("placeholder")
        else:
            self.input.setAttribute("placeholder", "Search")
        self._show_link()

    def set_invalid(self, error_id: str | None) -> None:
        if error_id:
            self.input.setAttribute("aria-invalid", "true")
            self.input.setAttribute("aria-describedby", error_id)
        else:
            self.input.removeAttribute("aria-invalid")
            self.input.removeAttribute("aria-describedby")

    # -- searching
    def _search_soon(self) -> None:
        from components.pages import spawn

        self._generation += 1
        generation = self._generation
        spawn(self._search(generation), self.services.report)

    async def _search(self, generation: int) -> None:
        await asyncio.sleep(DEBOUNCE_S)
        if generation != self._generation:
            return  # the agent typed on: only the last text is searched
        text = str(self.input.value)
        self.status.textContent = "Searching…"
        try:
            options = await search_targets(self.services, self.field, text)
        finally:
            if generation == self._generation:
                self.status.textContent = ""
        if generation != self._generation or self.input.ownerDocument.activeElement != self.input:
            return
        self._show_options(options)

    def _show_options(self, options: list[dict]) -> None:
        self.options = options
        self.active = 0 if options else -1
        clear(self.listbox)
        if not options:
            self.listbox.appendChild(h("li", {"class": "lookup-empty", "role": "option", "aria-disabled": "true",
                                              "id": f"{self.listbox_id}-none"}, "No matches"))
        several_types = len({o["type"] for o in options}) > 1 or len(self.field.target) > 1
        for index, option in enumerate(options):
            item = h("li", {"class": "lookup-option", "role": "option", "id": f"{self.listbox_id}-{index}",
                            "aria-selected": "false", "data-id": option["id"]},
                     h("span", {"class": "lookup-option-name"}, option["name"]),
                     h("span", {"class": "lookup-option-type"}, entity(option["type"]).singular)
                     if several_types else None,
                     h("span", {"class": "lookup-option-facts"}, " · ".join(option["facts"]))
                     if option.get("facts") else None,
                     h("span", {"class": "lookup-option-snippet"}, option["snippet"])
                     if option.get("snippet") else None)
            # mousedown, not click: the input keeps focus, so blur does not close the list first
            on(item, "mousedown", lambda event, i=index: (event.preventDefault(), self._pick(i)))
            self.listbox.appendChild(item)
        self._open(True)
        self._mark_active()

    def _open(self, opened: bool) -> None:
        self.listbox.hidden = not opened
        self.input.setAttribute("aria-expanded", "true" if opened else "false")
        if not opened:
            self.input.removeAttribute("aria-activedescendant")
            self.active = -1

    def _mark_active(self) -> None:
        for index, item in enumerate(self.listbox.querySelectorAll(".lookup-option")):
            selected = index == self.active
            item.setAttribute("aria-selected", "true" if selected else "false")
            item.classList.toggle("is-active", selected)
            if selected:
                self.input.setAttribute("aria-activedescendant", item.id)
                scroll_into_view(item)
        if self.active < 0:
            self.input.removeAttribute("aria-activedescendant")

    def _keydown(self, event: Any) -> None:
        if self.readonly:
            return
        if event.altKey or event.ctrlKey or event.metaKey:
            return  # a chord (Alt+Shift+ArrowDown switches sessions): the workspace's, not the list's
        key = event.key
        opened = not self.listbox.hidden
        if key in ("ArrowDown", "ArrowUp"):
            event.preventDefault()
            if not opened:
                self._search_soon()
                return
            if self.options:
                step = 1 if key == "ArrowDown" else -1
                self.active = (self.active + step) % len(self.options)
                self._mark_active()
        elif key == "Enter":
            if opened:
                event.preventDefault()
                event.stopPropagation()
                if 0 <= self.active < len(self.options):
                    self._pick(self.active)
        elif key == "Escape":
            if opened:
                event.preventDefault()
                event.stopPropagation()  # only the list closes (not a dialog around it)
                self._generation += 1
                self._open(False)
            elif str(self.input.value) != ((self.value or {}).get("name") or ""):
                event.stopPropagation()
                self._show_value()
        elif key == "Tab" and opened:
            self._open(False)

    def _pick(self, index: int) -> None:
        option = self.options[index]
        self._generation += 1
        self._open(False)
        value = {key: option[key] for key in ("id", "type", "name")}  # the facts were for telling options apart
        self.value = dict(value)
        self._show_value()
        self.on_change(dict(value))

    def _clear(self) -> None:
        self._generation += 1
        self._open(False)
        self.value = None
        self._show_value()
        self.on_change(None)
        self.input.focus()

    def _blurred(self) -> None:
        self._generation += 1
        self._open(False)
        if not str(self.input.value).strip() and self.value is not None:
            self._clear_quietly()
        else:
            self._show_value()  # text typed but nothing picked: the chosen record stays

    def _clear_quietly(self) -> None:
        self.value = None
        self._show_value()
        self.on_change(None)

    def _open_linked(self, event: Any) -> None:
        event.preventDefault()
        value = self.value
        if not value or not value.get("type"):
            return
        self.services.open_record(value["type"], value["id"], NavSource.FORM_LOOKUP, title=value.get("name"))


