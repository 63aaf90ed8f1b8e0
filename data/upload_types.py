"""Column types of uploaded data: inferred from a sample, then every value converted and checked.

Cells arrive as text (workbook cells are written as text first, see `upload_xlsx.cell_text`), in
numpy object arrays. Conversion is vectorised; only values the fast pandas parsers reject are
looked at one by one, to strip spaces around them, read thousands separators, or report them.
Inference and import share the converters, so whatever a column is inferred as, it converts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, model_validator

from data.upload_limits import UploadError, shown

Kind = Literal["date", "datetime", "integer", "decimal", "boolean", "text"]
KINDS: tuple[Kind, ...] = ("date", "datetime", "integer", "decimal", "boolean", "text")
ISO_DATE = "%Y-%m-%d"
# strptime formats of the date part, with how the user sees them; day-first and month-first are
# told apart per column from the values, and a column where both read every value stays text.
DATE_FORMATS = {ISO_DATE: "YYYY-MM-DD", "%d/%m/%Y": "DD/MM/YYYY", "%m/%d/%Y": "MM/DD/YYYY",
                "%d.%m.%Y": "DD.MM.YYYY"}
TIME_FORMATS = ("%H:%M:%S", "%H:%M", "%H:%M:%S.%f")
BOOLEAN_WORDS = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

_WHOLE = re.compile(r"[+-]?[0-9]+")
_GROUPED_WHOLE = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_GROUPED_NUMBER = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?")
_LEADING_ZERO = re.compile(r"[+-]?0[0-9]")
_DATE_SHAPED = re.compile(r"[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{1,4}")
_BLANK = object()  # what a careful parser returns for a cell holding only spaces
PROBE_VALUES = 20


class ColumnType(BaseModel):
    """A column's type: the kind, plus how its dates or decimals are written."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Kind
    date_format: str | None = None  # a key of DATE_FORMATS, for date and datetime
    decimal_comma: bool = False  # 3,14 rather than 3.14 (and then no thousands separators)

    @model_validator(mode="after")
    def _details_fit_the_kind(self) -> ColumnType:
        if self.kind in ("date", "datetime"):
            if self.date_format not in DATE_FORMATS:
                raise ValueError(f"date_format must be one of {sorted(DATE_FORMATS)}")
        elif self.date_format is not None:
            raise ValueError(f"a {self.kind} column has no date_format")
        if self.decimal_comma and self.kind not in ("integer", "decimal"):
            raise ValueError(f"a {self.kind} column has no decimal comma")
        return self

    def describe(self) -> str:
        """A short label for the preview, such as `date (DD/MM/YYYY)`."""
        if self.date_format:
            return f"{self.kind} ({DATE_FORMATS[self.date_format]})"
        return f"{self.kind} (decimal comma)" if self.decimal_comma and self.kind == "decimal" else self.kind

    def expectation(self) -> str:
        """What a value of this type looks like, to finish 'is not …' in a message."""
        if self.kind == "date":
            return f"a date written {DATE_FORMATS[self.date_format]}"
        if self.kind == "datetime":
            return f"a date and time written {DATE_FORMATS[self.date_format]} hh:mm[:ss]"
        if self.kind == "integer":
            return "a whole number"
        if self.kind == "decimal":
            return "a number written with a decimal comma" if self.decimal_comma else "a number"
        return "true/false, yes/no or 1/0" if self.kind == "boolean" else "text"


TEXT = ColumnType(kind="text")


@dataclasses.dataclass(frozen=True)
class TextChunk:
    """Consecutive data rows of a file as text: each row's number and one array per column."""

    rows: np.ndarray  # int64, 1-based, as the user counts rows in the file
    columns: list[np.ndarray]  # object arrays of str, "" for an empty cell


@dataclasses.dataclass(frozen=True)
class Converted:
    """A converted column: int64, float64, bool, datetime64[D] (date), datetime64[us]
    (datetime) or object (text) values, a mask of the empty cells, and the position of the
    first value that did not convert, if any."""

    values: np.ndarray
    missing: np.ndarray
    bad: int | None


def convert(text: np.ndarray, column_type: ColumnType) -> Converted:
    """Convert one column of text to `column_type`; see `Converted`. Never raises for a value."""
    text = np.asarray(text, dtype=object)
    empty = np.asarray(text == "", dtype=bool)
    if column_type.kind == "text":
        return Converted(text, empty, None)
    if column_type.kind == "boolean":
        return _booleans(text)
    if column_type.kind == "integer":
        return _integers(text, empty, grouping=not column_type.decimal_comma)
    if column_type.kind == "decimal":
        return _decimals(text, empty, column_type.decimal_comma)
    return _moments(text, empty, column_type)


def convert_checked(text: np.ndarray, column_type: ColumnType, rows: np.ndarray, column: str) -> Converted:
    """`convert`, raising `UploadError` naming the row and column of the first bad value."""
    converted = convert(text, column_type)
    if converted.bad is not None:
        row = int(rows[converted.bad])
        raise UploadError(f'Row {row}, column "{column}": {shown(text[converted.bad])} is not '
                          f"{column_type.expectation()}. Correct the value, or import the column as "
                          "text.", row=row, column=column)
    return converted


def type_options(text: np.ndarray, delimiter: str | None = None) -> tuple[ColumnType, ...]:
    """The types that read every non-empty value in `text`: the one to propose first (see
    `infer_type`), then the others, most specific first, text last.

    Files delimited by semicolons are read with a decimal comma first.
    """
    values = np.array([value for value in text if value.strip()], dtype=object)
    if not len(values):
        return (TEXT,)
    options = []
    if {value.strip().lower() for value in values} <= BOOLEAN_WORDS.keys():
        options.append(ColumnType(kind="boolean"))
    marks = (True, False) if delimiter == ";" else (False,)
    candidates = [ColumnType(kind="integer", decimal_comma=marks[0])]
    candidates += [ColumnType(kind="decimal", decimal_comma=mark) for mark in marks]
    if _DATE_SHAPED.match(values[0].strip()):
        candidates += [ColumnType(kind=kind, date_format=date_format)
                       for kind in ("date", "datetime") for date_format in DATE_FORMATS]
    for candidate in candidates:
        already = candidate.kind == "decimal" and any(option.kind == "decimal" for option in options)
        # Most candidates fail on the first values: trying those first keeps a wide file quick.
        samples = (values[:PROBE_VALUES], values)
        if not already and all(convert(sample, candidate).bad is None for sample in samples):
            options.append(candidate)
    options.append(TEXT)
    proposed = _preferred(options, values)
    return (proposed, *(option for option in options if option != proposed))


def infer_type(text: np.ndarray, delimiter: str | None = None) -> ColumnType:
    """The type to propose for a column, given a sample of its text.

    Booleans are true/false or yes/no (a column of only 0 and 1 is an integer). Numbers with a
    leading zero, such as 00123, and whole numbers too large for 64 bits are codes and stay
    text. Dates must fit exactly one format: where day-first and month-first both fit, the
    column stays text.
    """
    return type_options(text, delimiter)[0]


def _preferred(options: list[ColumnType], text: np.ndarray) -> ColumnType:
    kinds = [option.kind for option in options]
    if "boolean" in kinds and not ({value.strip() for value in text} <= {"0", "1"}):
        return options[kinds.index("boolean")]
    if "integer" in kinds or "decimal" in kinds:
        if any(_LEADING_ZERO.match(value.strip()) for value in text):
            return TEXT
        if "integer" not in kinds and all(_WHOLE.fullmatch(value.strip()) for value in text):
            return TEXT  # whole numbers past int64: identifiers, not amounts
        return options[kinds.index("integer" if "integer" in kinds else "decimal")]
    for kind in ("date", "datetime"):
        fitting = [option for option in options if option.kind == kind]
        if fitting:
            return fitting[0] if len(fitting) == 1 else TEXT
    return TEXT


def _first(mask: np.ndarray) -> int | None:
    positions = np.flatnonzero(mask)
    return int(positions[0]) if len(positions) else None


def _booleans(text: np.ndarray) -> Converted:
    words = pd.Series(text, dtype=object).str.strip().str.lower()
    mapped = words.map(BOOLEAN_WORDS)
    missing = (words == "").to_numpy(dtype=bool)
    known = mapped.notna().to_numpy(dtype=bool)
    return Converted(mapped.eq(True).to_numpy(dtype=bool), missing, _first(~known & ~missing))


def _integers(text: np.ndarray, empty: np.ndarray, grouping: bool) -> Converted:
    parsed = pd.to_numeric(np.where(empty, "0", text), errors="coerce")
    if parsed.dtype.kind == "i":
        return Converted(parsed.astype(np.int64), empty, None)
    # Something did not parse as an int64 (spaces, separators, a bad value, a huge number):
    # read them all one by one, exactly, since float64 has lost precision above 2**53.
    return _one_by_one(text, np.zeros(len(text), dtype=np.int64), empty, np.flatnonzero(~empty),
                       functools.partial(_whole_number, grouping=grouping))


def _one_by_one(text: np.ndarray, values: np.ndarray, empty: np.ndarray, positions: np.ndarray,
                read: Callable[[str], object]) -> Converted:
    """Fill `values` at `positions` with what `read` makes of each text: a value, `_BLANK` for
    a cell of only spaces, or None for a bad value, which ends the reading."""
    missing = empty.copy()
    for position in positions:
        value = read(text[position])
        if value is _BLANK:
            missing[position] = True
        elif value is None:
            return Converted(values, missing, int(position))
        else:
            values[position] = value
    return Converted(values, missing, None)


def _whole_number(raw: str, grouping: bool) -> int | object | None:
    value = raw.strip()
    if not value:
        return _BLANK
    if grouping and _GROUPED_WHOLE.fullmatch(value):
        value = value.replace(",", "")
    if not _WHOLE.fullmatch(value):
        return None
    number = int(value)
    return number if INT64_MIN <= number <= INT64_MAX else None


def _decimals(text: np.ndarray, empty: np.ndarray, decimal_comma: bool) -> Converted:
    source = text
    if decimal_comma:
        source = pd.Series(text, dtype=object).str.replace(",", ".", regex=False).to_numpy(dtype=object)
    values = pd.to_numeric(source, errors="coerce").astype(np.float64)
    failed = ~np.isfinite(values) & ~empty
    if decimal_comma:  # with a decimal comma, a dot is a mistake, not a decimal point
        failed |= pd.Series(text, dtype=object).str.contains(".", regex=False).to_numpy(dtype=bool)
    return _one_by_one(text, values, empty, np.flatnonzero(failed),
                       functools.partial(_number, decimal_comma=decimal_comma))


def _number(raw: str, decimal_comma: bool) -> float | object | None:
    value = raw.strip()
    if not value:
        return _BLANK
    if decimal_comma:
        value = "." if "." in value else value.replace(",", ".")
    elif _GROUPED_NUMBER.fullmatch(value):
        value = value.replace(",", "")
    if not _NUMBER.fullmatch(value):
        return None
    number = float(value)
    return number if np.isfinite(number) else None


def _moments(text: np.ndarray, empty: np.ndarray, column_type: ColumnType) -> Converted:
    formats = _formats(column_type)
    values = np.full(len(text), np.datetime64("NaT", "us"))
    missing = empty.copy()
    todo = np.flatnonzero(~empty)
    values[todo], parsed = _parse_moments(text[todo], formats)
    failed = todo[~parsed]
    bad = None
    if len(failed):  # spaces around a value, or only spaces
        stripped = np.array([text[position].strip() for position in failed], dtype=object)
        blank = stripped == ""
        missing[failed[blank]] = True
        retry = failed[~blank]
        values[retry], parsed = _parse_moments(stripped[~blank], formats)
        bad = _first(~parsed)
        bad = None if bad is None else int(retry[bad])
    if column_type.kind == "date":
        values = values.astype("datetime64[D]")
    return Converted(values, missing, bad)


def _formats(column_type: ColumnType) -> tuple[str, ...]:
    date_format = column_type.date_format
    if column_type.kind == "date":
        return (date_format,)
    separators = (" ", "T") if date_format == ISO_DATE else (" ",)
    # A datetime column may hold bare dates (midnight), and times with or without seconds.
    return (*(f"{date_format}{separator}{time}" for separator in separators for time in TIME_FORMATS),
            date_format)


def _parse_moments(text: np.ndarray, formats: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Parse with each format in turn what the ones before did not; returns values and a mask."""
    values = np.full(len(text), np.datetime64("NaT", "us"))
    parsed = np.zeros(len(text), dtype=bool)
    for date_format in _likeliest_first(formats, text):
        todo = np.flatnonzero(~parsed)
        if not len(todo):
            break
        attempt = pd.to_datetime(pd.Series(text[todo], dtype=object), format=date_format, errors="coerce")
        read = attempt.notna().to_numpy(dtype=bool)
        values[todo[read]] = attempt.to_numpy(dtype="datetime64[us]")[read]
        parsed[todo[read]] = True
    return values, parsed


def _likeliest_first(formats: tuple[str, ...], text: np.ndarray) -> tuple[str, ...]:
    """`formats`, the first that reads the first value moved to the front: a column is mostly
    written one way, and pandas is slow to fail on a format that reads none of it."""
    for date_format in formats if len(text) else ():
        try:
            dt.datetime.strptime(text[0], date_format)
        except ValueError:
            continue
        return (date_format, *(other for other in formats if other != date_format))
    return formats
