"""The alert dialog's form and the words an alert is shown in: "Revenue above 10,000".

`data/alerts.py` stores alerts (and re-exports `AlertForm`); `delivery/alerts.py` evaluates them.
For a measure shown as a percentage the threshold is in percent as the card shows it (45 means 45%).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from charts.formatting import format_value
from data.dashboard_spec import WIDGET_ID, WidgetSpec, measure_name
from data.datasets import Measure, UnknownField, get_dataset
from data.delivery_models import Alert
from data.recipients import is_address


class AlertError(ValueError):
    """An alert was refused; the message is safe to show."""


CONDITIONS = ("above", "below", "change", "band")
GRAINS = ("hour", "day", "week", "month")
LABELS = {"dashboard_id": "Dashboard", "widget_id": "Widget", "measure": "Measure", "name": "Name",
          "condition": "Condition", "threshold": "Threshold", "sigmas": "Standard deviations",
          "periods": "Periods", "grain": "Period", "every_minutes": "Check every (minutes)",
          "recipient_users": "Notify", "recipient_emails": "Email addresses"}


class AlertForm(BaseModel):
    """What the alert dialog sends. Fields a condition does not use are ignored when stored."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, str_strip_whitespace=True)

    dashboard_id: Annotated[int, Field(gt=0)]
    widget_id: Annotated[str, Field(pattern=WIDGET_ID)]
    measure: Annotated[str, Field(min_length=1, max_length=64)]
    name: Annotated[str, Field(max_length=200)] = ""
    condition: Literal["above", "below", "change", "band"]
    threshold: float | None = None
    sigmas: float | None = None
    periods: int | None = None
    grain: Literal["hour", "day", "week", "month"] = "day"
    every_minutes: Annotated[int, Field(ge=1, le=7 * 24 * 60)] = 15
    recipient_users: Annotated[list[int], Field(max_length=100)] = []
    recipient_emails: Annotated[list[Annotated[str, Field(max_length=254)]], Field(max_length=100)] = []

    @field_validator("recipient_emails")
    @classmethod
    def _emails(cls, emails: list[str]) -> list[str]:
        """Addresses are compared without case: kept lowercased, once each."""
        return list(dict.fromkeys(email.strip().lower() for email in emails if email.strip()))

    @model_validator(mode="after")
    def _fields_of_the_condition(self) -> AlertForm:
        if self.condition in ("above", "below") and self.threshold is None:
            raise ValueError("enter the threshold to compare the measure with")
        if self.condition == "change" and (self.threshold is None or self.threshold <= 0):
            raise ValueError("enter the change, in percent, above 0")
        if self.condition == "band":
            if self.sigmas is None or self.sigmas <= 0:
                raise ValueError("the number of standard deviations must be above 0")
            if self.periods is None or not 3 <= self.periods <= 365:
                raise ValueError("the band needs between 3 and 365 past periods")
        for address in self.recipient_emails:
            if not is_address(address):
                raise ValueError(f"{address[:80]!r} is not an email address")
        return self

    @classmethod
    def from_browser(cls, data: dict) -> AlertForm:
        """From the dialog's values (numbers may come as text, blanks as ""; emails as one text of
        lines or commas); raises `ValueError` with a readable message."""
        values = {key: (None if value == "" else value) for key, value in dict(data or {}).items()}
        emails = values.get("recipient_emails")
        if isinstance(emails, str):
            values["recipient_emails"] = [item for item in re.split(r"[\s,;]+", emails) if item]
        for key in ("recipient_users", "recipient_emails"):
            if values.get(key) is None:
                values.pop(key, None)
        if values.get("name") is None:
            values.pop("name", None)
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            raise ValueError(readable(error)) from None


def readable(error: ValidationError) -> str:
    """A pydantic error as one sentence per problem, named by the dialog's labels."""
    problems = []
    for item in error.errors():
        field = next((part for part in item["loc"] if isinstance(part, str)), "")
        message = str(item["msg"]).removeprefix("Value error, ")
        label = LABELS.get(field)
        problems.append(f"{label}: {message}." if label else message[:1].upper() + message[1:] + ".")
    return " ".join(problems)


# -- texts ---------------------------------------------------------------------------------------

def number_text(value: float) -> str:
    """A threshold as typed: 10,000 or 1,234.5."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def shown(measure: Measure | None, value: float | None) -> float | None:
    """`value` in the units the card shows (a percentage measure's 0.45 is 45)."""
    if value is None or measure is None or measure.format != "percent":
        return value
    return value * 100


def condition_text(alert: Alert | AlertForm, measure: Measure | None) -> str:
    """"Revenue above 10,000", "Orders change by more than 20% vs the previous period"."""
    label = measure.label if measure is not None else alert.measure
    unit = "%" if measure is not None and measure.format == "percent" else ""
    if alert.condition in ("above", "below"):
        return f"{label} {alert.condition} {number_text(alert.threshold)}{unit}"
    if alert.condition == "change":
        return f"{label} changes by more than {number_text(alert.threshold)}% vs the previous period"
    periods = alert.periods or 0
    return (f"{label} outside {number_text(alert.sigmas)} standard deviations of the last "
            f"{periods} {alert.grain}{'s' if periods != 1 else ''}")


def value_text(measure: Measure | None, value: float | None) -> str:
    if measure is None:
        return "—" if value is None else number_text(round(value, 4))
    return format_value(value, measure.format, measure.currency)


def find_measure(widget: WidgetSpec, name: str) -> Measure:
    """The measure `name` of `widget`, which must show it and whose dataset must declare it;
    raises `AlertError` (or `UnknownField` when the dataset cannot be read)."""
    if widget.type == "text" or not widget.dataset:
        raise AlertError("A text widget has no numbers to watch.")
    if name not in [measure_name(ref) for ref in widget.measures]:
        raise AlertError(f"The widget does not show the measure {name!r}; choose one of its measures.")
    return get_dataset(widget.dataset).measure(name)


def measure_options(widget: WidgetSpec) -> list[dict]:
    """The measures an alert on `widget` may watch, for the dialog's picker."""
    try:
        dataset = get_dataset(widget.dataset) if widget.dataset else None
    except UnknownField:
        dataset = None
    options = []
    for ref in widget.measures if dataset is not None else []:
        try:
            options.append({"label": dataset.measure(measure_name(ref)).label, "value": measure_name(ref)})
        except UnknownField:
            continue
    return options


