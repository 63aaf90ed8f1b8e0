"""Users' datasets on dashboards: a widget over an uploaded file shows pandas' numbers to those
who may read it, and "no access" to everyone else, on the screen, in the filter pickers, in every
export and on the public page, whatever ids the browser sends."""

from __future__ import annotations

import base64
import json

import openpyxl
import pandas as pd
import pytest
from dash import no_update

from callbacks.chart_exports import export_widget
from callbacks.dashboard_access import field_values
from callbacks.editor import dimension_options, measure_options
from callbacks.widgets import render_widget
from components import ids
from context import EXTENSION
from data import dataset_store
from data.catalog import dataset_options, reading_as
from data.dashboard_edit import replace_widget
from data.dashboard_spec import SpecError, WidgetSpec, parse_document
from data.dashboards import publish, save_dashboard
from data.datasets import NoDatasetAccess, get_dataset
from data.upload_import import import_upload
from data.upload_plan import default_plan
from data.upload_preview import inspect_upload
from exports.options import ExportOptions
from exports.run import export_dashboard
from pipeline import widget_view
from tests.conftest import PEOPLE
from tests.helpers import account_of, settings_of, shared_board, text_of
from tests.integration.test_upload_import import messy_sales

NO_ACCESS = "No access to dataset 'shop'"
ALL_TIME = {"relative": "all_time"}
DOCUMENT = {
    "title": "Shop pulse",
    "widgets": [
        {"id": "regions", "type": "bar", "title": "Revenue by region", "dataset": "shop",
         "measures": ["revenue"], "dimensions": ["region"], "time_range": ALL_TIME},
        {"id": "monthly", "type": "line", "title": "Units by month", "dataset": "shop",
         "measures": ["units"], "time_grain": "month", "time_range": ALL_TIME},
        {"id": "count", "type": "kpi", "title": "Order lines", "dataset": "shop", "measures": ["rows"],
         "time_range": ALL_TIME},
        {"id": "demo", "type": "kpi", "title": "Demo revenue", "dataset": "sales", "measures": ["revenue"]},
    ],
    "layout": [
        {"i": "regions", "x": 0, "y": 0, "w": 6, "h": 4},
        {"i": "monthly", "x": 6, "y": 0, "w": 6, "h": 4},
        {"i": "count", "x": 0, "y": 4, "w": 3, "h": 3},
        {"i": "demo", "x": 3, "y": 4, "w": 3, "h": 3},
    ],
}


@pytest.fixture
def shop(database, tmp_path):
    """The analyst's upload "shop" (shared with nobody yet) and the rows pandas reads of it."""
    path = tmp_path / "shop.csv"
    reference = messy_sales(path, 1200)
    plan = default_plan(inspect_upload(path, path.name))
    dataset_store.import_dataset(database, account_of(database, "analyst"), "shop", "Shop orders", path,
                                 path.name, plan)
    return reference


@pytest.fixture
def board(app, database, shop):
    """Owned by the analyst; the editor may edit it and the viewer view it, the dataset aside."""
    with reading_as(database, account_of(database, "analyst"), settings_of(app)):
        return shared_board(database, DOCUMENT)


@pytest.fixture
def secret(app):
    return app.server.extensions[EXTENSION].settings.secret_key


def _drawn(fire, board, widget_id: str) -> str:
    fire({"type": ids.W_SPEC, "w": widget_id}, "data", {"id": widget_id})
    ref = {"id": board.id, "mode": "view"}
    return text_of(render_widget({"id": widget_id}, None, [], "light", None, None, ref)[0])


def test_widgets_over_an_upload_show_pandas_numbers_to_its_owner(database, board, shop, acting_as, fire):
    by_region = shop.groupby("region")["revenue"].sum()
    monthly = shop.assign(month=pd.to_datetime(shop["order_date"]).dt.to_period("M").dt.to_timestamp())
    units = monthly.groupby("month")["units"].sum()
    with acting_as("analyst"):
        view = widget_view(board.spec.widget("regions"), board.spec, [])
        got = view.data.frame.set_index("region")["revenue"]
        assert got.round(2).to_dict() == by_region.round(2).to_dict()
        assert list(view.figure.data[0].x) or list(view.figure.data[0].y)
        line = widget_view(board.spec.widget("monthly"), board.spec, []).data.frame
        assert line.set_index("bucket")["units"].astype(int).to_dict() == units.astype(int).to_dict()
        kpi = widget_view(board.spec.widget("count"), board.spec, [])
        assert kpi.data.value == len(shop)
        assert NO_ACCESS not in _drawn(fire, board, "count")


def test_a_reader_without_access_sees_no_access_on_the_screen_and_in_pickers(database, board, acting_as,
                                                                            fire):
    with acting_as("viewer"):  # may view the dashboard, not read the dataset
        for widget_id in ("regions", "monthly", "count"):
            assert NO_ACCESS in _drawn(fire, board, widget_id)
        assert "No access" not in _drawn(fire, board, "demo")  # the built-in dataset is everyone's
        assert field_values("shop", "region") == []
        assert measure_options("shop") == [] and dimension_options("shop") == []
    with acting_as("analyst"):
        assert field_values("shop", "region") == sorted({"EMEA", "Americas", "APAC", "Zürich"})
    with acting_as("viewer"):  # the answer the owner's request cached is not served to them
        assert field_values("shop", "region") == []


def test_sharing_the_dataset_lets_the_reader_see_the_numbers(database, board, shop, acting_as, fire):
    with database.session() as session:
        dataset_store.share_dataset(session, account_of(database, "analyst"), "shop", PEOPLE["viewer"][0])
    with acting_as("viewer"):
        assert NO_ACCESS not in _drawn(fire, board, "count")
        assert widget_view(board.spec.widget("count"), board.spec, []).data.value == len(shop)
        assert {o["value"] for o in dataset_options(database, account_of(database, "viewer"))} == {
            "sales", "forecast", "shop"}
    assert {o["value"] for o in dataset_options(database, account_of(database, "stranger"))} == {
        "sales", "forecast"}


def test_exports_hold_the_numbers_only_for_readers(database, board, shop, app, clock):
    total = round(float(shop["revenue"].sum()), 2)
    with app.server.app_context():
        owner_book = export_dashboard(account_of(database, "analyst"), board.id, ExportOptions(format="xlsx"))
        viewer_book = export_dashboard(account_of(database, "viewer"), board.id, ExportOptions(format="xlsx"))

    def cells(path) -> tuple[str, list[float]]:
        book = openpyxl.load_workbook(path)
        values = [cell for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                  for cell in row if cell is not None]
        return " ".join(str(v) for v in values), [v for v in values if isinstance(v, float)]

    owner_text, owner_numbers = cells(owner_book.path)
    viewer_text, viewer_numbers = cells(viewer_book.path)
    assert NO_ACCESS not in owner_text
    assert round(sum(n for n in owner_numbers if n > 100), 2) >= total  # the regions' revenue is there
    assert viewer_text.count(NO_ACCESS) >= 3
    by_region = {round(v, 2) for v in shop.groupby("region")["revenue"].sum()}
    assert not by_region & {round(n, 2) for n in viewer_numbers}


def test_a_one_click_export_refuses_what_the_screen_refuses(database, board, shop, acting_as, app, clock):
    request = {"chart": "regions", "fmt": "csv", "view": {}}
    with app.server.app_context(), acting_as("viewer"):
        download, failed, message = export_widget(request, {"id": board.id}, None, [], "light")
    assert failed is True and NO_ACCESS in message and download is no_update
    with app.server.app_context(), acting_as("analyst"):
        download, failed, _message = export_widget(request, {"id": board.id}, None, [], "light")
    assert failed is False and "Zürich" in base64.b64decode(download["content"]).decode("utf-8-sig")


def test_forged_dataset_names_in_callbacks_are_refused(database, board, acting_as, fire):
    forged = WidgetSpec.model_validate({"id": "regions", "type": "bar", "dataset": "shop",
                                        "measures": ["revenue"], "dimensions": ["region"]})
    with acting_as("editor"):  # may edit the dashboard, may not read the dataset
        with pytest.raises(SpecError, match=NO_ACCESS):
            replace_widget(board.spec, forged)
        ref = {"id": board.id, "mode": "edit"}
        fire({"type": ids.W_SPEC, "w": "regions"}, "data", forged.model_dump(mode="json"))
        drawn = render_widget(forged.model_dump(mode="json"), None, [], "light", None, None, ref)
        assert NO_ACCESS in text_of(drawn[0])
        with pytest.raises(NoDatasetAccess, match=NO_ACCESS):
            get_dataset("shop")
        with pytest.raises(NoDatasetAccess):
            get_dataset("shop' OR 1=1--")


def test_a_co_editor_without_access_can_still_save_the_dashboard(database, board, acting_as):
    with acting_as("editor"):
        document = {**DOCUMENT, "title": "Renamed by the editor"}
        with database.session() as session:
            saved = save_dashboard(session, account_of(database, "editor"), board.id,
                                   parse_document(document), board.version)
    assert saved.title == "Renamed by the editor"
    with acting_as("editor"), pytest.raises(SpecError, match="No access to dataset 'nowhere'"):
        parse_document({**DOCUMENT, "widgets": [{**DOCUMENT["widgets"][0], "dataset": "nowhere"},
                                                *DOCUMENT["widgets"][1:]]})


def test_the_public_page_reads_as_the_owner_until_they_lose_access(database, board, shop, client, tmp_path):
    with database.session() as session:
        token = publish(session, account_of(database, "analyst"), board.id)
    page = client.get(f"/public/{token}/widgets/count").get_json()
    assert "error" not in page and str(len(shop)) in json.dumps(page)
    with database.session() as session:  # the dataset changes hands; the link's owner can't read it
        dataset_store.share_dataset(session, account_of(database, "admin"), "shop", PEOPLE["analyst"][0],
                                    shared=False)
        record = session.get(dataset_store.DatasetRecord, dataset_store.get_dataset_info(
            session, account_of(database, "admin"), "shop").id)
        record.owner_id = account_of(database, "admin").id
    page = client.get(f"/public/{token}/widgets/count").get_json()
    assert NO_ACCESS in page["error"]


def test_a_new_import_is_served_at_once_not_the_cached_answer(database, board, shop, acting_as, tmp_path):
    with acting_as("analyst"):
        before = widget_view(board.spec.widget("count"), board.spec, []).data.value
    path = tmp_path / "more.csv"
    messy_sales(path, 300, seed=11)
    with database.session() as session:
        info = dataset_store.get_dataset_info(session, account_of(database, "analyst"), "shop")
    import_upload(database.engine, path, path.name, default_plan(inspect_upload(path, path.name)),
                  info.relation, "append")
    with database.session() as session:
        dataset_store.record_refresh(session, info.id, int(before) + 300)
    with acting_as("analyst"):
        assert widget_view(board.spec.widget("count"), board.spec, []).data.value == before + 300


def test_outside_any_reader_only_built_in_datasets_resolve(app, database, shop):
    assert get_dataset("sales").name == "sales"
    with pytest.raises(NoDatasetAccess, match=NO_ACCESS):
        get_dataset("shop")
    with reading_as(database, account_of(database, "admin"), settings_of(app)):
        assert get_dataset("shop").label == "Shop orders"


def test_injection_in_filter_values_and_forged_fields_change_nothing(database, board, acting_as):
    base = {"id": "regions", "type": "bar", "dataset": "shop", "measures": ["revenue"],
            "dimensions": ["region"], "time_range": ALL_TIME}
    with acting_as("analyst"):
        injected = WidgetSpec.model_validate(
            {**base, "filters": [{"field": "region", "op": "in", "value": ["x' OR 1=1--"]}]})
        view = widget_view(injected, board.spec, [])
        assert view.error is None and view.data.frame.empty  # a value, bound: it matches no region
        forged = WidgetSpec.model_validate(
            {**base, "filters": [{"field": "region\" OR 1=1--", "op": "in", "value": ["EMEA"]}]})
        assert "has no dimension called" in widget_view(forged, board.spec, []).error
        with pytest.raises(SpecError, match="has no dimension called"):
            replace_widget(board.spec, forged)
