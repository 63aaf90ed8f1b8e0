"""Users' datasets in the app database: an uploaded file becomes a dataset whose numbers equal
pandas', and only its owner, the users it is shared with and admins can reach it."""

from __future__ import annotations

import pytest

from data.dataset_store import (
    DatasetError,
    NoAccess,
    create_dataset,
    definition_of_upload,
    get_dataset_info,
    readable_datasets,
    record_refresh,
    share_dataset,
    update_definition,
)
from data.query import BUCKET, QuerySpec, run_query
from data.upload_import import import_upload
from data.upload_plan import default_plan
from data.upload_preview import inspect_upload
from tests.conftest import PEOPLE
from tests.helpers import account_of
from tests.integration.test_upload_import import messy_sales


@pytest.fixture
def shop(database, tmp_path):
    """A messy CSV imported into the app's database and recorded as the analyst's dataset."""
    path = tmp_path / "shop.csv"
    reference = messy_sales(path, 1500)
    plan = default_plan(inspect_upload(path, path.name))
    result = import_upload(database.engine, path, path.name, plan, "upload_shop")
    with database.session() as session:
        info = create_dataset(session, account_of(database, "analyst"), "shop", "Shop orders", "upload",
                              definition_of_upload(result), relation=result.table_name, row_count=result.rows)
    return info, reference


def test_an_upload_becomes_a_dataset_whose_monthly_sums_equal_pandas(database, shop):
    info, reference = shop
    definition = info.definition
    assert definition.time_column == "order_date"
    fields = {m.name for m in definition.measures} | {d.name for d in definition.dimensions}
    assert {"units", "revenue", "rows", "region", "note"} <= fields
    dataset = definition.semantic(info.name, info.label, definition.table(info.relation))
    spec = QuerySpec("shop", ("revenue", "units", "rows"), dimensions=("region",), time_grain="month")
    got = run_query(database.engine, spec, dataset=dataset).sort_values([BUCKET, "region"])

    frame = reference.assign(month=reference["order_date"].astype("datetime64[ns]").dt.to_period("M")
                             .dt.to_timestamp())
    want = frame.groupby(["month", "region"]).agg(revenue=("revenue", "sum"), units=("units", "sum"),
                                                  rows=("region", "size")).reset_index()
    assert list(got[BUCKET]) == list(want["month"])
    assert got["revenue"].round(2).tolist() == want["revenue"].round(2).tolist()
    assert got["units"].tolist() == want["units"].astype(int).tolist()
    assert got["rows"].tolist() == want["rows"].tolist()


def test_only_the_owner_people_it_is_shared_with_and_admins_reach_it(database, shop):
    info, _ = shop
    owner, viewer, admin, stranger = (account_of(database, who) for who in ("analyst", "viewer", "admin",
                                                                            "stranger"))
    with database.session() as session:
        assert get_dataset_info(session, owner, "shop", "manage").may_manage
        assert get_dataset_info(session, admin, "shop", "manage").may_manage
        for outsider in (viewer, stranger, None):
            with pytest.raises(NoAccess, match="No access to dataset 'shop'"):
                get_dataset_info(session, outsider, "shop")
        with pytest.raises(NoAccess):
            get_dataset_info(session, owner, "nothing_here")  # the same message as no access
        assert [d.name for d in readable_datasets(session, viewer)] == []
        with pytest.raises(NoAccess):
            share_dataset(session, viewer, "shop", PEOPLE["stranger"][0])  # sharing needs manage

        share_dataset(session, owner, "shop", PEOPLE["viewer"][0])
        assert not get_dataset_info(session, viewer, "shop").may_manage
        assert [d.name for d in readable_datasets(session, viewer)] == ["shop"]
        with pytest.raises(NoAccess):
            get_dataset_info(session, viewer, "shop", "manage")
        with pytest.raises(NoAccess):
            update_definition(session, viewer, "shop", info.definition)

        share_dataset(session, owner, "shop", PEOPLE["viewer"][0], shared=False)
        with pytest.raises(NoAccess):
            get_dataset_info(session, viewer, "shop")
        assert [d.name for d in readable_datasets(session, stranger)] == []
        assert [d.name for d in readable_datasets(session, admin)] == ["shop"]


def test_names_are_checked_and_columns_stay_those_of_the_source(database, shop):
    info, _ = shop
    analyst, viewer = account_of(database, "analyst"), account_of(database, "viewer")
    with database.session() as session:
        for name, message in (("shop", "already a dataset called 'shop'"),
                              ("sales", "already a dataset called 'sales'"),
                              ("Shop Orders", "lower-case letters"), ("x" * 41, "lower-case letters")):
            with pytest.raises(DatasetError, match=message):
                create_dataset(session, analyst, name, "Again", "upload", info.definition, relation="t")
        with pytest.raises(DatasetError, match="Only admins and analysts"):
            create_dataset(session, viewer, "mine", "Mine", "upload", info.definition, relation="t")
        fewer = info.definition.model_copy(update={"columns": info.definition.columns[:-1]})
        with pytest.raises(DatasetError, match="columns are those of the source"):
            update_definition(session, analyst, "shop", fewer)
        relabelled = info.definition.model_copy(update={"dimensions": [
            d.model_copy(update={"label": "Sales region"}) if d.name == "region" else d
            for d in info.definition.dimensions]})
        updated = update_definition(session, analyst, "shop", relabelled)
        assert {d.name: d.label for d in updated.definition.dimensions}["region"] == "Sales region"
        record_refresh(session, info.id, 1600)
        again = get_dataset_info(session, analyst, "shop")
        assert (again.revision, again.row_count) == (info.revision + 1, 1600)


def test_long_and_reserved_column_names_still_make_a_valid_first_definition():
    from data.upload_import import ImportedColumn, ImportResult

    names = ["Revenue from returning customers in Q1 (EUR)", "Revenue from returning customers in Q2 (EUR)",
             "bucket", "rows"]
    columns = tuple(ImportedColumn(name=name, column=column, kind="decimal") for name, column in zip(
        names, ["revenue_from_returning_customers_in_q1_eur", "revenue_from_returning_customers_in_q2_eur",
                "bucket", "rows"], strict=True))
    definition = definition_of_upload(ImportResult(rows=1, table_name="t", seconds=0, columns=columns,
                                                   time_column=None))
    fields = [measure.name for measure in definition.measures]
    assert len(set(fields)) == 5 and all(len(name) <= 40 and "__" not in name for name in fields)
    assert "bucket" not in fields and [m.label for m in definition.measures][:4] == names
