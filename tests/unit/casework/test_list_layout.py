"""Column widths of lists (casework.list_layout): what has a known longest form fits it, names share the rest."""

from __future__ import annotations

from casework.list_layout import CHECK_EM, column_widths, table_min_em
from casework.listcatalog import SPECS


def by_name(spec_key: str) -> dict:
    spec = SPECS[spec_key]
    return {width.name: width for width in column_widths(spec.entity_set, spec.columns)}


def test_dates_and_option_sets_get_a_fixed_width_that_fits_their_longest_value() -> None:
    cases = by_name("dashboard.cases")
    assert cases["createdon"].em is not None and cases["createdon"].css.startswith("width: ")
    # "Waiting for details" (19 characters) is longer than "Priority"'s "Normal"
    assert cases["statuscode"].em > cases["prioritycode"].em
    assert by_name("dashboard.activities")["activitytypecode"].em is not None


def test_the_title_and_lookups_share_the_rest_the_title_with_a_larger_share() -> None:
    cases = by_name("dashboard.cases")
    assert cases["title"].em is None and cases["title"].css.endswith("%")
    assert cases["customerid"].em is None and cases["customerid"].css == ""
    assert cases["title"].min_em > cases["customerid"].min_em


def test_at_its_narrowest_the_grid_leaves_the_other_columns_their_minimums_beside_the_titles_share() -> None:
    spec = SPECS["dashboard.cases"]
    widths = column_widths(spec.entity_set, spec.columns)
    narrowest = table_min_em(widths) - CHECK_EM
    title = next(w for w in widths if w.name == "title")
    rest = sum(w.min_em for w in widths if w.name != "title")
    assert narrowest * (1 - title.percent / 100) >= rest - 0.1


def test_a_grid_without_a_title_share_is_never_narrower_than_its_columns_minimums() -> None:
    widths = column_widths(SPECS["dashboard.queue"].entity_set, SPECS["dashboard.queue"].columns)
    assert table_min_em(widths) == round(CHECK_EM + sum(w.min_em for w in widths), 1)
