"""The semantic layer: datasets with a time column, dimensions and measures.

A measure is an aggregation of one column, or a ratio of two measures. Queries may only name
fields declared here, which is what keeps user input out of SQL identifiers.
"""

from __future__ import annotations

import contextvars
import dataclasses
from collections.abc import Callable, Mapping

import sqlalchemy as sa

from data.models import ForecastMonth, OrderLine

AGGREGATIONS = ("sum", "avg", "count", "count_distinct", "min", "max")
FORMATS = ("currency", "percent", "integer", "decimal")
AGGREGATION_LABELS = {"sum": "sum", "avg": "average", "count": "count",
                      "count_distinct": "distinct count", "min": "min", "max": "max"}
NUMERIC = ("sum", "avg", "min", "max")


class UnknownField(LookupError):
    """A query named a dataset, measure or dimension that is not declared."""


@dataclasses.dataclass(frozen=True)
class Measure:
    """An aggregation of one column, or `numerator / denominator` of two other measures."""

    name: str
    label: str
    column: str | None = None
    aggregation: str = "sum"
    numerator: str | None = None
    denominator: str | None = None
    format: str = "decimal"
    currency: str = "USD"
    higher_is_better: bool = True
    aggregations: tuple[str, ...] = ()  # other aggregations a widget may ask of `column`

    @property
    def is_ratio(self) -> bool:
        return self.numerator is not None


@dataclasses.dataclass(frozen=True)
class Dimension:
    name: str
    label: str
    column: str
    type: str = "text"


@dataclasses.dataclass(frozen=True)
class Dataset:
    """A table the app can aggregate, with the fields users may ask for.

    `engine` is where the rows live when that is not the app's own database (a connected
    source); `revision` changes whenever the rows or the definition do, and `key` names this
    dataset in cache keys (a user's dataset deleted and made again under its name gets a new one).
    """

    name: str
    label: str
    table: sa.FromClause
    time_column: str
    measures: Mapping[str, Measure]
    dimensions: Mapping[str, Dimension]
    id_column: str | None = "id"  # increasing with arrival: the live watermark
    engine: sa.Engine | None = None
    revision: int = 0
    key: str = ""

    def engine_or(self, app_engine: sa.Engine) -> sa.Engine:
        """The engine to run this dataset's queries on."""
        return self.engine or app_engine

    @property
    def cache_key(self) -> str:
        return f"{self.key or self.name}.{self.revision}"

    def measure(self, name: str) -> Measure:
        """The measure called `name`; `revenue__avg` is `revenue` re-aggregated, where allowed."""
        if name in self.measures:
            return self.measures[name]
        base_name, _, aggregation = name.rpartition("__")
        base = self.measures.get(base_name)
        if base is None or aggregation not in base.aggregations:
            raise UnknownField(f"{self.label} has no measure called {name!r}.")
        counted = aggregation in ("count", "count_distinct")
        return dataclasses.replace(base, name=name, aggregation=aggregation,
                                   label=f"{base.label} ({AGGREGATION_LABELS[aggregation]})",
                                   format="integer" if counted else base.format, aggregations=())

    def dimension(self, name: str) -> Dimension:
        try:
            return self.dimensions[name]
        except KeyError:
            raise UnknownField(f"{self.label} has no dimension called {name!r}.") from None

    def column(self, name: str) -> sa.Column:
        return self.table.c[name]


def _by_name(*items):
    return {item.name: item for item in items}


SALES = Dataset(
    name="sales",
    label="Sales",
    table=OrderLine.__table__,
    time_column="order_date",
    measures=_by_name(
        Measure("revenue", "Revenue", "revenue", "sum", format="currency", aggregations=NUMERIC),
        Measure("orders", "Orders", "order_id", "count_distinct", format="integer"),
        Measure("units", "Units", "quantity", "sum", format="integer", aggregations=NUMERIC),
        Measure("gross_profit", "Gross profit", "gross_profit", "sum", format="currency",
                aggregations=NUMERIC),
        Measure("margin_pct", "Gross margin %", numerator="gross_profit", denominator="revenue",
                format="percent"),
        Measure("aov", "Average order value", numerator="revenue", denominator="orders",
                format="currency"),
        Measure("customers", "Active customers", "customer_id", "count_distinct", format="integer"),
    ),
    dimensions=_by_name(
        Dimension("region", "Region", "region"),
        Dimension("country", "Country", "country"),
        Dimension("segment", "Segment", "segment"),
        Dimension("category", "Category", "category"),
        Dimension("sub_category", "Sub-category", "sub_category"),
        Dimension("product", "Product", "product"),
        Dimension("customer", "Customer", "customer"),
    ),
)

FORECAST = Dataset(
    name="forecast",
    label="Forecast",
    table=ForecastMonth.__table__,
    time_column="month",
    measures=_by_name(
        Measure("forecast_revenue", "Forecast revenue", "forecast_revenue", "sum", format="currency",
                aggregations=NUMERIC),
        Measure("actual_revenue", "Actual revenue", "actual_revenue", "sum", format="currency",
                aggregations=NUMERIC),
        Measure("attainment_pct", "Forecast attainment %", numerator="actual_revenue",
                denominator="forecast_revenue", format="percent"),
    ),
    dimensions=_by_name(
        Dimension("region", "Region", "region"),
        Dimension("category", "Category", "category"),
    ),
    id_column=None,
)

BUILT_IN = {dataset.name: dataset for dataset in (SALES, FORECAST)}


class NoDatasetAccess(UnknownField):
    """A name that is not a built-in dataset nor one the reader may read. Whether it exists is
    never told apart in the message; `exists` is for the server's own checks only."""

    def __init__(self, name: str, exists: bool = False):
        super().__init__(f"No access to dataset {name!r}: it does not exist, or it is not shared with you.")
        self.exists = exists


# Who is reading, for datasets other than the built-in ones: data/catalog.py, and only it, sets
# a resolver for each request and each background job (`reading_as`). Without one, only the
# built-ins resolve.
resolver: contextvars.ContextVar[Callable[[str], Dataset] | None] = contextvars.ContextVar(
    "pulseboard_dataset_resolver", default=None)


def get_dataset(name: str) -> Dataset:
    """The dataset called `name`: a built-in one, or a user's dataset the current reader may read
    (see data/catalog.py); raises `UnknownField` (`NoDatasetAccess`) otherwise."""
    if name in BUILT_IN:
        return BUILT_IN[name]
    resolve = resolver.get()
    if resolve is None or not isinstance(name, str):
        raise NoDatasetAccess(str(name))
    return resolve(name)
