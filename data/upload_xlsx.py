"""Reading an uploaded Excel workbook (.xlsx): refusing what is not safe to open, listing its
sheets, and streaming one sheet's rows as text with openpyxl in read-only mode.

A workbook is a zip of XML files. Its entries are checked before openpyxl opens it: the total
they unpack to, and how far each is compressed, so that a zip bomb is refused unopened. (The
sizes a zip declares cannot be forged upwards to get past this: Python's zipfile stops reading
an entry at its declared size.) Formulas are never run: a formula cell gives the value Excel
last calculated and saved, or nothing if no value was saved.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from data.upload_limits import MB, UploadError, UploadLimits, check_named, read_header
from data.upload_types import TextChunk

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, and any password-protected workbook
RATIO_FLOOR_BYTES = 1 * MB  # entries that unpack to less are not judged by their compression
EXACT_FLOAT = 2**53
_ENCRYPTED_FLAG = 0x1


@dataclasses.dataclass(frozen=True)
class XlsxLayout:
    """Which sheet is read, the workbook's sheets, and the sheet's header."""

    sheet: str
    sheets: tuple[str, ...]
    header: tuple[str, ...]
    header_row: int
    first_column: int  # 0-based: a table drawn from column B has an unnamed column A
    row_count: int | None  # rows below the header, as the sheet declares (an estimate)


def check_workbook(path: Path, limits: UploadLimits) -> None:
    """Raise `UploadError` unless `path` is a zip that is safe to unpack: not an old .xls or an
    encrypted workbook, not too many entries, and neither too large nor too compressed unpacked."""
    with path.open("rb") as file:
        magic = file.read(len(OLE_MAGIC))
    if magic == OLE_MAGIC:
        raise UploadError("This workbook is password-protected or in the old .xls format. Save it in "
                          "Excel as an .xlsx workbook without a password, then upload it again.")
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise UploadError("This file is not an Excel workbook (.xlsx): it is not a zip archive. "
                          "Save it in Excel as an .xlsx workbook.") from None
    if len(entries) > limits.max_workbook_entries:
        raise UploadError(f"This workbook holds {len(entries):,} files; at most "
                          f"{limits.max_workbook_entries:,} are allowed.")
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > limits.max_workbook_bytes:
        raise UploadError(f"This workbook would unpack to {unpacked / MB:,.0f} MB, more than the "
                          f"{limits.max_workbook_bytes / MB:,.0f} MB allowed. It was not opened.")
    for entry in entries:
        if entry.flag_bits & _ENCRYPTED_FLAG:
            raise UploadError("This workbook is encrypted. Save it without a password and upload it again.")
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > RATIO_FLOOR_BYTES and ratio > limits.max_compression_ratio:
            raise UploadError(f"This workbook's part {entry.filename} is compressed {ratio:,.0f} to 1, "
                              f"more than the {limits.max_compression_ratio:,.0f} to 1 a real workbook "
                              "needs: it looks like a zip bomb and was not opened.")


@contextlib.contextmanager
def _opened(path: Path):
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise UploadError("This file could not be read as an Excel workbook (.xlsx). Open it in Excel, "
                          "save it as an .xlsx workbook, and upload it again.") from None
    try:
        yield workbook
    finally:
        workbook.close()


def _sheet_rows(workbook, sheet: str) -> Iterator[tuple[int, list[str]]]:
    """Each row of the sheet, numbered from 1, as text (gaps in the file come as empty rows)."""
    worksheet = workbook[sheet]
    worksheet.reset_dimensions()  # the size a sheet declares may be wrong; read what is there
    for row, cells in enumerate(worksheet.iter_rows(values_only=True), start=1):
        yield row, [cell_text(value) for value in cells]


def xlsx_layout(path: Path, sheet: str | None, limits: UploadLimits) -> XlsxLayout:
    """Check the workbook and find the header of `sheet` (the first sheet when None): its first
    row with anything in it. Raises `UploadError` for an unsafe workbook, a missing sheet, an
    empty sheet or a bad header."""
    check_workbook(path, limits)
    with _opened(path) as workbook:
        sheets = tuple(worksheet.title for worksheet in workbook.worksheets)
        if not sheets:
            raise UploadError("This workbook has no worksheets.")
        chosen = sheets[0] if sheet is None else sheet
        if chosen not in sheets:
            listed = ", ".join(f'"{name}"' for name in sheets)
            raise UploadError(f'This workbook has no sheet called "{chosen}"; its sheets are {listed}.')
        declared_rows = workbook[chosen].max_row
        for row, cells in _sheet_rows(workbook, chosen):
            if any(cell.strip() for cell in cells):
                first, header = read_header(cells, row, limits)
                estimate = declared_rows - row if declared_rows and declared_rows > row else None
                return XlsxLayout(chosen, sheets, header, row, first, estimate)
    raise UploadError(f'The sheet "{chosen}" is empty.')


def xlsx_chunks(path: Path, layout: XlsxLayout, chunk_rows: int) -> Iterator[TextChunk]:
    """The sheet's rows below the header, as text, `chunk_rows` rows with data at a time."""
    first, end = layout.first_column, layout.first_column + len(layout.header)
    numbers: list[int] = []
    batch: list[list[str]] = []
    with _opened(path) as workbook:
        for row, cells in _sheet_rows(workbook, layout.sheet):
            if row <= layout.header_row:
                continue
            check_named(row, cells, first, end)
            cells = cells[first:end] + [""] * (end - max(len(cells), first))
            if not any(cells):
                continue
            numbers.append(row)
            batch.append(cells)
            if len(batch) == chunk_rows:
                yield _chunk(numbers, batch)
                numbers, batch = [], []
    if batch:
        yield _chunk(numbers, batch)


def _chunk(numbers: list[int], batch: list[list[str]]) -> TextChunk:
    columns = [np.array(values, dtype=object) for values in zip(*batch, strict=True)]
    return TextChunk(np.array(numbers, dtype=np.int64), columns)


def cell_text(value: object) -> str:
    """A cell's value as the text the type converters read: dates in ISO form (without a time at
    midnight), whole numbers without a decimal point, booleans as true/false."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < EXACT_FLOAT else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)
