"""Column types of uploads: what each sample is inferred as, and conversions that check every
value, with properties that tie the fast vectorised paths to a plain statement of the rules."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from data.upload_limits import UploadError
from data.upload_types import (
    DATE_FORMATS,
    INT64_MAX,
    INT64_MIN,
    ColumnType,
    convert,
    convert_checked,
    infer_type,
    type_options,
)


def column(*values: str) -> np.ndarray:
    return np.array(values, dtype=object)


def inferred(*values: str, delimiter: str | None = ",") -> str:
    return infer_type(column(*values), delimiter).describe()


@pytest.mark.parametrize(("values", "expected"), [
    (("2026-11-21", "", "2026-01-02"), "date (YYYY-MM-DD)"),
    (("21/11/2026", "01/02/2026"), "date (DD/MM/YYYY)"),
    (("11/21/2026", "01/02/2026"), "date (MM/DD/YYYY)"),
    (("1/2/2026", "3/4/2026"), "text"),  # day-first or month-first? Both read: refuse to guess
    (("21.11.2026", "1.2.2026"), "date (DD.MM.YYYY)"),
    (("2026-11-21 14:05", "2026-11-21 14:05:09", "2026-11-22"), "datetime (YYYY-MM-DD)"),
    (("2026-11-21T14:05:09", "2026-11-21T14:05:09.250"), "datetime (YYYY-MM-DD)"),
    (("21/11/2026 14:05", "22/11/2026 08:00:00"), "datetime (DD/MM/YYYY)"),
    (("1", "-2", "+3", " 4 ", ""), "integer"),
    (("1,234", "12", "1,234,567"), "integer"),
    (("0", "1", "1", "0"), "integer"),  # 0/1 is an integer; boolean is offered
    (("00123", "00456"), "text"),  # codes with leading zeros stay text
    (("1.5", "2", "-0.25", "1e-3"), "decimal"),
    (("1,234.5", "3"), "decimal"),
    (("true", "FALSE", "Yes", "no"), "boolean"),
    (("true", "0", "1"), "boolean"),
    (("", "  ", ""), "text"),
    (("3", "three"), "text"),
    (("=1+2", "+cmd", "-2+3", "@SUM(A1)"), "text"),
    (("9223372036854775808",), "text"),  # past int64: an identifier, not a number to sum
    (("14:05", "09:30"), "text"),
])
def test_a_sample_is_inferred_as_the_most_specific_type_that_reads_all_of_it(values, expected):
    assert inferred(*values) == expected


def test_semicolon_files_read_decimal_commas_and_dots_per_column():
    assert inferred("1,5", "2,25", "3", delimiter=";") == "decimal (decimal comma)"
    assert inferred("1.5", "2.25", delimiter=";") == "decimal"
    assert inferred("1,234", delimiter=";") == "decimal (decimal comma)"  # not a thousands separator
    assert inferred("1,234", delimiter=",") == "integer"


def test_options_offer_every_type_that_fits_the_proposed_one_first():
    options = type_options(column("0", "1", ""))
    assert [option.describe() for option in options] == ["integer", "boolean", "decimal", "text"]
    ambiguous = type_options(column("1/2/2026"))
    assert [option.describe() for option in ambiguous] == [
        "text", "date (DD/MM/YYYY)", "date (MM/DD/YYYY)", "datetime (DD/MM/YYYY)", "datetime (MM/DD/YYYY)"]


def test_values_convert_to_their_types_with_empty_cells_missing():
    day_first = ColumnType(kind="date", date_format="%d/%m/%Y")
    dates = convert(column("21/11/2026", "", " 22/11/2026 ", "  "), day_first)
    assert dates.bad is None
    assert dates.missing.tolist() == [False, True, False, True]
    assert dates.values[[0, 2]].tolist() == [dt.date(2026, 11, 21), dt.date(2026, 11, 22)]
    moments = convert(column("2026-11-21 14:05", "2026-11-21T14:05:09", "2026-11-22"),
                      ColumnType(kind="datetime", date_format="%Y-%m-%d"))
    assert moments.values.tolist() == [dt.datetime(2026, 11, 21, 14, 5), dt.datetime(2026, 11, 21, 14, 5, 9),
                                       dt.datetime(2026, 11, 22)]
    booleans = convert(column("TRUE", "no", "", "1"), ColumnType(kind="boolean"))
    assert (booleans.values.tolist(), booleans.missing.tolist()) == ([True, False, False, True],
                                                                     [False, False, True, False])
    decimals = convert(column("1,5", "-2", ""), ColumnType(kind="decimal", decimal_comma=True))
    assert decimals.values[:2].tolist() == [1.5, -2.0]


def test_text_is_kept_exactly_as_written_formulas_included():
    text = column("=HYPERLINK(\"http://x\")", "+1", " padded ", "@A1", "")
    converted = convert(text, ColumnType(kind="text"))
    assert converted.values[:4].tolist() == ["=HYPERLINK(\"http://x\")", "+1", " padded ", "@A1"]
    assert converted.missing.tolist() == [False, False, False, False, True]


@pytest.mark.parametrize(("values", "column_type", "message"), [
    (("1", "2.5"), ColumnType(kind="integer"), '"2.5" is not a whole number'),
    (("1", "9223372036854775808"), ColumnType(kind="integer"), '"9223372036854775808" is not a whole number'),
    (("1,5", "2.5"), ColumnType(kind="decimal", decimal_comma=True),
     '"2.5" is not a number written with a decimal comma'),
    (("1.5", "inf"), ColumnType(kind="decimal"), '"inf" is not a number'),
    (("1.5", "1e999"), ColumnType(kind="decimal"), '"1e999" is not a number'),
    (("1,23,4",), ColumnType(kind="decimal"), '"1,23,4" is not a number'),
    (("yes", "maybe"), ColumnType(kind="boolean"), '"maybe" is not true/false, yes/no or 1/0'),
    (("21/11/2026", "11/21/2026"), ColumnType(kind="date", date_format="%d/%m/%Y"),
     '"11/21/2026" is not a date written DD/MM/YYYY'),
    (("2026-11-21", "2026-11-21 10:00"), ColumnType(kind="date", date_format="%Y-%m-%d"),
     '"2026-11-21 10:00" is not a date written YYYY-MM-DD'),
    (("2026-11-21 10:00", "2026-11-21 25:00"), ColumnType(kind="datetime", date_format="%Y-%m-%d"),
     '"2026-11-21 25:00" is not a date and time written YYYY-MM-DD hh:mm[:ss]'),
])
def test_the_first_value_that_does_not_convert_is_reported_with_row_and_column(values, column_type, message):
    rows = np.arange(len(values)) + 2
    with pytest.raises(UploadError) as caught:
        convert_checked(column(*values), column_type, rows, "Amount")
    assert (caught.value.row, caught.value.column) == (len(values) + 1, "Amount")
    assert str(caught.value) == (f'Row {len(values) + 1}, column "Amount": {message}. Correct the value, or '
                                 "import the column as text.")


def test_every_value_is_checked_not_just_the_sample():
    values = ["7"] * 5000
    values[4321] = "7 units"
    assert inferred(*values[:1000]) == "integer"
    with pytest.raises(UploadError, match=r'^Row 4323, column "Units": "7 units"'):
        convert_checked(column(*values), ColumnType(kind="integer"), np.arange(5000) + 2, "Units")


def test_a_type_must_carry_the_details_its_kind_needs():
    with pytest.raises(ValueError, match="date_format must be one of"):
        ColumnType(kind="date")
    with pytest.raises(ValueError, match="date_format must be one of"):
        ColumnType(kind="datetime", date_format="%Y%m%d")
    with pytest.raises(ValueError, match="a text column has no date_format"):
        ColumnType(kind="text", date_format="%Y-%m-%d")
    with pytest.raises(ValueError, match="a boolean column has no decimal comma"):
        ColumnType(kind="boolean", decimal_comma=True)


# -- properties ---------------------------------------------------------------------------------

int64s = st.integers(INT64_MIN, INT64_MAX)


@given(st.lists(int64s, min_size=1, max_size=30), st.booleans())
def test_integers_round_trip_exactly_with_or_without_thousands_separators(numbers, grouped):
    text = column(*(f"{number:,}" if grouped else str(number) for number in numbers))
    converted = convert(text, ColumnType(kind="integer"))
    assert converted.bad is None and converted.values.tolist() == numbers
    assert infer_type(text).kind == "integer" or any(re.match(r"-?0\d", value) for value in text)


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=30), st.booleans())
def test_decimals_round_trip_exactly_with_a_point_or_a_comma(numbers, comma):
    text = column(*(repr(number).replace(".", ",") if comma else repr(number) for number in numbers))
    converted = convert(text, ColumnType(kind="decimal", decimal_comma=comma))
    assert converted.bad is None and converted.values.tolist() == numbers
    assert infer_type(text, ";" if comma else ",") == ColumnType(kind="decimal", decimal_comma=comma)


@given(st.lists(st.dates(dt.date(1000, 1, 1), dt.date(9999, 12, 31)), min_size=1, max_size=30),
       st.sampled_from(sorted(DATE_FORMATS)))
def test_dates_round_trip_and_are_inferred_unless_day_and_month_could_swap(dates, date_format):
    text = column(*(day.strftime(date_format) for day in dates))
    date_type = ColumnType(kind="date", date_format=date_format)
    converted = convert(text, date_type)
    assert converted.bad is None and converted.values.tolist() == dates
    swappable = date_format in ("%d/%m/%Y", "%m/%d/%Y") and all(day.day <= 12 for day in dates)
    assert infer_type(text) == (ColumnType(kind="text") if swappable else date_type)


# Spelled out from the rules in docs/data.md, independently of the module.
WHOLE = re.compile(r"[+-]?[0-9]+")
GROUPED = re.compile(r"[+-]?[0-9]{1,3}(,[0-9]{3})+")
NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
GROUPED_NUMBER = re.compile(r"[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?([eE][+-]?[0-9]+)?")


def by_the_rules(raw: str, kind: str):
    """The value the rules give `raw`: None when empty, "bad" when it is not of `kind`."""
    value = raw.strip()
    if not value:
        return None
    if kind == "integer":
        value = value.replace(",", "") if GROUPED.fullmatch(value) else value
        number = int(value) if WHOLE.fullmatch(value) else None
        return number if number is not None and INT64_MIN <= number <= INT64_MAX else "bad"
    value = value.replace(",", "") if GROUPED_NUMBER.fullmatch(value) else value
    number = float(value) if NUMBER.fullmatch(value) else None
    return number if number is not None and np.isfinite(number) else "bad"


@given(st.lists(st.text(alphabet="0123456789+-.,eE ", max_size=8), min_size=1, max_size=20),
       st.sampled_from(["integer", "decimal"]))
def test_the_fast_paths_accept_exactly_what_the_rules_accept(raws, kind):
    expected = [by_the_rules(raw, kind) for raw in raws]
    converted = convert(column(*raws), ColumnType(kind=kind))
    if "bad" in expected:
        assert converted.bad == expected.index("bad")
    else:
        assert converted.bad is None
        assert converted.missing.tolist() == [value is None for value in expected]
        assert [value for value, gone in zip(converted.values.tolist(), converted.missing, strict=True)
                if not gone] == [value for value in expected if value is not None]
