"""What a schedule is made of, as the dialog sends it: `ScheduleForm`, validated on the way in.

Re-exported by `data.schedules`, which applies the rules that need the database (who may
schedule, which dashboard, which recipients).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from data.dashboard_spec import TimeRange
from data.recipients import is_address
from delivery.recurrence import Recurrence, RecurrenceError
from exports.options import ExportOptions

FORMATS = {"pdf": "PDF report", "xlsx": "Excel workbook"}
MISSED = {"latest": "Send the latest one once", "skip": "Skip them"}
MAX_RECIPIENTS = 100

# The export choices keep the export dialog's own types: one definition of what is allowed.
Template = ExportOptions.model_fields["template"].annotation
PageSize = ExportOptions.model_fields["page_size"].annotation
Orientation = ExportOptions.model_fields["orientation"].annotation


def split_emails(text: str | None) -> list[str]:
    """Addresses typed one a line, or separated by commas, semicolons or spaces."""
    return [part for part in re.split(r"[\s,;]+", text or "") if part]


class ScheduleForm(BaseModel):
    """A schedule as the user chose it. `formats` is a non-empty subset of pdf and xlsx;
    `widgets` None means all; `time_range` None keeps the dashboard's own range."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dashboard_id: int
    subject: Annotated[str, Field(max_length=200)]
    formats: Annotated[list[Literal["pdf", "xlsx"]], Field(max_length=2)]
    template: Template = "detailed"  # type: ignore[valid-type]
    page_size: PageSize = "A4"  # type: ignore[valid-type]
    orientation: Orientation = "portrait"  # type: ignore[valid-type]
    widgets: Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=200)] | None = None
    time_range: TimeRange | None = None
    recipient_users: Annotated[list[int], Field(max_length=MAX_RECIPIENTS)] = []
    recipient_emails: Annotated[list[Annotated[str, Field(max_length=254)]],
                                Field(max_length=MAX_RECIPIENTS)] = []
    recurrence: Recurrence
    missed: Literal["latest", "skip"] = "latest"

    @field_validator("subject")
    @classmethod
    def _subject(cls, subject: str) -> str:
        subject = " ".join(subject.split())  # no line breaks: they would forge mail headers
        if not subject:
            raise ValueError("Give the report a subject.")
        return subject

    @field_validator("formats")
    @classmethod
    def _formats(cls, formats: list[str]) -> list[str]:
        if not formats:
            raise ValueError("Choose PDF, Excel or both.")
        return [fmt for fmt in FORMATS if fmt in formats]

    @field_validator("recipient_users")
    @classmethod
    def _users(cls, users: list[int]) -> list[int]:
        return list(dict.fromkeys(users))

    @field_validator("recipient_emails")
    @classmethod
    def _emails(cls, emails: list[str]) -> list[str]:
        cleaned = list(dict.fromkeys(email.strip().lower() for email in emails if email.strip()))
        for email in cleaned:
            if not is_address(email):
                raise ValueError(f"{email!r} is not an email address.")
        return cleaned

    @field_validator("widgets")
    @classmethod
    def _widgets(cls, widgets: list[str] | None) -> list[str] | None:
        if widgets is not None and not widgets:
            raise ValueError("Choose at least one widget for the report.")
        return widgets

    @model_validator(mode="after")
    def _someone(self) -> ScheduleForm:
        if not self.recipient_users and not self.recipient_emails:
            raise ValueError("Add at least one recipient.")
        if len(self.recipient_users) + len(self.recipient_emails) > MAX_RECIPIENTS:
            raise ValueError(f"A report goes to at most {MAX_RECIPIENTS} recipients.")
        return self

    @classmethod
    def from_browser(cls, data) -> ScheduleForm:
        """The form the dialog sent; raises `ValueError` with a readable message if it is not valid."""
        if not isinstance(data, dict):
            raise ValueError("The schedule is missing.")
        try:
            Recurrence.parse(data.get("recurrence"))
        except RecurrenceError as error:
            raise ValueError(str(error)) from None
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            first = error.errors()[0]
            if first.get("type") == "value_error":
                raise ValueError(str(first["msg"]).removeprefix("Value error, ")) from None
            where = ".".join(str(part) for part in first["loc"])
            raise ValueError(f"The schedule is not valid ({where}: {first['msg']}).") from None

    def export_json(self) -> dict:
        """The export choices other than the format, as the schedule row keeps them."""
        options = ExportOptions(template=self.template, page_size=self.page_size,
                                orientation=self.orientation, widgets=self.widgets,
                                time_range=self.time_range).to_json()
        options.pop("format", None)
        return options
