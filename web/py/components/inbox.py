"""The inbox (issue 17): every case, conversation and activity assigned to the agent, worked without opening sessions.

* An **Inbox** entry above the sessions in the session bar (when the profile's ``inbox`` is on) with the unread
  total; it shows the inbox in the main area (the sessions keep their DOM; nothing in the session model changes, so
  the inbox never counts against the session limit).
* Views with counts and unread counts (``GET /api/inbox/<view>``, all six loaded once, then kept by push), filter
  All / Unread / Read and sort by date or customer, oldest or latest on top: ``casework.inbox`` rules, the same the
  server runs. Cards (customer, channel, subject or last message, time, unread count, live mark, wait time) in a
  listbox: Up/Down or j/k move, Enter opens the reading pane, ``r`` replies, ``e`` marks done, Escape returns (pane →
  list → the session), Shift+click or **Promote** opens a regular session by the navigation rules (Home's rule: a new
  session), a conversation's draft reply carried into the session's composer.
* The reading pane: a conversation's transcript with a composer (Enter sends), Accept for an offered one, End /
  Close; a case's summary with Resolve, Assign and Add note; an activity with Complete.
* Live: push events place items by ``casework.inbox.InboxState.place`` (new, assigned away, new message, closed);
  what the event cannot say (a conversation not yet known) re-reads the views concerned. A Refresh button too.
* A notification centre in the header (offers missed, messages in conversations not in view, assignments), each
  opening its item in the inbox; ``document.title`` carries the unread total.

Record text enters the page only as text nodes (``browser.dom.h``). The list renders at most :data:`WINDOW` cards
more than the selection needs, built in one DOM call per chunk; more follow on scrolling, Show more, or the
keyboard (1,000 cards cost far too much for a view switch).
"""

from __future__ import annotations

from typing import Any

import js
from pyodide.ffi import create_once_callable

from apm.navigation import NavSource
from browser.dom import build, by_id, clear, h, on, text
from browser.tasks import spawn
from casework import conversations as cv
from casework import inbox as ib
from casework.search import LatestOnly
from components.pages import Services

WINDOW = 30
TRANSCRIPT_AFTER_MS = 80
READ_AFTER_MS = 700  # a card shown this long in the reading pane counts as read (moving through does not)
RESTORE_KEY = "inbox"
CHANNEL_LABELS = {**cv.CHANNEL_NAMES, "phone": "Phone", "email": "E-mail", "web": "Web", "task": "Task",
                  "phonecall": "Phone call", "appointment": "Appointment", "voice": "Voice"}
ACTIVITY_SETS = {"task": "tasks", "email": "emails", "phonecall": "phonecalls", "appointment": "appointments"}


def _now_ms() -> float:
    return float(js.Date.now())


def time_text(iso: str | None, now_ms: float) -> str:
    """``14:05`` today, else ``Dec 1``."""
    at = cv.parse_time_ms(iso)
    if at is None:
        return ""
    when, now = js.Date.new(at), js.Date.new(now_ms)
    if when.toDateString() == now.toDateString():
        return str(when.toLocaleTimeString("en-GB", js.JSON.parse('{"hour":"2-digit","minute":"2-digit"}')))
    return str(when.toLocaleDateString("en-US", js.JSON.parse('{"month":"short","day":"numeric"}')))


class Inbox:
    """The inbox of one page (``services.inbox``); see the module docstring."""

    def __init__(self, services: Services, restored: Any = None) -> None:
        self.services = services
        saved = restored if isinstance(restored, dict) else {}
        self.state = ib.InboxState.rehydrate(saved)
        self.view_ids = ib.profile_views(services.agent.profile)  # the profile's views, in its order
        if self.state.view not in self.view_ids:
            self.state = self.state.with_view(self.view_ids[0])
        self.is_open = bool(saved.get("open"))
        self.queues: list[str] = []
        self.loaded = False
        self.drafts: dict[str, str] = {}
        self.limit = WINDOW
        self._cards: dict[str, Any] = {}
        self._marked: str | None = None  # the card drawn as selected
        self._card_ids: dict[str, str] = {}
        self._pane_key: str | None = None
        self._pane_parts: dict[str, Any] = {}
        self._transcript: cv.Transcript | None = None
        self._latest = LatestOnly()
        self._read_timer: Any = None
        self._transcript_timer: Any = None
        self._refresh_timer: Any = None
        self._stale: set[str] = set()
        self.users: list[dict] | None = None
        self.notifications: list[dict] = []
        self._build()

    # -- building ---------------------------------------------------------------------------------------------------

    def _build(self) -> None:
        self.badge = h("span", {"class": "inbox-badge", "hidden": True})
        self.badge_label = h("span", {"class": "visually-hidden", "hidden": True}, " unread")
        self.entry = h("button", {"type": "button", "class": "inbox-entry", "id": "inbox-entry",
                                  "aria-controls": "inbox", "aria-pressed": "false"},
                       h("span", {"class": "session-icon inbox-icon", "aria-hidden": "true"}),
                       h("span", {"class": "session-title"}, "Inbox"), self.badge, self.badge_label)
        bar = by_id("session-bar")
        bar.insertBefore(h("div", {"class": "inbox-entry-row"}, self.entry), by_id("session-list"))
        on(self.entry, "click", lambda _e: self.show() if not self.is_open else self.hide())
        on(by_id("session-list"), "click", lambda _e: self.hide())  # a session chosen: the inbox gives way

        self.view_list = h("div", {"class": "inbox-views", "role": "tablist", "aria-label": "Inbox views",
                                   "aria-orientation": "vertical"})
        self.filter_select = h("select", {"class": "inbox-filter", "aria-label": "Filter"},
                               *[h("option", {"value": v}, v.capitalize()) for v in ib.FILTERS])
        self.sort_select = h("select", {"class": "inbox-sort", "aria-label": "Sort by"},
                             h("option", {"value": "date"}, "Date"), h("option", {"value": "customer"}, "Customer"))
        self.order_select = h("select", {"class": "inbox-order", "aria-label": "Order"},
                              h("option", {"value": "desc"}, "Latest on top"),
                              h("option", {"value": "asc"}, "Oldest on top"))
        self.refresh_button = h("button", {"type": "button", "class": "button-secondary inbox-refresh",
                                           "aria-label": "Refresh the inbox", "title": "Refresh"}, "Refresh")
        self.list_title = h("h2", {"class": "inbox-list-title", "id": "inbox-list-title"}, "")
        self.list = h("ul", {"class": "inbox-list", "role": "listbox", "tabindex": "0",
                             "aria-labelledby": "inbox-list-title", "id": "inbox-list"})
        self.more = h("button", {"type": "button", "class": "button-secondary inbox-more", "hidden": True},
                      "Show more")
        self.empty = h("p", {"class": "inbox-empty", "hidden": True}, "Nothing here.")
        self.status = h("p", {"class": "visually-hidden", "role": "status", "aria-live": "polite"})
        self.pane = h("section", {"class": "inbox-pane", "id": "inbox-pane", "aria-label": "Reading pane",
                                  "tabindex": "-1"})
        self.region = h(
            "section", {"class": "inbox", "id": "inbox", "aria-label": "Inbox", "hidden": True},
            h("div", {"class": "inbox-side"},
              h("div", {"class": "inbox-head"}, h("h1", {"class": "inbox-title"}, "Inbox"), self.refresh_button),
              self.view_list),
            h("div", {"class": "inbox-column"},
              h("div", {"class": "inbox-toolbar"}, self.list_title,
                h("div", {"class": "inbox-controls"}, self.filter_select, self.sort_select, self.order_select)),
              self.list, self.empty, self.more, self.status),
            self.pane)
        app = by_id("app")
        app.insertBefore(self.region, by_id("workspace-main").nextSibling)
        self._view_buttons: dict[str, Any] = {}
        for view in self.view_ids:
            name = ib.VIEW_NAMES[view]
            count = h("span", {"class": "inbox-view-count"})
            unread = h("span", {"class": "inbox-view-unread"})
            button = h("button", {"type": "button", "class": "inbox-view", "role": "tab", "data-view": view,
                                  "id": f"inbox-view-{view}", "aria-controls": "inbox-list",
                                  "aria-selected": "false", "tabindex": "-1"},
                       h("span", {"class": "inbox-view-name"}, name), count, unread)
            self._view_buttons[view] = (button, count, unread)
            self.view_list.appendChild(button)
        on(self.view_list, "click", self._on_view_click)
        on(self.view_list, "keydown", self._on_view_key)
        on(self.filter_select, "change", lambda _e: self._set_query(filter=str(self.filter_select.value)))
        on(self.sort_select, "change", lambda _e: self._set_query(sort=str(self.sort_select.value)))
        on(self.order_select, "change", lambda _e: self._set_query(order=str(self.order_select.value)))
        on(self.refresh_button, "click", lambda _e: spawn(self.refresh(), self.services.report))
        on(self.more, "click", lambda _e: self._grow())
        on(self.list, "scroll", self._on_scroll)
        on(self.list, "click", self._on_card_click)
        on(self.list, "keydown", self._on_list_key)
        on(self.pane, "keydown", self._on_pane_key)
        self._show_query()

    # -- loading ----------------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Read the views (after the first paint), then follow the push connection."""
        if self.services.push is not None:
            self.services.push.on("*", self._event)
        await self.refresh()

    async def refresh(self, views: tuple[str, ...] | None = None) -> None:
        """Read ``views`` (default: every view of the profile) from the server again (the Refresh button, and what
        push cannot tell)."""
        views = self.view_ids if views is None else tuple(v for v in views if v in self.view_ids)
        client = self.services.client
        summary = await client.call_json("GET", "/inbox")
        self.queues = list((summary or {}).get("queues") or [])
        answers = {}
        for view in views:
            answers[view] = (await client.call_json("GET", f"/inbox/{view}") or {}).get("items") or []
        state = self.state  # now, not before the awaits: the agent may have switched views meanwhile
        for view, items in answers.items():
            state = state.with_items(view, items)
        if state.selected is None or state.find(state.selected) is None:
            state = state.select(None).move(1)  # a view opened before its items came: its first card
        self.state = state
        self.loaded = True
        self.render()

    def _refresh_soon(self, *views: str) -> None:
        """Re-read ``views`` once, shortly (several events of one change cost one read)."""
        self._stale.update(views)
        if self._refresh_timer is not None:
            return

        def run() -> None:
            self._refresh_timer = None
            stale, self._stale = tuple(v for v in self.view_ids if v in self._stale), set()
            spawn(self.refresh(stale), self.services.report)

        self._refresh_timer = js.setTimeout(create_once_callable(run), 150)

    # -- showing ----------------------------------------------------------------------------------------------------

    def show(self, focus: bool = True, key: str | None = None) -> None:
        """Show the inbox in the main area (optionally with ``key`` selected)."""
        self.is_open = True
        by_id("app").classList.add("inbox-open")
        self.region.removeAttribute("hidden")
        self.entry.setAttribute("aria-pressed", "true")
        if key is not None:
            item = self.state.find(key)
            if item is not None:
                self.state = self.state.with_view(item["view"]).select(key)
        self.render()
        if focus:
            self.list.focus()
        self._touch()

    def hide(self) -> None:
        if not self.is_open:
            return
        self.is_open = False
        by_id("app").classList.remove("inbox-open")
        self.region.setAttribute("hidden", "")
        self.entry.setAttribute("aria-pressed", "false")
        self._touch()

    def render(self) -> None:
        """Counts, the list (windowed) and the reading pane, from the state."""
        self._show_counts()
        if not self.is_open:
            return
        self._render_list()
        self._render_pane()

    def _show_counts(self) -> None:
        counts = self.state.view_counts()
        for view, (button, count, unread) in self._view_buttons.items():
            c = counts[view]
            text(count, str(c["count"]))
            text(unread, f"{c['unread']} unread" if c["unread"] else "")
            unread.hidden = not c["unread"]
            selected = view == self.state.view
            button.setAttribute("aria-selected", "true" if selected else "false")
            button.setAttribute("tabindex", "0" if selected else "-1")
        total = self.state.total_unread()
        text(self.badge, str(total))
        self.badge.hidden = total == 0
        self.badge_label.hidden = total == 0  # the name is the visible text: "Inbox 3 unread" (axe)
        js.document.title = f"({total}) Casework" if total else "Casework"

    def _render_list(self) -> None:
        rows = self.state.rows()
        text(self.list_title, ib.VIEW_NAMES[self.state.view])
        keys = [row["key"] for row in rows]
        if self.state.selected in keys:
            self.limit = max(self.limit, keys.index(self.state.selected) + 1 + WINDOW // 2)
        clear(self.list)
        self._cards, self._card_ids, self._marked = {}, {}, None
        self._append_cards(rows, 0, self.limit)
        self.empty.hidden = bool(rows)
        self._show_selection()

    def _append_cards(self, rows: list[dict], start: int, stop: int) -> None:
        """Cards ``rows[start:stop]`` appended in one DOM call (``browser.dom.build``: one JSON string crosses to
        JavaScript instead of ~40 calls per card; 60 cards cost ~90 ms built element by element, measured)."""
        now = _now_ms()
        chunk = rows[start:stop]
        if chunk:
            fragment, refs = build(["", None, *[self._card_spec(row, start + n, now) for n, row in enumerate(chunk)]])
            self.list.appendChild(fragment)
            self._cards.update(refs)
        shown = start + len(chunk)
        self.more.hidden = len(rows) <= shown
        text(self.more, f"Show more ({len(rows) - shown})")

    def _card_spec(self, row: dict, index: int, now: float) -> list:
        card_id = f"inbox-card-{index}"
        self._card_ids[row["key"]] = card_id
        unread = int(row.get("unread") or 0)
        channel = row.get("channel") or ""
        label = CHANNEL_LABELS.get(channel, channel)
        view = row.get("view")
        wait = cv.duration_text(row.get("since"), now) if view in ("unassigned", "assigned") else ""
        # The card's name is its visible text (plus the channel and "unread" for screen readers), no aria-label:
        # axe's label-content-name-mismatch, and one name for sighted and speech users.
        return ["li", {"class": "inbox-card" + (" is-unread" if unread else ""), "role": "option", "id": card_id,
                       "data-key": row["key"], "aria-selected": "false", "$ref": row["key"]},
                ["span", {"class": f"channel-icon channel-{channel}", "aria-hidden": "true"}, (label or "?")[:1]],
                ["span", {"class": "visually-hidden"}, label + ":"],
                ["span", {"class": "inbox-card-main"},
                 ["span", {"class": "inbox-card-top"},
                  ["span", {"class": "inbox-card-customer"}, row.get("customer") or "Unknown customer"],
                  ["span", {"class": "inbox-live"}, "Live"] if row.get("live") else None,
                  ["span", {"class": "inbox-card-time"}, time_text(row.get("time"), now)]],
                 ["span", {"class": "inbox-card-subject"}, row.get("subject") or ""],
                 ["span", {"class": "inbox-card-preview"}, row.get("preview") or ""],
                 ["span", {"class": "inbox-card-foot"},
                  ["span", {"class": "inbox-card-wait"},
                   (f"Waiting {wait}" if view == "unassigned" else f"Open {wait}") if wait else ""],
                  ["span", {"class": "inbox-unread", "data-unread": str(unread)}, str(unread)] if unread else None,
                  ["span", {"class": "visually-hidden inbox-unread-label"}, "unread"] if unread else None]]]

    def _show_selection(self) -> None:
        selected = self.state.selected
        # Only the two cards concerned change (a key press costs two cards' updates, not the window's).
        for key, on_it in ((self._marked, False), (selected, True)):
            card = self._cards.get(key) if key is not None else None
            if card is not None:
                card.setAttribute("aria-selected", "true" if on_it else "false")
                card.classList.toggle("is-selected", on_it)
        self._marked = selected
        if selected in self._card_ids:
            self.list.setAttribute("aria-activedescendant", self._card_ids[selected])
            card = self._cards[selected]
            card.scrollIntoView(js.JSON.parse('{"block":"nearest"}'))
        else:
            self.list.removeAttribute("aria-activedescendant")

    def _grow(self, by: int = WINDOW) -> None:
        """More cards at the end of the list (Show more, scrolling near the end, the keyboard past the last)."""
        rows = self.state.rows()
        start = len(self._cards)
        self.limit = max(self.limit, start) + by
        self._append_cards(rows, start, self.limit)

    def _on_scroll(self, _event: Any) -> None:
        element = self.list
        if not self.more.hidden and element.scrollTop + element.clientHeight > element.scrollHeight - 200:
            self._grow()

    # -- the query and the selection -------------------------------------------------------------------------------

    def _show_query(self) -> None:
        query = self.state.query
        self.filter_select.value = query.filter
        self.sort_select.value = query.sort
        self.order_select.value = query.order

    def _set_query(self, **changes: str) -> None:
        params = {**self.state.query.as_params(), **changes}
        self.state = self.state.with_query(ib.Query.parse(params))
        self.limit = WINDOW
        self.render()
        self._touch()

    def set_view(self, view: str) -> None:
        """Show ``view`` (its first card selected; a view the profile does not show: its first view)."""
        self.state = self.state.with_view(view if view in self.view_ids else self.view_ids[0])
        self.limit = WINDOW
        self.state = self.state.move(1)
        self.render()
        self._touch()

    def move(self, delta: int) -> None:
        """Select the next or previous card and show it in the reading pane (only the two cards change)."""
        self.state = self.state.move(delta)
        selected = self.state.selected
        if selected is not None and selected not in self._cards:
            self._grow()  # one chunk more at the end, not the whole list again
            if selected not in self._cards:
                self._render_list()
        self._show_selection()
        self._render_pane()
        self._touch()

    def select(self, key: str) -> None:
        self.state = self.state.select(key)
        self._show_selection()
        self._render_pane()
        self._touch()

    def _on_view_click(self, event: Any) -> None:
        button = event.target.closest(".inbox-view")
        if button is not None:
            self.set_view(str(button.dataset.view))

    def _on_view_key(self, event: Any) -> None:
        if event.key not in ("ArrowUp", "ArrowDown"):
            return
        event.preventDefault()
        index = self.view_ids.index(self.state.view) + (1 if event.key == "ArrowDown" else -1)
        self.set_view(self.view_ids[index % len(self.view_ids)])
        self._view_buttons[self.state.view][0].focus()

    def _on_card_click(self, event: Any) -> None:
        card = event.target.closest(".inbox-card")
        if card is None:
            return
        key = str(card.dataset.key)
        self.select(key)
        if event.shiftKey:
            spawn(self.promote(key), self.services.report)

    def _on_list_key(self, event: Any) -> None:
        if event.ctrlKey or event.metaKey or event.altKey:
            return
        key = event.key
        if key in ("ArrowDown", "j"):
            self.move(1)
        elif key in ("ArrowUp", "k"):
            self.move(-1)
        elif key == "Home":
            self.state = self.state.select(None)
            self.move(1)
        elif key == "Enter":
            if self.state.selected is None:
                self.move(1)
            self.open_selected()
        elif key == "r":
            self.reply()
        elif key == "e":
            spawn(self.done(), self.services.report)
        elif key == "Escape":
            self.hide()
            view = self.services.view
            if view is not None:
                view.focus_selected("session")
        else:
            return
        event.preventDefault()

    def _on_pane_key(self, event: Any) -> None:
        if event.key == "Escape":
            event.preventDefault()
            event.stopPropagation()
            self.list.focus()

    # -- the reading pane -------------------------------------------------------------------------------------------

    def selected_item(self) -> dict | None:
        return self.state.find(self.state.selected) if self.state.selected else None

    def open_selected(self) -> None:
        """Enter: the reading pane takes focus (the composer of a conversation one can reply to)."""
        item = self.selected_item()
        if item is None:
            return
        self._mark_read(item)
        box = self._pane_parts.get("box")
        target = box if box is not None and not box.disabled else self.pane
        target.focus()

    def reply(self) -> None:
        item = self.selected_item()
        box = self._pane_parts.get("box")
        if item is None or box is None:
            self._say("Nothing to reply to here.")
            return
        if box.disabled:
            self._say("Accept the conversation first to reply.")
            return
        self._mark_read(item)
        box.focus()

    def _say(self, message: str) -> None:
        text(self.status, message)

    def _render_pane(self) -> None:
        item = self.selected_item()
        key = item["key"] if item else None
        if key == self._pane_key and key is not None:
            self._update_pane(item)
            return
        self._save_draft()
        self._pane_key = key
        self._pane_parts = {}
        self._transcript = None
        clear(self.pane)
        if self._read_timer is not None:
            js.clearTimeout(self._read_timer)
            self._read_timer = None
        if item is None:
            self.pane.appendChild(h("p", {"class": "inbox-pane-empty"}, "Select an item to read it here."))
            return
        now = _now_ms()
        channel = item.get("channel") or ""
        promote = h("button", {"type": "button", "class": "button-secondary inbox-promote",
                               "title": "Open as a regular session (Shift+click a card)"}, "Promote")
        on(promote, "click", lambda _e: spawn(self.promote(key), self.services.report))
        self.pane.append(
            h("div", {"class": "inbox-pane-head"},
              h("h2", {"class": "inbox-pane-title"}, item.get("customer") or "Unknown customer"), promote),
            h("p", {"class": "inbox-pane-facts"},
              " · ".join(p for p in (CHANNEL_LABELS.get(channel, channel), item.get("subject") or "",
                                     time_text(item.get("time"), now)) if p)))
        kind = item.get("kind")
        if kind == "conversation":
            self._conversation_pane(item)  # its transcript follows once the selection rests (TRANSCRIPT_AFTER_MS)
        elif kind == "case":
            self._case_pane(item)
        else:
            self._activity_pane(item)
        self._read_timer = js.setTimeout(create_once_callable(lambda: self._dwell(key)), READ_AFTER_MS)
        js.caseworkInboxPainted = key  # bench/inbox.py: the pane shows this item (read after the next frame)

    def _update_pane(self, item: dict) -> None:
        status = self._pane_parts.get("status")
        if status is not None:
            self._show_conversation_status(item)

    def _dwell(self, key: str) -> None:
        self._read_timer = None
        item = self.selected_item()
        if item is not None and item["key"] == key and self.is_open:
            self._mark_read(item)

    def _mark_read(self, item: dict) -> None:
        if not item.get("unread"):
            return
        self._show_read(item["key"])
        spawn(self.services.client.call_json("POST", "/inbox/read", {"items": [
            {"kind": item["kind"], "id": item["id"]}]}), self.services.report)

    def _show_read(self, key: str) -> None:
        self.state = self.state.mark(key, 0)
        card = self._cards.get(key)
        if card is not None:
            card.classList.remove("is-unread")
            for selector in (".inbox-unread", ".inbox-unread-label"):
                badge = card.querySelector(selector)
                if badge is not None:
                    badge.remove()
        self._show_counts()

    def _marks_elsewhere(self, data: dict) -> None:
        """``inbox.read`` from this agent's other tab or browser (or this one's own, already applied)."""
        for mark in data.get("items") or []:
            if not isinstance(mark, dict):
                continue
            key = f"{mark.get('kind')}:{mark.get('id')}"
            item = self.state.find(key)
            if item is None:
                continue
            if data.get("read") is False:
                if not item.get("unread"):
                    self.state = self.state.mark(key, 1)
                    self._refresh_card(key)
            elif item.get("unread"):
                self._show_read(key)

    # conversations
    def _conversation_pane(self, item: dict) -> None:
        log = h("ol", {"class": "transcript inbox-transcript"})
        status = h("p", {"class": "conversation-status inbox-conversation-status"})
        box = h("textarea", {"class": "composer-input inbox-reply", "rows": "2", "aria-label": "Reply",
                             "placeholder": "Reply; Enter sends, Shift+Enter adds a line"})
        box.value = self.drafts.get(item["key"], "")
        send = h("button", {"type": "button", "class": "button-primary inbox-send"}, "Send")
        accept = h("button", {"type": "button", "class": "button-primary inbox-accept"}, "Accept")
        end = h("button", {"type": "button", "class": "button-secondary inbox-end"}, "End")
        close = h("button", {"type": "button", "class": "button-secondary inbox-close"}, "Close")
        self.pane.append(status, h("div", {"class": "transcript-log inbox-log", "role": "log",
                                           "aria-label": "Transcript"}, log),
                         h("div", {"class": "composer"}, box, send), h("div", {"class": "inbox-actions"},
                                                                       accept, end, close))
        self._pane_parts = {"log": log, "status": status, "box": box, "send": send, "accept": accept, "end": end,
                            "close": close}
        self._transcript = cv.Transcript()
        cid = item["id"]
        on(box, "keydown", lambda e: self._reply_key(e, item["key"]))
        on(box, "input", lambda _e: self._save_draft())
        on(send, "click", lambda _e: self._send(item["key"]))
        on(accept, "click", lambda _e: spawn(self._conversation_action(cid, "accept"), self.services.report))
        on(end, "click", lambda _e: spawn(self._conversation_action(cid, "end"), self.services.report))
        on(close, "click", lambda _e: spawn(self._conversation_action(cid, "close"), self.services.report))
        self._show_conversation_status(item)
        key = item["key"]
        if self._transcript_timer is not None:
            js.clearTimeout(self._transcript_timer)

        def load() -> None:
            self._transcript_timer = None
            if self._pane_key == key:
                spawn(self._load_transcript(key, cid), self.services.report)

        # Held j/k: no request per card passed over (each answer would be parsed and dropped while keys arrive).
        self._transcript_timer = js.setTimeout(create_once_callable(load), TRANSCRIPT_AFTER_MS)

    def _show_conversation_status(self, item: dict) -> None:
        parts = self._pane_parts
        code = item.get("statuscode")
        mine = item.get("ownerid") == self.services.agent.user_id
        text(parts["status"], cv.STATUS_NAMES.get(code, "") + ("" if mine else " · waiting in your queue"))
        active = mine and code == ib.ACTIVE
        for element in (parts["box"], parts["send"]):
            element.disabled = not active
        parts["accept"].hidden = mine or code != ib.OPEN
        parts["end"].hidden = not active
        parts["close"].hidden = not (mine and code in (ib.ACTIVE, ib.WRAP_UP))

    async def _load_transcript(self, key: str, conversation_id: str) -> None:
        ticket = self._latest.issue()
        answer = await self.services.client.call_json("GET", f"/conversations({conversation_id})/messages")
        if self._pane_key != key or not self._latest.accept(ticket):
            return  # the agent moved on meanwhile
        for message in (answer or {}).get("value", []):
            self._add_message(message)

    def _add_message(self, message: dict) -> None:
        transcript, log = self._transcript, self._pane_parts.get("log")
        if transcript is None or log is None or not transcript.add(message):
            return
        mine = message.get("direction") == "outbound"
        row = h("li", {"class": "message " + ("outbound" if mine else "inbound"),
                       "data-sequence": str(message["sequence"])},
                h("span", {"class": "sender"}, message.get("sendername") or ("You" if mine else "Customer")),
                h("span", {"class": "text"}, message.get("text") or ""))
        position = transcript.position(message["sequence"])
        after = log.children.item(position) if position < log.children.length else None
        log.insertBefore(row, after)
        scroller = log.parentElement
        if scroller is not None and after is None:
            scroller.scrollTop = scroller.scrollHeight

    def _reply_key(self, event: Any, key: str) -> None:
        if event.key == "Enter" and not event.shiftKey and not event.isComposing:
            event.preventDefault()
            self._send(key)
        elif event.key == "Escape":
            event.preventDefault()
            event.stopPropagation()
            self._save_draft()
            self.list.focus()

    def _save_draft(self) -> None:
        box = self._pane_parts.get("box")
        if box is not None and self._pane_key is not None:
            value = str(box.value)
            if value:
                self.drafts[self._pane_key] = value
            else:
                self.drafts.pop(self._pane_key, None)

    def _send(self, key: str) -> None:
        box = self._pane_parts.get("box")
        item = self.state.find(key)
        if box is None or item is None or not str(box.value).strip():
            return
        message = str(box.value).strip()
        box.value = ""
        self.drafts.pop(key, None)

        async def send() -> None:
            client_id = "i" + str(js.crypto.randomUUID()).replace("-", "")[:40]
            sent = await self.services.client.call_json("POST", f"/conversations({item['id']})/send",
                                                        {"text": message, "clientId": client_id})
            if self._pane_key == key:
                self._add_message(sent)
            self.state = self.state.place({"key": key, "preview": message, "time": sent.get("createdon")},
                                          self.services.agent.user_id, self.queues)
            self._refresh_card(key)

        spawn(send(), self.services.report)

    async def _conversation_action(self, conversation_id: str, action: str) -> None:
        conversation = await self.services.client.call_json("POST", f"/conversations({conversation_id})/{action}")
        if action == "accept":
            desk = self.services.conversations
            if desk is not None:
                desk.forget_offer(conversation_id)  # accepted here: no session, the card stays in the inbox
        self._apply_conversation(conversation)

    # cases
    def _case_pane(self, item: dict) -> None:
        note = h("textarea", {"class": "inbox-note", "rows": "3", "aria-label": "Note"})
        add = h("button", {"type": "button", "class": "button-secondary inbox-add-note"}, "Add note")
        resolve = h("button", {"type": "button", "class": "button-primary inbox-resolve"}, "Resolve")
        owner = h("select", {"class": "inbox-assign-to", "aria-label": "Assign to"})
        assign = h("button", {"type": "button", "class": "button-secondary inbox-assign"}, "Assign")
        self.pane.append(
            h("dl", {"class": "inbox-case-facts"},
              h("dt", None, "Case"), h("dd", None, item.get("ticketnumber") or ""),
              h("dt", None, "Priority"), h("dd", None, {1: "High", 2: "Normal", 3: "Low"}.get(
                  item.get("priority"), "")),
              h("dt", None, "Open for"), h("dd", None, cv.duration_text(item.get("since"), _now_ms()))),
            h("p", {"class": "inbox-case-description"}, item.get("preview") or ""),
            h("div", {"class": "inbox-actions"}, resolve, owner, assign),
            h("div", {"class": "inbox-note-row"}, note, add))
        self._pane_parts = {"note": note}
        on(resolve, "click", lambda _e: spawn(self._resolve(item), self.services.report))
        on(assign, "click", lambda _e: spawn(self._assign(item, str(owner.value)), self.services.report))
        on(add, "click", lambda _e: spawn(self._add_note(item, note), self.services.report))
        spawn(self._fill_users(owner), self.services.report)

    async def _fill_users(self, select: Any) -> None:
        if self.users is None:
            page = await self.services.client.list("systemusers", select=["systemuserid", "fullname"],
                                                   orderby="fullname", top=100)
            self.users = page.records
        for user in self.users:
            if user.get("systemuserid") != self.services.agent.user_id:
                select.appendChild(h("option", {"value": user["systemuserid"]}, user.get("fullname") or ""))

    async def _resolve(self, item: dict) -> None:
        client = self.services.client
        case = await client.get("incidents", item["id"])
        await client.resolve_case(case, "Resolved from the inbox")
        self._leave(item["key"], "Case resolved.")

    async def _assign(self, item: dict, owner_id: str) -> None:
        if not owner_id:
            return
        client = self.services.client
        case = await client.get("incidents", item["id"])
        await client.assign_case(case, owner_id)
        self._leave(item["key"], "Case assigned.")

    async def _add_note(self, item: dict, box: Any) -> None:
        note = str(box.value).strip()
        if not note:
            return
        await self.services.client.create("annotations", {"notetext": note, "objectid": item["id"],
                                                          "objecttypecode": "incident"})
        box.value = ""
        self._say("Note added.")
        self.services.notify("Note added to the case.", "inbox_note")

    # activities
    def _activity_pane(self, item: dict) -> None:
        complete = h("button", {"type": "button", "class": "button-primary inbox-complete"}, "Complete")
        due = item.get("due")
        self.pane.append(
            h("p", {"class": "inbox-activity-due"}, f"Due {time_text(due, _now_ms())}" if due else "No due date"),
            h("p", {"class": "inbox-activity-description"}, item.get("preview") or ""),
            h("div", {"class": "inbox-actions"}, complete))
        on(complete, "click", lambda _e: spawn(self._complete(item), self.services.report))

    async def _complete(self, item: dict) -> None:
        entity_set = ACTIVITY_SETS.get(item.get("activitytype") or item.get("channel") or "", "tasks")
        client = self.services.client
        record = await client.get(entity_set, item["id"])
        await client.update(entity_set, record, {"statecode": 1, "statuscode": 2})
        self._leave(item["key"], "Marked complete.")

    def _leave(self, key: str, message: str) -> None:
        """An item the agent finished here leaves the inbox; the selection goes to its neighbour."""
        self.state = self.state.remove(key)
        self.drafts.pop(key, None)
        self.render()
        self._say(message)
        self.list.focus()
        self._touch()

    async def done(self) -> None:
        """``e``: the selected item marked done (a conversation ended or closed, a case resolved, an activity
        completed)."""
        item = self.selected_item()
        if item is None:
            return
        kind = item.get("kind")
        if kind == "case":
            await self._resolve(item)
        elif kind in ("activity", "email"):
            await self._complete(item)
        elif item.get("ownerid") != self.services.agent.user_id:
            self._say("Accept the conversation first.")
        elif item.get("statuscode") == ib.ACTIVE:
            await self._conversation_action(item["id"], "end")
        elif item.get("statuscode") == ib.WRAP_UP:
            await self._conversation_action(item["id"], "close")

    # -- promote ----------------------------------------------------------------------------------------------------

    async def promote(self, key: str | None) -> str | None:
        """Open the item as a regular session (Home's navigation rule: a new session), the draft reply carried."""
        item = self.state.find(key) if key else None
        if item is None:
            return None
        self._save_draft()
        draft = self.drafts.get(key, "")
        kind = item.get("kind")
        session_id: str | None = None
        if kind == "conversation":
            desk = self.services.conversations
            if desk is None:
                return None
            session_id = desk.session_of_conversation(item["id"])
            if session_id is not None:
                self.services.workspace.focus_session(session_id)
            else:
                session_id = desk.open_session({"conversationid": item["id"], "customername": item.get("customer"),
                                                "channel": item.get("channel")})
            if session_id is not None and draft:
                page = desk.pages.get(item["id"])
                if page is not None:
                    page.box.value = draft
                    page.state_changed()
                self.drafts.pop(key, None)
        else:
            logical = "incident" if kind == "case" else (item.get("activitytype") or "task")
            opened = self.services.open_record(logical, item["id"], NavSource.HOME, title=item.get("subject"))
            session_id = opened[0] if opened else None
        if session_id is not None:
            self.hide()
        return session_id

    # -- push -------------------------------------------------------------------------------------------------------

    def _event(self, event: dict) -> None:
        if not self.loaded:
            return
        kind, data = event.get("type"), event.get("data") or {}
        if kind == "message.created":
            self._message(event.get("conversationId") or data.get("conversationid"), data)
        elif kind in ("conversation.updated", "conversation.assigned"):
            self._apply_conversation(data)
            if kind == "conversation.assigned":
                self.notify("assignment", f"Assigned to you: {data.get('customername') or 'a conversation'}",
                            f"conversation:{data.get('conversationid')}")
        elif kind == "inbox.read":
            self._marks_elsewhere(data)
        elif kind == "offer.created":
            key = f"conversation:{data.get('conversationid')}"
            if self.state.find(key) is None:
                self._refresh_soon("unassigned")
        elif kind == "offer.withdrawn" and data.get("reason") == "expired":
            self.notify("missed", "Missed offer", f"conversation:{data.get('conversationid')}")
        elif kind == "record.changed" and data.get("by") != self.services.agent.user_id:
            sets = {r.get("entitySet") for r in data.get("records") or [] if isinstance(r, dict)}
            views = (["cases"] if "incidents" in sets else []) + (
                ["activities", "email"] if sets & {"tasks", "emails", "phonecalls", "appointments"} else [])
            if views:
                self._refresh_soon(*views)

    def _message(self, conversation_id: Any, message: dict) -> None:
        if not isinstance(conversation_id, str):
            return
        key = f"conversation:{conversation_id}"
        item = self.state.find(key)
        if item is None:
            self._refresh_soon("assigned", "unassigned")
            return
        inbound = message.get("direction") == "inbound"
        in_view = self.is_open and self._pane_key == key
        unread = int(item.get("unread") or 0)
        if inbound and not in_view:
            unread += 1
        self.state = self.state.place({"key": key, "preview": message.get("text") or "", "unread": unread,
                                       "time": message.get("createdon") or item.get("time")},
                                      self.services.agent.user_id, self.queues)
        if in_view:
            self._add_message(message)
            if inbound:
                spawn(self.services.client.call_json("POST", "/inbox/read", {"items": [
                    {"kind": "conversation", "id": conversation_id}]}), self.services.report)
        elif inbound and not self._in_session(conversation_id):
            self.notify("message", f"{item.get('customer') or 'Customer'}: {message.get('text') or ''}"[:120], key)
        self._refresh_card(key)

    def _in_session(self, conversation_id: str) -> bool:
        desk = self.services.conversations
        return desk is not None and desk.focused_conversation() == conversation_id

    def _apply_conversation(self, conversation: dict) -> None:
        if not isinstance(conversation, dict) or not conversation.get("conversationid"):
            return
        item = ib.conversation_item(conversation)
        known = self.state.find(item["key"])
        if known is None:
            item.pop("time", None)
        else:
            item["time"] = known.get("time")
            item["since"] = known.get("since") or item["since"]
        before = (known or {}).get("view")
        self.state = self.state.place(item, self.services.agent.user_id, self.queues)
        after = (self.state.find(item["key"]) or {}).get("view")
        if known is None and after is not None:
            self._refresh_soon(after)  # its preview and unread count come with the view
        if before != after or after is None:
            self.render()
        else:
            self._refresh_card(item["key"])
            if self._pane_key == item["key"]:
                self._update_pane(self.state.find(item["key"]))

    def _refresh_card(self, key: str) -> None:
        """One card's change: the list re-renders (order may change), the pane is kept."""
        self._show_counts()
        if self.is_open:
            self._render_list()

    # -- notifications ----------------------------------------------------------------------------------------------

    def notify(self, kind: str, message: str, key: str) -> None:
        centre = self.services.notifications
        if centre is not None:
            centre.add(kind, message, lambda: self.show(key=key))

    # -- restore ----------------------------------------------------------------------------------------------------

    def saved(self) -> dict:
        return {**self.state.dehydrate(), "open": self.is_open}

    def _touch(self) -> None:
        restore = self.services.restore
        if restore is not None:
            restore.touch()


class NotificationCentre:
    """The header's notification centre (``services.notifications``): a bell with a count and a list; each entry
    opens its item. Entries are kept for the page's life (newest first, at most 50)."""

    LIMIT = 50

    def __init__(self) -> None:
        self.entries: list[tuple[str, str, Any]] = []
        self.count = h("span", {"class": "notify-count", "hidden": True})
        self.button = h("button", {"type": "button", "class": "icon-button notify-button", "id": "notify-button",
                                   "aria-haspopup": "true", "aria-expanded": "false",
                                   "aria-controls": "notify-panel", "aria-label": "Notifications",
                                   "title": "Notifications"},
                        h("span", {"class": "notify-bell", "aria-hidden": "true"}), self.count)
        self.list = h("ul", {"class": "notify-list"})
        self.panel = h("div", {"class": "notify-panel", "id": "notify-panel", "role": "region",
                               "aria-label": "Notification centre", "hidden": True},
                       h("h2", {"class": "notify-title"}, "Notifications"), self.list,
                       h("p", {"class": "notify-empty"}, "No notifications."))
        end = js.document.querySelector(".header-end")
        end.insertBefore(self.button, by_id("presence"))
        end.appendChild(self.panel)
        on(self.button, "click", lambda _e: self.toggle())
        on(self.panel, "keydown", lambda e: self._key(e))

    def add(self, kind: str, message: str, open_it: Any) -> None:
        self.entries.insert(0, (kind, message, open_it))
        del self.entries[self.LIMIT:]
        self._render()

    def _render(self) -> None:
        clear(self.list)
        for index, (kind, message, _open) in enumerate(self.entries):
            button = h("button", {"type": "button", "class": f"notify-entry notify-{kind}"},
                       h("span", {"class": "notify-kind"}, {"missed": "Missed offer", "message": "New message",
                                                            "assignment": "Assignment",
                                                            "mention": "Mention"}.get(kind, kind)),
                       h("span", {"class": "notify-message"}, message))
            on(button, "click", lambda _e, i=index: self._open(i))
            self.list.appendChild(h("li", None, button))
        text(self.count, str(len(self.entries)))
        self.count.hidden = not self.entries
        self.button.setAttribute("aria-label", f"Notifications, {len(self.entries)}" if self.entries
                                 else "Notifications")
        self.panel.querySelector(".notify-empty").hidden = bool(self.entries)

    def toggle(self) -> None:
        opening = self.panel.hidden
        self.panel.hidden = not opening
        self.button.setAttribute("aria-expanded", "true" if opening else "false")
        if opening:
            first = self.list.querySelector("button")
            (first or self.button).focus()

    def _open(self, index: int) -> None:
        _, _, open_it = self.entries.pop(index)
        self._render()
        self.toggle()
        open_it()

    def _key(self, event: Any) -> None:
        if event.key == "Escape":
            self.toggle()
            self.button.focus()


def install(services: Services) -> Inbox | None:
    """Build the notification centre and, when the profile turns it on, the inbox (``services.inbox``); the inbox's
    view, query, selection and open state ride in session restore's extras of Home."""
    services.notifications = NotificationCentre()
    if services.agent.profile.get("inbox") is not True:
        return None
    restore = services.restore
    restored = ((restore.extras or {}).get("home") or {}).get(RESTORE_KEY) if restore is not None else None
    inbox = Inbox(services, restored)
    services.inbox = inbox
    if inbox.is_open:  # restored open: it paints with the first paint (its items follow after it)
        inbox.show(focus=False)
    if restore is not None:
        previous = restore.extras_provider

        def extras() -> dict:
            out = dict(previous() if previous is not None else {})
            out["home"] = {**(out.get("home") or {}), RESTORE_KEY: inbox.saved()}
            return out

        restore.extras_provider = extras
    return inbox


def mention_entry(data: dict) -> tuple[str, str, str] | None:
    """A ``note.mentioned`` push as a notification: ``(message, logical name, record id)`` of what it opens."""
    record_id, logical = data.get("objectid"), data.get("objecttypecode")
    if not isinstance(record_id, str) or logical not in ("incident", "account", "contact"):
        return None
    regarding = data.get("regarding") or {}
    where = f" on {regarding.get('ticketnumber')}" if regarding.get("ticketnumber") else ""
    message = f"{data.get('byname') or 'Someone'} mentioned you{where}: {data.get('text') or ''}"
    return message[:160], logical, record_id


def _follow_mentions(services: Services) -> None:
    push, centre = services.push, services.notifications
    if push is None or centre is None:
        return

    def mentioned(event: dict) -> None:
        entry = mention_entry(event.get("data") or {})
        if entry is None:
            return
        message, logical, record_id = entry
        centre.add("mention", message, lambda: services.open_record(logical, record_id, NavSource.HOME))

    push.on("note.mentioned", mentioned)


async def start(services: Services) -> None:
    """After the first paint and the push connection: follow mentions, load the views, follow pushes."""
    _follow_mentions(services)
    inbox = services.inbox
    if inbox is not None:
        await inbox.start()
