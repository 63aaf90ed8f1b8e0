"""An uploaded file as a table of text: which kind of file it is, its header, and its rows.

The kind is decided by the file's name and checked against its first bytes, so that a
workbook named .csv, or a text file named .xlsx, gets a clear message rather than garbage.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from data.upload_limits import UploadError, UploadLimits, check_file_size
from data.upload_sniff import CsvLayout, csv_chunks, csv_layout
from data.upload_types import TextChunk
from data.upload_xlsx import OLE_MAGIC, XlsxLayout, xlsx_chunks, xlsx_layout

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
ZIP_MAGIC = b"PK\x03\x04"

Layout = CsvLayout | XlsxLayout


def open_source(path: Path, file_name: str, sheet: str | None = None,
                limits: UploadLimits | None = None) -> Layout:
    """Check the file and find how to read it: a `CsvLayout` or, for a workbook, an `XlsxLayout`
    of `sheet` (the first when None). `file_name` is the name the user gave the file; only its
    suffix is used. Raises `UploadError` for anything that cannot be imported as it stands."""
    limits = limits or UploadLimits()
    check_file_size(path, limits)
    suffix = Path(file_name).suffix.lower()
    if suffix == ".xls":
        raise UploadError("Old .xls workbooks are not supported. Save it in Excel as an .xlsx workbook.")
    if suffix in XLSX_SUFFIXES:
        return xlsx_layout(path, sheet, limits)
    if suffix not in CSV_SUFFIXES:
        raise UploadError("Upload a CSV file (.csv, .tsv or .txt) or an Excel workbook (.xlsx).")
    with path.open("rb") as file:
        magic = file.read(len(OLE_MAGIC))
    if magic.startswith(ZIP_MAGIC) or magic == OLE_MAGIC:
        raise UploadError("This file is a workbook or an archive, not CSV text. Upload a workbook "
                          "with its .xlsx name, or save the sheet as CSV.")
    return csv_layout(path, limits)


def read_chunks(path: Path, layout: Layout, chunk_rows: int) -> Iterator[TextChunk]:
    """The file's data rows below the header, as text, about `chunk_rows` at a time."""
    if isinstance(layout, XlsxLayout):
        return xlsx_chunks(path, layout, chunk_rows)
    return csv_chunks(path, layout, chunk_rows)
