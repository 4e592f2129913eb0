"""The conversation timers, pure (time passed in): when a customer's disconnect, an agent's disconnect or a waiting
conversation's silence changes a conversation. The tick (``ConversationService.route``) applies them.

Reference (Dynamics 365, "Conversation states"): Active → Open on the agent's disconnect timeout; Active → Waiting
for persistent and asynchronous chats the customer left ("A conversation in waiting doesn't consume a
representative's capacity"); Waiting → Open when the customer returns; Waiting → Closed on inactivity. The
reference gives no figure for the customer's grace or the inactivity timeout; ours are below (settable per
service). The agent's timeout is the presence rule's 2.5 minutes (``presence.DISCONNECT_GRACE``).
"""

from __future__ import annotations

import datetime as dt

from server.conversations.presence import DISCONNECT_GRACE
from server.conversations.states import Status

#: A persistent chat's customer whose last socket closed this long ago (and who did not write) is Waiting.
CUSTOMER_GRACE = dt.timedelta(minutes=2, seconds=30)
#: A Waiting conversation with nothing new for this long is closed.
WAITING_TIMEOUT = dt.timedelta(hours=24)
AGENT_GRACE = DISCONNECT_GRACE


def customer_gone(statuscode: int, connections: int, disconnected_on: dt.datetime | None, now: dt.datetime,
                  grace: dt.timedelta = CUSTOMER_GRACE) -> bool:
    """Whether an Active conversation's customer left for longer than ``grace`` (no socket open since)."""
    return (statuscode == int(Status.ACTIVE) and connections <= 0 and disconnected_on is not None
            and now - disconnected_on > grace)


def waiting_expired(statuscode: int, since: dt.datetime | None, now: dt.datetime,
                    timeout: dt.timedelta = WAITING_TIMEOUT) -> bool:
    """Whether a Waiting conversation was silent for longer than ``timeout`` (``since``: its last change)."""
    return statuscode == int(Status.WAITING) and since is not None and now - since > timeout


def case_prefill(conversation: dict, messages: list[dict], channel_origin: dict[str, str] | None = None) -> dict:
    """A new case's fields from a conversation: title from the customer's first message (its first line), the
    transcript as the description, the conversation's contact as customer, the origin from the channel.

    Args:
        conversation: ``conversationid``, ``channel``, ``customername``, ``contactid``.
        messages: The transcript (``sequence``, ``direction``, ``sendername``, ``text``), any order.
    """
    ordered = sorted(messages, key=lambda m: m.get("sequence") or 0)
    first = next((m.get("text") or "" for m in ordered if m.get("direction") == "inbound"
                  and (m.get("text") or "").strip()), "")
    name = conversation.get("customername") or "the customer"
    title = first.strip().splitlines()[0].strip() if first.strip() else f"Conversation with {name}"
    lines = [f"{m.get('sendername') or ('Customer' if m.get('direction') == 'inbound' else 'Agent')}: "
             f"{m.get('text') or ''}" for m in ordered]
    description = (f"From the {conversation.get('channel') or 'chat'} conversation with {name}.\n\n"
                   + "\n".join(lines))
    origins = channel_origin or {"chat": "chat", "teams": "chat", "facebook": "chat", "whatsapp": "chat",
                                 "line": "chat", "wechat": "chat", "sms": "phone"}
    return {"title": title[:300], "description": description[:20000],
            "customerid": conversation.get("contactid"), "customeridtype": "contact",
            "caseorigincode": origins.get(conversation.get("channel") or "", "web"), "prioritycode": 2,
            "statuscode": 1}
