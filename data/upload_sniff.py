"""Reading an uploaded CSV: its encoding, delimiter and header row, a check of its whole shape,
then its rows in chunks of text.

The whole file is read twice before anything is imported (once to decode it, once to count its
fields), so that a wrong encoding or a ragged row is reported with its row before any value is.
Rows are counted as a spreadsheet shows them: a blank line is a row, a quoted cell spanning
lines is one row.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from data.upload_limits import UploadError, UploadLimits, check_named, read_header
from data.upload_types import TextChunk

# Python codecs, with how the user sees them. "Latin-1" is read as Windows-1252, its superset
# that Excel writes on Windows, so that €, curly quotes and dashes come through.
ENCODINGS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "utf-16": "UTF-16",
             "cp1252": "Latin-1 (Windows-1252)"}
DELIMITERS = (",", ";", "\t", "|")
BLOCK_BYTES = 1 << 20
SAMPLE_RECORDS = 50
# Controls that no text file holds, C1 controls (Latin-1 read as UTF-8, or binary), and the lone
# surrogates that undecodable bytes become under errors="surrogateescape".
_UNREADABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_PLAIN_ASCII = bytes([9, 10, 13, *range(32, 127)])


@dataclasses.dataclass(frozen=True)
class CsvLayout:
    """How a CSV file is written, and what its header and size are."""

    encoding: str
    delimiter: str
    header: tuple[str, ...]
    header_row: int
    first_column: int  # 0-based: unnamed columns may come before the named ones
    width: int  # fields in every row, unnamed columns included
    row_count: int  # rows with anything in them below the header


def sniff_encoding(path: Path) -> str:
    """The codec that reads the whole file as text: UTF-8 (with or without BOM), UTF-16 with a
    BOM, or else Windows-1252. Raises `UploadError` naming the row where none of them can."""
    with path.open("rb") as file:
        head = file.read(4)
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise UploadError("The file is in UTF-32, which is not supported. Save it as CSV UTF-8.")
    if head.startswith(codecs.BOM_UTF8):
        candidates = ("utf-8-sig",)
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ("utf-16",)
    else:
        candidates = ("utf-8", "cp1252")
    for codec in candidates:
        problem = _first_unreadable(path, codec)
        if problem is None:
            return codec
        row, character = problem
        if not 0xD800 <= ord(character) <= 0xDFFF:
            raise UploadError(f"Row {row} holds a control character (U+{ord(character):04X}) that text "
                              "does not contain: this is not a CSV file, or it is UTF-16 without a byte "
                              "order mark. Save it as CSV UTF-8.", row=row)
    raise UploadError(f"Row {row} holds bytes that are not text in UTF-8, UTF-16 or Latin-1. Save the "
                      "file as CSV UTF-8 and upload it again.", row=row)


def _first_unreadable(path: Path, codec: str) -> tuple[int, str] | None:
    """The row and character of the first thing in the file that `codec` cannot make text of."""
    decoder = codecs.getincrementaldecoder(codec)(errors="surrogateescape")
    lines_before = 0
    with path.open("rb") as file:
        while True:
            block = file.read(BLOCK_BYTES)
            text = decoder.decode(block, final=not block)
            # Most blocks are plain ASCII, and deleting the plain bytes to see if any are left is
            # far quicker than the search (0.05 s against 0.9 s for 95 MB, measured). UTF-16 is
            # never plain, and undecodable bytes make the text non-ASCII.
            plain = codec != "utf-16" and text.isascii() and not block.translate(None, _PLAIN_ASCII)
            found = None if plain else _UNREADABLE.search(text)
            if found:
                return lines_before + text.count("\n", 0, found.start()) + 1, found.group()
            if not block:
                return None
            lines_before += text.count("\n")


def sniff_delimiter(sample: str) -> str:
    """The delimiter, of comma, semicolon, tab and pipe, that splits the sample's rows into the
    same number of fields, most often, and into the most fields; comma when none splits them."""
    best, best_score = ",", (0.0, 1)
    for delimiter in DELIMITERS:
        counts = _field_counts(sample, delimiter)
        if not counts or counts[0] < 2:
            continue
        score = (sum(count == counts[0] for count in counts) / len(counts), counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _field_counts(sample: str, delimiter: str) -> list[int]:
    """How many fields the sample's first rows with anything in them have."""
    counts: list[int] = []
    try:
        for fields in csv.reader(io.StringIO(sample), delimiter=delimiter):
            if any(field.strip() for field in fields):
                counts.append(len(fields))
                if len(counts) == SAMPLE_RECORDS:
                    break
    except csv.Error:
        pass  # a cell too long to read: the check of the whole file reports it, with its row
    return counts


def _sample(path: Path, encoding: str) -> str:
    """The first whole lines of the file, as text, for sniffing the delimiter."""
    with path.open(encoding=encoding, newline="") as file:
        sample = file.read(BLOCK_BYTES // 4)
        more = file.read(1)
    return sample.rpartition("\n")[0] if more and "\n" in sample else sample


def csv_layout(path: Path, limits: UploadLimits) -> CsvLayout:
    """Sniff and check the whole CSV file; raises `UploadError` for an empty or header-only file,
    a wrong encoding, a bad header or a row whose fields do not match the header's."""
    encoding = sniff_encoding(path)
    delimiter = sniff_delimiter(_sample(path, encoding))
    header, header_row, first, width, row_count = None, 0, 0, 0, 0
    row = 0
    with path.open(encoding=encoding, newline="") as file:
        try:
            for fields in csv.reader(file, delimiter=delimiter):
                row += 1
                if header is None:
                    if any(field.strip() for field in fields):
                        first, header = read_header(fields, row, limits)
                        header_row, width, end = row, len(fields), first + len(header)
                        unnamed = first > 0 or end < width
                    continue
                if len(fields) != width:
                    if not any(fields):
                        continue
                    raise _ragged(row, len(fields), header, first, width)
                if any(fields):
                    if unnamed:
                        check_named(row, fields, first, end)
                    row_count += 1
        except csv.Error as error:
            raise UploadError(f"Row {row + 1} cannot be read as CSV ({error}).", row=row + 1) from None
    if header is None:
        raise UploadError("The file is empty.")
    if not row_count:
        raise UploadError(f"The file has a header (row {header_row}) but no rows of data.", row=header_row)
    return CsvLayout(encoding, delimiter, header, header_row, first, width, row_count)


def _ragged(row: int, count: int, header: tuple[str, ...], first: int, width: int) -> UploadError:
    if count < width:
        named = first <= count < first + len(header)
        column = header[count - first] if named else f"column {count + 1}"
        label = f'column {count + 1} ("{column}")' if named else column
        detail = f"{label} and any after it are missing"
    else:
        column = f"column {width + 1}"
        detail = f"{column} and any after it have no header"
    return UploadError(f"Row {row} has {count} fields but the header has {width}: {detail}. Every row "
                       "needs one field per column.", row=row, column=column)


def csv_chunks(path: Path, layout: CsvLayout, chunk_rows: int) -> Iterator[TextChunk]:
    """The data rows below the header, `chunk_rows` at a time (fewer where rows are blank)."""
    reader = pd.read_csv(path, sep=layout.delimiter, encoding=layout.encoding, header=None,
                         names=range(layout.width), dtype=object, na_filter=False, skip_blank_lines=False,
                         index_col=False, chunksize=chunk_rows, engine="c")
    positions = range(layout.first_column, layout.first_column + len(layout.header))
    with reader:
        for frame in reader:
            rows = frame.index.to_numpy(dtype=np.int64) + 1
            columns = [frame[position].to_numpy(dtype=object) for position in positions]
            keep = rows > layout.header_row
            filled = np.zeros(len(rows), dtype=bool)
            for column in columns:  # rows with nothing in them are left out
                filled |= column != ""
            keep &= filled
            if keep.any():
                yield TextChunk(rows[keep], [column[keep] for column in columns])
