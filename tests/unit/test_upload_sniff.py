"""Reading uploaded files: encodings, delimiters, header rows, the shape of every row, and Excel
workbooks (sheets, cells, and the zips that must never be opened). Every file is made here."""

from __future__ import annotations

import codecs
import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from data import upload_xlsx
from data.upload_limits import MB, UploadError, UploadLimits
from data.upload_preview import inspect_upload
from data.upload_sniff import sniff_delimiter, sniff_encoding

SAMPLE = "city,café,amount\nZürich,Crème brûlée,12.50\nMálaga,Paëlla,8\n"


def write(tmp_path: Path, content: str | bytes, name: str = "upload.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def refusal(path: Path, name: str | None = None, **options) -> UploadError:
    with pytest.raises(UploadError) as caught:
        inspect_upload(path, name or path.name, **options)
    return caught.value


@pytest.mark.parametrize(("encoded", "codec"), [
    (SAMPLE.encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + SAMPLE.encode("utf-8"), "utf-8-sig"),
    (SAMPLE.encode("latin-1"), "cp1252"),
    (SAMPLE.encode("utf-16"), "utf-16"),
    (codecs.BOM_UTF16_BE + SAMPLE.encode("utf-16-be"), "utf-16"),
])
def test_each_supported_encoding_is_detected_and_read_back_exactly(tmp_path, encoded, codec):
    path = write(tmp_path, encoded)
    assert sniff_encoding(path) == codec
    preview = inspect_upload(path, "upload.csv")
    assert preview.encoding == codec
    assert [column.name for column in preview.columns] == ["city", "café", "amount"]
    assert preview.rows == (("Zürich", "Crème brûlée", "12.50"), ("Málaga", "Paëlla", "8"))


def test_windows_1252_text_from_excel_keeps_its_euro_sign_and_curly_quotes(tmp_path):
    path = write(tmp_path, "item,note\nPie,“3 €” – fresh\n".encode("cp1252"))
    assert inspect_upload(path, "upload.csv").rows == (("Pie", "“3 €” – fresh"),)


def test_a_latin_1_byte_far_down_a_utf_8_looking_file_is_still_found(tmp_path):
    body = "name,n\n" + "plain,1\n" * 5000 + "Zürich,2\n"
    path = write(tmp_path, body.encode("latin-1"))
    assert sniff_encoding(path) == "cp1252"
    assert inspect_upload(path, "upload.csv").row_count == 5001


def test_bytes_that_no_supported_encoding_reads_are_refused_naming_the_row(tmp_path):
    # 0x81 is undefined in Windows-1252 and invalid in UTF-8.
    path = write(tmp_path, b"name,n\nok,1\nbad\x81,2\n")
    error = refusal(path)
    assert error.row == 3
    assert "Row 3 holds bytes that are not text in UTF-8, UTF-16 or Latin-1" in str(error)


def test_binary_garbage_is_refused_as_not_text(tmp_path):
    path = write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    error = refusal(path)
    assert "control character" in str(error) and "this is not a CSV file" in str(error)


def test_utf_16_without_a_byte_order_mark_is_refused_with_a_hint(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n".encode("utf-16-le"))
    error = refusal(path)
    assert error.row == 1
    assert "UTF-16 without a byte order mark" in str(error)


def test_utf_32_is_refused(tmp_path):
    assert "UTF-32" in str(refusal(write(tmp_path, "a,b\n1,2\n".encode("utf-32"))))


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_delimiter_is_detected(tmp_path, delimiter):
    rows = [["region", "units", "note"], ["EMEA", "3", "a, b; c"], ["APAC", "4", ""]]
    quoted = [[f'"{cell}"' if any(mark in cell for mark in ",;|") else cell for cell in row] for row in rows]
    text = "".join(delimiter.join(row) + "\n" for row in quoted)
    preview = inspect_upload(write(tmp_path, text), "upload.csv")
    assert preview.delimiter == delimiter
    assert preview.rows[0] == ("EMEA", "3", "a, b; c")


def test_semicolons_win_over_the_decimal_commas_between_them():
    assert sniff_delimiter("region;price;tax\nEMEA;1,50;0,2\nAPAC;2,25;0,3\n") == ";"


def test_a_single_column_file_reads_as_one_column(tmp_path):
    preview = inspect_upload(write(tmp_path, "email\na@example.com\nb@example.com\n"), "list.txt")
    assert [column.name for column in preview.columns] == ["email"]
    assert preview.row_count == 2


def test_leading_blank_lines_are_skipped_and_rows_keep_their_numbers(tmp_path):
    text = "\n\n,,\nname,note,n\nann,\"two\nlines\",1\n\nbob,x\n"
    error = refusal(write(tmp_path, text))
    # Row 4 is the header, row 5 a cell over two lines, row 6 blank, row 7 is short.
    assert error.row == 7 and error.column == "n"
    assert str(error) == ('Row 7 has 2 fields but the header has 3: column 3 ("n") and any after it are '
                          "missing. Every row needs one field per column.")


def test_a_row_with_more_fields_than_the_header_is_refused(tmp_path):
    error = refusal(write(tmp_path, "a,b\n1,2\n3,4,5\n"))
    assert (error.row, error.column) == (3, "column 3")
    assert str(error).startswith("Row 3 has 3 fields but the header has 2: column 3 and any after it "
                                 "have no header.")


@pytest.mark.parametrize(("content", "message"), [
    (b"", "The file is empty."),
    (b"\n\n  \n", "The file is empty."),
    (codecs.BOM_UTF8, "The file is empty."),
    (b"a,b,c\n", "The file has a header (row 1) but no rows of data."),
    (b"\na,b,c\n,,\n\n", "The file has a header (row 2) but no rows of data."),
])
def test_empty_and_header_only_files_are_refused(tmp_path, content, message):
    assert str(refusal(write(tmp_path, content))) == message


def test_duplicate_header_names_are_refused_naming_both_columns(tmp_path):
    error = refusal(write(tmp_path, "Region,Units,region\nEMEA,1,x\n"))
    assert (error.row, error.column) == (1, "region")
    assert str(error) == ('Row 1: the header names "region" twice, in columns 1 and 3. Column names '
                          "must be unique.")


def test_an_empty_header_name_is_refused_naming_its_column(tmp_path):
    error = refusal(write(tmp_path, "\nregion,,units\nEMEA,x,1\n"))
    assert (error.row, error.column) == (2, "column 2")
    assert "Row 2, column 2: the header gives this column no name" in str(error)


def test_unnamed_empty_columns_around_a_table_are_left_out(tmp_path):
    preview = inspect_upload(write(tmp_path, ",region,units,,\n,EMEA,1,,\n,APAC,2,,\n"), "upload.csv")
    assert [column.name for column in preview.columns] == ["region", "units"]
    assert preview.rows == (("EMEA", "1"), ("APAC", "2"))


def test_a_value_under_no_header_is_refused(tmp_path):
    error = refusal(write(tmp_path, "region,units,\nEMEA,1,\nAPAC,2,oops\n"))
    assert (error.row, error.column) == (3, "column 3")
    assert "this column has a value but no name in the header" in str(error)


def test_more_than_500_columns_are_refused_and_500_are_fine(tmp_path):
    def table(columns: int) -> str:
        return ",".join(f"c{i}" for i in range(columns)) + "\n" + ",".join("1" * columns) + "\n"

    assert len(inspect_upload(write(tmp_path, table(500), "wide.csv"), "wide.csv").columns) == 500
    error = refusal(write(tmp_path, table(501)))
    assert str(error) == "The header (row 1) has 501 columns; at most 500 are supported."


def test_a_cell_longer_than_a_csv_cell_may_be_is_refused_naming_its_row(tmp_path):
    error = refusal(write(tmp_path, "a,b\n1,2\n" + "x" * 140_000 + ",3\n"))
    assert str(error) == "Row 3 cannot be read as CSV (field larger than field limit (131072))."


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    error = refusal(write(tmp_path, "a\n" + "1\n" * 600_000), limits=UploadLimits(max_bytes=MB))
    assert str(error) == "The file is 1.2 MB; uploads are limited to 1 MB."


@pytest.mark.parametrize(("name", "message"), [
    ("report.pdf", "Upload a CSV file (.csv, .tsv or .txt) or an Excel workbook (.xlsx)."),
    ("old.xls", "Old .xls workbooks are not supported."),
])
def test_other_kinds_of_file_are_refused_by_name(tmp_path, name, message):
    assert str(refusal(write(tmp_path, "a,b\n1,2\n"), name)).startswith(message)


# -- Excel workbooks ----------------------------------------------------------------------------

def two_sheet_workbook(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    orders = workbook.active
    orders.title = "Orders"
    orders.append(["Order date", "Placed at", "Units", "Price", "Paid", "Note"])
    orders.append([dt.datetime(2026, 11, 21), dt.datetime(2026, 11, 21, 14, 5, 9), 3, 9.5, True, "rush"])
    orders.append([dt.date(2026, 11, 22), dt.datetime(2026, 11, 22, 8, 0), 4, 10.0, False, None])
    formula_like = orders.cell(row=3, column=6, value="=1+2")
    formula_like.data_type = "s"  # text that looks like a formula, as a user typed it after a '
    targets = workbook.create_sheet("Targets")
    targets["B2"], targets["C2"] = "Region", "Target"
    targets["B3"], targets["C3"] = "EMEA", 1000
    workbook.save(path)
    return path


def test_a_workbook_lists_its_sheets_and_reads_the_first_by_default(tmp_path):
    path = two_sheet_workbook(tmp_path / "book.xlsx")
    preview = inspect_upload(path, "book.xlsx")
    assert (preview.format, preview.sheets, preview.sheet) == ("xlsx", ("Orders", "Targets"), "Orders")
    assert [column.type.describe() for column in preview.columns] == [
        "date (YYYY-MM-DD)", "datetime (YYYY-MM-DD)", "integer", "decimal", "boolean", "text"]
    assert preview.rows == (("2026-11-21", "2026-11-21 14:05:09", "3", "9.5", "true", "rush"),
                            ("2026-11-22", "2026-11-22 08:00:00", "4", "10", "false", "=1+2"))
    assert preview.time_column == "Order date"


def test_the_chosen_sheet_is_read_from_its_first_row_with_data(tmp_path):
    path = two_sheet_workbook(tmp_path / "book.xlsx")
    preview = inspect_upload(path, "book.xlsx", sheet="Targets")
    assert (preview.sheet, preview.header_row) == ("Targets", 2)
    assert preview.rows == (("EMEA", "1000"),)


def test_a_sheet_that_does_not_exist_is_refused_naming_the_ones_that_do(tmp_path):
    path = two_sheet_workbook(tmp_path / "book.xlsx")
    assert str(refusal(path, sheet="Sales")) == ('This workbook has no sheet called "Sales"; its sheets '
                                                 'are "Orders", "Targets".')


def test_a_header_only_sheet_is_refused(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(["a", "b"])
    workbook.save(tmp_path / "header.xlsx")
    assert str(refusal(tmp_path / "header.xlsx")) == "The file has a header (row 1) but no rows of data."


@pytest.fixture
def openpyxl_must_not_open(monkeypatch):
    def opened(*_args, **_kwargs):
        raise AssertionError("openpyxl opened a workbook that should have been refused")

    monkeypatch.setattr(upload_xlsx, "load_workbook", opened)


def fake_workbook(path: Path, sheet_bytes: int, compression=zipfile.ZIP_DEFLATED, sheet_fill=b" ") -> Path:
    """A zip laid out like an .xlsx, its sheet `sheet_bytes` long, written without holding it."""
    with zipfile.ZipFile(path, "w", compression) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            block = sheet_fill * (MB // len(sheet_fill))
            for _ in range(sheet_bytes // MB):
                sheet.write(block)
    return path


def test_a_zip_bomb_named_xlsx_is_refused_before_it_is_opened(tmp_path, openpyxl_must_not_open):
    path = fake_workbook(tmp_path / "bomb.xlsx", 300 * MB)
    assert path.stat().st_size < MB  # 300 MB of sheet in a few hundred kilobytes
    error = refusal(path)
    assert "xl/worksheets/sheet1.xml is compressed" in str(error)
    assert "it looks like a zip bomb and was not opened" in str(error)


def test_a_workbook_that_unpacks_past_the_limit_is_refused_unopened(tmp_path, openpyxl_must_not_open):
    path = fake_workbook(tmp_path / "big.xlsx", 3 * MB, zipfile.ZIP_STORED)
    error = refusal(path, limits=UploadLimits(max_workbook_bytes=2 * MB))
    assert str(error) == "This workbook would unpack to 3 MB, more than the 2 MB allowed. It was not opened."


def test_a_text_file_named_xlsx_is_refused(tmp_path, openpyxl_must_not_open):
    error = refusal(write(tmp_path, "a,b\n1,2\n", "data.xlsx"))
    assert str(error).startswith("This file is not an Excel workbook (.xlsx): it is not a zip archive.")


def test_an_encrypted_or_old_workbook_is_refused(tmp_path, openpyxl_must_not_open):
    # Password-protected .xlsx files and .xls files are both OLE compound files.
    ole = upload_xlsx.OLE_MAGIC + bytes(504)
    error = refusal(write(tmp_path, ole, "secret.xlsx"))
    assert str(error).startswith("This workbook is password-protected or in the old .xls format.")


def test_a_zip_with_an_encrypted_entry_is_refused(tmp_path, openpyxl_must_not_open):
    path = tmp_path / "locked.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", b"<workbook/>")
    # zipfile cannot encrypt; set the entry's "encrypted" flag in the central directory instead.
    content = bytearray(path.read_bytes())
    central = content.index(b"PK\x01\x02")
    content[central + 8] |= 0x1
    path.write_bytes(bytes(content))
    assert str(refusal(path)).startswith("This workbook is encrypted.")


def test_a_zip_that_is_not_a_workbook_is_refused_clearly(tmp_path):
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")
    assert str(refusal(path)).startswith("This file could not be read as an Excel workbook (.xlsx).")


def test_a_workbook_named_csv_is_refused_as_not_text(tmp_path):
    path = two_sheet_workbook(tmp_path / "book.xlsx")
    error = refusal(path, "book.csv")
    assert str(error).startswith("This file is a workbook or an archive, not CSV text.")


@pytest.mark.parametrize(("value", "text"), [
    (None, ""), ("=1+2", "=1+2"), (True, "true"), (7, "7"), (7.0, "7"), (0.1, "0.1"), (1e20, "1e+20"),
    (dt.datetime(2026, 11, 21), "2026-11-21"), (dt.datetime(2026, 11, 21, 9, 5), "2026-11-21 09:05:00"),
    (dt.datetime(2026, 11, 21, 9, 5, 1, 250000), "2026-11-21 09:05:01.250000"),
    (dt.date(2026, 11, 21), "2026-11-21"), (dt.time(9, 30), "09:30:00"),
])
def test_cells_are_written_as_the_text_the_converters_read(value, text):
    assert upload_xlsx.cell_text(value) == text
