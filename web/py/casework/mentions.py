"""Mentions in notes: ``@[Display Name](user:<systemuserid>)`` in a note's text names a colleague, who is notified.

The token keeps the id next to the name, so a mention survives a rename and two people of one name stay apart; the
timeline shows it as ``@Display Name``. Pure and standard library only: the server reads mentions with the same
code (``server/mentions.py`` loads this file by path) when a note is saved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_MENTIONS = 20  # per note: a note is not a mailing list
_ID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_TOKEN = re.compile(r"@\[([^\[\]\n]{1,200})\]\(user:(" + _ID + r")\)")
# What the agent is typing after an "@" (at the start or after a space), up to the cursor: the query for names.
_TYPING = re.compile(r"(?:^|(?<=\s))@([^\s@\[\]()]{0,40}(?: [^\s@\[\]()]{1,40}){0,2})$")


@dataclass(frozen=True)
class Mention:
    user_id: str
    name: str


def mention_token(name: str, user_id: str) -> str:
    """The text that mentions ``name`` (brackets and line breaks in a name become spaces)."""
    clean = re.sub(r"[\[\]\n\r]", " ", name).strip() or "user"
    return f"@[{clean[:200]}](user:{user_id.lower()})"


def mentions_in(text: str | None) -> list[Mention]:
    """The distinct people ``text`` mentions, in order of first mention, at most :data:`MAX_MENTIONS`."""
    seen: dict[str, Mention] = {}
    for match in _TOKEN.finditer(text or ""):
        user_id = match.group(2).lower()
        if user_id not in seen:
            seen[user_id] = Mention(user_id, match.group(1).strip())
            if len(seen) == MAX_MENTIONS:
                break
    return list(seen.values())


def segments(text: str | None) -> list[tuple[str, str | None]]:
    """``text`` as ``(shown text, mentioned user id or None)`` pieces: a token shows as ``@Name``."""
    pieces: list[tuple[str, str | None]] = []
    position = 0
    value = text or ""
    for match in _TOKEN.finditer(value):
        if match.start() > position:
            pieces.append((value[position:match.start()], None))
        pieces.append(("@" + match.group(1).strip(), match.group(2).lower()))
        position = match.end()
    if position < len(value):
        pieces.append((value[position:], None))
    return pieces


def plain(text: str | None) -> str:
    """``text`` as read (tokens as ``@Name``): for previews and notifications."""
    return "".join(piece for piece, _ in segments(text))


def typing_at(text: str, cursor: int) -> tuple[int, str] | None:
    """When the agent is typing a name after ``@`` at ``cursor``: ``(index of the "@", what follows it)``."""
    before = text[:max(0, min(cursor, len(text)))]
    match = _TYPING.search(before)
    if match is None:
        return None
    return match.start(0), match.group(1)


def complete(text: str, cursor: int, at: int, name: str, user_id: str) -> tuple[str, int]:
    """``text`` with the ``@query`` from ``at`` to ``cursor`` replaced by the mention of ``name``, and a space;
    returns the new text and where the cursor goes (after the space)."""
    token = mention_token(name, user_id) + " "
    after = text[cursor:]
    if after.startswith(" "):
        after = after[1:]
    return text[:at] + token + after, at + len(token)
