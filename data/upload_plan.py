"""The user's choices after the preview: per column its name, its type and whether it is
imported, and the time column. Validated when made, and again whenever it comes back from the
browser (`parse_plan`)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from data.upload_limits import UploadError
from data.upload_preview import UploadPreview
from data.upload_types import ColumnType

MAX_NAME_CHARS = 100
SQL_NAME_CHARS = 48
# Names PostgreSQL and SQLite keep for their own columns; a column cannot be called these.
SYSTEM_COLUMNS = frozenset({"oid", "tableoid", "xmin", "xmax", "cmin", "cmax", "ctid", "rowid", "_rowid_"})


class ColumnPlan(BaseModel):
    """One column of the file: `source` is its name in the header, `name` the one it is given."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    source: str
    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    type: ColumnType
    include: bool = True


class ImportPlan(BaseModel):
    """Every column of the file in order, the sheet of a workbook, and the time column (the
    new name of an included date or datetime column)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    columns: tuple[ColumnPlan, ...] = Field(min_length=1)
    time_column: str | None = None
    sheet: str | None = None

    @model_validator(mode="after")
    def _names_and_time_column(self) -> ImportPlan:
        included = self.included
        if not included:
            raise ValueError("choose at least one column to import")
        seen: set[str] = set()
        for column in included:
            if column.name.casefold() in seen:
                raise ValueError(f'two columns are named "{column.name}"; names must be unique')
            seen.add(column.name.casefold())
        if self.time_column is not None:
            chosen = next((column for column in included if column.name == self.time_column), None)
            if chosen is None:
                raise ValueError(f'the time column "{self.time_column}" is not an imported column')
            if chosen.type.kind not in ("date", "datetime"):
                raise ValueError(f'the time column "{self.time_column}" is not a date or datetime column')
        return self

    @property
    def included(self) -> tuple[ColumnPlan, ...]:
        return tuple(column for column in self.columns if column.include)

    def check_header(self, header: Sequence[str]) -> None:
        """Raise `UploadError` unless the plan was made for a file with this header."""
        if [column.source for column in self.columns] != list(header):
            raise UploadError("The file's columns are not the ones in the preview: "
                              f"expected {[column.source for column in self.columns]}, found {list(header)}. "
                              "Preview the file again.")


def default_plan(preview: UploadPreview) -> ImportPlan:
    """The plan the preview proposes: every column, named and typed as inferred."""
    columns = tuple(ColumnPlan(source=column.name, name=column.name, type=column.type)
                    for column in preview.columns)
    return ImportPlan(columns=columns, time_column=preview.time_column, sheet=preview.sheet)


def parse_plan(data: Mapping) -> ImportPlan:
    """An `ImportPlan` from plain data (say, JSON from the browser); raises `UploadError`."""
    try:
        return ImportPlan.model_validate(data)
    except ValidationError as error:
        problems = []
        for problem in error.errors():
            where = ".".join(str(part) for part in problem["loc"])
            message = problem["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
        raise UploadError("The import settings are not valid: " + "; ".join(problems) + ".") from None


def sql_names(names: Sequence[str], max_chars: int = SQL_NAME_CHARS,
              reserved: frozenset[str] | set[str] = SYSTEM_COLUMNS) -> tuple[str, ...]:
    """A SQL column name for each display name: lower-case ASCII letters, digits and single `_`,
    starting with a letter, at most `max_chars` characters, none `reserved`, unique. Never the
    user's text as written. (Dataset field names are made the same way, with their limits.)"""
    taken: set[str] = set()
    result = []
    for position, name in enumerate(names, start=1):
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        slug = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")
        if not slug:
            slug = f"c{position}"
        elif not slug[0].isalpha():
            slug = f"c_{slug}"
        slug = slug[:max_chars - 4].rstrip("_")  # room for a suffix that makes it unique
        if slug in reserved:
            slug = f"{slug}_"
        candidate, suffix = slug, 2
        while candidate in taken:
            candidate, suffix = f"{slug}_{suffix}", suffix + 1
        taken.add(candidate)
        result.append(candidate)
    return tuple(result)
