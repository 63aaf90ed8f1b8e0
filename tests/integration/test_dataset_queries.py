"""A user's dataset, defined over a table of its own, answers through the one query builder with
the numbers pandas computes from the same rows: in a SQLite file and in PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random

import pandas as pd
import pytest
import sqlalchemy as sa

from data.dataset_definition import parse_definition
from data.db import Database, scratch_schema
from data.query import BUCKET, Filter, QueryError, QuerySpec, run_query
from tests.conftest import service_url
from tests.unit.test_dataset_definition import GOOD

ROWS = 2_000


def _rows() -> pd.DataFrame:
    rng = random.Random(7)
    start = dt.date(2025, 11, 1)
    return pd.DataFrame({
        "Order Date": [start + dt.timedelta(days=rng.randrange(120)) for _ in range(ROWS)],
        "Region": [rng.choice(["North", "South", "East", "West"]) for _ in range(ROWS)],
        "Revenue": [round(rng.uniform(1, 500), 2) for _ in range(ROWS)],
        "Profit": [round(rng.uniform(-50, 200), 2) for _ in range(ROWS)],
        "Order ID": [f"O-{rng.randrange(900)}" for _ in range(ROWS)],
        "Shipped": [dt.datetime(2025, 11, 2) + dt.timedelta(hours=rng.randrange(3000)) for _ in range(ROWS)],
    })


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'own.db'}")
        yield database.engine
        database.dispose()
        return
    with scratch_schema(service_url("TEST_DATABASE_URL", "PostgreSQL"), "pb_dataset") as url:
        database = Database(url)
        yield database.engine
        database.dispose()


@pytest.fixture
def shop(engine):
    definition = parse_definition(GOOD)
    table = definition.table("upload_shop")
    table.metadata.create_all(engine)
    rows = _rows()
    with engine.begin() as connection:
        connection.execute(table.insert(), rows.to_dict("records"))
    return definition.semantic("shop", "Shop", table), rows


def test_revenue_and_margin_by_month_and_region_match_pandas(engine, shop):
    dataset, rows = shop
    spec = QuerySpec("shop", ("revenue", "margin_pct", "orders"), dimensions=("region",), time_grain="month",
                     start=dt.datetime(2025, 12, 1), end=dt.datetime(2026, 2, 1),
                     filters=(Filter("region", "in", ("North", "East")),))
    got = run_query(engine, spec, dataset=dataset).sort_values([BUCKET, "region"]).reset_index(drop=True)

    dates = pd.to_datetime(rows["Order Date"])
    chosen = rows[(dates >= "2025-12-01") & (dates < "2026-02-01") & rows["Region"].isin(["North", "East"])]
    chosen = chosen.assign(month=pd.to_datetime(chosen["Order Date"]).dt.to_period("M").dt.to_timestamp())
    grouped = chosen.groupby(["month", "Region"])
    want = pd.DataFrame({"revenue": grouped["Revenue"].sum(),
                         "margin_pct": grouped["Profit"].sum() / grouped["Revenue"].sum(),
                         "orders": grouped["Order ID"].nunique()}).reset_index()
    assert list(got[BUCKET]) == list(want["month"])
    assert list(got["region"]) == list(want["Region"])
    assert got["revenue"].round(2).tolist() == want["revenue"].round(2).tolist()
    assert got["margin_pct"].round(9).tolist() == want["margin_pct"].round(9).tolist()
    assert got["orders"].tolist() == want["orders"].tolist()


def test_only_declared_fields_reach_sql_and_filter_values_stay_values(engine, shop):
    dataset, rows = shop
    with pytest.raises(QueryError, match="no dimension called 'Profit'"):
        run_query(engine, QuerySpec("shop", ("revenue",), dimensions=("Profit",)), dataset=dataset)
    with pytest.raises(QueryError, match="no measure called"):
        run_query(engine, QuerySpec("shop", ("Revenue) FROM upload_shop; --",)), dataset=dataset)
    injected = QuerySpec("shop", ("revenue",), filters=(Filter("region", "eq", "x' OR 1=1--"),))
    assert run_query(engine, injected, dataset=dataset)["revenue"].isna().all()  # no row matches
    total = run_query(engine, QuerySpec("shop", ("revenue",)), dataset=dataset)["revenue"].iloc[0]
    assert round(total, 2) == round(rows["Revenue"].sum(), 2)
    with engine.connect() as connection:  # and the table is still there, whole
        assert connection.execute(sa.text("SELECT count(*) FROM upload_shop")).scalar() == ROWS
