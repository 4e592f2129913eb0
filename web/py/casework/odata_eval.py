"""OData query options: ``$filter``/``$orderby``/``$select``/``$top`` parsed once, for both record backends.

:class:`FilterParser` reads a ``$filter`` (grammar below) and hands each piece to a *builder*: :class:`PythonBuilder`
(the default) makes a predicate over JSON records, the static demo's evaluation; the server's builder
(``server/api/odata.py``, which loads this file by path) makes SQLAlchemy expressions over a column whitelist, so
user text only ever reaches the database as bound parameters. One grammar, one set of literals and error texts;
the shared contract tests (tests/unit/casework/test_record_contract.py) hold the two backends to one behaviour.
Grammar::

    expr    := and ("or" and)*
    and     := unary ("and" unary)*
    unary   := "not" unary | primary
    primary := "(" expr ")"
             | ("contains" | "startswith" | "endswith") "(" field "," literal ")"
             | field op literal            op := eq ne gt ge lt le
    literal := 'text' ('' escapes a quote) | number | true | false | null | datetime | guid

Python evaluation follows SQLite: ``null`` sorts first, text compares by code point, ``contains``/``startswith``/
``endswith`` ignore case, and a comparison with a ``null`` field is false (``eq null`` tests for it). Errors raise
:class:`QueryError` (the server answers 400 ``invalid_query``) naming the option and, where there is one, the field.
Standard library only: the server imports it too.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Container
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

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
COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
}
FUNCTIONS = ("contains", "startswith", "endswith")

Predicate = Callable[[dict], bool]
Term = TypeVar("Term")


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


@functools.lru_cache(maxsize=65536)
def parse_datetime(text: str) -> dt.datetime:
    """An ISO date or date-time (UTC when no offset is given)."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)


def comparable(value: Any, kind: str) -> Any:
    """A stored JSON value as it compares (date-times as datetimes: ``...00Z`` and ``...00.5Z`` sort by time)."""
    if value is None:
        return None
    if kind == "datetime" and isinstance(value, str):
        try:
            return parse_datetime(value)
        except ValueError:
            return value
    return value


class Builder(Generic[Term]):
    """What a parsed ``$filter`` becomes: one method per construct of the grammar (see the module docstring)."""

    def any_of(self, parts: list[Term]) -> Term:
        raise NotImplementedError

    def all_of(self, parts: list[Term]) -> Term:
        raise NotImplementedError

    def negate(self, inner: Term) -> Term:
        raise NotImplementedError

    def text_function(self, name: str, field: str, value: str) -> Term:
        """``contains``/``startswith``/``endswith`` of ``value`` in a text field, ignoring case."""
        raise NotImplementedError

    def is_null(self, field: str, null: bool) -> Term:
        """``field eq null`` (``null``) or ``field ne null``."""
        raise NotImplementedError

    def compare(self, op: str, field: str, kind: str, value: Any) -> Term:
        """``field op value`` (``op`` one of :data:`COMPARISONS`, ``value`` never ``None``)."""
        raise NotImplementedError


class PythonBuilder(Builder[Predicate]):
    """Predicates over JSON records (the static demo's backend)."""

    def any_of(self, parts: list[Predicate]) -> Predicate:
        return lambda r: any(p(r) for p in parts)

    def all_of(self, parts: list[Predicate]) -> Predicate:
        return lambda r: all(p(r) for p in parts)

    def negate(self, inner: Predicate) -> Predicate:
        return lambda r: not inner(r)

    def text_function(self, name: str, field: str, value: str) -> Predicate:
        return _text_function(name, field, value.lower())

    def is_null(self, field: str, null: bool) -> Predicate:
        return (lambda r: r.get(field) is None) if null else (lambda r: r.get(field) is not None)

    def compare(self, op: str, field: str, kind: str, value: Any) -> Predicate:
        return _comparison(COMPARISONS[op], field, kind, value)


class FilterParser(Generic[Term]):
    """Parses one ``$filter`` over ``fields`` (name -> kind: string, int, bool, datetime, guid) into what
    ``builder`` makes of it (a predicate on a record by default)."""

    def __init__(self, text: str, fields: dict[str, str], builder: Builder[Term] | None = None) -> None:
        if len(text) > MAX_FILTER_LENGTH:
            raise QueryError(f"$filter is longer than {MAX_FILTER_LENGTH} characters.", option="$filter")
        self.tokens = tokenize(text)
        self.index = 0
        self.fields = fields
        self.depth = 0
        self.builder: Builder[Any] = builder if builder is not None else PythonBuilder()

    def parse(self) -> Term:
        if not self.tokens:
            raise QueryError("$filter is empty.", option="$filter")
        expression = self._or()
        if self.index < len(self.tokens):
            token = self.tokens[self.index]
            raise QueryError(f"Unexpected {token.value!r} in $filter at {token.position}.", option="$filter",
                             position=token.position)
        return expression

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

    def _or(self) -> Term:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QueryError("$filter nests too deeply.", option="$filter")
        parts = [self._and()]
        while self._keyword("or"):
            parts.append(self._and())
        self.depth -= 1
        return parts[0] if len(parts) == 1 else self.builder.any_of(parts)

    def _and(self) -> Term:
        parts = [self._unary()]
        while self._keyword("and"):
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else self.builder.all_of(parts)

    def _unary(self) -> Term:
        if self._keyword("not"):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QueryError("$filter nests too deeply.", option="$filter")
            inner = self._unary()
            self.depth -= 1
            return self.builder.negate(inner)
        return self._primary()

    def _primary(self) -> Term:
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
            kind, field = self._field()
            self._punct(",")
            value = self._literal(kind, field)
            self._punct(")")
            if kind != "string" or not isinstance(value, str):
                raise QueryError(f"{name.lower()}() needs a text field and a text value.", option="$filter",
                                 field=field)
            return self.builder.text_function(name.lower(), field, value)
        self.index -= 1
        kind, field = self._field()
        operator = self._next("an operator")
        op = operator.value.lower() if operator.kind == "name" else None
        if op not in COMPARISONS:
            raise QueryError(f"Unknown operator {operator.value!r} in $filter at {operator.position} "
                             f"(known: {', '.join(COMPARISONS)}).", option="$filter", position=operator.position)
        value = self._literal(kind, field)
        if value is None:
            if op in ("eq", "ne"):
                return self.builder.is_null(field, op == "eq")
            raise QueryError("null can only be compared with eq or ne.", option="$filter", field=field)
        return self.builder.compare(op, field, kind, value)

    def _field(self) -> tuple[str, str]:
        token = self._next("a field name")
        if token.kind != "name":
            raise QueryError(f"Expected a field name in $filter at {token.position}, found {token.value!r}.",
                             option="$filter", position=token.position)
        if token.value not in self.fields:
            raise QueryError(f"Unknown field {token.value!r} in $filter.", option="$filter", field=token.value)
        return self.fields[token.value], token.value

    def _literal(self, kind: str, field: str) -> Any:
        token = self._next("a value")
        wrong = QueryError(f"{token.value!r} is not a valid {kind} value for {field!r}.", option="$filter",
                           field=field)
        if token.kind == "name" and token.value == "null":
            return None
        if kind == "string":
            if token.kind != "string" or "\x00" in token.value:
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


def _text_function(name: str, field: str, needle: str) -> Predicate:
    def test(record: dict) -> bool:
        value = record.get(field)
        if not isinstance(value, str):
            return False
        text = value.lower()
        return needle in text if name == "contains" else text.startswith(needle) if name == "startswith" \
            else text.endswith(needle)
    return test


def _comparison(op: Callable[[Any, Any], bool], field: str, kind: str, value: Any) -> Predicate:
    def test(record: dict) -> bool:
        current = comparable(record.get(field), kind)
        if current is None:  # SQL: a comparison with NULL is not true
            return False
        try:
            return bool(op(current, value))
        except TypeError:
            return False
    return test


def parse_filter(text: str, fields: dict[str, str]) -> Predicate:
    """A ``$filter`` as a predicate on a record (``fields``: name -> kind, the filterable fields)."""
    return FilterParser(text, fields, PythonBuilder()).parse()


def parse_orderby(text: str, fields: Container[str]) -> list[tuple[str, bool]]:
    """``name [asc|desc], ...`` -> ``[(name, descending)]`` (each name one of ``fields``)."""
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


class _Key:
    """One sort key with SQL's order: ``None`` first ascending (SQLite), reversed for descending."""

    __slots__ = ("value", "descending")

    def __init__(self, value: Any, descending: bool) -> None:
        self.value = value
        self.descending = descending

    def __lt__(self, other: _Key) -> bool:
        a, b = self.value, other.value
        if a == b:
            return False
        if a is None:
            less = True
        elif b is None:
            less = False
        else:
            try:
                less = a < b
            except TypeError:
                less = str(a) < str(b)
        return not less if self.descending else less

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and self.value == other.value


def sort_records(records: list[dict], order: list[tuple[str, bool]], kinds: dict[str, str], key: str) -> list[dict]:
    """``records`` in ``order``, then by ``key`` ascending (a total order, so pages never overlap)."""
    terms = [*order, (key, False)]
    return sorted(records, key=lambda r: tuple(_Key(comparable(r.get(name), kinds.get(name, "string")), desc)
                                               for name, desc in terms))
