"""Conversations in the workspace: the header's presence, incoming offers, conversation sessions and their pages.

* :class:`ConversationDesk` (``services.conversations``), started after the first paint: loads presence from the
  server (``GET /api/presence``) into the header's control, sets it (``PUT``), follows ``presence.changed`` pushes;
  shows each ``offer.created`` as a notification (customer, channel, queue, wait, a countdown, Accept, Reject, an
  optional beep; an ARIA live region announces it) until accepted, rejected or withdrawn. Accept opens a session from
  the channel's session template (``msdyn_<channel>_session``: the conversation as anchor, a customer summary tab,
  titled from ``{customerName}``); at the session limit it refuses the offer, sets Busy - DND and says so.
* :class:`ConversationPage` (tab template ``msdyn_conversation``): transcript, composer (Enter sends, Shift+Enter a
  new line), typing both ways, delivery marks; End → wrap-up (notes, link the contact, a case from the
  conversation) → Close.
* :class:`CustomerSummaryPage` (``msdyn_customersummary``).

Record text enters the page only as text nodes (``browser.dom.h``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import js
from pyodide.ffi import create_once_callable, create_proxy

from apm.errors import ApmError
from apm.model import Tab
from browser import apm_bridge
from browser.dom import by_id, clear, h, on, text
from browser.tasks import spawn
from casework import conversations as cv
from casework import knowledge as kb
from casework.entities import FormField
from casework.recordbus import RecordChange
from components.lookup import Lookup
from components.pages import Page, PageHost, Services

SOUND_KEY = "casework.offerSound"
OFFER_STATUS = "Incoming conversation"
CONTACT_FIELD = FormField("contactid", "Contact", kind="lookup", target=("contacts",))


def _now_ms() -> float:
    return float(js.Date.now())


def _beep() -> None:
    """A short WebAudio beep (the offer's sound, when the agent turned it on)."""
    try:
        context = js.AudioContext.new()
        oscillator = context.createOscillator()
        gain = context.createGain()
        oscillator.frequency.value = 880
        gain.gain.value = 0.08
        oscillator.connect(gain)
        gain.connect(context.destination)
        oscillator.start()
        oscillator.stop(context.currentTime + 0.18)
    except Exception:  # no audio output (or blocked before a user gesture): the notification still shows
        pass


def _sound_on() -> bool:
    try:
        return js.window.localStorage.getItem(SOUND_KEY) == "1"
    except Exception:
        return False


class ConversationDesk:
    """Presence, offers and conversation sessions for one page (see the module docstring)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.presence: str | None = None
        self.offers: dict[str, dict] = {}
        self.pages: dict[str, ConversationPage] = {}
        self._quick_replies: list[cv.QuickReply] | None = None
        self._closing: set[str] = set()
        self._listeners: dict[str, list[Callable[[dict], object]]] = {}
        self._ticker: Any = None
        self._tick_proxy = create_proxy(lambda *_a: self._tick())
        self._build_header()
        self._region = h("section", {"class": "offers", "id": "offers", "aria-label": "Incoming conversations",
                                     "hidden": True})
        self._live = h("div", {"class": "visually-hidden", "id": "offers-live", "role": "status",
                               "aria-live": "assertive"})
        js.document.body.appendChild(self._region)
        js.document.body.appendChild(self._live)

    # -- events from the push connection
    def attach(self, push: Any) -> None:
        push.on("*", self._event)

    def _event(self, event: dict) -> None:
        kind = event.get("type")
        data = event.get("data") or {}
        if kind == "presence.changed":
            self._show_presence(data.get("presence"))
        elif kind == "offer.created":
            self._offer(data)
        elif kind == "offer.withdrawn":
            self._remove_offer(data.get("conversationid"), "withdrawn")
        elif kind == "record.changed":
            self._record_changed(data)
        elif kind == "resync":  # the server's log was trimmed past our id: reload what is shown
            self.spawn_reload()
        conversation_id = event.get("conversationId")
        if kind == "message.created" and self.services.pane is not None:
            self.services.pane.conversation_message(event)
        if conversation_id:
            for listener in list(self._listeners.get(conversation_id, ())):
                listener(event)

    async def quick_replies(self) -> list[cv.QuickReply]:
        """The seeded quick replies (``/api/quickreplies``), loaded once per page."""
        if self._quick_replies is None:
            page = await self.services.client.list("quickreplies", orderby="title", top=200)
            self._quick_replies = [r for r in map(cv.QuickReply.from_record, page.records) if r]
        return self._quick_replies

    def spawn_reload(self) -> None:
        spawn(self.load_presence(), self.services.report)
        for page in list(self.pages.values()):
            page.spawn(page._load())

    def listen(self, conversation_id: str, listener: Callable[[dict], object]) -> Callable[[], None]:
        listeners = self._listeners.setdefault(conversation_id, [])
        listeners.append(listener)
        return lambda: listener in listeners and listeners.remove(listener)

    def _record_changed(self, data: dict) -> None:
        """Someone else wrote records: open forms and lists refresh (a form with unsaved edits says it is stale)."""
        if data.get("by") == self.services.agent.user_id:
            return  # this agent's own writes: the page that wrote them already knows
        for item in data.get("records") or []:
            if isinstance(item, dict) and item.get("entitySet") and item.get("id"):
                self.services.bus.publish(RecordChange(item["entitySet"], item["id"], "updated", None,
                                                       origin="remote"))

    # -- presence
    def _build_header(self) -> None:
        indicator = by_id("presence")
        label = indicator.querySelector(".presence-label")
        self._select = h("select", {"class": "presence-select", "id": "presence-select",
                                    "aria-label": "Presence", "disabled": True},
                         *[h("option", {"value": p}, p) for p in cv.PRESENCES])
        if label is not None:
            label.remove()
        indicator.appendChild(self._select)
        on(self._select, "change", lambda _e: spawn(self.set_presence(str(self._select.value)),
                                                    self.services.report))

    def _show_presence(self, presence: object) -> None:
        if presence not in cv.PRESENCES:
            return
        self.presence = str(presence)
        indicator = by_id("presence")
        indicator.dataset.presence = self.presence.lower().replace(" - ", "-").replace(" ", "-")
        indicator.setAttribute("title", f"Presence: {self.presence}")
        self._select.value = self.presence
        self._select.removeAttribute("disabled")

    async def load_presence(self) -> str | None:
        answer = await self.services.client.call_json("GET", "/presence")
        self._show_presence((answer or {}).get("presence"))
        return self.presence

    async def set_presence(self, presence: str) -> bool:
        if presence not in cv.PRESENCES:
            raise ValueError(f"Unknown presence {presence!r}; expected one of {list(cv.PRESENCES)}.")
        answer = await self.services.client.call_json("PUT", "/presence", {"presence": presence})
        self._show_presence((answer or {}).get("presence", presence))
        return True

    # -- offers
    def _offer(self, offer: dict) -> None:
        conversation_id = offer.get("conversationid")
        if not isinstance(conversation_id, str) or conversation_id in self.offers:
            return
        card = h("article", {"class": "offer-card", "data-conversation": conversation_id,
                             "aria-label": f"{OFFER_STATUS} from {offer.get('customername') or 'a customer'}"})
        countdown = h("span", {"class": "offer-countdown"})
        waited = h("span", {"class": "offer-wait"})
        accept = h("button", {"type": "button", "class": "button-primary offer-accept"}, "Accept")
        reject = h("button", {"type": "button", "class": "button-secondary offer-reject"}, "Reject")
        sound = h("input", {"type": "checkbox", "class": "offer-sound", "checked": _sound_on()})
        card.append(
            h("h2", {"class": "offer-title"}, OFFER_STATUS),
            h("p", {"class": "offer-customer"}, offer.get("customername") or offer.get("customerhandle") or ""),
            h("dl", {"class": "offer-facts"},
              h("dt", None, "Channel"), h("dd", None, cv.channel_name(offer.get("channel"))),
              h("dt", None, "Queue"), h("dd", None, offer.get("queuename") or ""),
              h("dt", None, "Waiting"), h("dd", None, waited)),
            h("p", {"class": "offer-note"}, h("strong", None, f"Note from {offer.get('from') or 'the agent'}: "),
              str(offer["note"])) if offer.get("note") else None,
            h("p", {"class": "offer-timer"}, countdown),
            h("div", {"class": "offer-actions"}, accept, reject),
            h("label", {"class": "offer-sound-label"}, sound, " Sound for offers"),
        )
        on(accept, "click", lambda _e: spawn(self.accept(conversation_id), self.services.report))
        on(reject, "click", lambda _e: spawn(self.reject(conversation_id), self.services.report))
        on(sound, "change", lambda _e: js.window.localStorage.setItem(SOUND_KEY, "1" if sound.checked else "0"))
        self.offers[conversation_id] = {"offer": offer, "card": card, "countdown": countdown, "waited": waited}
        self._region.appendChild(card)
        self._region.removeAttribute("hidden")
        text(self._live, f"{OFFER_STATUS} from {offer.get('customername') or 'a customer'} on "
                         f"{cv.channel_name(offer.get('channel'))}.")
        self._tick()
        if self._ticker is None:
            self._ticker = js.setInterval(self._tick_proxy, 1000)
        if _sound_on():
            _beep()
        accept.focus() if js.document.activeElement in (None, js.document.body) else None

    def _tick(self) -> None:
        now = _now_ms()
        for entry in self.offers.values():
            offer = entry["offer"]
            left = cv.seconds_left(offer.get("expireson"), now)
            text(entry["countdown"], f"Accept within {left} s" if left else "Expiring…")
            text(entry["waited"], cv.duration_text(offer.get("waitingsince"), now))

    def _remove_offer(self, conversation_id: object, why: str) -> None:
        entry = self.offers.pop(conversation_id, None) if isinstance(conversation_id, str) else None
        if entry is None:
            return
        entry["card"].remove()
        if why == "withdrawn":
            text(self._live, "The incoming conversation went to someone else.")
        if not self.offers:
            self._region.setAttribute("hidden", "")
            if self._ticker is not None:
                js.clearInterval(self._ticker)
                self._ticker = None

    def forget_offer(self, conversation_id: str) -> None:
        """The offer was accepted elsewhere on this page (the inbox's reading pane): its card goes, no session."""
        self._remove_offer(conversation_id, "accepted")

    async def accept(self, conversation_id: str) -> str | None:
        """Accept an offer and open its session; at the session limit refuse it, set Busy - DND and say so."""
        workspace = self.services.workspace
        if not workspace.can_create_session():
            self._remove_offer(conversation_id, "refused")
            await self.services.client.call_json("POST", f"/conversations({conversation_id})/reject")
            await self.set_presence(cv.DND)
            self.services.notify("You are at the session limit, so the conversation went to someone else and your "
                                 "presence is now Busy - DND. Close a session to take new work.", "session_limit")
            return None
        conversation = await self.services.client.call_json("POST", f"/conversations({conversation_id})/accept")
        self._remove_offer(conversation_id, "accepted")
        return self.open_session(conversation)

    async def reject(self, conversation_id: str) -> None:
        self._remove_offer(conversation_id, "rejected")
        await self.services.client.call_json("POST", f"/conversations({conversation_id})/reject")

    def open_session(self, conversation: dict) -> str | None:
        try:
            return self.services.workspace.create_session(cv.session_template_for(conversation.get("channel")),
                                                          cv.session_context(conversation))
        except ApmError as error:
            self.services.notify(error.message, error.code)
            return None

    async def open_conversation(self, conversation_id: str) -> str | None:
        conversation = await self.services.client.get("conversations", conversation_id)
        return self.open_session(conversation)

    # -- closing a conversation session (X): keep, leave without ending, or end and close
    def handles_close(self, session_id: str) -> bool:
        """Whether closing ``session_id`` is a conversation's business; if so it is handled here: an Active
        conversation asks (Keep open, Close session = X without End, End and close), one in wrap-up is closed
        with its session, any other closes its session at once."""
        conversation_id = self.conversation_of_session(session_id)
        if conversation_id is None:
            return False
        if session_id not in self._closing:
            self._closing.add(session_id)
            spawn(self._close_session(session_id, conversation_id), self.services.report)
        return True

    async def _close_session(self, session_id: str, conversation_id: str) -> None:
        client = self.services.client
        path = f"/conversations({conversation_id})"
        try:
            page = self.pages.get(conversation_id)
            conversation = page.conversation if page is not None and page.conversation else \
                await client.get("conversations", conversation_id)
            action = cv.close_action(conversation.get("statuscode"))
            if action == "ask":
                def focus_keep(dialog: Any) -> None:  # the safe choice has the focus
                    dialog.querySelector("button[data-value='None']").focus()

                choice = await self.services.dialogs.show(
                    "Close this conversation's session?", cv.leave_text(conversation.get("channel")),
                    [("Keep open", None), ("End and close", "end", "danger"), ("Close session", "leave", "primary")],
                    on_open=focus_keep, label="conversation-close")
                if choice is None:
                    return
                if choice == "leave":
                    left = await client.call_json("POST", f"{path}/leave")
                    self.services.notify("The conversation went back to the queue." if (left or {}).get(
                        "statuscode") == 1 else "The conversation is waiting for the customer.", "left")
                else:
                    await client.call_json("POST", f"{path}/end")
                    await client.call_json("POST", f"{path}/close")
            elif action == "close":
                if page is not None:
                    await page.save_wrapup_note()
                await client.call_json("POST", f"{path}/close")
            try:
                self.services.workspace.close_session(session_id)
            except ApmError as error:
                self.services.notify(error.message, error.code)
        finally:
            self._closing.discard(session_id)

    # -- which conversation a session shows
    def conversation_of_session(self, session_id: str | None) -> str | None:
        workspace = self.services.workspace
        if session_id is None:
            return None
        try:
            session = workspace.session(session_id)
        except ApmError:
            return None
        for tab_id in session.tab_ids:
            tab = workspace.tab(tab_id)
            if tab.template_name == cv.CONVERSATION_TAB:
                return tab.params.get("recordId")
        return None

    def focused_conversation(self) -> str | None:
        return self.conversation_of_session(self.services.workspace.focused_session_id)

    def session_of_conversation(self, conversation_id: str) -> str | None:
        for tab in self.services.workspace.tabs.values():
            if tab.template_name == cv.CONVERSATION_TAB and tab.params.get("recordId") == conversation_id:
                return tab.session_id
        return None

    # -- actions on a conversation (Microsoft.Omnichannel's and the macro host's omnichannel connector)
    async def link_record(self, conversation_id: str, entity_name: str, record_id: object) -> dict:
        """Link ``record_id`` (``None``: unlink) as the conversation's account, contact or case."""
        answer = await self.services.client.call_json("POST", f"/conversations({conversation_id})/link",
                                                      {"entity": entity_name, "recordid": record_id})
        page = self.pages.get(conversation_id)
        if page is not None and isinstance(answer, dict):
            page.conversation = answer
        return answer

    async def send_text(self, conversation_id: str, message: str, *, to_send_box: bool = True) -> dict | None:
        """Into the open conversation's message box (the agent sends), or sent at once (``to_send_box=False``, or
        the conversation has no page here)."""
        page = self.pages.get(conversation_id)
        if to_send_box and page is not None:
            page.put_in_box(message)
            return None
        if page is not None:
            return await page.send(message)
        return await self.services.client.call_json("POST", f"/conversations({conversation_id})/send",
                                                    {"text": message})

    async def send_article(self, conversation_id: str, article: dict) -> dict | None:
        """Send a knowledge article's title, number and link into the conversation (``casework.knowledge``)."""
        url = kb.article_url(str(js.window.location.origin), str(article["id"]))
        return await self.send_text(conversation_id, kb.article_message(article, url), to_send_box=False)


def is_conversation(tab: Tab) -> bool:
    return tab.template_name == cv.CONVERSATION_TAB and bool(tab.params.get("recordId"))


def is_summary(tab: Tab) -> bool:
    return tab.template_name == cv.SUMMARY_TAB and bool(tab.params.get("recordId"))


class ConversationPage(Page):
    """The anchor tab of a conversation session (see the module docstring)."""

    def mount(self, panel: Any) -> None:
        self.panel = panel
        self.conversation_id = str(self.params.get("recordId"))
        self.conversation: dict = {}
        self.transcript = cv.Transcript()
        self.throttle = cv.TypingThrottle()
        self._typing_timer: Any = None
        self._items: dict[int, Any] = {}
        self.status = h("p", {"class": "conversation-status", "role": "status"}, "Loading…")
        self.log = h("ol", {"class": "transcript"})
        self.typing = h("p", {"class": "typing-indicator", "aria-live": "polite"})
        self.box = h("textarea", {"class": "composer-input", "rows": "2", "aria-label": "Message",
                                  "placeholder": "Type a message; Enter sends, Shift+Enter adds a line"})
        self.send_button = h("button", {"type": "button", "class": "button-primary composer-send"}, "Send")
        self.end_button = h("button", {"type": "button", "class": "button-secondary conversation-end"}, "End")
        self.replies = h("select", {"class": "quick-replies", "aria-label": "Quick replies"},
                         h("option", {"value": ""}, "Quick replies…"))
        self.transfer_to = h("button", {"type": "button", "class": "button-secondary conversation-transfer"},
                             "Transfer…")
        self.composer = h("div", {"class": "composer"}, self.box, self.send_button, self.end_button,
                          h("div", {"class": "composer-tools"}, self.replies, self.transfer_to))
        self._reply_by_id: dict[str, cv.QuickReply] = {}
        self.wrapup = h("section", {"class": "wrapup", "aria-label": "Wrap-up", "hidden": True})
        panel.appendChild(h("div", {"class": "conversation-page"},
                            h("h2", {"class": "conversation-title"}, self.tab.title or "Conversation"),
                            self.status,
                            h("div", {"class": "transcript-log", "role": "log", "aria-label": "Transcript",
                                      "aria-live": "polite"}, self.log),
                            self.typing, self.composer, self.wrapup))
        on(self.box, "keydown", self._keydown)
        on(self.box, "input", lambda _e: self._typed())
        on(self.send_button, "click", lambda _e: self.send_box())
        on(self.end_button, "click", lambda _e: self.spawn(self._end()))
        on(self.replies, "change", lambda _e: self._use_reply())
        on(self.transfer_to, "click", lambda _e: self.spawn(self._transfer()))
        desk = self.services.conversations
        if desk is not None:
            desk.pages[self.conversation_id] = self
            self.keep(desk.listen(self.conversation_id, self._event))
            self.keep(lambda: desk.pages.pop(self.conversation_id, None))
        self.spawn(self._load())

    async def _load(self) -> None:
        client = self.services.client
        self.conversation = await client.get("conversations", self.conversation_id)
        answer = await client.call_json("GET", f"/conversations({self.conversation_id})/messages")
        for message in (answer or {}).get("value", []):
            self._add(message)
        desk = self.services.conversations
        if desk is not None and self.services.push is not None:
            for message in self.transcript.ordered():
                self.services.push.log.seen_message(self.conversation_id, message["sequence"])
        self._show_status()
        if desk is not None and len(self.replies.options) == 1:
            self.spawn(self._load_tools(desk))

    async def _load_tools(self, desk: ConversationDesk) -> None:
        for reply in await desk.quick_replies():
            self._reply_by_id[reply.id] = reply
            self.replies.appendChild(h("option", {"value": reply.id}, reply.title))

    def _use_reply(self) -> None:
        reply = self._reply_by_id.get(str(self.replies.value))
        self.replies.value = ""
        if reply is None:
            return
        context = cv.quick_reply_context(self.conversation, self.services.agent.fullname,
                                         self.conversation.get("casetitle"))
        filled, _unknown = cv.fill_quick_reply(reply, context)
        self.put_in_box(filled)

    async def _transfer(self) -> None:
        """The Transfer dialog: the other queues, and agents with their presence (only those who can take it now
        may be chosen), with an optional note that the receiving agent sees on their offer card."""
        answer = await self.services.client.call_json("GET", f"/conversations({self.conversation_id})/transfertargets")
        targets = cv.transfer_targets(answer)
        by_value = {f"{t.kind}:{t.id}": t for t in targets}
        choice = h("select", {"id": "transfer-target", "class": "transfer-target"},
                   h("option", {"value": ""}, "Choose a queue or an agent"),
                   h("optgroup", {"label": "Queues"},
                     *[h("option", {"value": v}, t.label) for v, t in by_value.items() if t.kind == "queue"]),
                   h("optgroup", {"label": "Agents"},
                     *[h("option", {"value": v, "disabled": not t.available}, t.label)
                       for v, t in by_value.items() if t.kind == "agent"]))
        note = h("textarea", {"id": "transfer-note", "class": "transfer-note", "rows": "3", "maxlength": "1000",
                              "aria-describedby": "transfer-note-hint"})
        error = h("p", {"class": "transfer-error", "role": "alert"})
        body = h("div", {"class": "transfer-body"},
                 h("label", {"for": "transfer-target"}, "Transfer to"), choice,
                 h("label", {"for": "transfer-note"}, "Note for the receiving agent (optional)"), note,
                 h("p", {"class": "transfer-hint", "id": "transfer-note-hint"},
                   "Shown on the agent's offer card. Agents who are not available cannot be chosen."), error)

        on(choice, "change", lambda _e: text(error, ""))

        def chosen(_value: object) -> bool:
            if str(choice.value) in by_value:
                return True
            text(error, "Choose a queue or an agent.")
            choice.focus()
            return False

        picked = await self.services.dialogs.show(
            "Transfer the conversation", body, [("Cancel", None), ("Transfer", "transfer", "primary")],
            on_open=lambda _d: choice.focus(), validate=chosen, label="transfer-dialog")
        target = by_value.get(str(choice.value)) if picked == "transfer" else None
        if target is None:
            return
        payload: dict[str, object] = {f"{target.kind}id": target.id}
        if target.kind == "agent" and str(note.value).strip():
            payload["note"] = str(note.value).strip()
        await self.services.client.call_json("POST", f"/conversations({self.conversation_id})/transfer", payload)
        self.services.notify(f"The conversation went to {target.label.rsplit(' (', 1)[0]}." if target.kind == "agent"
                             else "The conversation went back to routing in the chosen queue.", "transferred")
        try:
            self.services.workspace.close_session(self.tab.session_id)
        except ApmError:
            pass

    def _show_status(self) -> None:
        code = self.conversation.get("statuscode")
        name = cv.STATUS_NAMES.get(code, "")
        channel = cv.channel_name(self.conversation.get("channel"))
        text(self.status, f"{channel} · {name}")
        self.panel.firstChild.dataset.status = name.lower()
        active = code == 2
        for element in (self.box, self.send_button, self.end_button, self.replies, self.transfer_to):
            if active:
                element.removeAttribute("disabled")
            else:
                element.setAttribute("disabled", "")
        if code == 5:
            self._show_wrapup()
        elif code == 4:
            self._show_closed()

    def _add(self, message: dict) -> None:
        if not self.transcript.add(message):
            return
        sequence = message["sequence"]
        mine = message.get("direction") == "outbound"
        mark = h("span", {"class": "delivery"}, self._mark_text(message))
        item = h("li", {"class": "message " + ("outbound" if mine else "inbound"), "data-sequence": str(sequence)},
                 h("span", {"class": "sender"}, message.get("sendername") or ("You" if mine else "Customer")),
                 h("span", {"class": "text"}, message.get("text") or ""),
                 mark if mine else None)
        self._items[sequence] = (item, mark)
        position = self.transcript.position(sequence)
        after = self.log.children.item(position) if position < self.log.children.length else None
        self.log.insertBefore(item, after)
        scroller = self.log.parentElement  # the role=log region scrolls; the newest message shows
        if scroller is not None and after is None:
            scroller.scrollTop = scroller.scrollHeight

    @staticmethod
    def _mark_text(message: dict) -> str:
        return {"queued": "Sending", "sent": "Sent", "delivered": "Delivered", "read": "Read",
                "failed": "Not delivered"}.get(message.get("deliverystate") or "", "")

    def _event(self, event: dict) -> None:
        kind, data = event.get("type"), event.get("data") or {}
        if kind == "message.created":
            self._add(data)
            if data.get("direction") == "inbound":
                self._show_typing(False)
        elif kind == "message.updated":
            sequence = data.get("sequence")
            if isinstance(sequence, int) and self.transcript.mark(sequence, str(data.get("deliverystate"))):
                item = self._items.get(sequence)
                if item is not None:
                    text(item[1], self._mark_text(self.transcript.messages[sequence]))
        elif kind == "typing" and data.get("who") == "customer":
            self._show_typing(True)
        elif kind in ("conversation.updated", "conversation.assigned"):
            self.conversation = {**self.conversation, **data}
            self._show_status()

    def _show_typing(self, typing: bool) -> None:
        if self._typing_timer is not None:
            js.clearTimeout(self._typing_timer)
            self._typing_timer = None
        text(self.typing, "The customer is typing…" if typing else "")
        if typing:
            self._typing_timer = js.setTimeout(create_once_callable(lambda: self._show_typing(False)),
                                               cv.TYPING_SHOWN_MS)

    def _keydown(self, event: Any) -> None:
        if event.key == "Enter" and not event.shiftKey and not event.isComposing:
            event.preventDefault()
            self.send_box()

    def _typed(self) -> None:
        self.state_changed()
        if self.box.value and self.throttle.should_send(_now_ms()):
            self.spawn(self.services.client.call_json("POST", f"/conversations({self.conversation_id})/typing"))

    def send_box(self) -> None:
        message = str(self.box.value).strip()
        if not message:
            return
        self.box.value = ""
        self.throttle.reset()
        self.state_changed()
        self.spawn(self.send(message))

    async def send(self, message: str) -> dict:
        client_id = "w" + str(js.crypto.randomUUID()).replace("-", "")[:40]
        sent = await self.services.client.call_json("POST", f"/conversations({self.conversation_id})/send",
                                                    {"text": message, "clientId": client_id})
        self._add(sent)
        return sent

    def put_in_box(self, message: str) -> None:
        self.box.value = message
        self.box.focus()
        self.state_changed()

    async def _end(self) -> None:
        self.conversation = await self.services.client.call_json(
            "POST", f"/conversations({self.conversation_id})/end")
        self._show_status()

    def _show_wrapup(self) -> None:
        if not self.wrapup.hasAttribute("hidden"):
            return
        clear(self.wrapup)
        notes = h("textarea", {"class": "wrapup-notes", "rows": "3", "aria-label": "Wrap-up notes"})
        save_note = h("button", {"type": "button", "class": "button-secondary wrapup-save-note"}, "Save note")
        link_contact = h("button", {"type": "button", "class": "button-secondary wrapup-link-contact"},
                         "Link the customer's contact")
        new_case = h("button", {"type": "button", "class": "button-secondary wrapup-create-case"}, "Create a case")
        case_number = h("input", {"type": "text", "class": "wrapup-case-number", "aria-label": "Case number",
                                  "placeholder": "CAS-…"})
        link_case = h("button", {"type": "button", "class": "button-secondary wrapup-link-case"},
                      "Link existing case")
        close = h("button", {"type": "button", "class": "button-primary wrapup-close"}, "Close conversation")
        contact_id = f"wrapup-contact-{self.conversation_id[:8]}"
        self.contact_lookup = Lookup(self.services, CONTACT_FIELD, contact_id, self._contact_picked)
        if self.conversation.get("contactid"):
            self.contact_lookup.set_value({"id": self.conversation["contactid"], "type": "contact"})
        self.wrapup_status = h("p", {"class": "wrapup-status", "role": "status"})
        self.wrapup.append(h("h3", None, "Wrap-up"), notes, h("div", {"class": "wrapup-actions"},
                                                               save_note, link_contact, new_case, close),
                           h("div", {"class": "wrapup-link"}, case_number, link_case),
                           h("div", {"class": "wrapup-contact"},
                             h("label", {"for": contact_id}, "Contact"), self.contact_lookup.element),
                           self.wrapup_status)
        self.wrapup.removeAttribute("hidden")
        if not self.conversation.get("contactid"):
            link_contact.setAttribute("disabled", "")
        on(save_note, "click", lambda _e: self.spawn(self._save_note(notes)))
        on(link_contact, "click", lambda _e: self.spawn(self._link("contact", self.conversation.get("contactid"))))
        on(new_case, "click", lambda _e: self.spawn(self._create_case()))
        on(link_case, "click", lambda _e: self.spawn(self._link_case(str(case_number.value).strip())))
        on(close, "click", lambda _e: self.spawn(self._close(notes)))
        notes.focus()

    async def _save_note(self, notes: Any) -> None:
        value = str(notes.value).strip()
        if value:
            await self.services.client.call_json("POST", f"/conversations({self.conversation_id})/notes",
                                                 {"text": value})
            notes.value = ""
            text(self.wrapup_status, "Note saved.")

    async def _link(self, entity: str, record_id: object) -> None:
        if not record_id:
            return
        self.conversation = await self.services.client.call_json(
            "POST", f"/conversations({self.conversation_id})/link", {"entity": entity, "recordid": record_id})
        text(self.wrapup_status, {"contact": "Contact linked.", "incident": "Case linked.",
                                  "account": "Account linked."}[entity])

    def _contact_picked(self, value: dict | None) -> None:
        """The wrap-up's Contact lookup: link the contact picked (another than the matched one), or unlink."""
        async def run() -> None:
            self.conversation = await self.services.client.call_json(
                "POST", f"/conversations({self.conversation_id})/link",
                {"entity": "contact", "recordid": value["id"] if value else None})
            name = (value or {}).get("name")
            text(self.wrapup_status, "Contact unlinked." if not value else f"Contact {name} linked." if name
                 else "Contact linked.")
        self.spawn(run())

    async def _create_case(self) -> None:
        """The server makes the case from the conversation (title, transcript, contact, origin) and links it."""
        if not self.conversation.get("contactid"):
            text(self.wrapup_status, "A case needs a customer: this conversation has no contact yet.")
            return
        answer = await self.services.client.call_json("POST", f"/conversations({self.conversation_id})/case", {})
        self.conversation = answer["conversation"]
        case = answer["incident"]
        text(self.wrapup_status, f"Case {case.get('ticketnumber') or ''} created and linked.")
        self.services.open_record("incident", case.get("incidentid"), "create_record", record=case)

    async def _link_case(self, number: str) -> None:
        if not number or not all(c.isalnum() or c == "-" for c in number):
            text(self.wrapup_status, "Type a case number such as CAS-01001-AB12CD.")
            return
        page = await self.services.client.list("incidents", filter=f"ticketnumber eq '{number}'",
                                               select=["incidentid", "ticketnumber", "title"], top=1)
        if not page.records:
            text(self.wrapup_status, f"No case numbered {number}.")
            return
        answer = await self.services.client.call_json("POST", f"/conversations({self.conversation_id})/case",
                                                      {"incidentid": page.records[0]["incidentid"]})
        self.conversation = answer["conversation"]
        text(self.wrapup_status, f"Case {number} linked.")

    async def save_wrapup_note(self) -> None:
        """Save what is typed in the wrap-up notes (closing the session from its X in wrap-up)."""
        notes = self.wrapup.querySelector(".wrapup-notes")
        if notes is not None:
            await self._save_note(notes)

    async def _close(self, notes: Any) -> None:
        await self._save_note(notes)
        await self.services.client.call_json("POST", f"/conversations({self.conversation_id})/close")
        session_id = self.tab.session_id
        try:
            self.services.workspace.close_session(session_id)
        except ApmError:
            pass

    def _show_closed(self) -> None:
        text(self.status, f"{cv.channel_name(self.conversation.get('channel'))} · Closed")

    def view_state(self) -> dict | None:
        draft = str(self.box.value) if getattr(self, "box", None) is not None else ""
        return {"draft": draft} if draft else None

    def shown(self) -> None:
        draft = self.initial_state.get("draft")
        if draft and not self.box.value:
            self.box.value = draft


class CustomerSummaryPage(Page):
    """The customer summary tab: who the customer is, their channel and what the conversation is linked to."""

    def mount(self, panel: Any) -> None:
        self.panel = panel
        self.body = h("dl", {"class": "customer-summary"})
        panel.appendChild(h("div", {"class": "customer-summary-page"}, h("h2", None, "Customer summary"), self.body))
        self.spawn(self._load())

    async def _load(self) -> None:
        conversation = await self.services.client.get("conversations", str(self.params.get("recordId")))
        contact_name = None
        if conversation.get("contactid"):
            try:
                contact = await self.services.client.get("contacts", conversation["contactid"])
                contact_name = contact.get("fullname")
            except Exception:  # not visible to this agent: the handle is enough
                contact_name = None
        clear(self.body)
        for label, value in (("Customer", conversation.get("customername")),
                             ("Handle", conversation.get("customerhandle")),
                             ("Channel", cv.channel_name(conversation.get("channel"))),
                             ("Contact", contact_name or "Not linked"),
                             ("Case", "Linked" if conversation.get("incidentid") else "None")):
            self.body.append(h("dt", None, label), h("dd", None, value or ""))


def register(host: PageHost) -> None:
    host.register(is_conversation, ConversationPage, first=True)
    host.register(is_summary, CustomerSummaryPage, first=True)


def _answer(result: object) -> dict:
    return {"result": result}


def _refusal(error: BaseException) -> dict:
    return {"error": {"code": getattr(error, "code", "invalid_input"),
                      "message": getattr(error, "message", None) or str(error)}}


def install_api(desk: ConversationDesk) -> None:
    """``Microsoft.CIFramework.getPresence/setPresence`` and ``Microsoft.Omnichannel.*`` (web/js/omnichannel.js)
    through the bridge's asynchronous calls."""
    services = desk.services

    def call(name: str, arity: int):
        def wrap(function):
            async def run(*args: object) -> dict:
                try:
                    return _answer(await function(*args))
                except Exception as error:  # refusals answer the Promise's rejection, never raise into JS
                    return _refusal(error)
            apm_bridge.register_async_call(name, arity, run)
            return function
        return wrap

    @call("ci.getPresence", 0)
    async def get_presence() -> str:
        return desk.presence or await desk.load_presence() or "FAILED"

    @call("ci.setPresence", 1)
    async def set_presence(presence: object) -> bool:
        return await desk.set_presence(str(presence))

    @call("oc.getConversationId", 0)
    async def get_conversation_id() -> str | None:
        return desk.focused_conversation()

    @call("oc.getConversations", 2)
    async def get_conversations(query: object, _correlation: object) -> list:
        filter_ = cv.conversations_filter(query, services.agent.user_id)
        page = await services.client.list("conversations", filter=filter_ or None, orderby="createdon desc", top=100)
        return [cv.omnichannel_conversation(r, desk.session_of_conversation(r["conversationid"]))
                for r in page.records]

    @call("oc.openConversation", 3)
    async def open_conversation(conversation_id: object, _session: object, _stream: object) -> str | None:
        if not isinstance(conversation_id, str) or not conversation_id:
            raise ValueError("openConversation needs a conversation id.")
        return await desk.open_conversation(conversation_id)

    def target(conversation_id: object) -> str:
        chosen = conversation_id if isinstance(conversation_id, str) and conversation_id else \
            desk.focused_conversation()
        if not chosen:
            raise ValueError("No conversation: pass its id, or focus a conversation session.")
        return chosen

    def entity_of(name: object) -> str:
        if name not in ("account", "contact", "incident"):
            raise ValueError("entityLogicalName is account, contact or incident.")
        return str(name)

    @call("oc.linkToConversation", 3)
    async def link(entity: object, record_id: object, conversation_id: object) -> dict:
        return await desk.link_record(target(conversation_id), entity_of(entity), record_id)

    @call("oc.unlinkFromConversation", 3)
    async def unlink(entity: object, _record_id: object, conversation_id: object) -> dict:
        return await desk.link_record(target(conversation_id), entity_of(entity), None)

    @call("oc.sendMessageToConversation", 3)
    async def send_message(message: object, to_send_box: object, conversation_id: object) -> dict | None:
        chosen = target(conversation_id)
        if isinstance(message, dict):
            message = json.dumps(message)
        if not isinstance(message, str) or not message.strip():
            raise ValueError("message is text or a rich message object.")
        return await desk.send_text(chosen, message, to_send_box=to_send_box is not False)


async def start(services: Services) -> ConversationDesk:
    """Build the desk, hand it the push connection, load presence (then conversation sessions may come back)."""
    desk = ConversationDesk(services)
    services.conversations = desk
    install_api(desk)
    if services.push is not None:
        desk.attach(services.push)
    try:
        await desk.load_presence()
    except Exception as error:  # shown; the gate still opens so restored conversations come back
        services.report(error)
    await asyncio.sleep(0)
    return desk
