"""The OData query options of the records API, compiled to SQL: ``$filter``, ``$select``, ``$orderby``, ``$top``,
``$skip``.

The grammar, literals, limits and error texts are the page's own (``web/py/casework/odata_eval.py``, loaded by
path through :mod:`server.page_modules`), which the static demo evaluates in Python; this module gives its parser a
builder that makes SQLAlchemy expressions over a whitelist of columns, so user text only ever reaches the database
as bound parameters. Errors raise :class:`QueryError` (answered as 400 ``invalid_query``) naming the option and,
where there is one, the field.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, not_, or_
from sqlalchemy.sql import operators

from server import page_modules

_shared = page_modules.load("casework/odata_eval.py")

QueryError = _shared.QueryError
GUID = _shared.GUID
MAX_FILTER_LENGTH = _shared.MAX_FILTER_LENGTH
MAX_DEPTH = _shared.MAX_DEPTH
tokenize = _shared.tokenize
parse_datetime = _shared.parse_datetime
parse_orderby = _shared.parse_orderby
parse_select = _shared.parse_select
parse_int = _shared.parse_int

_SQL_COMPARISONS = {
    "eq": operators.eq, "ne": operators.ne, "gt": operators.gt, "ge": operators.ge, "lt": operators.lt,
    "le": operators.le,
}


class SqlBuilder(_shared.Builder):
    """SQL for the shared parser: ``fields`` maps a name to ``(column, kind)``; a column may be any object with
    the comparison operators, ``ilike`` and ``is_``/``is_not`` (the records API's lookup names are)."""

    def __init__(self, fields: dict[str, tuple[Any, str]]) -> None:
        self.columns = {name: column for name, (column, _kind) in fields.items()}

    def any_of(self, parts: list[ColumnElement]) -> ColumnElement:
        return or_(*parts)

    def all_of(self, parts: list[ColumnElement]) -> ColumnElement:
        return and_(*parts)

    def negate(self, inner: ColumnElement) -> ColumnElement:
        return not_(inner)

    def text_function(self, name: str, field: str, value: str) -> ColumnElement:
        escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = {"contains": f"%{escaped}%", "startswith": f"{escaped}%", "endswith": f"%{escaped}"}[name]
        return self.columns[field].ilike(pattern, escape="\\")

    def is_null(self, field: str, null: bool) -> ColumnElement:
        column = self.columns[field]
        return column.is_(None) if null else column.is_not(None)

    def compare(self, op: str, field: str, kind: str, value: Any) -> ColumnElement:
        return _SQL_COMPARISONS[op](self.columns[field], value)


class FilterParser(_shared.FilterParser):
    """The shared parser over ``fields`` (name -> ``(column, kind)``), making SQL."""

    def __init__(self, text: str, fields: dict[str, tuple[Any, str]]) -> None:
        super().__init__(text, {name: kind for name, (_column, kind) in fields.items()}, SqlBuilder(fields))


def parse_filter(text: str, fields: dict[str, tuple[Any, str]]) -> ColumnElement:
    """Parse a ``$filter`` into a SQLAlchemy boolean expression (see the module docstring)."""
    return FilterParser(text, fields).parse()
