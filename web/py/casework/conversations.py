"""Conversations in the workspace, pure: presence statuses, offers' countdowns, transcripts, the session context,
and the ``Microsoft.Omnichannel`` answers' shapes. The page side is ``components.conversations``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from apm.slugs import resolve
from apm.templates import CHANNEL_SESSION_TEMPLATES

#: The reference's base presence statuses, in the header's order.
PRESENCES = ("Available", "Busy", "Busy - DND", "Away", "Offline")
DND = "Busy - DND"
SESSION_TEMPLATE = "msdyn_chat_session"  # live chat's, and the fallback for a channel without its own
#: Every conversation session template (restore holds these back until presence is loaded).
SESSION_TEMPLATES = tuple(name for name, _display in CHANNEL_SESSION_TEMPLATES.values())
CONVERSATION_TAB = "msdyn_conversation"
SUMMARY_TAB = "msdyn_customersummary"
LIVE_CHANNELS = ("chat",)  # the server's: X without End sends these back to Open, the others to Waiting
STATUS_NAMES = {1: "Open", 2: "Active", 3: "Waiting", 4: "Closed", 5: "Wrap-up"}
CHANNEL_NAMES = {"chat": "Live chat", "sms": "SMS", "whatsapp": "WhatsApp", "facebook": "Facebook",
                 "line": "LINE", "wechat": "WeChat", "teams": "Microsoft Teams"}
TYPING_SHOWN_MS = 4000
TYPING_SEND_EVERY_MS = 2000


def parse_time_ms(iso: str | None) -> float | None:
    """Milliseconds since the epoch of an ISO time from the server (``Z`` or an offset), ``None`` if absent."""
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000
    except ValueError:
        return None


def seconds_left(expires_on: str | None, now_ms: float) -> int:
    """Whole seconds until an offer expires (never negative; 0 when unknown)."""
    at = parse_time_ms(expires_on)
    return 0 if at is None else max(0, int((at - now_ms + 999) // 1000))


def duration_text(since: str | None, now_ms: float) -> str:
    """``45 s``, ``3 min``, ``2 h 5 min`` since ``since``."""
    at = parse_time_ms(since)
    if at is None:
        return ""
    seconds = max(0, int((now_ms - at) // 1000))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


def session_template_for(channel: str | None) -> str:
    """The channel's session template (``msdyn_sms_session`` for ``sms``...); live chat's for an unknown one."""
    return CHANNEL_SESSION_TEMPLATES.get(channel or "", CHANNEL_SESSION_TEMPLATES["chat"])[0]


def channel_name(channel: str | None) -> str:
    return CHANNEL_NAMES.get(channel or "", channel or "")


def session_context(conversation: dict) -> dict:
    """The chat session's context: the template resolves its title and tabs from it."""
    return {"entityId": conversation["conversationid"], "conversationId": conversation["conversationid"],
            "customerName": conversation.get("customername") or conversation.get("customerhandle") or "Customer",
            "channel": conversation.get("channel") or ""}


def close_action(statuscode: object) -> str | None:
    """What closing (X) a conversation session does first: ``"ask"`` for an Active conversation (keep it, leave
    it without ending, or end and close it), ``"close"`` for one in wrap-up (closing the session closes the
    conversation), ``None`` otherwise (the session just closes)."""
    return {2: "ask", 5: "close"}.get(statuscode) if isinstance(statuscode, int) else None


def leave_text(channel: str | None) -> str:
    """What "Close session" (X without End) does to the conversation, for the close dialog."""
    if (channel or "") in LIVE_CHANNELS:
        return ("Close session leaves the chat open: it goes back to the queue and is offered to another agent. "
                "End and close ends it for the customer and closes it.")
    return ("Close session leaves the conversation waiting for the customer's next message, and frees your "
            "capacity; reopen it from your work items. End and close ends and closes it.")


@dataclass(frozen=True)
class TransferTarget:
    """One choice in the Transfer dialog: a queue, or an agent with their presence."""

    kind: str  # "queue" | "agent"
    id: str
    label: str
    available: bool = True


def transfer_targets(answer: object) -> list[TransferTarget]:
    """``GET .../transfertargets``'s answer as dialog choices: queues first, then agents (label with their
    presence; only agents who can take it now are ``available``). Malformed entries are skipped."""
    answer = answer if isinstance(answer, dict) else {}
    targets: list[TransferTarget] = []
    for queue in answer.get("queues") or []:
        if isinstance(queue, dict) and isinstance(queue.get("queueid"), str):
            targets.append(TransferTarget("queue", queue["queueid"], str(queue.get("name") or "Queue")))
    for person in answer.get("agents") or []:
        if isinstance(person, dict) and isinstance(person.get("systemuserid"), str):
            presence = str(person.get("presence") or "Offline")
            targets.append(TransferTarget("agent", person["systemuserid"],
                                          f"{person.get('fullname') or 'Agent'} ({presence})",
                                          bool(person.get("available"))))
    return targets


@dataclass
class Transcript:
    """A conversation's messages by sequence: each once, in order, with delivery states moving forward only."""

    messages: dict[int, dict] = field(default_factory=dict)

    STATES = ("queued", "sent", "delivered", "read")

    def add(self, message: dict) -> bool:
        """Add a message (from the transcript or a push); ``False`` when its sequence is already there."""
        sequence = message.get("sequence")
        if not isinstance(sequence, int) or sequence in self.messages:
            return False
        self.messages[sequence] = dict(message)
        return True

    def mark(self, sequence: int, state: str) -> bool:
        """Move a message's delivery state forward (``failed`` always applies); ``True`` when it changed."""
        message = self.messages.get(sequence)
        if message is None or message.get("deliverystate") == state:
            return False
        old = message.get("deliverystate")
        if state != "failed" and old in self.STATES and state in self.STATES and \
                self.STATES.index(state) < self.STATES.index(old):
            return False
        message["deliverystate"] = state
        return True

    def ordered(self) -> list[dict]:
        return [self.messages[k] for k in sorted(self.messages)]

    def position(self, sequence: int) -> int:
        """Where a message of ``sequence`` goes among those shown (the count of smaller sequences)."""
        return sum(1 for k in self.messages if k < sequence)


class TypingThrottle:
    """Send "the agent is typing" at most every ``every_ms`` (time passed in)."""

    def __init__(self, every_ms: float = TYPING_SEND_EVERY_MS) -> None:
        self.every_ms = every_ms
        self._last: float | None = None

    def should_send(self, now_ms: float) -> bool:
        if self._last is not None and now_ms - self._last < self.every_ms:
            return False
        self._last = now_ms
        return True

    def reset(self) -> None:
        self._last = None


def omnichannel_conversation(conversation: dict, session_id: str | None = None) -> dict:
    """One conversation as ``Microsoft.Omnichannel.getConversations`` answers it (the reference's default
    attributes, plus ours)."""
    return {"msdyn_ocliveworkitemid": conversation.get("conversationid"),
            "msdyn_liveworkstreamid": conversation.get("channel"),
            "msdyn_lastsessionid": session_id,
            "StatusCode": conversation.get("statuscode"),
            "CreatedOn": conversation.get("createdon"),
            **conversation}


def conversations_filter(query: object, own_id: str | None) -> str:
    """The OData ``$filter`` for ``getConversations(input)``: ``agentId`` (required by the reference; ours
    defaults to the signed-in agent) and ``status`` (a list of status codes)."""
    query = query if isinstance(query, dict) else {}
    agent = query.get("agentId") or own_id
    parts = []
    if isinstance(agent, str) and agent:
        if not all(c.isalnum() or c == "-" for c in agent):
            raise ValueError("agentId is a user id.")
        parts.append(f"ownerid eq '{agent}'")
    statuses = query.get("status")
    if statuses is not None:
        if not isinstance(statuses, list) or not all(isinstance(s, int) and not isinstance(s, bool)
                                                     for s in statuses):
            raise ValueError("status is a list of status codes (1 Open, 2 Active, 3 Waiting, 4 Closed, 5 Wrap-up).")
        if statuses:
            parts.append("(" + " or ".join(f"statuscode eq {s}" for s in statuses) + ")")
    return " and ".join(parts)


@dataclass(frozen=True)
class QuickReply:
    """A seeded answer for the composer (``/api/quickreplies``); ``text`` holds ``{slug}``s."""

    id: str
    title: str
    text: str
    languagecode: int = 1033

    @classmethod
    def from_record(cls, record: dict) -> QuickReply | None:
        """``None`` for a record without an id, title or text (never raises)."""
        if not isinstance(record, dict):
            return None
        values = [record.get(k) for k in ("quickreplyid", "title", "text")]
        if not all(isinstance(v, str) and v for v in values):
            return None
        language = record.get("languagecode")
        return cls(values[0], values[1], values[2], language if isinstance(language, int) else 1033)


def quick_reply_context(conversation: dict, agent_name: str, case_title: str | None = None) -> dict:
    """The values a quick reply's slugs read: the reference's ``{customerName}`` and ours (``agentName``,
    ``caseTitle``, ``channel``)."""
    context = {"customerName": conversation.get("customername") or conversation.get("customerhandle") or "",
               "agentName": agent_name, "channel": channel_name(conversation.get("channel")),
               "LiveWorkItemId": conversation.get("conversationid") or ""}
    if case_title:
        context["caseTitle"] = case_title
    return context


def fill_quick_reply(reply: QuickReply, context: dict) -> tuple[str, tuple[str, ...]]:
    """The reply's text with its slugs filled (one pass: a customer's name is never read as a slug). Returns the
    text and the slugs that had no value (left empty, so the agent sees what to complete)."""
    result = resolve(reply.text, context)
    if not result.unknown:
        return result.text, ()
    # an empty slug leaves a double space or a space before punctuation behind
    text = result.text.replace("  ", " ").replace(" ,", ",").replace(" .", ".")
    return text, result.unknown


def matching_quick_replies(replies: list[QuickReply], query: str = "", language: int | None = None
                           ) -> list[QuickReply]:
    """Replies whose title or text holds every word of ``query`` (any case), in ``language`` if given, by title."""
    words = [w for w in query.lower().split() if w]
    chosen = [r for r in replies if (language is None or r.languagecode == language)
              and all(w in (r.title + " " + r.text).lower() for w in words)]
    return sorted(chosen, key=lambda r: r.title.lower())
