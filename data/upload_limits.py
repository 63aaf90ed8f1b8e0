"""What an uploaded file may be, and the one error raised when it is not.

Every refusal is an `UploadError` whose message is written for the person who made the file:
it names the row as they count it (the first row of the file is row 1) and the column.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

MB = 1_000_000
SHOWN_VALUE_CHARS = 40


class UploadError(ValueError):
    """A file, or a value in it, that cannot be imported; `row` is 1-based, `column` a name."""

    def __init__(self, message: str, row: int | None = None, column: str | None = None):
        super().__init__(message)
        self.row = row
        self.column = column


@dataclasses.dataclass(frozen=True)
class UploadLimits:
    """The bounds an upload must keep; the defaults suit a 100 MB upload setting."""

    max_bytes: int = 100 * MB
    max_columns: int = 500
    # A workbook is a zip: these bound what opening it may unpack (a zip bomb unpacks to far more).
    max_workbook_bytes: int = 1_000 * MB
    max_compression_ratio: float = 100.0
    max_workbook_entries: int = 10_000


def check_file_size(path: Path, limits: UploadLimits) -> None:
    """Raise `UploadError` if the file at `path` is empty or larger than the limit."""
    size = path.stat().st_size
    if size == 0:
        raise UploadError("The file is empty.")
    if size > limits.max_bytes:
        raise UploadError(f"The file is {size / MB:,.1f} MB; uploads are limited to "
                          f"{limits.max_bytes / MB:,.0f} MB.")


def shown(value: str) -> str:
    """A cell's value quoted for a message, shortened if long."""
    if len(value) > SHOWN_VALUE_CHARS:
        value = value[:SHOWN_VALUE_CHARS - 1] + "…"
    return f'"{value}"'


def read_header(cells: Sequence[str], row: int, limits: UploadLimits) -> tuple[int, tuple[str, ...]]:
    """The position (0-based) of the first named column in a header row, and the column names,
    stripped. Unnamed columns before and after the named ones are left out (a table drawn from
    B2 in a spreadsheet has them); `check_named` refuses values in them.

    Raises `UploadError` for too many columns, a column without a name between named ones, or a
    name used twice (names differing only in case count as the same name).
    """
    names = [cell.strip() for cell in cells]
    first = next((position for position, name in enumerate(names) if name), len(names))
    names = names[first:]
    while names and not names[-1]:
        names.pop()
    if len(names) > limits.max_columns:
        raise UploadError(f"The header (row {row}) has {len(names):,} columns; at most "
                          f"{limits.max_columns:,} are supported.", row=row)
    first_position: dict[str, int] = {}
    for position, name in enumerate(names, start=first + 1):
        if not name:
            raise UploadError(f"Row {row}, column {position}: the header gives this column no name. "
                              "Every column needs a name.", row=row, column=f"column {position}")
        earlier = first_position.setdefault(name.casefold(), position)
        if earlier != position:
            raise UploadError(f'Row {row}: the header names "{name}" twice, in columns {earlier} and '
                              f"{position}. Column names must be unique.", row=row, column=name)
    return first, tuple(names)


def check_named(row: int, cells: Sequence[str], first: int, end: int) -> None:
    """Raise `UploadError` if `cells` has a value outside the named columns, first to end - 1."""
    if any(cells[:first]) or any(cells[end:]):
        position = next(index for index, cell in enumerate(cells) if cell and not first <= index < end) + 1
        raise UploadError(f"Row {row}, column {position}: this column has a value but no name in the "
                          "header.", row=row, column=f"column {position}")
