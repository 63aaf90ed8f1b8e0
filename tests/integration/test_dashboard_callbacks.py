"""The builder and the dashboard view, through their real callbacks on a real database: edits
with undo, saves that refuse stale versions, forged dashboard ids, widgets drawn through the
one pipeline, live refreshes that patch only new points, cross-filters, and the public link."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from dash import Patch, no_update
from dash.exceptions import PreventUpdate

from callbacks.builder import edit_document, save, save_as_copy
from callbacks.dashboard_filters import render_chips, update_filters
from callbacks.editor import build_draft, draft_widget
from callbacks.widgets import render_view_widget, render_widget
from components import ids
from data.dashboard_spec import WIDGET_TYPES, DashboardSpec, parse_document
from data.dashboards import (
    create_dashboard,
    delete_dashboard,
    load_dashboard,
    publish,
    revoke_public,
    save_dashboard,
)
from data.feed import DemoFeed
from data.models import Dashboard
from pages.dashboard_view import layout as view_layout
from tests.conftest import DEMO_END
from tests.helpers import account_of, nodes, shared_board, text_of

DOCUMENT = {
    "title": "Sales pulse",
    "widgets": [
        {"id": "kpi", "type": "kpi", "title": "Revenue", "dataset": "sales", "measures": ["revenue"]},
        {"id": "trend", "type": "line", "title": "Revenue by hour", "dataset": "sales",
         "measures": ["revenue"], "dimensions": ["region"], "time_grain": "hour",
         "time_range": {"relative": "today"}, "refresh_seconds": 5},
        {"id": "regions", "type": "bar", "title": "By region", "dataset": "sales", "measures": ["revenue"],
         "dimensions": ["region"]},
        {"id": "note", "type": "text", "options": {"markdown": "[x](javascript:alert(1)) **hi**"}},
    ],
    "layout": [{"i": "kpi", "x": 0, "y": 0, "w": 3, "h": 3},
               {"i": "trend", "x": 3, "y": 0, "w": 9, "h": 4},
               {"i": "regions", "x": 0, "y": 4, "w": 6, "h": 4},
               {"i": "note", "x": 6, "y": 4, "w": 6, "h": 2}],
}




@pytest.fixture
def board(database):
    return shared_board(database, DOCUMENT)




def _reducer_outputs(widget_ids):
    outputs = [{"id": "x", "property": "data"}] * 11
    outputs.append([{"id": {"type": ids.W_SPEC, "w": w}, "property": "data"} for w in widget_ids])
    return outputs + [{"id": "x", "property": "value"}] * 3


def _edit(fire, record, control, prop, value, document=None, undo=None, redo=None, **inputs):
    """Call the reducer as the browser would, with one input changed."""
    document = document if document is not None else record.spec.to_json()
    fire(control, prop, value, _reducer_outputs([w["id"] for w in document["widgets"]]))
    arguments = {"layout": None, "_adds": [], "_removes": [], "draft": None, "title": record.spec.title,
                 "compact": True, "_undo": 0, "_redo": 0, "filters": [], "_previews": [], "_restores": [],
                 "document": document, "undo": undo or [], "redo": redo or [],
                 "base_version": record.version, "ref": {"id": record.id, "mode": "edit"}, "selected": None,
                 "palette_seen": {}}
    arguments.update(inputs)
    names = ("doc", "layout", "children", "compact_type", "undo", "redo", "selected", "base", "saved",
             "message", "banner", "specs", "title", "compact", "palette_seen")
    return dict(zip(names, edit_document(*arguments.values()), strict=True))


def test_adding_a_widget_places_it_selects_it_and_can_be_undone_and_redone(acting_as, fire, board):
    with acting_as("analyst"):
        added = _edit(fire, board, {"type": ids.PALETTE_ADD, "kind": "pie"}, "n_clicks", 1,
                      _adds=_clicks(pie=1))
        new = parse_document(added["doc"])
        assert len(new.widgets) == 5 and new.widgets[-1].type == "pie"
        assert added["selected"] == new.widgets[-1].id
        assert [card.id for card in added["children"]] == [f"wg-{w.id}" for w in new.widgets]
        undone = _edit(fire, board, ids.DB_UNDO_BTN, "n_clicks", 1, document=added["doc"],
                       undo=added["undo"])
        assert parse_document(undone["doc"]) == board.spec
        assert len(undone["children"]) == 4 and undone["redo"] == [added["doc"]]
        redone = _edit(fire, board, ids.DB_REDO_BTN, "n_clicks", 1, document=undone["doc"],
                       undo=undone["undo"], redo=undone["redo"])
        assert parse_document(redone["doc"]) == new


def _clicks(**counts) -> list[int]:
    """The palette's click counts, in its order (one button per widget type)."""
    return [counts.get(kind, 0) for kind in WIDGET_TYPES]


def test_quick_palette_clicks_are_all_applied(acting_as, fire, board):
    """Dash drops the answer of a request a newer one overtook; the newer one carries every count."""
    with acting_as("analyst"):
        first = _edit(fire, board, {"type": ids.PALETTE_ADD, "kind": "line"}, "n_clicks", 1,
                      _adds=_clicks(line=1, bar=1, kpi=1), palette_seen={})
        assert [w.type for w in parse_document(first["doc"]).widgets[4:]] == ["kpi", "line", "bar"]
        assert first["palette_seen"] == {kind: int(kind in ("line", "bar", "kpi")) for kind in WIDGET_TYPES}
        with pytest.raises(PreventUpdate):  # nothing new since: nothing added twice
            _edit(fire, board, {"type": ids.PALETTE_ADD, "kind": "bar"}, "n_clicks", 1,
                  document=first["doc"], _adds=_clicks(line=1, bar=1, kpi=1),
                  palette_seen=first["palette_seen"])


def test_dragging_and_resizing_change_the_document_layout(acting_as, fire, board):
    layout = [{"i": "wg-kpi", "x": 6, "y": 10, "w": 4, "h": 3},
              {"i": "wg-trend", "x": 0, "y": 0, "w": 12, "h": 5},
              {"i": "wg-regions", "x": 0, "y": 5, "w": 6, "h": 4},
              {"i": "wg-note", "x": 6, "y": 5, "w": 6, "h": 2}]
    with acting_as("editor"):
        moved = _edit(fire, board, ids.DB_GRID, "layout", layout, layout=layout)
    places = {item.i: (item.x, item.y, item.w, item.h) for item in parse_document(moved["doc"]).layout}
    assert places["kpi"] == (6, 10, 4, 3) and places["trend"] == (0, 0, 12, 5)
    assert moved["undo"] == [board.spec.to_json()]


def test_the_builders_filter_bar_sets_the_documents_filters_outside_undo(acting_as, fire, board):
    mirror = {"type": ids.DB_FILTERS_MIRROR, "page": "edit"}
    chosen = {"region": ["EMEA"], "time_range": {"relative": "last_7_days"}}
    with acting_as("analyst"):
        changed = _edit(fire, board, mirror, "data", [chosen], filters=[chosen])
    spec = parse_document(changed["doc"])
    assert spec.filters.dimensions() == {"region": ["EMEA"]}
    assert spec.filters.time_range.relative == "last_7_days"
    assert changed["undo"] is no_update


def test_an_overlapping_layout_is_refused_and_the_grid_snaps_back(acting_as, fire, board):
    layout = [{"i": "wg-kpi", "x": 3, "y": 0, "w": 4, "h": 3}]  # on top of the trend chart
    with acting_as("analyst"):
        refused = _edit(fire, board, ids.DB_GRID, "layout", layout, layout=layout)
    assert refused["doc"] is no_update
    assert refused["layout"][0] == {"i": "wg-kpi", "x": 0, "y": 0, "w": 3, "h": 3}
    assert "overlap" in str(refused["message"])


def test_the_editor_draft_redraws_only_the_edited_widget(acting_as, fire, board):
    controls = dict(kind="bar", title="Orders by segment", dataset="sales", measures=["orders"],
                    dimensions=["segment"], grain="", range_value="last_7_days", start=None, end=None,
                    filters=[{"field": "region", "op": "in", "value": ["EMEA"]}], sort="orders",
                    descending=True, limit=5, style=["legend", "horizontal"], x_label="", y_label="",
                    colours="#112233", number_format="auto", markdown="", refresh="30")
    with acting_as("analyst"):
        fire(ids.ED_TITLE, "value", "Orders by segment")
        draft, message = draft_widget(*controls.values(), "regions")
        assert "updated" in str(message)
        applied = _edit(fire, board, ids.DB_DRAFT, "data", draft, draft=draft)
    widget = parse_document(applied["doc"]).widget("regions")
    assert (widget.title, widget.limit, widget.options.orientation) == ("Orders by segment", 5, "horizontal")
    assert widget.time_range.relative == "last_7_days" and widget.refresh_seconds == 30
    assert [spec is no_update for spec in applied["specs"]] == [True, True, False, True]


def test_the_editor_offers_a_clear_message_for_what_a_widget_type_needs(acting_as):
    controls = build_draft("regions", "pie", "", "sales", ["revenue"], [], "", None, None, None, [], "",
                           True, None, [], "", "", "", "auto", "", "0")
    assert controls["type"] == "pie"
    with acting_as("analyst"):
        draft, message = draft_widget("pie", "", "sales", ["revenue"], [], "", None, None, None, [], "",
                                      True, None, [], "", "", "", "auto", "", "0", "regions")
    assert draft is no_update
    assert "needs one dimension to slice by" in str(message)


@pytest.mark.parametrize("role", ["viewer", "stranger", None])
def test_people_who_cannot_edit_get_nothing_from_the_builder(acting_as, fire, board, database, role):
    with acting_as(role):
        with pytest.raises(PreventUpdate):
            _edit(fire, board, {"type": ids.PALETTE_ADD, "kind": "pie"}, "n_clicks", 1, _adds=_clicks(pie=1))
        result = save(1, board.spec.to_json(), board.version, None, {"id": board.id, "mode": "edit"})
    assert result[0] is no_update
    with database.session() as session:
        assert load_dashboard(session, account_of(database, "analyst"), board.id).version == board.version


def test_a_stale_save_is_refused_with_who_and_when_and_nothing_is_lost(acting_as, fire, board, database):
    mine = parse_document({**DOCUMENT, "title": "My edit"})
    with database.session() as session:  # the editor saves first
        save_dashboard(session, account_of(database, "editor"), board.id,
                       parse_document({**DOCUMENT, "title": "Their edit"}), board.version)
    with acting_as("analyst"):
        base, saved, _message, stale_open, stale_text, _, _ = save(
            1, mine.to_json(), board.version, "mine", {"id": board.id, "mode": "edit"})
        assert stale_open is True and base is no_update and saved is no_update
        assert "changed by Edith Editor at" in stale_text
        href, _, _ = save_as_copy(1, mine.to_json(), {"id": board.id, "mode": "edit"})
    copy_id = int(href.split("/")[2])
    with database.session() as session:
        analyst = account_of(database, "analyst")
        assert load_dashboard(session, analyst, board.id).title == "Their edit"
        copy = load_dashboard(session, analyst, copy_id)
    assert copy.title == "My edit (copy)" and copy.owner_id == analyst.id
    assert copy.spec.widgets == mine.widgets


def test_a_save_writes_the_next_version(acting_as, board):
    document = {**DOCUMENT, "title": "Renamed"}
    with acting_as("editor"):
        base, saved, message, stale_open, _, cleared, _ = save(
            1, document, board.version, "rename", {"id": board.id, "mode": "edit"})
    assert (base, stale_open, cleared) == (board.version + 1, False, "")
    assert saved["title"] == "Renamed" and f"version {board.version + 1}" in str(message)


def _render(fire, board, widget, mode="view", spec_data=None, cross=None, tick=False, state=None):
    control = {"type": ids.W_INTERVAL if tick else ids.W_SPEC, "w": widget}
    fire(control, "n_intervals" if tick else "data", 1)
    spec_data = spec_data or next(w for w in DOCUMENT["widgets"] if w["id"] == widget)
    return render_widget(spec_data, None, cross or [], "light", 1 if tick else None, state,
                         {"id": board.id, "mode": mode})


def test_the_view_draws_the_saved_widget_not_what_the_browser_sends(acting_as, clock, fire, board):
    forged = {"id": "regions", "type": "bar", "dataset": "sales", "measures": ["gross_profit"],
              "dimensions": ["customer"]}
    with acting_as("viewer"):
        body, state, note = _render(fire, board, "regions", spec_data=forged)
    figure = body.figure
    assert figure.data[0].name == "Revenue"
    assert set(figure.data[0].x) <= {"APAC", "EMEA", "LATAM", "North America"}
    assert state["version"] > 0 and note == "Last 30 days"


def test_a_text_widget_never_renders_a_javascript_link(acting_as, clock, fire, board):
    with acting_as("viewer"):
        body, _, _ = _render(fire, board, "note")
    (paragraph,) = body.children
    assert paragraph.children[0] == "[x](javascript:alert(1)) "  # shown as text, not a link
    assert text_of(paragraph.children[1]) == "hi" and type(paragraph.children[1]).__name__ == "Strong"
    assert not any(getattr(node, "href", None) for node in nodes(body))


@pytest.mark.parametrize("role,mode", [("stranger", "view"), (None, "view"), ("viewer", "edit")])
def test_a_forged_dashboard_id_or_mode_draws_nothing(acting_as, clock, fire, board, role, mode):
    with acting_as(role), pytest.raises(PreventUpdate):
        _render(fire, board, "regions", mode=mode)


def test_a_refresh_patches_only_new_points_onto_the_time_series(acting_as, clock, fire, board, database):
    with acting_as("viewer"):
        _body, state, _ = _render(fire, board, "trend")
        counts = list(state["counts"])
        with pytest.raises(PreventUpdate):  # nothing new: nothing sent
            _render(fire, board, "trend", tick=True, state=state)
        later = DEMO_END + dt.timedelta(hours=1, minutes=10)
        DemoFeed(database.engine, seed=4, clock=lambda: later).tick(orders=6)
        clock(later)
        patch, new_state, _ = _render(fire, board, "trend", tick=True, state=state)
    assert isinstance(patch, Patch)
    operations = patch.to_plotly_json()["operations"]
    appended = [op for op in operations if op["operation"] == "Append"]
    assert appended and all(op["location"][:3] == ["props", "figure", "data"] for op in operations)
    assert sum(new_state["counts"]) > sum(counts) and new_state["version"] > state["version"]
    assert new_state["last"] > state["last"]


def test_clicking_a_bar_cross_filters_the_other_widgets_and_a_chip_removes_it(acting_as, fire, board):
    specs = DOCUMENT["widgets"]
    ref = {"id": board.id, "mode": "view"}
    with acting_as("viewer"):
        click = {"w": "regions", "click": {"points": [{"customdata": "EMEA", "x": "EMEA"}]}}
        fire(ids.DB_CLICK, "data", click)
        filters, cross, _, _ = update_filters(None, 0, [], click, None, None, None, [], specs, [], ref)
        assert cross == [{"source": "regions", "field": "region", "values": ["EMEA"]}]
        chips = render_chips(filters, cross, ref)
        assert "Region: EMEA · from By region" in str(chips)
        fire({"type": ids.CHIP_REMOVE, "kind": "cross", "key": "regions:region"}, "n_clicks", 1)
        _, cleared, _, _ = update_filters(None, 0, [1], click, None, None, filters, cross, specs, [], ref)
    assert cleared == []


def test_a_cross_filter_applies_to_other_widgets_but_not_its_source(acting_as, clock, fire, board):
    cross = [{"source": "regions", "field": "region", "values": ["EMEA"]}]
    with acting_as("viewer"):
        source, _, _ = _render(fire, board, "regions", cross=cross)
        trend, _, _ = _render(fire, board, "trend", cross=cross)
    assert len(source.figure.data[0].x) > 1
    assert [trace.name for trace in trend.figure.data] == ["EMEA"]


def test_the_public_link_serves_only_its_dashboard_until_revoked(app, board, database):
    client = app.server.test_client()
    analyst = account_of(database, "analyst")
    with database.session() as session:
        token = publish(session, analyst, board.id)
        other = create_dashboard(session, analyst, DashboardSpec(title="Private"))
    page = client.get(f"/public/{token}")
    assert page.status_code == 200 and "Sales pulse" in page.get_data(as_text=True)
    note = client.get(f"/public/{token}/widgets/note").get_json()["html"]
    assert note == "<p>[x](javascript:alert(1)) <strong>hi</strong></p>\n"
    widget = client.get(f"/public/{token}/widgets/regions").get_json()
    assert widget["figure"]["data"][0]["type"] == "bar"
    assert client.get(f"/public/{token}/widgets/nope").status_code == 404
    assert client.get(f"/dashboards/{other.id}").status_code == 302  # the app itself stays closed
    with database.session() as session:
        revoke_public(session, analyst, board.id)
    assert client.get(f"/public/{token}").status_code == 404
    assert client.get(f"/public/{token}/widgets/regions").status_code == 404


def _break_a_measure(database, record, widget_ids):
    """Store the document with measures the dataset no longer has (as if renamed since)."""
    document = record.spec.to_json()
    for widget in document["widgets"]:
        if widget["id"] in widget_ids:
            widget["measures"] = ["gone_measure"]
    with database.session() as session:
        session.execute(sa.update(Dashboard).where(Dashboard.id == record.id)
                        .values(document=json.dumps(document)))
    return document


def test_edits_still_work_when_other_widgets_use_a_renamed_measure(acting_as, fire, board, database):
    broken = _break_a_measure(database, board, {"kpi", "regions"})
    with acting_as("analyst"):
        removed = _edit(fire, board, {"type": ids.W_REMOVE, "w": "regions"}, "n_clicks", 1, document=broken)
    remaining = parse_document(removed["doc"], check_fields=False).widgets
    assert [widget.id for widget in remaining] == ["kpi", "trend", "note"]
    with acting_as("analyst"):  # saving still refuses what the dataset cannot answer, and says why
        _, _, message, stale_open, _, _, _ = save(1, removed["doc"], board.version, None,
                                                  {"id": board.id, "mode": "edit"})
    assert stale_open is False and "gone_measure" in str(message)


def test_work_survives_the_dashboard_being_deleted_while_it_is_edited(acting_as, board, database):
    mine = {**DOCUMENT, "title": "My late edit"}
    with database.session() as session:
        delete_dashboard(session, account_of(database, "analyst"), board.id)
    with acting_as("editor"):
        _, _, _, stale_open, text, _, _ = save(1, mine, board.version, None, {"id": board.id, "mode": "edit"})
        assert stale_open is True and "save them as a copy" in text
        href, _, _ = save_as_copy(1, mine, {"id": board.id, "mode": "edit"})
    with database.session() as session:
        copy = load_dashboard(session, account_of(database, "editor"), int(href.split("/")[2]))
    assert copy.title == "My late edit (copy)" and copy.spec.widgets == parse_document(mine).widgets


@pytest.mark.parametrize("control,prop,value", [
    ({"type": ids.HIST_RESTORE, "v": "x"}, "n_clicks", 1),
    ({"type": ids.HIST_PREVIEW, "v": [1]}, "n_clicks", 1),
])
def test_tampered_history_buttons_change_nothing(acting_as, fire, board, control, prop, value):
    with acting_as("analyst"), pytest.raises(PreventUpdate):
        _edit(fire, board, control, prop, value)


@pytest.mark.parametrize("click", [{"w": "regions", "click": {"points": ["a"]}},
                                   {"w": ["regions"], "click": {"points": [{"customdata": "EMEA"}]}},
                                   {"w": "regions", "click": {"points": [{"customdata": {"x": 1}}]}}])
def test_tampered_clicks_are_ignored(acting_as, fire, board, click):
    ref = {"id": board.id, "mode": "view"}
    with acting_as("viewer"), pytest.raises(PreventUpdate):
        fire(ids.DB_CLICK, "data", click)
        update_filters(None, 0, [], click, None, None, None, [], [], DOCUMENT["widgets"], ref)


def test_the_view_arrives_drawn_and_redraws_only_when_asked(acting_as, clock, fire, board, app):
    with acting_as("viewer"), app.server.test_request_context(headers={"Cookie": "pb_theme=dark"}):
        page = view_layout(dashboard_id=str(board.id))
    bodies = {node.id["w"]: node for node in nodes(page)
              if isinstance(getattr(node, "id", None), dict) and node.id.get("type") == ids.WV_BODY}
    assert set(bodies) == {"kpi", "trend", "regions", "note"}
    regions = bodies["regions"].children
    assert regions.figure.data[0].type == "bar"
    assert regions.figure.layout.font.color == "#e2e8f0"  # the dark theme, from the cookie
    cross = [{"source": "regions", "field": "region", "values": ["EMEA"]}]
    fire({"type": ids.WV_SPEC, "w": "trend"}, "data", {"id": "trend"})
    with acting_as("viewer"):
        body, _, _ = render_view_widget({"id": "trend"}, None, cross, "light", None, None,
                                        {"id": board.id, "mode": "view"})
    assert [trace.name for trace in body.figure.data] == ["EMEA"]
