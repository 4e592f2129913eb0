"""How wide a list's columns are, so that what they hold stays readable (issue 15, item 8). Pure.

Columns whose values have a known longest form get a fixed width that fits it and their header: dates
("31 Oct 2026 23:50"), option sets (their longest label), record numbers. Names and titles (the primary field,
lookups, ``l`` columns) share what is left, each at least :data:`FLEX_MIN_EM` wide (:data:`LOOKUP_MIN_EM`
for a lookup) (the primary one, when others
share with it, :data:`PRIMARY_PERCENT` of the table); the table is never narrower than
the sum, so a box too small for it scrolls sideways instead of cutting every cell ("Waiting for d…").

Widths are in ``em`` of the grid's font; :data:`CHAR_EM` is a generous average glyph width of the UI font (digits
and capitals are the wide ones), :data:`PAD_EM` the cell's padding, :data:`SORT_EM` the sort mark of a header.
"""

from __future__ import annotations

from dataclasses import dataclass

from casework.entities import entity
from casework.listcatalog import DATE_FIELDS, LOOKUPS, choices_of, column_label

CHAR_EM = 0.56
CODE_CHAR_EM = 0.66 # record numbers: capitals and digits
PAD_EM = 1.5  # 8 px each side at the grid's 13 px, and a little for the ellipsis' rounding
SORT_EM = 1.1
FLEX_MIN_EM = 10.0
LOOKUP_MIN_EM = 7.5  # a name beside the title: it gives way first
PRIMARY_PERCENT = 28
CHECK_EM = 2.7  # the selection column
DATE_SAMPLE = "31 Oct 2026 23:50"
CODE_FIELDS = {"ticketnumber": 16, "articlepublicnumber": 10, "accountnumber": 10}
SHORT_TEXT = {"telephone1": 15, "knowledgearticleviews": 6, "domainname": 18}


@dataclass(frozen=True)
class ColumnWidth:
    """One column: ``em`` its fixed width, or ``None`` for a column that shares the rest (``min_em`` at least)."""

    name: str
    em: float | None
    min_em: float
    percent: float | None = None  # the primary column's share of the table, beside other shared columns

    @property
    def css(self) -> str:
        if self.em is not None:
            return f"width: {self.em:.1f}em"
        return f"width: {self.percent:.0f}%" if self.percent is not None else ""


def _fits(text_chars: int, char_em: float = CHAR_EM) -> float:
    return round(text_chars * char_em + PAD_EM, 1)


def column_widths(entity_set: str, columns: tuple[str, ...]) -> list[ColumnWidth]:
    """The width of each of ``columns`` of an ``entity_set`` list (see the module docstring)."""
    primary = entity(entity_set).primary
    widths = []
    for name in columns:
        header = _fits(len(column_label(entity_set, name))) + SORT_EM
        choices = choices_of(entity_set, name)
        if name == primary or name in LOOKUPS or name not in DATE_FIELDS and not choices and \
                name not in CODE_FIELDS and name not in SHORT_TEXT:
            least = FLEX_MIN_EM if name == primary or name not in LOOKUPS else LOOKUP_MIN_EM
            widths.append(ColumnWidth(name, None, max(least, header)))
            continue
        if name in DATE_FIELDS:
            value = _fits(len(DATE_SAMPLE))
        elif choices:
            value = _fits(max(len(label) for _, label in choices))
        elif name in CODE_FIELDS:
            value = _fits(CODE_FIELDS[name], CODE_CHAR_EM)
        else:
            value = _fits(SHORT_TEXT[name])
        em = max(value, header)
        widths.append(ColumnWidth(name, em, em))
    shared = [width for width in widths if width.em is None]
    if len(shared) > 1 and shared[0].name == primary:  # the title reads first: it gets more than a lookup
        widths[widths.index(shared[0])] = ColumnWidth(primary, None, shared[0].min_em, PRIMARY_PERCENT)
    return widths


def table_min_em(widths: list[ColumnWidth]) -> float:
    """The narrowest the grid may be (selection column included) before its box scrolls sideways."""
    total = sum(width.min_em for width in widths)
    primary = next((width for width in widths if width.percent is not None), None)
    if primary is not None:
        # the title's percentage is of the whole grid: wide enough that the rest still gets its minimums
        total = max(total, (total - primary.min_em) / (1 - primary.percent / 100))
    return round(CHECK_EM + total, 1)
