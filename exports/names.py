"""Names for what an export creates: worksheet names, download file names and zip member names.

Every name here comes from text a user typed (dashboard and widget titles), so each helper
cleans it for the place it goes and never returns something that could fail to open, overwrite
a neighbour or climb out of a folder.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable

SHEET_NAME_LIMIT = 31  # Excel counts UTF-16 units
SHEET_RESERVED = ("History",)  # Excel keeps "History" for change tracking
FILE_NAME_BYTES = 150  # of UTF-8: far below every file system's 255, room for "(2)" and a folder
DEFAULT_TITLE = "Pulseboard export"
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_FILE_FORBIDDEN = re.compile(r'[<>:"/\\|?*]')
_SPACES = re.compile(r"\s+")
# Windows refuses these as file names whatever the extension ("con.csv" too).
_WINDOWS_DEVICES = frozenset(["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
                             + [f"{stem}{digit}" for stem in ("COM", "LPT") for digit in "0123456789¹²³"])


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _printable(text: str) -> str:
    """`text` in NFC with control, format (bidi overrides), surrogate and unassigned characters
    turned into spaces, and runs of white space collapsed."""
    text = unicodedata.normalize("NFC", str(text))
    text = "".join(" " if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn") else char
                   for char in text)
    return _SPACES.sub(" ", text).strip()


def _fit(text: str, fits) -> str:
    """The longest prefix of `text` (whole code points, trailing spaces dropped) that `fits`."""
    while text and not fits(text):
        text = text[:-1].rstrip()
    return text


def safe_sheet_name(title: str) -> str:
    """`title` as a valid Excel sheet name: no []:*?/\\, no apostrophe at either end, not blank,
    at most 31 UTF-16 units. Uniqueness is `SheetNames`' job."""
    name = _SPACES.sub(" ", _SHEET_FORBIDDEN.sub(" ", _printable(title))).strip(" '")
    return _fit(name, _fits_sheet).strip(" '") or "Sheet"


def _fits_sheet(text: str) -> bool:
    return _utf16_len(text) <= SHEET_NAME_LIMIT and not text.endswith("'")


def _keys(name: str) -> set[str]:
    """Every spelling Excel (or a file system) might treat as the same name."""
    return {name.casefold(), name.lower(), name.upper(), name.upper().casefold()}


class UniqueNames:
    """Hands out names that differ from every earlier one, case ignored: "Sales", "Sales (2)".

    `clean` makes a title safe; `fits` says whether a candidate is short enough, so a suffix
    shortens the title rather than overflowing the limit.
    """

    def __init__(self, clean, fits, reserved: Iterable[str] = ()) -> None:
        self._clean, self._fits = clean, fits
        self._taken: set[str] = set()
        for name in reserved:
            self._taken |= _keys(name)

    def add(self, title: str, suffix: str = "") -> str:
        """A new unique name for `title`, with `suffix` (an extension) kept whole."""
        base = self._clean(title)
        number = 1
        while True:
            tail = f" ({number})" if number > 1 else ""
            stem = _fit(base, lambda text, tail=tail: self._fits(f"{text}{tail}{suffix}")) or base[:1]
            name = f"{stem}{tail}{suffix}"
            if not _keys(name) & self._taken:
                self._taken |= _keys(name)
                return name
            number += 1


class SheetNames(UniqueNames):
    """Unique, valid sheet names for one workbook."""

    def __init__(self) -> None:
        super().__init__(safe_sheet_name, _fits_sheet, reserved=SHEET_RESERVED)


def unique_sheet_names(titles: Iterable[str]) -> list[str]:
    """One valid sheet name per title, none equal to another with case ignored."""
    names = SheetNames()
    return [names.add(title) for title in titles]


def _fits_file(text: str) -> bool:
    return len(text.encode("utf-8")) <= FILE_NAME_BYTES


def safe_stem(title: str) -> str:
    """`title` as the part of a file name before the extension, safe on Windows, macOS and
    Linux: no path separators or <>:"|?*, no control characters, no leading dot or trailing
    dot or space, not a Windows device name; non-ASCII letters are kept."""
    stem = _SPACES.sub(" ", _FILE_FORBIDDEN.sub(" ", _printable(title))).strip()
    stem = _fit(stem.lstrip(". ").rstrip(". "), _fits_file).rstrip(". ")
    if stem.split(".")[0].strip().upper() in _WINDOWS_DEVICES:
        stem = f"_{stem}"
    return stem or DEFAULT_TITLE


def _extension(ext: str) -> str:
    return "." + ("".join(char for char in ext.lower() if char.isascii() and char.isalnum())[:8] or "bin")


def file_name(title: str, when: dt.datetime, ext: str) -> str:
    """A download's name: "Revenue by day 2026-11-21 1405.xlsx". The title is shortened, never
    the time stamp or the extension, so the whole name stays within `FILE_NAME_BYTES`."""
    tail = f" {when:%Y-%m-%d %H%M}{_extension(ext)}"
    stem = _fit(safe_stem(title), lambda text: _fits_file(text + tail)) or DEFAULT_TITLE[:1]
    return stem + tail


class MemberNames(UniqueNames):
    """Unique file names inside one zip archive: flat (no folders), safe to unpack anywhere,
    unique with case ignored because Windows and macOS file systems ignore it."""

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        super().__init__(safe_stem, _fits_file, reserved=reserved)

    def add(self, title: str, ext: str = "csv") -> str:  # type: ignore[override]
        return super().add(title, _extension(ext))


def unique_member_names(titles: Iterable[str], ext: str = "csv",
                        reserved: Iterable[str] = ()) -> list[str]:
    """One safe, unique zip member name per title ("Revenue.csv", "Revenue (2).csv")."""
    names = MemberNames(reserved)
    return [names.add(title, ext) for title in titles]
