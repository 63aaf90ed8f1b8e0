"""The choices of an export, as the dialog, a preset, the command line and a job all carry them.

Everything from the browser passes through `ExportOptions.from_browser`, so a forged request can
only ever ask for what the dialog offers.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from data.dashboard_spec import TimeRange

DASHBOARD_FORMATS = {
    "pdf": "PDF report",
    "xlsx": "Excel workbook",
    "csv": "CSV (zip, one file per widget)",
    "png": "PNG (the whole dashboard)",
}
CHART_FORMATS = {"png": "PNG", "svg": "SVG", "pdf": "PDF", "xlsx": "Excel", "csv": "CSV"}
MEDIA_TYPES = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "zip": "application/zip",
}


class ExportOptions(BaseModel):
    """A dashboard export: format, template, page, which widgets (None: all) and a date range
    that replaces the dashboard's own (None: keep it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def saved(cls, data: dict | None) -> ExportOptions:
        """Options saved earlier (the last used, a preset); the defaults if there are none, or if
        they were saved by an older version with choices that no longer exist."""
        try:
            return cls.model_validate(data or {})
        except ValueError:
            return cls()

    format: Literal["pdf", "xlsx", "csv", "png"] = "pdf"
    template: Literal["executive", "detailed", "audit"] = "detailed"
    page_size: Literal["A4", "Letter"] = "A4"
    orientation: Literal["portrait", "landscape"] = "portrait"
    widgets: Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=200)] | None = None
    time_range: TimeRange | None = None

    @classmethod
    def from_browser(cls, data) -> ExportOptions:
        """Options sent by the dialog; raises `ValueError` with a readable message if malformed."""
        try:
            return cls.model_validate(data if isinstance(data, dict) else {})
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ValueError(f"The export options are not valid ({where}: {first['msg']}).") from None

    def to_json(self) -> dict:
        return self.model_dump(mode="json", exclude_none=True)

    @property
    def extension(self) -> str:
        return "zip" if self.format == "csv" else self.format
