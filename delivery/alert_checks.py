"""What an alert's condition says right now: the value it watches, read as the alert's owner.

- above, below and change read the widget's measure through the one widget path
  (`data.widget_data.load_widget`): over the widget's own time range (else the dashboard's),
  with its filters and the dashboard's saved ones, and the period before, so the alert agrees
  with the card. A KPI card is read as it is; a chart's measure is read as a KPI card of that
  measure over the chart's range and filters would show it (its total, not one point).
- band reads the measure by `grain` and compares the last complete period (yesterday, for a
  daily band: a period still under way would look low every morning) with the mean of the
  `periods` periods before it, plus or minus `sigmas` POPULATION standard deviations (the
  spread of those periods themselves). A period without rows counts as 0 for sums and counts,
  and is left out for averages and ratios, which have no value there.
- No value (no rows, a ratio over zero, a change from zero) never meets a condition.

The owner's access is checked again first: an owner who can no longer view the dashboard, a
widget or measure that is gone, a dataset that cannot be read, all give `Outcome.error` with a
reason and no value, so nothing the owner cannot see is ever sent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import statistics

import pandas as pd

from context import cache, database, settings
from data.alert_form import AlertError, condition_text, find_measure, number_text, shown, value_text
from data.catalog import reading_as
from data.dashboard_access import Actor, DashboardError
from data.dashboard_spec import WidgetSpec, measure_name
from data.dashboards import load_dashboard
from data.datasets import Measure, UnknownField, get_dataset
from data.delivery_models import Alert
from data.overview import floor_bucket
from data.periods import month_start
from data.query import BUCKET, QueryError, QuerySpec, finish, run_query
from data.widget_data import change, effective_filters, load_widget

log = logging.getLogger(__name__)
NO_ACCESS = ("The alert's owner can no longer view this dashboard, so the alert is not evaluated "
             "and nothing is sent.")


@dataclasses.dataclass(frozen=True)
class Outcome:
    """`met` and the value, with words for the message ("$12.3K", "previous period: $9.8K");
    or `error`, the reason the alert could not be evaluated (then nothing else is set)."""

    met: bool = False
    value: float | None = None
    value_text: str = ""
    detail: str = ""
    condition_text: str = ""
    dashboard_title: str = ""
    error: str | None = None


def period_start(moment: dt.datetime, grain: str, shift: int = 0) -> dt.datetime:
    """The start of `moment`'s period of `grain` (weeks from Monday, as SQL buckets them),
    moved `shift` periods."""
    if grain == "month":
        return month_start(moment, shift)
    step = {"hour": dt.timedelta(hours=1), "day": dt.timedelta(days=1), "week": dt.timedelta(weeks=1)}[grain]
    return floor_bucket(moment, grain) + shift * step


def check(alert: Alert, owner: Actor | None, now: dt.datetime) -> Outcome:
    """Evaluate `alert` as `owner` (None: the owner is gone) at `now`."""
    with database().session() as session:
        try:
            record = load_dashboard(session, owner, alert.dashboard_id, "view")
        except DashboardError:
            return Outcome(error=NO_ACCESS)
    try:
        widget = record.spec.widget(alert.widget_id)
    except KeyError:
        return Outcome(error="The widget this alert watches was removed from the dashboard.",
                       dashboard_title=record.title)
    with reading_as(database(), owner, settings()):
        try:
            measure = find_measure(widget, alert.measure)
            filters = record.spec.filters
            if alert.condition == "band":
                outcome = _band(alert, widget, measure, filters.dimensions(), now)
            else:
                outcome = _kpi(alert, widget, measure, filters.time_range, filters.dimensions(), now)
        except (AlertError, QueryError, UnknownField) as error:
            return Outcome(error=str(error), dashboard_title=record.title)
        except Exception:
            log.exception("alert %s could not be evaluated", alert.id)
            return Outcome(error="This alert could not be evaluated; the error has been logged.",
                           dashboard_title=record.title)
    return dataclasses.replace(outcome, dashboard_title=record.title,
                               condition_text=condition_text(alert, measure))


def _as_kpi(widget: WidgetSpec, name: str) -> WidgetSpec:
    """A KPI card of one of the widget's measures, over the widget's range and filters."""
    if widget.type == "kpi":
        return widget
    ref = next(ref for ref in widget.measures if measure_name(ref) == name)
    return widget.model_copy(update={"type": "kpi", "measures": [ref], "dimensions": [], "time_grain": None,
                                     "sort": None, "limit": None})


def _kpi(alert: Alert, widget: WidgetSpec, measure: Measure, time_range, dimensions: dict,
         now: dt.datetime) -> Outcome:
    data = load_widget(database().engine, cache(), _as_kpi(widget, alert.measure), time_range, dimensions,
                       [], now)
    value, previous = data.value, data.previous
    text = value_text(measure, value)
    detail = f"{data.range.label}; previous period: {value_text(measure, previous)}"
    if alert.condition == "change":
        relative = change(value, previous)
        detail += "" if relative is None else f", a change of {relative * 100:+.1f}%"
        met = relative is not None and abs(relative) * 100 > alert.threshold
        return Outcome(met, value, text, detail)
    compared = shown(measure, value)
    met = compared is not None and (compared > alert.threshold if alert.condition == "above"
                                    else compared < alert.threshold)
    return Outcome(met, value, text, detail)


def _band(alert: Alert, widget: WidgetSpec, measure: Measure, dimensions: dict, now: dt.datetime) -> Outcome:
    dataset = get_dataset(widget.dataset)
    current = period_start(now, alert.grain, -1)  # the last complete period
    first = period_start(current, alert.grain, -alert.periods)
    spec = QuerySpec(widget.dataset, (alert.measure,), time_grain=alert.grain, start=first,
                     end=period_start(now, alert.grain),
                     filters=effective_filters(widget, dataset, dimensions, []))
    frame = run_query(database().engine, spec)
    found = {pd.Timestamp(bucket).to_pydatetime(): value
             for bucket, value in zip(frame[BUCKET], frame[alert.measure], strict=True)} if len(frame) else {}
    empty = finish(dataset, (alert.measure,), {})[alert.measure]  # 0 for sums and counts, else None

    def at(moment: dt.datetime) -> float | None:
        value = found.get(moment, empty)
        return None if value is None or pd.isna(value) else float(value)

    history = [value for value in (at(period_start(first, alert.grain, i)) for i in range(alert.periods))
               if value is not None]
    value = at(current)
    text = value_text(measure, value)
    if len(history) < 3:
        return Outcome(False, value, text, f"not enough history: {len(history)} of the last "
                                           f"{alert.periods} {alert.grain}s have a value")
    mean, spread = statistics.fmean(history), statistics.pstdev(history)
    low, high = mean - alert.sigmas * spread, mean + alert.sigmas * spread
    met = value is not None and (value < low or value > high)
    detail = (f"the last complete {alert.grain} (from {current:%Y-%m-%d %H:%M} UTC); "
              f"usual band {value_text(measure, low)} to "
              f"{value_text(measure, high)} (mean {value_text(measure, mean)} ± "
              f"{number_text(alert.sigmas)} σ of the last {alert.periods} {alert.grain}s)")
    return Outcome(met, value, text, detail)
