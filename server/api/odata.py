"""A small OData query-option parser: ``$filter``, ``$select``, ``$orderby``, ``$top``, ``$skip``.

``$filter`` is parsed by hand (tokenizer + recursive descent) straight into SQLAlchemy expressions over a whitelist
of columns, so user text only ever reaches the database as bound parameters. Grammar::

    expr    := and ("or" and)*
    and     := unary ("and" unary)*
    unary   := "not" unary | primary
    primary := "(" expr ")"
             | ("contains" | "startswith" | "endswith") "(" field "," literal ")"
             | field op literal            op := eq ne gt ge lt le
    literal := 'text' ('' escapes a quote) | number | true | false | null | datetime | guid

Errors raise :class:`QueryError` (answered as 400 ``invalid_query``) naming the option and, where there is one,
the field.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, not_, or_
from sqlalchemy.sql import operators

MAX_FILTER_LENGTH = 2000
MAX_DEPTH = 32

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<datetime>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?)(?![\w-])
      | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?![\w-])
      | (?P<number>-?\d+(?:\.\d+)?)(?![\w.])
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<punct>[(),])
    )""",
    re.X,
)
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
COMPARISONS = {
    "eq": operators.eq, "ne": operators.ne, "gt": operators.gt, "ge": operators.ge, "lt": operators.lt,
    "le": operators.le,
}
FUNCTIONS = ("contains", "startswith", "endswith")


class QueryError(Exception):
    """A query option that cannot be used; ``details`` names the option (and the field, if any)."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


@dataclass(frozen=True)
class Token:
    kind: str
    value: str
    position: int


def tokenize(text: str) -> list[Token]:
    """Split a ``$filter`` into tokens; anything unrecognised is a :class:`QueryError` with its position."""
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise QueryError(f"Unexpected character {text[position:].lstrip()[:1]!r} in $filter at {position}.",
                             option="$filter", position=position)
        kind = match.lastgroup
        tokens.append(Token(kind, match.group(kind), match.start(kind)))
        position = match.end()
    return tokens


def parse_datetime(text: str) -> dt.datetime:
    """An ISO date or date-time (UTC when no offset is given)."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    # In UTC, as stored (SQLite keeps no offset: comparing 10:00+02:00 as written would be two hours off).
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)


class FilterParser:
    """Parses one ``$filter`` over ``fields`` (name -> (column, type)); types: string, int, bool, datetime, guid."""

    def __init__(self, text: str, fields: dict[str, tuple[Any, str]]) -> None:
        if len(text) > MAX_FILTER_LENGTH:
            raise QueryError(f"$filter is longer than {MAX_FILTER_LENGTH} characters.", option="$filter")
        self.tokens = tokenize(text)
        self.index = 0
        self.fields = fields
        self.depth = 0

    def parse(self) -> ColumnElement:
        if not self.tokens:
            raise QueryError("$filter is empty.", option="$filter")
        expression = self._or()
        if self.index < len(self.tokens):
            token = self.tokens[self.index]
            raise QueryError(f"Unexpected {token.value!r} in $filter at {token.position}.", option="$filter",
                             position=token.position)
        return expression

    # -- helpers
    def _peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _next(self, expected: str = "a term") -> Token:
        token = self._peek()
        if token is None:
            raise QueryError(f"$filter ends where {expected} was expected.", option="$filter")
        self.index += 1
        return token

    def _keyword(self, word: str) -> bool:
        token = self._peek()
        if token and token.kind == "name" and token.value.lower() == word:
            self.index += 1
            return True
        return False

    def _punct(self, char: str) -> None:
        token = self._next(repr(char))
        if token.kind != "punct" or token.value != char:
            raise QueryError(f"Expected {char!r} in $filter at {token.position}, found {token.value!r}.",
                             option="$filter", position=token.position)

    # -- grammar
    def _or(self) -> ColumnElement:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QueryError("$filter nests too deeply.", option="$filter")
        parts = [self._and()]
        while self._keyword("or"):
            parts.append(self._and())
        self.depth -= 1
        return parts[0] if len(parts) == 1 else or_(*parts)

    def _and(self) -> ColumnElement:
        parts = [self._unary()]
        while self._keyword("and"):
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else and_(*parts)

    def _unary(self) -> ColumnElement:
        if self._keyword("not"):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QueryError("$filter nests too deeply.", option="$filter")
            inner = self._unary()
            self.depth -= 1
            return not_(inner)
        return self._primary()

    def _primary(self) -> ColumnElement:
        token = self._next()
        if token.kind == "punct" and token.value == "(":
            inner = self._or()
            self._punct(")")
            return inner
        if token.kind != "name":
            raise QueryError(f"Expected a field name in $filter at {token.position}, found {token.value!r}.",
                             option="$filter", position=token.position)
        name = token.value
        if name.lower() in FUNCTIONS and (nxt := self._peek()) is not None and nxt.value == "(":
            self._punct("(")
            column, kind, field = self._field()
            self._punct(",")
            value = self._literal(kind, field)
            self._punct(")")
            if kind != "string" or not isinstance(value, str):
                raise QueryError(f"{name.lower()}() needs a text field and a text value.", option="$filter",
                                 field=field)
            escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = {"contains": f"%{escaped}%", "startswith": f"{escaped}%", "endswith": f"%{escaped}"}
            return column.ilike(pattern[name.lower()], escape="\\")
        self.index -= 1
        column, kind, field = self._field()
        operator = self._next("an operator")
        op = COMPARISONS.get(operator.value.lower()) if operator.kind == "name" else None
        if op is None:
            raise QueryError(f"Unknown operator {operator.value!r} in $filter at {operator.position} "
                             f"(known: {', '.join(COMPARISONS)}).", option="$filter", position=operator.position)
        value = self._literal(kind, field)
        if value is None:
            if op is operators.eq:
                return column.is_(None)
            if op is operators.ne:
                return column.is_not(None)
            raise QueryError("null can only be compared with eq or ne.", option="$filter", field=field)
        return op(column, value)

    def _field(self) -> tuple[Any, str, str]:
        token = self._next("a field name")
        if token.kind != "name":
            raise QueryError(f"Expected a field name in $filter at {token.position}, found {token.value!r}.",
                             option="$filter", position=token.position)
        if token.value not in self.fields:
            raise QueryError(f"Unknown field {token.value!r} in $filter.", option="$filter", field=token.value)
        column, kind = self.fields[token.value]
        return column, kind, token.value

    def _literal(self, kind: str, field: str) -> Any:
        token = self._next("a value")
        wrong = QueryError(f"{token.value!r} is not a valid {kind} value for {field!r}.", option="$filter",
                           field=field)
        if token.kind == "name" and token.value == "null":
            return None
        if kind == "string":
            if token.kind != "string" or "\x00" in token.value:  # PostgreSQL text cannot hold NUL
                raise wrong
            return token.value[1:-1].replace("''", "'")
        if kind == "guid":
            if token.kind == "guid":
                return token.value.lower()
            if token.kind == "string" and GUID.fullmatch(token.value[1:-1]):
                return token.value[1:-1].lower()
            raise wrong
        if kind == "int":
            if token.kind != "number" or "." in token.value or abs(int(token.value)) > 2**62:
                raise wrong
            return int(token.value)
        if kind == "bool":
            if token.kind != "name" or token.value not in ("true", "false"):
                raise wrong
            return token.value == "true"
        if kind == "datetime":
            if token.kind not in ("datetime", "string"):
                raise wrong
            try:
                return parse_datetime(token.value.strip("'"))
            except ValueError:
                raise wrong from None
        raise wrong


def parse_filter(text: str, fields: dict[str, tuple[Any, str]]) -> ColumnElement:
    """Parse a ``$filter`` into a SQLAlchemy boolean expression (see the module grammar)."""
    return FilterParser(text, fields).parse()


def parse_orderby(text: str, fields: dict[str, tuple[Any, str]]) -> list[tuple[str, bool]]:
    """``name [asc|desc], ...`` -> ``[(name, descending)]``."""
    result = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise QueryError(f"Cannot read $orderby item {part.strip()!r}.", option="$orderby")
        if words[0] not in fields:
            raise QueryError(f"Unknown field {words[0]!r} in $orderby.", option="$orderby", field=words[0])
        result.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    return result


def parse_select(text: str, names: set[str]) -> list[str]:
    """``a,b,c`` -> the field names, each checked against ``names``."""
    result = []
    for part in text.split(","):
        name = part.strip()
        if name not in names:
            raise QueryError(f"Unknown field {name!r} in $select.", option="$select", field=name)
        if name not in result:
            result.append(name)
    return result


def parse_int(text: str, option: str, maximum: int) -> int:
    """A non-negative integer option no larger than ``maximum``."""
    if not re.fullmatch(r"\d{1,9}", text.strip()):
        raise QueryError(f"{option} must be a non-negative whole number.", option=option)
    value = int(text)
    if value > maximum:
        raise QueryError(f"{option} can be at most {maximum}.", option=option, maximum=maximum)
    return value
