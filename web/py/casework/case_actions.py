"""Case actions without the DOM: which commands a case allows, what each needs, and checking the agent's input. Pure.

The server (``server/api/records.py``) offers resolve, cancel (agents, supervisors, admins; only an active case),
assign and route (supervisors and admins). It has no reactivate action, so neither do we.
"""

from __future__ import annotations

from dataclasses import dataclass

from casework.records import odata_literal

ACTIVE, RESOLVED, CANCELLED = 0, 1, 2
MANAGER_ROLES = ("supervisor", "admin")

RESOLVE_REASONS = ((5, "Problem solved"), (1000, "Information provided"))
CANCEL_REASONS = ((6, "Cancelled"), (2000, "Merged"))
RESOLUTION_MAX, DESCRIPTION_MAX = 300, 20000


@dataclass(frozen=True)
class Command:
    """A toolbar command: ``key`` (``resolve``...), its label and what it does (its tooltip when enabled)."""

    key: str
    label: str
    description: str
    managers_only: bool = False


COMMANDS: tuple[Command, ...] = (
    Command("resolve", "Resolve case", "Close the case with a resolution"),
    Command("cancel", "Cancel case", "Close the case without resolving it"),
    Command("assign", "Assign", "Give the case to another user", managers_only=True),
    Command("route", "Route to queue", "Move the case to a queue", managers_only=True),
)


@dataclass(frozen=True)
class CommandState:
    """Whether a command can run now, and the sentence that says why not (or what it does)."""

    enabled: bool
    title: str
    hidden: bool = False  # a command this user can never run (assign and route for agents) is not shown


def state_label(statecode: object) -> str:
    return {ACTIVE: "Active", RESOLVED: "Resolved", CANCELLED: "Cancelled"}.get(statecode, "")  # type: ignore[arg-type]


def command_states(record: dict | None, roles: tuple[str, ...] | list[str] = (),
                   not_owner: str = "") -> dict[str, CommandState]:
    """Each command's state for ``record`` as last read (``None``: not saved yet) and the agent's ``roles``.

    A closed case is read-only: every command is disabled with the reason. Assign and route are hidden from users
    without a manager role (the server refuses them anyway). ``not_owner``: the reason an agent may not change the
    case (``"Owned by Agent 6 Rossi"``, from ``casework.access``): resolve and cancel are disabled with it.
    """
    states = {}
    manager = bool(set(roles) & set(MANAGER_ROLES))
    for command in COMMANDS:
        if command.managers_only and not manager:
            states[command.key] = CommandState(False, f"{command.description} (supervisors and admins only)",
                                               hidden=True)
            continue
        if record is None or not record.get("incidentid"):
            states[command.key] = CommandState(False, "Save the case first.")
            continue
        statecode = record.get("statecode")
        if statecode != ACTIVE:
            states[command.key] = CommandState(
                False, f"This case is {state_label(statecode).lower() or 'closed'}: it is read-only.")
            continue
        if not_owner and not manager:
            states[command.key] = CommandState(
                False, f"{not_owner}: only the owner, a supervisor or an admin can change this case.")
            continue
        states[command.key] = CommandState(True, command.description)
    return states


def validate_resolution(subject: str, description: str, statuscode: object) -> dict[str, str]:
    """Field errors of the resolve dialog (``{"subject"|"description"|"statuscode": message}``)."""
    errors = {}
    if not subject.strip():
        errors["subject"] = "Enter a resolution."
    elif len(subject) > RESOLUTION_MAX:
        errors["subject"] = f"The resolution is longer than {RESOLUTION_MAX} characters."
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = f"The description is longer than {DESCRIPTION_MAX} characters."
    if statuscode not in dict(RESOLVE_REASONS):
        errors["statuscode"] = "Choose a status reason."
    return errors


def parse_reason(value: str, reasons: tuple[tuple[int, str], ...]) -> int | None:
    """A ``<select>`` value back to its status code (``None`` when it is not one of ``reasons``)."""
    try:
        code = int(value)
    except (TypeError, ValueError):
        return None
    return code if code in dict(reasons) else None


def open_activities_filter(case_id: str) -> str:
    """The OData ``$filter`` of the activities still open on a case (for the resolve dialog's warning)."""
    return f"regardingobjectid eq {odata_literal(case_id)} and statecode eq 0"


def user_filter(text: str) -> str | None:
    """The OData ``$filter`` for the assign picker's search text (enabled users whose name or user name contains
    it); ``None`` lists every enabled user."""
    words = text.strip()
    base = "isdisabled eq false"
    if not words:
        return base
    quoted = odata_literal(words)
    return f"{base} and (contains(fullname,{quoted}) or contains(domainname,{quoted}))"
