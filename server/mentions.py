"""Mentions in notes, on the server: a saved note that mentions colleagues (``@[Name](user:<id>)``, the page's
``casework/mentions.py``, loaded by path) tells each of them by push: ``note.mentioned`` on ``user:<id>``, logged in
the note's own transaction, so it is delivered once and resumes like every other event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server import page_modules
from server.db import schema

page_mentions = page_modules.load("casework/mentions.py")
PREVIEW = 200  # characters of the note in the notification


def note_events(conn: Connection, author: Any, note: Mapping[str, Any]) -> list[tuple[list[str], str, dict]]:
    """The ``(topics, type, payload)`` events for a new note: one ``note.mentioned`` per enabled user it names,
    not the author; ids that name nobody are ignored (the text stays as typed)."""
    mentioned = [m.user_id for m in page_mentions.mentions_in(note["notetext"])]
    author_id = getattr(author, "id", None)
    mentioned = [user_id for user_id in mentioned if user_id != author_id]
    if not mentioned:
        return []
    users = schema.systemusers
    found = set(conn.execute(select(users.c.systemuserid).where(
        users.c.systemuserid.in_(mentioned), users.c.isdisabled.is_(False))).scalars())
    if not found:
        return []
    regarding = None
    if note["objecttypecode"] == "incident":
        case = conn.execute(select(schema.incidents.c.title, schema.incidents.c.ticketnumber).where(
            schema.incidents.c.incidentid == note["objectid"])).first()
        regarding = {"title": case.title, "ticketnumber": case.ticketnumber} if case is not None else None
    payload = {
        "annotationid": note["annotationid"], "objectid": note["objectid"],
        "objecttypecode": note["objecttypecode"], "subject": note["subject"],
        "text": page_mentions.plain(note["notetext"])[:PREVIEW], "regarding": regarding,
        "by": author_id, "byname": getattr(author, "fullname", None),
    }
    return [([f"user:{user_id}"], "note.mentioned", payload) for user_id in mentioned if user_id in found]
