"""The preview of an upload: its columns with their inferred types, and its first rows."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from data.upload_limits import UploadError, UploadLimits
from data.upload_sniff import CsvLayout
from data.upload_source import Layout, open_source, read_chunks
from data.upload_types import ISO_DATE, ColumnType, Kind, type_options

SAMPLE_ROWS = 1_000  # rows the types are inferred from; the import checks every row
PREVIEW_ROWS = 100


class ColumnPreview(BaseModel):
    """A column of the file: its name in the header, its inferred type, and every type that
    reads all of the sampled values (the inferred one first)."""

    model_config = ConfigDict(frozen=True)

    name: str
    type: ColumnType
    options: tuple[ColumnType, ...]

    def type_of_kind(self, kind: Kind) -> ColumnType:
        """The type to use if the user picks `kind`: the option of that kind that fits the
        sample, or else a plain one (ISO dates, a decimal point), which the import will check."""
        fitting = [option for option in self.options if option.kind == kind]
        if fitting:
            return fitting[0]
        return ColumnType(kind=kind, date_format=ISO_DATE if kind in ("date", "datetime") else None)


class UploadPreview(BaseModel):
    """What `inspect_upload` found. `rows` holds the first data rows as text (None where
    empty); `row_count` is exact for CSV and the sheet's own estimate for a workbook."""

    model_config = ConfigDict(frozen=True)

    file_name: str
    format: Literal["csv", "xlsx"]
    encoding: str | None  # a key of upload_sniff.ENCODINGS
    delimiter: str | None
    sheets: tuple[str, ...]
    sheet: str | None
    header_row: int
    row_count: int | None
    columns: tuple[ColumnPreview, ...]
    rows: tuple[tuple[str | None, ...], ...]
    time_column: str | None  # the first date or datetime column, proposed as the time column


def inspect_upload(path: Path, file_name: str, sheet: str | None = None,
                   limits: UploadLimits | None = None, layout: Layout | None = None) -> UploadPreview:
    """Sniff, check and sample the uploaded file at `path` (named `file_name` by the user) and
    infer its column types from its first rows. Raises `UploadError` for a file that cannot be
    imported, naming the row and column where there is one. `layout` is the file's
    `open_source` when the caller already has it (checking a file reads all of it)."""
    layout = layout or open_source(path, file_name, sheet, limits)
    with contextlib.closing(read_chunks(path, layout, SAMPLE_ROWS)) as chunks:
        sample = next(chunks, None)
    if sample is None:
        raise UploadError(f"The file has a header (row {layout.header_row}) but no rows of data.",
                          row=layout.header_row)
    is_csv = isinstance(layout, CsvLayout)
    delimiter = layout.delimiter if is_csv else None
    columns = []
    for name, text in zip(layout.header, sample.columns, strict=True):
        options = type_options(text, delimiter)
        columns.append(ColumnPreview(name=name, type=options[0], options=options))
    time_column = next((column.name for column in columns if column.type.kind in ("date", "datetime")), None)
    rows = tuple(tuple(value or None for value in values)
                 for values in zip(*(text[:PREVIEW_ROWS] for text in sample.columns), strict=True))
    return UploadPreview(
        file_name=file_name, format="csv" if is_csv else "xlsx",
        encoding=layout.encoding if is_csv else None, delimiter=delimiter,
        sheets=() if is_csv else layout.sheets, sheet=None if is_csv else layout.sheet,
        header_row=layout.header_row, row_count=layout.row_count, columns=tuple(columns),
        rows=rows, time_column=time_column)
