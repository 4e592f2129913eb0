"""Slug substitution: ``{customerName}``, ``{anchor.ticketnumber}``, ``${anchor.title}``.

Resolution is a single pass: a substituted value is data and is never parsed
again, so a customer name such as ``"{caseId}"`` stays literally in the output.
Unknown slugs become empty text and are reported, never raised.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

# A slug key is an identifier path (``caseId``, ``anchor.ticketnumber``). Braces
# around anything else (JSON, prose) are left alone rather than swallowed.
_KEY = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*"
SLUG_PATTERN = re.compile(r"\$\{(" + _KEY + r")\}|\{(" + _KEY + r")\}")

# RFC 3986 unreserved characters: the same set urllib.parse.quote(safe="") keeps.
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


@dataclass(frozen=True)
class Resolution:
    """Result of :func:`resolve`.

    Attributes:
        text: The text with every slug replaced (unknown ones by ``""``).
        unknown: Keys of slugs that had no value, in order of first appearance.
    """

    text: str
    unknown: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """True when every slug had a value."""
        return not self.unknown


def percent_encode(text: str) -> str:
    """Percent-encodes ``text`` for a URL component (like JavaScript's ``encodeURIComponent``).

    Args:
        text: Any text; it is encoded as UTF-8.

    Returns:
        ``text`` with every byte outside ``A-Z a-z 0-9 - . _ ~`` written as ``%XX``.
    """
    # Kept local instead of importing urllib.parse, which this boot path does not need otherwise.
    return "".join(chr(byte) if byte in _UNRESERVED else f"%{byte:02X}" for byte in text.encode("utf-8", "replace"))


def lookup(key: str, context: Mapping) -> object | None:
    """Finds the value of slug ``key`` in ``context``.

    An exact key wins (so a flat ``"some.key"`` entry works); otherwise a dotted
    key walks nested mappings, ``anchor.ticketnumber`` reading
    ``context["anchor"]["ticketnumber"]``. Each step falls back to a
    case-insensitive match because record attribute names arrive in mixed case.

    Args:
        key: The slug key without braces.
        context: The mapping to search.

    Returns:
        The value, or ``None`` when it is missing (a ``None`` value counts as missing).
    """
    if key in context:
        return context[key]
    value: object = context
    for part in key.split("."):
        if not isinstance(value, Mapping):
            return None
        if part in value:
            value = value[part]
            continue
        folded = part.casefold()
        for candidate, item in value.items():
            if isinstance(candidate, str) and candidate.casefold() == folded:
                value = item
                break
        else:
            return None
    return value


def to_text(value: object) -> str:
    """Renders a context value as slug text the way JavaScript would show it."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    return str(value)


def resolve(text: str, context: Mapping, *, url: bool = False) -> Resolution:
    """Replaces every ``{key}`` and ``${key}`` slug in ``text`` by its context value.

    Args:
        text: Text that may contain slugs.
        context: Session context (plus app context for tab templates); the
            ``anchor`` entry holds the anchor record's attributes.
        url: When true, each substituted value is percent-encoded (the literal
            text around the slugs is left as written).

    Returns:
        A :class:`Resolution`; unknown slugs are replaced by ``""`` and listed
        in ``unknown``.
    """
    unknown: list[str] = []

    def substitute(match: re.Match) -> str:
        key = match.group(1) or match.group(2)
        value = lookup(key, context)
        if value is None:
            if key not in unknown:
                unknown.append(key)
            return ""
        rendered = to_text(value)
        return percent_encode(rendered) if url else rendered

    # re.sub never rescans a replacement, which is what makes this single-pass.
    return Resolution(SLUG_PATTERN.sub(substitute, text), tuple(unknown))


def first_resolved(candidates: tuple[str, ...], context: Mapping) -> str | None:
    """Returns the first candidate that resolves completely to non-blank text.

    Used for titles with fallbacks (``{anchor.ticketnumber}``, then ``{caseTitle}``...).

    Args:
        candidates: Slug texts in order of preference.
        context: The slug context.

    Returns:
        The resolved, stripped text, or ``None`` when no candidate qualifies.
    """
    for candidate in candidates:
        result = resolve(candidate, context)
        if result.complete and result.text.strip():
            return result.text.strip()
    return None
