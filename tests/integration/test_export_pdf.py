"""PDF reports written from real widgets: figures built by `charts` from the demo database,
drawn to SVG and PNG by Kaleido in Chromium, assembled by `exports.pdf` and read back with pypdf."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import time

import plotly.graph_objects as go
import pytest
from fpdf.drawing import color_from_hex_string
from pypdf import PdfReader

from charts.theme import BAD, GOOD, themed
from charts.widgets import build_figure, number_format
from data.cache import ResultCache
from data.dashboard_edit import DEFAULT_WIDGETS
from data.dashboard_spec import WidgetSpec
from data.db import Database
from data.widget_data import load_widget
from exports import pdf, renderer
from exports.collect import table_of
from exports.document import Column, ExportItem, Kpi, Report, Table
from exports.pdf_tables import cell_text, number_text
from tests.conftest import DEMO_END

NOW = DEMO_END + dt.timedelta(minutes=5)
CHART_KINDS = ("kpi", "line", "area", "bar", "pie", "scatter", "heatmap")
MINUS = "\u2212"
TITLE = f"Umsatz {MINUS} Zürich € 日本"
FILTERS = ("Time range: Last 30 days", "Region is EMEA, APAC")


def _draw(figures: dict[str, go.Figure]) -> dict[str, dict[str, bytes]]:
    """Real images through the app's warm renderer (the session's shared render server)."""
    return {key: {fmt: renderer.render(figure, fmt, width=1000, height=560,
                                       scale=pdf.PNG_SCALE if fmt == "png" else 1)
                  for fmt in ("svg", "png")}
            for key, figure in figures.items()}


@pytest.fixture(scope="module")
def widgets(template_db, tmp_path_factory) -> dict[str, ExportItem]:
    """One item per widget type from the demo data, each chart with real SVG and PNG images."""
    database = Database(f"sqlite:///{template_db}")
    cache = ResultCache(tmp_path_factory.mktemp("pdf-cache"))
    items = {}
    try:
        for kind in (*CHART_KINDS, "table"):
            spec = WidgetSpec.model_validate({"id": f"w-{kind}", "type": kind, **DEFAULT_WIDGETS[kind]})
            data = load_widget(database.engine, cache, spec, None, {}, [], NOW)
            kpi = None
            if kind == "kpi":
                measure = data.measures[0]
                kpi = Kpi(spec.title, data.value, data.previous, number_format(data), measure.currency,
                          measure.higher_is_better)
            figure = None if kind == "table" else build_figure(data)
            items[kind] = ExportItem(
                id=spec.id, title=spec.title, kind=kind, figure=figure, table=table_of(data), kpi=kpi,
                filters=("Category is Bikes",), time_range=data.range.label, as_of=NOW,
                data_version=data.version)
    finally:
        database.dispose()
    figures = {kind: item.figure for kind, item in items.items() if item.figure is not None}
    images = _draw(figures)
    return {kind: dataclasses.replace(item, images=images.get(kind, {})) for kind, item in items.items()}


def _report(items, template="detailed", **changes) -> Report:
    fields = {"title": TITLE, "items": tuple(items), "template": template, "generated_by": "Ada Admin",
              "generated_at": DEMO_END, "filters": FILTERS, "source": "Dashboard 12, version 7"}
    return Report(**{**fields, **changes})


def _read(report: Report) -> PdfReader:
    return PdfReader(io.BytesIO(pdf.pdf_bytes(report)))


def _texts(reader: PdfReader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


def _dashboard(widgets) -> list[ExportItem]:
    text = ExportItem(id="w-text", title="Notes", kind="text", text=f"Returns fell {MINUS}3% in Zürich.")
    broken = ExportItem(id="w-broken", title="Broken widget", kind="bar", error="The dataset is gone.")
    return [*widgets.values(), text, broken]


def test_a_detailed_report_has_a_cover_contents_and_every_widget_in_the_outline(widgets):
    items = _dashboard(widgets)
    reader = _read(_report(items))
    texts = _texts(reader)
    assert [entry.title for entry in reader.outline] == [item.title for item in items]
    assert "Contents" in texts[1] and all(item.title in texts[1] for item in items)
    links = [annotation.get_object() for annotation in reader.pages[1]["/Annots"]]
    assert len([link for link in links if link["/Subtype"] == "/Link"]) == 2 * len(items)
    first_section = reader.get_destination_page_number(reader.outline[0])
    assert first_section == 2 and len(reader.pages) > len(items) // 2
    assert "Returns fell −3% in Zürich." in "".join(texts)
    assert "This widget could not be drawn: The dataset is gone." in "".join(texts)


def test_every_page_carries_the_title_page_count_and_time_of_generation(widgets):
    reader = _read(_report(_dashboard(widgets)))
    texts = _texts(reader)
    pages = len(texts)
    cover = texts[0]
    assert "Umsatz − Zürich €" in cover and all(text in cover for text in FILTERS)
    assert "Dashboard 12, version 7" in cover and "Ada Admin" in cover
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {pages}" in text
        assert "Generated 2026-11-20 15:30 UTC by Ada Admin" in text
        assert number == 1 or "Umsatz − Zürich €" in text  # the running header, not on the cover


@pytest.mark.parametrize("kind", CHART_KINDS)
def test_vector_kinds_are_drawn_as_paths_and_the_others_as_png(widgets, kind):
    item = widgets[kind]
    wanted = pdf.image_format(kind, item.figure)
    assert wanted == ("png" if kind == "heatmap" else "svg")
    only_needed = dataclasses.replace(item, images={wanted: item.images[wanted]})
    reader = _read(_report([only_needed], "chart"))
    page = reader.pages[0]
    content = page.get_contents().get_data()
    if wanted == "png":
        assert len(page.images) == 1
    else:
        assert not page.images
        assert len(re.findall(rb"\d [lc]\b", content)) >= 10  # lines and curves drawn as paths
    if kind == "bar":  # the chart's own text is real text, found by search
        assert "EMEA" in page.extract_text()


def test_a_zoomed_or_crowded_chart_asks_for_png_and_reports_need_only_their_pictures(widgets):
    line = widgets["line"].figure
    assert pdf.image_format("line", line) == "svg"
    assert pdf.image_format("line", go.Figure(line).update_xaxes(range=[0, 5])) == "png"
    crowded = go.Figure(go.Scatter(x=list(range(1000)), y=list(range(1000)), mode="markers"))
    assert pdf.image_format("scatter", crowded) == "png"
    items = _dashboard(widgets)
    assert pdf.needs_images(_report(items, "executive")) == {
        f"w-{kind}": "png" if kind == "heatmap" else "svg" for kind in CHART_KINDS if kind != "kpi"}
    assert set(pdf.needs_images(_report(items, "detailed"))) == {f"w-{kind}" for kind in CHART_KINDS}
    assert list(pdf.needs_images(_report(items, "chart"))) == ["w-kpi"]


def test_a_picture_fpdf2_cannot_read_falls_back_and_a_missing_one_is_said(widgets):
    bar = widgets["bar"]
    broken_svg = dataclasses.replace(bar, images={"svg": b"<svg><g></svg>", "png": bar.images["png"]})
    reader = _read(_report([broken_svg], "chart"))
    assert len(reader.pages[0].images) == 1
    no_picture = dataclasses.replace(bar, id="w-none", title="No picture", images={})
    assert "The chart image is not available." in "".join(_texts(_read(_report([no_picture]))))


def _numbers_table(rows: int) -> Table:
    columns = (Column("country", "Country"), Column("revenue", "Revenue", "number", "currency", "EUR"),
               Column("orders", "Orders", "number", "integer"),
               Column("margin", "Margin", "number", "percent"))
    return Table(columns, [(f"Land {index:04d}", index * 1234.5 - 5000, index * 3, index / 1000)
                           for index in range(rows)])


def test_a_long_table_spans_pages_and_repeats_its_header_row(widgets):
    item = ExportItem(id="w-long", title="Every country", kind="table", table=_numbers_table(300))
    texts = _texts(_read(_report([item])))
    covering = [text for text in texts if "Land 0" in text]
    assert len(covering) >= 3
    assert all("Country" in text and "Revenue" in text and "Margin" in text for text in covering)
    assert all(f"Land {index:04d}" in "".join(covering) for index in (0, 150, 299))
    assert f"{MINUS}€5,000.00" in covering[0] and "€364,115.50" in covering[-1] and "29.9%" in covering[-1]


def test_thousands_of_rows_are_capped_with_a_note_and_stay_fast(widgets):
    item = ExportItem(id="w-huge", title="Everything", kind="table", table=_numbers_table(5000))
    started = time.perf_counter()
    text = "".join(_texts(_read(_report([item]))))
    assert time.perf_counter() - started < 5  # about 0.3 s here; fpdf2's table() took 1.4 s per 1,000 rows
    assert "First 1,000 of 5,000 rows; the full table is in the Excel and CSV exports." in text
    assert "Land 0999" in text and "Land 1000" not in text


def test_numbers_print_at_full_precision_by_column_format():
    assert number_text(7213456.125, "currency") == "$7,213,456.12"
    assert number_text(-1234.5, "currency", "EUR") == f"{MINUS}€1,234.50"
    assert number_text(0.4567, "percent") == "45.7%"
    assert number_text(23214.4, "integer") == "23,214"
    assert number_text(-0.001, "decimal") == "0.00"
    assert number_text(float("nan"), "decimal") == "—"
    bucket = Column("bucket", "Time", "datetime")
    assert cell_text(dt.datetime(2026, 11, 20, 15, 30), bucket) == "2026-11-20 15:30"
    assert cell_text(None, Column("x", "X")) == "—"


def test_unicode_text_round_trips_and_missing_glyphs_do_not_crash(widgets):
    text = ExportItem(id="w-text", title=f"Notes {MINUS} €", kind="text", text="Zürich 日本")
    reader = _read(_report([text, widgets["bar"]]))
    extracted = "".join(_texts(reader))
    assert f"Umsatz {MINUS} Zürich €" in extracted and f"Notes {MINUS} €" in extracted
    assert "Zürich \ufffd\ufffd" in extracted  # DejaVu Sans has no CJK: a visible replacement
    assert reader.metadata.title == TITLE


def test_the_audit_lists_each_widgets_facts_and_the_sha256_of_its_data(widgets):
    items = _dashboard(widgets)
    reader = _read(_report(items, "audit"))
    text = "".join(_texts(reader))
    for item in items:
        if item.table is not None:
            assert item.table.sha256() in text
    assert "Data version" in text and "Data as of" in text and "2026-11-20 15:35 UTC" in text
    assert "Category is Bikes" in text and "Generated by" in text and "Ada Admin" in text
    assert [entry.title for entry in reader.outline] == [item.title for item in items]


def test_the_executive_summary_is_a_cover_and_one_page_with_coloured_kpi_changes(widgets):
    rising = Kpi("Returns", 120.0, 100.0, "integer", higher_is_better=False)
    returns = ExportItem(id="w-returns", title="Returns", kind="kpi", kpi=rising)
    items = [*_dashboard(widgets), returns]
    reader = _read(_report(items, "executive"))
    assert len(reader.pages) == 2
    charts = [item.title for item in items if item.kind not in ("kpi", "table", "text")]
    assert [entry.title for entry in reader.outline] == ["Key figures", *charts]
    page = reader.pages[1]
    text = page.extract_text()
    assert "Revenue" in text and "▲ 20.0%" in text and "Previous period" in text
    content = page.get_contents().get_data().decode("latin-1")
    good, bad = (color_from_hex_string(colour).serialize() for colour in (GOOD, BAD))
    assert good in content and bad in content  # revenue up is good news, returns up is bad


def test_the_chart_export_is_one_page_with_its_table_only_when_short(widgets):
    bar = widgets["bar"]
    reader = _read(_report([bar], "chart", orientation="landscape"))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert bar.title in text and "Filters: Category is Bikes" in text and "Page 1 of 1" in text
    assert bar.table.row_count <= 15
    first = bar.table.rows[0]
    assert all(cell_text(value, column) in text
               for value, column in zip(first, bar.table.columns, strict=True))
    line = widgets["line"]
    reader = _read(_report([line], "chart"))
    assert len(reader.pages) == 1
    left_off = f"The data table ({line.table.row_count} rows) is left off this page"
    assert left_off in reader.pages[0].extract_text()


def test_page_size_and_orientation_follow_the_report(widgets):
    letter = _read(_report([widgets["bar"]], page_size="Letter"))
    assert [round(float(value)) for value in letter.pages[0].mediabox[2:]] == [612, 792]
    landscape = _read(_report([widgets["bar"]], page_size="A4", orientation="landscape"))
    assert [round(float(value)) for value in landscape.pages[0].mediabox[2:]] == [842, 595]


def test_metadata_names_the_report_its_author_and_when(widgets):
    metadata = _read(_report([widgets["bar"]])).metadata
    assert metadata.title == TITLE and metadata.author == "Ada Admin" and metadata.creator == "Pulseboard"
    assert metadata.creation_date == dt.datetime(2026, 11, 20, 15, 30, tzinfo=dt.UTC)


def test_write_pdf_writes_paths_in_place_and_file_objects_and_reports_progress(widgets, tmp_path):
    seen = []
    items = _dashboard(widgets)
    target = tmp_path / "report.pdf"
    pdf.write_pdf(_report(items), target, progress=lambda *call: seen.append(call))
    assert [path.name for path in tmp_path.iterdir()] == ["report.pdf"]
    assert PdfReader(target).pages
    assert seen == [(index, len(items), item.title) for index, item in enumerate(items, start=1)]
    buffer = io.BytesIO()
    pdf.write_pdf(_report(items, "executive"), buffer)
    assert PdfReader(io.BytesIO(buffer.getvalue())).pages


def _only_what_the_pdf_needs(item: ExportItem) -> ExportItem:
    if not item.images:
        return item
    wanted = pdf.image_format(item.kind, item.figure)
    return dataclasses.replace(item, images={wanted: item.images[wanted]})


def test_a_report_of_eight_widgets_assembles_quickly(widgets):
    report = _report([_only_what_the_pdf_needs(item) for item in widgets.values()])
    pdf.pdf_bytes(report)  # fonts and modules warm
    started = time.perf_counter()
    pdf.pdf_bytes(report)
    assert time.perf_counter() - started < 3  # about 0.35 s here; a loose bound against regressions


def test_an_unthemed_figure_with_negative_ticks_draws_as_vector(widgets):
    figure = themed(go.Figure(go.Bar(x=["Zürich", "Köln"], y=[-1200.5, 3400])), "light")
    plain = go.Figure(go.Bar(x=["Zürich", "Köln"], y=[-1200.5, 3400]))  # plotly's "Open Sans" default
    images = _draw({"themed": figure, "plain": plain})
    for key, picture in images.items():
        item = ExportItem(id=key, title=key, kind="bar", figure=figure, images={"svg": picture["svg"]})
        page = _read(_report([item], "chart")).pages[0]
        assert not page.images and f"{MINUS}1000" in page.extract_text()
