"""What the session bar shows for a session: its title line, a second line, the hover text and the kind (icon).
Pure: it reads only the session's title, template and context.

The title stays the session's own (``Microsoft.Apm`` answers it; a case session's is the case number, as in the
reference). The second line tells cases apart: the case title, else the customer; an account or contact session
shows the record's other name line. The hover text is both lines together, so a collapsed bar says all of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

KINDS = ("home", "case", "account", "contact", "conversation", "search", "record", "generic")
_ENTITY_KINDS = {"incident": "case", "account": "account", "contact": "contact"}


@dataclass(frozen=True)
class SessionLabel:
    """What one session item shows.

    Attributes:
        title: The first line (the session's title).
        subtitle: The second line (``""``: none).
        hover: The tooltip: title and second line.
        kind: One of :data:`KINDS` (the icon).
    """

    title: str
    subtitle: str
    hover: str
    kind: str


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def session_kind(template_name: str, context: Mapping[str, Any], is_default: bool = False) -> str:
    """The kind of a session, for its icon."""
    if is_default:
        return "home"
    if "conversation" in template_name or context.get("conversationId"):
        return "conversation"
    entity_name = context.get("entityName")
    if isinstance(entity_name, str) and entity_name in _ENTITY_KINDS:
        return _ENTITY_KINDS[entity_name]
    if "search" in template_name or context.get("searchText"):
        return "search"
    return "record" if entity_name else "generic"


def session_label(title: str, template_name: str, context: Mapping[str, Any] | None,
                  is_default: bool = False) -> SessionLabel:
    """The session bar's label for a session (see the module docstring)."""
    context = context or {}
    anchor = context.get("anchor") if isinstance(context.get("anchor"), Mapping) else {}
    kind = session_kind(template_name, context, is_default)
    subtitle = ""
    if kind == "case":
        subtitle = (_text(anchor.get("title")) or _text(context.get("caseTitle")) or _text(anchor.get("customerName"))
                    or _text(context.get("customerName")))
    elif kind in ("account", "contact"):
        subtitle = _text(anchor.get("accountnumber")) or _text(anchor.get("emailaddress1"))
    elif kind == "conversation":
        subtitle = _text(context.get("channel")) or _text(context.get("customerName"))
    if subtitle == title:
        subtitle = ""
    hover = f"{title} · {subtitle}" if subtitle else title
    return SessionLabel(title, subtitle, hover, kind)


def anchor_attributes(logical: str, record: Mapping[str, Any], customer_name: str | None = None) -> dict:
    """The few attributes of a saved record that session titles use (``{anchor.ticketnumber}``...), for
    ``Workspace.update_context(session_id, {"anchor": ...})`` from the record's own form."""
    keys = {"incident": ("incidentid", "ticketnumber", "title"), "account": ("accountid", "name", "accountnumber"),
            "contact": ("contactid", "fullname", "emailaddress1")}.get(logical, ())
    attributes = {key: record[key] for key in keys if isinstance(record.get(key), str) and record.get(key)}
    if customer_name:
        attributes["customerName"] = customer_name
    return attributes
