"""The builder: one reducer applies every edit to the working document (with undo and redo),
and saving compares and sets the version, so a stale save is refused and nothing is lost.

Every callback first checks, on the server, that the signed-in user may edit the dashboard the
page's `DB_REF` names; a forged id gets nothing back and changes nothing.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate
from pydantic import ValidationError

from auth.account import current_account
from callbacks.dashboard_access import dashboard_for
from components import ids
from components.dashboard import grid_layout
from components.widgets import widget_card, widget_id
from context import database
from data import dashboard_edit as edits
from data.dashboard_spec import WIDGET_TYPES, DashboardSpec, SpecError, WidgetSpec, parse_document
from data.dashboards import (
    DashboardError,
    Forbidden,
    NotFound,
    StaleVersion,
    create_dashboard,
    list_versions,
    load_version,
    restore_version,
    save_dashboard,
)

UNDO_DEPTH = 50
GONE_TEXT = ("This dashboard was deleted, or you may no longer edit it, since you opened it. "
             "Your changes are still here: save them as a copy of your own.")
MAX_ADDS_AT_ONCE = 5  # a forged click count adds no more than this


def _alert(message, color="danger"):
    return dbc.Alert(message, color=color, dismissable=True, duration=None if color == "danger" else 4000,
                     className="mt-2")


def _problems(error: SpecError):
    return [html.Strong("Not applied: "), html.Ul([html.Li(p) for p in error.problems], className="mb-0")]


def _stale_text(error: StaleVersion) -> str:
    when = error.saved_at.strftime("%Y-%m-%d %H:%M UTC")
    return (f"This dashboard was changed by {error.author} at {when} (now version {error.version}) "
            "after you opened it. Your changes are still here: reload their version, or save yours as "
            "a copy.")


def _positions(layout) -> dict[str, tuple[int, int, int, int]]:
    found = {}
    for item in layout or []:
        try:
            found[widget_id(str(item["i"]))] = tuple(int(item[key]) for key in ("x", "y", "w", "h"))
        except (KeyError, TypeError, ValueError):
            continue
    return found


class Outcome:
    """The reducer's outputs, all `no_update` unless an edit sets them."""

    NAMES = ("doc", "layout", "children", "compact_type", "undo", "redo", "selected", "base", "saved",
             "message", "banner", "specs", "title", "compact", "palette_seen")

    def __init__(self, spec_count: int):
        self.values = dict.fromkeys(self.NAMES, no_update)
        self.values["specs"] = [no_update] * spec_count

    def redraw(self, spec: DashboardSpec) -> None:
        """Replace the whole canvas with `spec` (undo, redo, a previewed or restored version)."""
        self.values.update(doc=spec.to_json(), layout=grid_layout(spec.layout),
                           children=[widget_card(w, editable=True) for w in spec.widgets],
                           compact_type="vertical" if spec.compact else None, title=spec.title,
                           compact=spec.compact, selected=None)

    def result(self) -> tuple:
        return tuple(self.values[name] for name in self.NAMES)


def _add_clicked(spec: DashboardSpec, clicks: list, seen) -> tuple[DashboardSpec, list, dict]:
    """Add a widget for every palette click not yet applied.

    Counting clicks against those already applied, instead of acting on the one that fired,
    keeps quick clicks: Dash drops the answer of a request that a newer one overtook, and the
    newer one still carries every button's click count.
    """
    seen = dict(seen) if isinstance(seen, dict) else {}
    added = []
    for kind, count in zip(WIDGET_TYPES, clicks or [], strict=False):
        count = count if isinstance(count, int) else 0
        for _ in range(min(max(count - int(seen.get(kind) or 0), 0), MAX_ADDS_AT_ONCE)):
            spec, widget = edits.add_widget(spec, kind)
            added.append(widget)
        seen[kind] = count
    if not added:
        raise PreventUpdate
    return spec, added, seen


def _push(stack: list, document: dict) -> list:
    return ([*stack, document])[-UNDO_DEPTH:]


@dash.callback(
    Output(ids.DB_DOC, "data"),
    Output(ids.DB_GRID, "layout"),
    Output(ids.DB_GRID, "children"),
    Output(ids.DB_GRID, "compactType"),
    Output(ids.DB_UNDO, "data"),
    Output(ids.DB_REDO, "data"),
    Output(ids.DB_SELECTED, "data"),
    Output(ids.DB_BASE, "data", allow_duplicate=True),
    Output(ids.DB_SAVED, "data", allow_duplicate=True),
    Output(ids.DB_MESSAGE, "children"),
    Output(ids.DB_PREVIEW_BANNER, "children"),
    Output({"type": ids.W_SPEC, "w": ALL}, "data"),
    Output(ids.DB_TITLE, "value"),
    Output(ids.DB_COMPACT, "value"),
    Output(ids.DB_PALETTE_SEEN, "data"),
    Input(ids.DB_GRID, "layout"),
    Input({"type": ids.PALETTE_ADD, "kind": ALL}, "n_clicks"),
    Input({"type": ids.W_REMOVE, "w": ALL}, "n_clicks"),
    Input(ids.DB_DRAFT, "data"),
    Input(ids.DB_TITLE, "value"),
    Input(ids.DB_COMPACT, "value"),
    Input(ids.DB_UNDO_BTN, "n_clicks"),
    Input(ids.DB_REDO_BTN, "n_clicks"),
    Input({"type": ids.DB_FILTERS_MIRROR, "page": ALL}, "data"),
    Input({"type": ids.HIST_PREVIEW, "v": ALL}, "n_clicks"),
    Input({"type": ids.HIST_RESTORE, "v": ALL}, "n_clicks"),
    State(ids.DB_DOC, "data"),
    State(ids.DB_UNDO, "data"),
    State(ids.DB_REDO, "data"),
    State(ids.DB_BASE, "data"),
    State(ids.DB_REF, "data"),
    State(ids.DB_SELECTED, "data"),
    State(ids.DB_PALETTE_SEEN, "data"),
    prevent_initial_call=True,
)
def edit_document(layout, adds, _removes, draft, title, compact, _undo, _redo, filters, _previews,
                  _restores, document, undo, redo, base_version, ref, selected, palette_seen):
    """Apply one edit to the working document; everything shown follows from the result."""
    trigger = ctx.triggered_id
    record = dashboard_for(ref, need="edit")
    if record is None or trigger is None:
        raise PreventUpdate
    spec_outputs = ctx.outputs_list[11]
    out = Outcome(len(spec_outputs))
    try:
        current = parse_document(document)
    except SpecError:
        current = record.spec
    undo, redo = list(undo or []), list(redo or [])
    kind = trigger.get("type") if isinstance(trigger, dict) else trigger
    clicked = ctx.triggered[0]["value"]
    if any(f'"type":"{ids.PALETTE_ADD}"' in item["prop_id"] for item in ctx.triggered):
        # A click can arrive together with the grid's echo of the last layout; the click matters.
        kind = ids.PALETTE_ADD
    try:
        if kind == ids.DB_GRID:
            new = edits.move_widgets(current, _positions(layout))
            if new.layout == current.layout:
                raise PreventUpdate
        elif kind == ids.PALETTE_ADD:
            new, added, seen = _add_clicked(current, adds, palette_seen)
            # All the cards, not a Patch: if Dash drops this answer for a newer request's, the
            # newer one's cards still match its document.
            out.values.update(children=[widget_card(w, editable=True) for w in new.widgets],
                              layout=grid_layout(new.layout), selected=added[-1].id, palette_seen=seen)
        elif kind == ids.W_REMOVE:
            if not clicked:
                raise PreventUpdate
            new = edits.remove_widget(current, trigger["w"])
            out.values["children"] = [widget_card(w, editable=True) for w in new.widgets]
            out.values["layout"] = grid_layout(new.layout)
            if selected == trigger["w"]:
                out.values["selected"] = None
        elif kind == ids.DB_DRAFT:
            if not isinstance(draft, dict) or not isinstance(draft.get("widget"), dict):
                raise PreventUpdate
            widget = WidgetSpec.model_validate(draft["widget"])
            new = edits.replace_widget(current, widget)
            if new == current:
                raise PreventUpdate
            out.values["specs"] = [widget.model_dump(mode="json", exclude_none=True)
                                   if item["id"]["w"] == widget.id else no_update for item in spec_outputs]
        elif kind == ids.DB_TITLE:
            new = edits.retitle(current, title or "")
        elif kind == ids.DB_COMPACT:
            new = edits.set_compact(current, compact)
            out.values["compact_type"] = "vertical" if new.compact else None
        elif kind == ids.DB_FILTERS_MIRROR:
            new = edits.set_filters(current, (filters or [{}])[0] or {})
            if new == current:
                raise PreventUpdate
            out.values["doc"] = new.to_json()
            return out.result()  # filters are not undone with the widgets: the bar shows them
        elif kind in (ids.DB_UNDO_BTN, ids.DB_REDO_BTN):
            source, target = (undo, redo) if kind == ids.DB_UNDO_BTN else (redo, undo)
            if not source:
                raise PreventUpdate
            new = edits.set_filters(parse_document(source.pop()), current.filters.model_dump(
                mode="json", exclude_none=True))
            target.append(current.to_json())
            out.redraw(new)
            out.values.update(undo=undo[-UNDO_DEPTH:], redo=redo[-UNDO_DEPTH:])
            return out.result()
        elif kind == ids.HIST_PREVIEW:
            if not clicked or not isinstance(trigger.get("v"), int):
                raise PreventUpdate
            with database().session() as session:
                new = load_version(session, current_account(), record.id, trigger["v"])
            out.redraw(new)
            out.values["banner"] = dbc.Alert(
                [html.I(className="bi bi-eye me-2"), f"Showing version {trigger['v']}. Save to make it "
                 "the current version, or Undo to go back to what you had."], color="info",
                className="mt-2", id="db-previewing")
        elif kind == ids.HIST_RESTORE:
            if not clicked or not isinstance(trigger.get("v"), int):
                raise PreventUpdate
            with database().session() as session:
                restored = restore_version(session, current_account(), record.id, trigger["v"],
                                           base_version)
            new = restored.spec
            out.redraw(new)
            out.values.update(base=restored.version, saved=new.to_json(), message=_alert(
                f"Restored version {trigger['v']} as version {restored.version}.", "success"))
        else:
            raise PreventUpdate
    except (SpecError, ValidationError) as error:
        problems = error if isinstance(error, SpecError) else SpecError([str(error)])
        out.values["message"] = _alert(_problems(problems))
        if kind == ids.DB_GRID:
            out.values["layout"] = grid_layout(current.layout)  # snap back to the last good layout
        if kind == ids.DB_TITLE:
            out.values["title"] = current.title
        return out.result()
    except StaleVersion as error:
        out.values["message"] = _alert(_stale_text(error))
        return out.result()
    except DashboardError as error:
        out.values["message"] = _alert(str(error))
        return out.result()
    if out.values["doc"] is no_update:
        out.values["doc"] = new.to_json()
    out.values.update(undo=_push(undo, current.to_json()), redo=[])
    return out.result()


@dash.callback(
    Output(ids.DB_SELECTED, "data", allow_duplicate=True),
    Input({"type": ids.W_EDIT, "w": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def select_widget(_clicks):
    if not isinstance(ctx.triggered_id, dict) or not ctx.triggered[0]["value"]:
        raise PreventUpdate
    return ctx.triggered_id["w"]


@dash.callback(
    Output(ids.DB_BASE, "data", allow_duplicate=True),
    Output(ids.DB_SAVED, "data", allow_duplicate=True),
    Output(ids.DB_MESSAGE, "children", allow_duplicate=True),
    Output(ids.DB_STALE_MODAL, "is_open"),
    Output(ids.DB_STALE_TEXT, "children"),
    Output(ids.DB_SAVE_MESSAGE, "value"),
    Output(ids.DB_PREVIEW_BANNER, "children", allow_duplicate=True),
    Input(ids.DB_SAVE, "n_clicks"),
    State(ids.DB_DOC, "data"),
    State(ids.DB_BASE, "data"),
    State(ids.DB_SAVE_MESSAGE, "value"),
    State(ids.DB_REF, "data"),
    prevent_initial_call=True,
)
def save(clicks, document, base_version, message, ref):
    """Save the working document as a new version, unless someone saved since it was opened."""
    if not clicks or not isinstance(ref, dict):
        raise PreventUpdate
    try:
        spec = parse_document(document)
        with database().session() as session:
            saved = save_dashboard(session, current_account(), ref.get("id"), spec, base_version,
                                   message=(message or "").strip() or None)
    except SpecError as error:
        return no_update, no_update, _alert(_problems(error)), False, no_update, no_update, no_update
    except StaleVersion as error:
        return no_update, no_update, no_update, True, _stale_text(error), no_update, no_update
    except (NotFound, Forbidden):
        # Deleted, or the share was taken away, while this person edited: keep their work.
        return no_update, no_update, no_update, True, GONE_TEXT, no_update, no_update
    except DashboardError as error:
        return no_update, no_update, _alert(str(error)), False, no_update, no_update, no_update
    return (saved.version, saved.spec.to_json(), _alert(f"Saved as version {saved.version}.", "success"),
            False, no_update, "", None)


@dash.callback(
    Output(ids.URL, "href", allow_duplicate=True),
    Output(ids.DB_SAVED, "data", allow_duplicate=True),
    Output(ids.DB_STALE_TEXT, "children", allow_duplicate=True),
    Input(ids.DB_SAVE_COPY, "n_clicks"),
    State(ids.DB_DOC, "data"),
    State(ids.DB_REF, "data"),
    prevent_initial_call=True,
)
def save_as_copy(clicks, document, ref):
    """Keep the refused changes as a new dashboard owned by the person who made them. Only
    analysts and admins may create one, which `create_dashboard` checks; no right to the
    original is needed, since it may have been deleted or unshared meanwhile."""
    if not clicks:
        raise PreventUpdate
    try:
        spec = parse_document(document)
        spec = edits.retitle(spec, f"{spec.title[:190]} (copy)")
        with database().session() as session:
            copy = create_dashboard(session, current_account(), spec, message="Saved as a copy")
    except (SpecError, DashboardError) as error:
        return no_update, no_update, str(error)
    return f"/dashboards/{copy.id}/edit", document, no_update


@dash.callback(
    Output(ids.DB_HISTORY, "is_open"),
    Output(ids.DB_HISTORY_LIST, "children"),
    Input(ids.DB_HISTORY_OPEN, "n_clicks"),
    State(ids.DB_BASE, "data"),
    State(ids.DB_REF, "data"),
    prevent_initial_call=True,
)
def show_history(clicks, base_version, ref):
    """Every saved version, newest first, to preview in the canvas or restore."""
    if not clicks or dashboard_for(ref, need="edit") is None:
        raise PreventUpdate
    with database().session() as session:
        versions = list_versions(session, current_account(), ref.get("id"))
    items = []
    for item in versions:
        restored = f" · restored from version {item.restored_from}" if item.restored_from else ""
        items.append(html.Div([
            html.Div([html.Strong(f"Version {item.version}"),
                      html.Span(" (current)" if item.version == base_version else "",
                                className="text-body-secondary")]),
            html.Div(f"{item.author_name} · {item.created_at:%Y-%m-%d %H:%M} UTC{restored}",
                     className="small text-body-secondary"),
            html.Div(item.message, className="small") if item.message else None,
            html.Div([
                dbc.Button("Preview", id={"type": ids.HIST_PREVIEW, "v": item.version}, size="sm",
                           color="secondary", outline=True, n_clicks=0),
                dbc.Button("Restore", id={"type": ids.HIST_RESTORE, "v": item.version}, size="sm",
                           color="primary", outline=True, n_clicks=0,
                           disabled=item.version == base_version),
            ], className="d-flex gap-2 mt-1"),
        ], className="pb-history-item", **{"data-version": item.version}))
    return True, items


dash.clientside_callback(
    dash.ClientsideFunction("builder", "track"),
    Output(ids.DB_DIRTY, "children"),
    Output(ids.DB_UNDO_BTN, "disabled"),
    Output(ids.DB_REDO_BTN, "disabled"),
    Input(ids.DB_DOC, "data"),
    Input(ids.DB_SAVED, "data"),
    Input(ids.DB_UNDO, "data"),
    Input(ids.DB_REDO, "data"),
)


# The builder's copy of the filters in force. The view page shares the filter bar but has no
# builder, and a callback whose other inputs are missing fails in the browser; a pattern-matching
# id simply matches nothing there.
dash.clientside_callback(
    "function (filters, mirrors) { return (mirrors || []).map(function () { return filters; }); }",
    Output({"type": ids.DB_FILTERS_MIRROR, "page": ALL}, "data"),
    Input(ids.DB_FILTERS, "data"),
    State({"type": ids.DB_FILTERS_MIRROR, "page": ALL}, "data"),
    prevent_initial_call=True,
)
