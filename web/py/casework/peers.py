"""Several browser tabs of one agent: which restore slot a browser tab uses, which closed workspaces to offer, and
which records other live browser tabs are editing.

Pure (no ``js``): the browser edge (``browser/slots.py``, ``browser/peers.py``) holds the Web Locks, talks over
``BroadcastChannel`` and paints; the decisions are made here and unit-tested under CPython. See docs/restore.md
("Several browser tabs").
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from apm.templates import record_identity
from casework.statedb import Connector, list_workspaces

HOME_SESSION_ID = "home"
MAX_OFFERS = 3
#: Retention of closed browser tabs' workspaces: the newest ``KEEP_CLOSED`` are kept while younger than
#: ``KEEP_CLOSED_DAYS`` days; older or further ones are removed (see :func:`closed_slots_to_prune`).
KEEP_CLOSED = 10
KEEP_CLOSED_DAYS = 30
#: Messages on the peers channel (one channel per origin and user).
HELLO, EDITS, BYE = "hello", "edits", "bye"
MAX_RECORDS_PER_MESSAGE = 200

Record = tuple[str, str]


# --- Slot choice ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotChoice:
    """Which workspace id (restore slot) this browser tab uses.

    Attributes:
        workspace_id: The slot to load and save.
        reason: ``"own"`` (sessionStorage had it and no live browser tab holds it: a reload), ``"new"`` (no
            id yet: a new browser tab; the reopen offer applies) or ``"duplicate"`` (sessionStorage had an id that
            another live browser tab holds: a duplicated browser tab, whose sessionStorage was copied).
        copy_from: For ``"duplicate"``: the slot to start from (its snapshot is copied into the new slot).
    """

    workspace_id: str
    reason: str
    copy_from: str | None = None


def choose_slot(stored_id: str | None, stored_is_free: bool | None, new_id: str) -> SlotChoice:
    """Decide the slot of a booting browser tab.

    Args:
        stored_id: The workspace id sessionStorage holds (``None``/empty: a new browser tab).
        stored_is_free: Whether this browser tab could take the lock of ``stored_id`` (``False``: another live
            browser tab holds it; ``None``: unknown, e.g. no locking available at all, taken as free).
        new_id: A fresh id to use when the stored one cannot be used.
    """
    if not stored_id:
        return SlotChoice(new_id, "new")
    if stored_is_free is False:
        return SlotChoice(new_id, "duplicate", copy_from=stored_id)
    return SlotChoice(stored_id, "own")


# --- Reopen offers --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReopenOffer:
    """A saved workspace whose browser tab was closed, offered to a new browser tab.

    Attributes:
        workspace_id: The slot's workspace id (adopted when the agent reopens it).
        saved_at: When it was last saved (ISO text; ``None`` when unreadable).
        sessions: Its sessions besides Home.
        tabs: Its tabs besides Home's.
        names: The titles of its sessions besides Home (the case names an agent recognises), in order.
    """

    workspace_id: str
    saved_at: str | None
    sessions: int
    tabs: int
    names: tuple[str, ...] = ()


def summarize(text: str | None) -> tuple[int, int] | None:
    """``(sessions, tabs)`` of a saved envelope besides Home; ``None`` when unreadable. Never raises."""
    try:
        sessions = json.loads(text)["data"]["sessions"]  # type: ignore[arg-type]
        others = [s for s in sessions if isinstance(s, dict) and s.get("session_id") != HOME_SESSION_ID]
        return len(others), sum(len(s.get("tabs") or []) for s in others if isinstance(s.get("tabs"), list))
    except Exception:  # a corrupt slot is simply not offered; loading it is where it gets reported
        return None


def session_names(text: str | None) -> tuple[str, ...]:
    """The titles of a saved envelope's sessions besides Home (blank and non-text titles left out). Never raises."""
    try:
        sessions = json.loads(text)["data"]["sessions"]  # type: ignore[arg-type]
        return tuple(
            s["title"].strip() for s in sessions
            if isinstance(s, dict) and s.get("session_id") != HOME_SESSION_ID
            and isinstance(s.get("title"), str) and s["title"].strip()
        )
    except Exception:
        return ()


def reopen_offers(
    connector: Connector, prefix: str, live_ids: Iterable[str], own_id: str, limit: int = MAX_OFFERS
) -> list[ReopenOffer]:
    """Saved workspaces of this user that no live browser tab holds, newest first, at most ``limit``.

    Left out: this browser tab's own slot, slots held by live browser tabs, unreadable slots and slots with
    nothing but Home (nothing worth reopening).
    """
    live = set(live_ids) | {own_id}
    offers = []
    for saved in list_workspaces(connector, prefix):
        if saved.workspace_id in live:
            continue
        try:
            text = connector.fetch(saved.key)
        except Exception:  # storage refused the read: nothing to offer
            text = None
        summary = summarize(text)
        if summary is None or summary[0] == 0:
            continue
        offers.append(ReopenOffer(saved.workspace_id, saved.saved_at, *summary, session_names(text)))
        if len(offers) >= limit:
            break
    return offers


def _age_days(saved_at: str, now: str) -> float | None:
    try:
        saved = datetime.fromisoformat(saved_at.replace("Z", "+00:00"))
        current = datetime.fromisoformat(now.replace("Z", "+00:00"))
        return (current - saved).total_seconds() / 86400
    except (ValueError, TypeError):
        return None


def closed_slots_to_prune(
    connector: Connector,
    prefix: str,
    live_ids: Iterable[str],
    own_id: str,
    now: str,
    keep: int = KEEP_CLOSED,
    max_age_days: float = KEEP_CLOSED_DAYS,
) -> list[str]:
    """Storage keys of closed browser tabs' workspaces that retention drops, so closed tabs cannot fill storage.

    A closed slot (no live browser tab holds it; not this tab's own) is kept while it is among the newest ``keep``
    closed ones and younger than ``max_age_days``. Slots whose ``saved_at`` cannot be read are never pruned here:
    loading one is where corrupt data is reported and quarantined, never silently wiped.
    """
    live = set(live_ids) | {own_id}
    closed = [saved for saved in list_workspaces(connector, prefix) if saved.workspace_id not in live]
    prune = []
    kept = 0
    for saved in closed:  # newest first
        if saved.saved_at is None:
            continue
        age = _age_days(saved.saved_at, now)
        if age is None:
            continue
        if kept < keep and age <= max_age_days:
            kept += 1
        else:
            prune.append(saved.key)
    return prune


MAX_OFFER_NAMES = 3


def offer_text(offer: ReopenOffer, saved_local: str | None = None) -> str:
    """``"CAS-01001 Printer jam, CAS-01002 Refund and 1 more, saved 27 Nov, 22:50"``: what the offer shows about a
    closed workspace: its sessions by name (counts only when none has a name) and when it was saved.

    Args:
        offer: The closed workspace.
        saved_local: ``saved_at`` in the agent's local time, formatted by the page (``None``: shown as UTC).
    """
    if offer.names:
        shown = list(offer.names[:MAX_OFFER_NAMES])
        rest = len(offer.names) - len(shown)
        what = ", ".join(shown) + (f" and {rest} more" if rest else "")
    else:
        sessions = f"{offer.sessions} session{'s' if offer.sessions != 1 else ''}"
        tabs = f"{offer.tabs} tab{'s' if offer.tabs != 1 else ''}"
        what = f"{sessions}, {tabs}"
    if saved_local:
        when = f"saved {saved_local}"
    elif offer.saved_at:
        when = f"saved {offer.saved_at[:10]} {offer.saved_at[11:16]} UTC"
    else:
        when = "saved earlier"
    return f"{what}, {when}"


# --- Peer edits -----------------------------------------------------------------------------


def record_key(entity_name: object, entity_id: object) -> Record | None:
    """A record as ``(entity name, id)``, lower-cased and without GUID braces (as ``Tab.record``); ``None`` when
    not a record."""
    return record_identity(entity_name, entity_id)


def edits_message(workspace_id: str, records: Iterable[Record], kind: str = EDITS) -> dict:
    """The message a live browser tab posts: the records it has open with unsaved edits (``kind`` edits/hello)."""
    listed = sorted({r for r in records if r is not None})[:MAX_RECORDS_PER_MESSAGE]
    return {"type": kind, "workspaceId": workspace_id, "records": [list(r) for r in listed]}


def bye_message(workspace_id: str) -> dict:
    """The message a browser tab posts when it goes away (its edits no longer count)."""
    return {"type": BYE, "workspaceId": workspace_id}


class PeerEdits:
    """What the other live browser tabs of this agent have open with unsaved edits (by their workspace id).

    Args:
        own_id: This browser tab's workspace id (its own messages are ignored).
    """

    def __init__(self, own_id: str) -> None:
        self.own_id = own_id
        self.by_peer: dict[str, frozenset[Record]] = {}

    def receive(self, message: object) -> str | None:
        """Apply one channel message; returns its type when it was valid and from another tab, else ``None``.

        ``hello`` and ``edits`` replace that peer's list; ``bye`` forgets the peer. Malformed messages (another
        version, a hostile script) are ignored.
        """
        if not isinstance(message, Mapping):
            return None
        kind, peer = message.get("type"), message.get("workspaceId")
        if kind not in (HELLO, EDITS, BYE) or not isinstance(peer, str) or not peer or peer == self.own_id:
            return None
        if kind == BYE:
            self.by_peer.pop(peer, None)
            return kind
        raw = message.get("records")
        if not isinstance(raw, list):
            return None
        records = set()
        for item in raw[:MAX_RECORDS_PER_MESSAGE]:
            if isinstance(item, (list, tuple)) and len(item) == 2:
                key = record_key(*item)
                if key is not None:
                    records.add(key)
        if records:
            self.by_peer[peer] = frozenset(records)
        else:
            self.by_peer.pop(peer, None)
        return kind

    def edited_elsewhere(self, open_records: Iterable[Record]) -> dict[Record, tuple[str, ...]]:
        """Of ``open_records`` (this tab's), those another live browser tab edits: record -> peer workspace ids."""
        found: dict[Record, tuple[str, ...]] = {}
        for record in open_records:
            peers = tuple(sorted(peer for peer, records in self.by_peer.items() if record in records))
            if peers:
                found[record] = peers
        return found
