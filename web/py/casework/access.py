"""Who may edit a record on its form, and the short reason shown when they may not. Pure.

It mirrors the server's authorisation (``server/api/entities.py`` write roles and owner checks,
``server/api/records.py`` ``update_record``): the page uses it to show a record read-only *before* the agent types,
but the server stays the authority (a refusal it answers still reloads the form, which then shows why).

* cases: a resolved or cancelled case is read-only for everyone; an agent edits a case it owns or nobody owns;
* activities (task, e-mail, phone call, appointment) and notes: an agent edits its own; a completed (sent) or
  cancelled e-mail is read-only for everyone (the server refuses changing it);
* knowledge articles: supervisors and admins only;
* accounts and contacts: everyone.
"""

from __future__ import annotations

from dataclasses import dataclass

MANAGER_ROLES = ("supervisor", "admin")
ACTIVITIES = ("task", "email", "phonecall", "appointment")
# Entities an agent edits only when it owns the record (True: or when nobody owns it).
OWNER_CHECKED = {"incident": True, "annotation": False, **{name: False for name in ACTIVITIES}}
MANAGERS_ONLY = ("knowledgearticle",)

CASE_CLOSED = {1: "Resolved", 2: "Cancelled"}
ACTIVITY_CLOSED = {1: "Completed", 2: "Cancelled"}


@dataclass(frozen=True)
class Access:
    """Whether the user may edit the record, and why not.

    Attributes:
        editable: The form's fields and Save work.
        reason: Short, shown beside "Read-only" (``"Resolved"``, ``"Owned by Agent 6 Rossi"``); ``""`` when editable.
        code: A stable code for the reason (``closed``, ``not_owner``, ``role``; ``""`` when editable).
    """

    editable: bool
    reason: str = ""
    code: str = ""


EDITABLE = Access(True)


def is_manager(roles: tuple[str, ...] | list[str]) -> bool:
    return bool(set(roles) & set(MANAGER_ROLES))


def edit_access(logical: str, record: dict | None, user_id: str, roles: tuple[str, ...] | list[str],
                owner_name: str | None = None) -> Access:
    """Whether ``user_id`` with ``roles`` may edit ``record`` (``None``: a new record) of entity ``logical``.

    Args:
        logical: The entity's logical name (``incident``, ``email``...).
        record: The record as last read (``None`` or ``{}`` for a new one).
        user_id: The signed-in user's ``systemuserid``.
        roles: The user's roles.
        owner_name: The owner's display name, when known (else the reason says "another user").

    Returns:
        The :class:`Access`; closed records first (no role edits them), then roles, then ownership.
    """
    record = record or {}
    statecode = record.get("statecode")
    if record and logical == "incident" and statecode in CASE_CLOSED:
        return Access(False, CASE_CLOSED[statecode], "closed")
    if record and logical == "email" and statecode in ACTIVITY_CLOSED:
        return Access(False, ACTIVITY_CLOSED[statecode], "closed")
    manager = is_manager(roles)
    if logical in MANAGERS_ONLY and not manager:
        return Access(False, "Only supervisors and admins edit knowledge articles", "role")
    if not record or manager or logical not in OWNER_CHECKED:
        return EDITABLE
    owner = record.get("ownerid")
    if owner == user_id or (owner is None and OWNER_CHECKED[logical]):
        return EDITABLE
    if owner is None:
        return Access(False, "Owned by nobody: only a supervisor can change it", "not_owner")
    return Access(False, f"Owned by {owner_name or 'another user'}", "not_owner")


def open_activities_text(activities: list[dict], limit: int = 5) -> str:
    """The sentence the resolve dialog shows about activities still open on the case (``""`` when none).

    ``activities``: ``{"subject", "activitytypecode"}`` rows. At most ``limit`` are named; the rest are counted.
    """
    if not activities:
        return ""
    kinds = {"task": "task", "email": "e-mail", "phonecall": "phone call", "appointment": "appointment"}
    named = [f"{row.get('subject') or '(no subject)'} ({kinds.get(str(row.get('activitytypecode')), 'activity')})"
             for row in activities[:limit]]
    more = len(activities) - len(named)
    count = len(activities)
    head = f"{count} activit{'y is' if count == 1 else 'ies are'} still open on this case: "
    return head + ", ".join(named) + (f" and {more} more" if more else "") + "."
