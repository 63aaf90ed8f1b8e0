"""Names an export creates from titles people type: sheet names, download names, zip members."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata

import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

from exports.names import (
    FILE_NAME_BYTES,
    MemberNames,
    file_name,
    safe_sheet_name,
    unique_member_names,
    unique_sheet_names,
)

WHEN = dt.datetime(2026, 11, 21, 14, 5)
AWKWARD = ["History", "history", "Sales", "SALES", "'quoted'", "a/b", "[x]", "", " ", "x" * 40, "ß", "SS",
           "😀" * 20]
titles = st.lists(st.one_of(st.text(max_size=60), st.sampled_from(AWKWARD)), max_size=25)


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


@given(titles)
def test_sheet_names_are_always_valid_and_unique_with_case_ignored(names_wanted):
    names = unique_sheet_names(names_wanted)
    assert len(names) == len(names_wanted)
    for name in names:
        assert name.strip() and 0 < _utf16(name) <= 31
        assert not set("[]:*?/\\") & set(name)
        assert not name.startswith("'") and not name.endswith("'")
        assert name.lower() != "history"
        assert not any(unicodedata.category(char) == "Cc" for char in name)
    assert len({name.lower() for name in names}) == len(names)
    assert len({name.casefold() for name in names}) == len(names)
    workbook = xlsxwriter.Workbook(io.BytesIO())  # xlsxwriter checks Excel's rules as well
    for name in names:
        workbook.add_worksheet(name)


def test_sheet_names_keep_what_they_can_of_the_title():
    assert safe_sheet_name("Revenue/Profit [EU]: Q1?") == "Revenue Profit EU Q1"
    assert safe_sheet_name("   ") == "Sheet"
    assert safe_sheet_name("'Bob's'") == "Bob's"
    assert safe_sheet_name("Umsätze nach Region") == "Umsätze nach Region"
    assert unique_sheet_names(["History", "Sales", "sales", "Sales"]) == [
        "History (2)", "Sales", "sales (2)", "Sales (3)"]
    long = "A" * 40
    assert unique_sheet_names([long, long]) == ["A" * 31, "A" * 27 + " (2)"]


def test_a_download_is_named_after_the_title_and_the_time():
    assert file_name("Revenue by day", WHEN, "xlsx") == "Revenue by day 2026-11-21 1405.xlsx"
    assert file_name("Umsätze: Q1/Q2", WHEN, ".PDF") == "Umsätze Q1 Q2 2026-11-21 1405.pdf"
    assert file_name("", WHEN, "csv") == "Pulseboard export 2026-11-21 1405.csv"


def test_a_download_name_cannot_climb_folders_spoof_its_extension_or_hit_a_device():
    assert file_name("../../etc/passwd", WHEN, "csv") == "etc passwd 2026-11-21 1405.csv"
    assert file_name("invoice\u202excod.exe", WHEN, "xlsx") == "invoice xcod.exe 2026-11-21 1405.xlsx"
    assert file_name("a\x00b\nc\td", WHEN, "zip") == "a b c d 2026-11-21 1405.zip"
    assert unique_member_names(["CON", "lpt1.txt", "nul "]) == ["_CON.csv", "_lpt1.txt.csv", "_nul.csv"]


@given(st.text(max_size=400), st.sampled_from(["xlsx", "pdf", "csv", "../x", ""]))
def test_download_names_are_always_safe(title, ext):
    name = file_name(title, WHEN, ext)
    assert "/" not in name and "\\" not in name and not name.startswith(".")
    assert not any(unicodedata.category(char) in ("Cc", "Cf", "Cs") for char in name)
    assert not set('<>:"|?*') & set(name)
    assert len(name.encode("utf-8")) <= FILE_NAME_BYTES
    assert " 2026-11-21 1405." in name and name.rsplit(".", 1)[1].isalnum()


@given(titles)
def test_zip_member_names_are_flat_safe_and_unique_with_case_ignored(names_wanted):
    names = unique_member_names(names_wanted, "csv", reserved=["README.txt"])
    assert len({name.casefold() for name in names} | {"readme.txt"}) == len(names) + 1
    for name in names:
        assert name.endswith(".csv") and "/" not in name and "\\" not in name and not name.startswith(".")


def test_member_names_number_repeated_titles():
    members = MemberNames(reserved=["README.txt"])
    assert [members.add(title) for title in ("Revenue", "revenue", "README", "Revenue")] == [
        "Revenue.csv", "revenue (2).csv", "README.csv", "Revenue (3).csv"]
    assert members.add("README", "txt") == "README (2).txt"
