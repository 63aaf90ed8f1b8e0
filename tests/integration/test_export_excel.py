"""Excel workbooks written from hand-built Reports with real plotly figures, opened again with
openpyxl and unzipped to look at the charts and pictures inside."""

from __future__ import annotations

import datetime as dt
import html
import io
import posixpath
import re
import zipfile

import openpyxl
import plotly.graph_objects as go
import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from exports import excel
from exports.document import Cancelled, Column, ExportItem, Kpi, Report, Table

DAYS = [dt.datetime(2026, 11, 1) + dt.timedelta(days=n) for n in range(4)]
INJECTED = ["=1+1", '=HYPERLINK("http://x","y")', "@SUM(A1)", "+1", "-1+1"]


def png(width: int = 400, height: int = 200) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (79, 70, 229)).save(buffer, format="PNG")
    return buffer.getvalue()


def long_table() -> Table:
    """Revenue by day and region: time, dimension, measure."""
    return Table((Column("bucket", "Time", "datetime"), Column("region", "Region"),
                  Column("revenue", "Revenue", "number", "currency", "EUR")),
                 [(day, region, 100.0 * n + offset) for n, day in enumerate(DAYS)
                  for offset, region in enumerate(("EMEA", "APAC", "AMER"))])


def wide_table() -> Table:
    """Revenue and orders by category: one category column, one column per measure."""
    return Table((Column("category", "Category"), Column("revenue", "Revenue", "number", "currency"),
                  Column("orders", "Orders", "number", "integer")),
                 [("Bikes", 1250.5, 12), ("Clothing", -30.25, None), ("Helmets", 75.0, 3)])


def line_figure(names=("AMER", "APAC", "EMEA"), hidden=()) -> go.Figure:
    return go.Figure([go.Scatter(x=DAYS, y=[1, 2, 3, 4], name=name, mode="lines",
                                 visible="legendonly" if name in hidden else True)
                      for name in names])


def bar_figure() -> go.Figure:
    return go.Figure([go.Bar(x=["Bikes"], y=[1], name="Revenue"), go.Bar(x=["Bikes"], y=[1], name="Orders")])


def item(item_id: str, title: str, kind: str, **fields) -> ExportItem:
    fields.setdefault("as_of", dt.datetime(2026, 11, 21, 14, 5))
    return ExportItem(item_id, title, kind, **fields)


def report(*items: ExportItem, template: str = "detailed", **fields) -> Report:
    return Report(fields.pop("title", "Sales pulse"), tuple(items), template, "Ada Admin",
                  dt.datetime(2026, 11, 21, 14, 5), fields.pop("filters", ("Region is EMEA",)),
                  source="Dashboard 12, version 7", **fields)


def written(tmp_path, the_report: Report):
    path = tmp_path / "book.xlsx"
    excel.write_workbook(the_report, path)
    return path, openpyxl.load_workbook(path)


def _relations(archive: zipfile.ZipFile, part: str) -> dict[str, str]:
    """Relationship id to the part it targets, for one part of the package."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels not in archive.namelist():
        return {}
    found = {}
    for tag in re.findall(r"<Relationship [^>]*>", archive.read(rels).decode()):
        attributes = dict(re.findall(r'(\w+)="([^"]*)"', tag))
        found[attributes["Id"]] = posixpath.normpath(posixpath.join(folder, attributes["Target"]))
    return found


def drawn_parts(path) -> dict[str, list[str]]:
    """Each sheet's charts and pictures, by sheet name: ["xl/charts/chart1.xml", "xl/media/image1.png"]."""
    archive = zipfile.ZipFile(path)
    workbook = archive.read("xl/workbook.xml").decode()
    sheets = _relations(archive, "xl/workbook.xml")
    parts = {}
    for name, rid in re.findall(r'<sheet name="([^"]*)" sheetId="\d+" r:id="(rId\d+)"', workbook):
        found = []
        for drawing in _relations(archive, sheets[rid]).values():
            found += sorted(_relations(archive, drawing).values())
        parts[html.unescape(name)] = found
    return parts


def chart_xml(path, sheet: str) -> list[str]:
    archive = zipfile.ZipFile(path)
    return [archive.read(part).decode() for part in drawn_parts(path)[sheet] if "/charts/" in part]


def test_sheet_names_are_valid_unique_and_follow_the_summary(tmp_path):
    titles = ["Revenue/Profit [EU]: Q1?", "Sales", "SALES", "History",
              "A very long widget title that Excel cannot hold"]
    items = [item(f"w{n}", title, "table", table=wide_table()) for n, title in enumerate(titles)]
    _path, book = written(tmp_path, report(*items))
    assert book.sheetnames == ["Summary", "Revenue Profit EU Q1", "Sales", "SALES (2)", "History (2)",
                               "A very long widget title that E"]


def test_cells_hold_the_table_values_with_their_number_and_date_formats(tmp_path):
    columns = (Column("day", "Day", "date"), Column("at", "At", "datetime"),
               Column("revenue", "Revenue", "number", "currency", "EUR"),
               Column("margin", "Margin", "number", "percent"),
               Column("orders", "Orders", "number", "integer"), Column("aov", "AOV", "number", "decimal"),
               Column("region", "Region"))
    rows = [(dt.date(2026, 11, 1), dt.datetime(2026, 11, 1, 14, 5, 30), 1234.5, 0.4567, 12, 10.125, "EMEA"),
            (dt.date(2026, 11, 2), None, -5.0, -0.1, 0, None, None)]
    _path, book = written(tmp_path, report(item("w1", "Everything", "table", table=Table(columns, rows))))
    sheet = book["Everything"]
    assert [cell.value for cell in sheet[4]] == [column.label for column in columns]
    first, second = ([cell.value for cell in row] for row in sheet.iter_rows(min_row=5, max_row=6))
    assert first == [dt.datetime(2026, 11, 1), dt.datetime(2026, 11, 1, 14, 5, 30), 1234.5, 0.4567, 12,
                     10.125, "EMEA"]
    assert second == [dt.datetime(2026, 11, 2), None, -5, -0.1, 0, None, None]
    assert [sheet.cell(5, col).number_format for col in range(1, 7)] == [
        "yyyy-mm-dd", "yyyy-mm-dd hh:mm", '"€"#,##0.00', "0.0%", "#,##0", "#,##0.00"]
    assert sheet.cell(6, 3).data_type == "n"  # a negative number stays a number


def test_the_header_is_frozen_and_filtered_and_columns_are_sized(tmp_path):
    _path, book = written(tmp_path, report(item("w1", "Orders", "table", table=wide_table())))
    sheet = book["Orders"]
    assert sheet.freeze_panes == "A5"
    assert sheet.auto_filter.ref == "A4:C7"
    assert sheet["A1"].value == "Orders"
    assert sheet["A2"].value == "Filters: none · Data as of 2026-11-21 14:05 UTC"
    widths = [sheet.column_dimensions[letter].width for letter in "ABC"]
    assert all(8 <= width <= 51 for width in widths)


def test_each_widget_kind_gets_its_native_excel_chart(tmp_path):
    items = [
        item("line", "Line", "line", figure=line_figure(), table=long_table()),
        item("area", "Area", "area", figure=line_figure(), table=long_table(), stacked=True),
        item("column", "Columns", "bar", figure=bar_figure(), table=wide_table()),
        item("bar", "Bars", "bar", figure=bar_figure(), table=wide_table(), horizontal=True, stacked=True),
        item("pie", "Pie", "pie", figure=go.Figure(go.Pie(labels=["a"], values=[1])), table=wide_table()),
        item("donut", "Donut", "pie", figure=go.Figure(go.Pie(labels=["a"], values=[1], hole=0.5)),
             table=wide_table(), donut=True),
        item("scatter", "Scatter", "scatter", figure=go.Figure(go.Scatter(x=[1], y=[2], mode="markers")),
             table=wide_table()),
        item("kpi", "Revenue KPI", "kpi", kpi=Kpi("Revenue", 120.0, 100.0, "currency"),
             figure=go.Figure([go.Indicator(mode="number", value=120),
                               go.Scatter(x=DAYS, y=[1, 2, 3, 4], line={"color": "#16a34a"})]),
             table=Table((Column("bucket", "Time", "datetime"),
                          Column("value", "Revenue", "number", "currency")),
                         [(day, 10.0 * n) for n, day in enumerate(DAYS)])),
        item("table", "Table", "table", table=wide_table()),
    ]
    path, _book = written(tmp_path, report(*items))
    names = zipfile.ZipFile(path).namelist()
    assert "xl/charts/chart1.xml" in names
    expected = {"Line": ("c:lineChart", "standard"), "Area": ("c:areaChart", "stacked"),
                "Columns": ("c:barChart", "clustered"), "Bars": ("c:barChart", "stacked"),
                "Pie": ("c:pieChart", None), "Donut": ("c:doughnutChart", None),
                "Scatter": ("c:scatterChart", None), "Revenue KPI": ("c:lineChart", "standard")}
    for sheet, (element, grouping) in expected.items():
        [xml] = chart_xml(path, sheet)
        assert f"<{element}>" in xml, sheet
        if grouping:
            assert f'<c:grouping val="{grouping}"/>' in xml, sheet
    assert '<a:srgbClr val="16A34A"/>' in chart_xml(path, "Revenue KPI")[0]  # the sparkline's green
    assert '<c:barDir val="bar"/>' in chart_xml(path, "Bars")[0]
    assert '<c:barDir val="col"/>' in chart_xml(path, "Columns")[0]
    assert chart_xml(path, "Table") == []


def test_a_long_table_is_pivoted_below_it_and_hidden_series_stay_off_the_chart(tmp_path):
    figure = line_figure(hidden=("APAC",))
    one = item("w1", "Revenue by day", "line", figure=figure, table=long_table())
    path, book = written(tmp_path, report(one))
    sheet = book["Revenue by day"]
    table_end = 4 + len(long_table().rows)
    caption_row, header_row = table_end + 2, table_end + 3
    assert "pivoted from the table above" in sheet.cell(caption_row, 1).value
    assert [cell.value for cell in sheet[header_row]][:4] == ["Time", "AMER", "APAC", "EMEA"]
    first_day = [cell.value for cell in sheet[header_row + 1]][:4]
    assert first_day == [DAYS[0], 2, 1, 0]
    [xml] = chart_xml(path, "Revenue by day")
    assert xml.count("<c:ser>") == 2  # AMER and EMEA: APAC is hidden on the screen
    assert f"$C${header_row}" not in xml and f"$B${header_row}" in xml


def test_a_heatmap_is_a_colour_scale_grid_with_a_note_and_no_chart(tmp_path):
    heat = item("w1", "Heat", "heatmap", figure=go.Figure(), table=long_table(), images={"png": png()})
    path, book = written(tmp_path, report(heat))
    sheet = book["Heat"]
    assert "no heatmap chart" in sheet["A3"].value
    scales = [(str(cf.sqref), rule.type) for cf in sheet.conditional_formatting for rule in cf.rules]
    table_end = 4 + len(long_table().rows)
    assert scales == [(f"B{table_end + 4}:E{table_end + 6}", "colorScale")]
    assert [cell.value for cell in sheet[table_end + 3]][:5] == ["Region \\ Time", *DAYS]
    assert [part.split("/")[1] for part in drawn_parts(path)["Heat"]] == ["media"]


def test_the_rendered_picture_is_inserted_next_to_the_chart(tmp_path):
    picture = png(1600, 800)
    orders = item("w1", "Orders", "bar", figure=bar_figure(), table=wide_table(), images={"png": picture})
    path, _book = written(tmp_path, report(orders))
    parts = drawn_parts(path)["Orders"]
    assert [part.split("/")[1] for part in parts] == ["charts", "media"]
    assert zipfile.ZipFile(path).read(parts[1]) == picture
    drawing = zipfile.ZipFile(path).read("xl/drawings/drawing1.xml").decode()
    anchors = {}  # "pic" or "graphicFrame": ((from col, offset), (to col, offset)), offsets in EMU
    for anchor in re.findall(r"<xdr:twoCellAnchor>.*?</xdr:twoCellAnchor>", drawing):
        corners = re.findall(r"<xdr:col>(\d+)</xdr:col><xdr:colOff>(\d+)</xdr:colOff>", anchor)
        anchors[re.search(r"<xdr:(pic|graphicFrame)", anchor)[1]] = [tuple(map(int, c)) for c in corners]
    assert anchors["pic"][0] > anchors["graphicFrame"][1]  # the picture starts right of the chart
    assert f'<a:ext cx="{excel.CHART_WIDTH * 9525}"' in drawing  # scaled to the chart's width


def test_strings_that_look_like_formulas_stay_plain_text(tmp_path):
    table = Table((Column("text", "=Label"), Column("value", "Value", "number")),
                  [(text, n) for n, text in enumerate(INJECTED)])
    items = [item("w1", "=1+1", "bar", figure=bar_figure(), table=table, filters=tuple(INJECTED)),
             item("w2", '=HYPERLINK("http://x","y")', "text", text="\n".join(INJECTED))]
    path, book = written(tmp_path, report(*items, title="=1+1", filters=tuple(INJECTED)))
    sheet = book.worksheets[1]
    cells = [sheet.cell(row, 1) for row in range(5, 5 + len(INJECTED))]
    assert [cell.value for cell in cells] == INJECTED
    assert {cell.data_type for cell in cells} == {"s"}
    assert sheet["A4"].value == "=Label" and sheet["A1"].value == "=1+1"
    text = book.worksheets[2]
    assert [text.cell(row, 1).value for row in range(4, 4 + len(INJECTED))] == INJECTED
    archive = zipfile.ZipFile(path)
    for name in archive.namelist():
        if name.startswith("xl/worksheets/sheet"):
            assert "<f>" not in archive.read(name).decode(), name  # no formula anywhere
    assert "HYPERLINK" not in chart_xml(path, book.sheetnames[1])[0]  # titles are cell references


def test_the_summary_colours_kpi_changes_by_whether_they_are_good(tmp_path):
    items = [item("k1", "Revenue", "kpi", kpi=Kpi("Revenue", 120.0, 100.0, "currency", "GBP")),
             item("k2", "Refunds", "kpi", kpi=Kpi("Refunds", 90.0, 100.0, "integer", higher_is_better=False)),
             item("k3", "New", "kpi", kpi=Kpi("New", 5.0, None))]
    _path, book = written(tmp_path, report(*items))
    sheet = book["Summary"]
    rows = list(sheet.iter_rows(min_row=1, max_col=5))
    start = next(n for n, row in enumerate(rows) if row[0].value == "KPI")
    assert [cell.value for cell in rows[start]] == ["KPI", "Value", "Previous period", "Change",
                                                    "Better when"]
    revenue, refunds, new = rows[start + 1:start + 4]
    assert [row[0].value for row in (revenue, refunds, new)] == ["Revenue", "Refunds", "New"]
    assert [row[4].value for row in (revenue, refunds, new)] == ["higher", "lower", "higher"]
    assert revenue[1].value == 120 and revenue[1].number_format == '"£"#,##0.00'
    assert revenue[3].value == pytest.approx(0.2) and refunds[3].value == pytest.approx(-0.1)
    assert new[3].value is None
    fills = {}
    for cf in sheet.conditional_formatting:
        for rule in cf.rules:
            fills[(str(cf.sqref), rule.operator)] = rule.dxf.fill.bgColor.rgb[-6:]
    green, red = "DCFCE7", "FEE2E2"
    assert fills[(revenue[3].coordinate, "greaterThan")] == green
    assert fills[(revenue[3].coordinate, "lessThan")] == red
    assert fills[(refunds[3].coordinate, "lessThan")] == green  # fewer refunds is good
    assert fills[(refunds[3].coordinate, "greaterThan")] == red
    assert sheet["A1"].value == "Sales pulse" and sheet["A2"].value == "Detailed report"
    labels = {row[0].value: row[1].value for row in sheet.iter_rows(min_row=4, max_row=8, max_col=2)}
    assert labels["Generated by"] == "Ada Admin" and labels["Source"] == "Dashboard 12, version 7"
    assert labels["Generated at"] == dt.datetime(2026, 11, 21, 14, 5)
    assert labels["Filters in force"] == "Region is EMEA"


def test_errors_and_text_widgets_are_printed_in_place(tmp_path):
    items = [item("w1", "Broken", "line", error="The dataset is gone."),
             item("w2", "Notes", "text", text="# Heading\nSecond line")]
    _path, book = written(tmp_path, report(*items))
    assert book["Broken"]["A4"].value == "This widget could not be drawn: The dataset is gone."
    assert [book["Notes"].cell(row, 1).value for row in (4, 5)] == ["# Heading", "Second line"]


def test_the_audit_sheet_fingerprints_every_table(tmp_path):
    line, table = long_table(), wide_table()
    items = [item("w1", "Revenue by day", "line", figure=line_figure(), table=line,
                  filters=("Category is Bikes", "Region is EMEA"), time_range="Last 30 days",
                  data_version=42),
             item("w2", "Orders", "table", table=table), item("w3", "Broken", "bar", error="boom")]
    _path, book = written(tmp_path, report(*items, template="audit"))
    assert book.sheetnames == ["Summary", "Revenue by day", "Orders", "Broken", "Audit"]
    sheet = book["Audit"]
    header = [cell.value for cell in sheet[4]]
    rows = {row[1]: dict(zip(header, row, strict=True))
            for row in sheet.iter_rows(min_row=5, values_only=True)}
    assert rows["Revenue by day"]["SHA-256 of the data"] == line.sha256()
    assert rows["Orders"]["SHA-256 of the data"] == table.sha256()
    assert rows["Revenue by day"]["Filters"] == "Category is Bikes; Region is EMEA"
    assert rows["Revenue by day"]["Time range"] == "Last 30 days"
    assert rows["Revenue by day"]["Data version"] == 42 and rows["Revenue by day"]["Rows"] == 12
    assert rows["Revenue by day"]["Data as of (UTC)"] == dt.datetime(2026, 11, 21, 14, 5)
    assert rows["Broken"]["Status"] == "Error: boom" and rows["Broken"]["SHA-256 of the data"] is None
    assert "Ada Admin" in sheet["A2"].value and "2026-11-21 14:05 UTC" in sheet["A2"].value


def test_the_executive_workbook_keeps_the_summary_and_the_charts_only(tmp_path):
    items = [item("k1", "Revenue", "kpi", kpi=Kpi("Revenue", 1.0, 2.0)),
             item("w1", "Trend", "line", figure=line_figure(), table=long_table()),
             item("w2", "Orders", "table", table=wide_table()), item("w3", "Notes", "text", text="hi")]
    _path, book = written(tmp_path, report(*items, template="executive"))
    assert book.sheetnames == ["Summary", "Trend"]
    assert book["Summary"]["A2"].value == "Executive summary"


def test_a_chart_export_is_one_sheet_with_table_chart_and_picture(tmp_path):
    one = item("w1", "Revenue by category", "bar", figure=bar_figure(), table=wide_table(),
               images={"png": png()})
    path, book = written(tmp_path, report(one, template="chart"))
    assert book.sheetnames == ["Revenue by category"]
    assert "Exported by Ada Admin" in book.worksheets[0]["A2"].value
    assert [part.split("/")[1] for part in drawn_parts(path)["Revenue by category"]] == ["charts", "media"]


def test_a_table_longer_than_a_sheet_continues_on_further_sheets(tmp_path, monkeypatch):
    monkeypatch.setattr(excel, "ROW_LIMIT", 100)  # 96 data rows a sheet under the title and header
    table = Table((Column("n", "N", "number", "integer"), Column("label", "Label")),
                  [(n, f"row {n}") for n in range(250)])
    path = tmp_path / "big.xlsx"
    excel.write_table_workbook("Big", table, path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Big", "Big (2)", "Big (3)"]
    assert book["Big"]["A3"].value.startswith("Rows 1 to 96 of 250")
    assert "continued on sheet 'Big (2)'" in book["Big"]["A3"].value
    assert book["Big (3)"]["A3"].value.startswith("Rows 193 to 250 of 250")
    values = [row[0] for sheet in book for row in sheet.iter_rows(min_row=5, values_only=True)]
    assert values == list(range(250))
    assert [sheet.max_row for sheet in book] == [100, 100, 62]
    assert all(sheet.freeze_panes == "A5" for sheet in book)
    assert book["Big (3)"].auto_filter.ref == "A4:B62"


def test_a_widget_too_long_for_one_sheet_has_its_picture_but_no_native_chart(tmp_path, monkeypatch):
    monkeypatch.setattr(excel, "ROW_LIMIT", 10)
    trend = item("w1", "Trend", "line", figure=line_figure(), table=long_table(), images={"png": png()})
    path, book = written(tmp_path, report(trend))
    assert book.sheetnames == ["Summary", "Trend", "Trend (2)"]
    assert "no native chart" in book["Trend"]["A3"].value
    assert [part.split("/")[1] for part in drawn_parts(path)["Trend"]] == ["media"]


def test_big_tables_stream_typed_cells_in_constant_memory(tmp_path):
    table = Table((Column("at", "At", "datetime"), Column("text", "Text"), Column("flag", "Flag")),
                  [(dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=2))), "=1+1", True)])
    target = io.BytesIO()
    excel.write_table_workbook("Raw", table, target)
    sheet_xml = zipfile.ZipFile(target).read("xl/worksheets/sheet1.xml").decode()
    assert 't="inlineStr"' in sheet_xml  # constant_memory writes strings in line
    assert "xl/sharedStrings.xml" not in zipfile.ZipFile(target).namelist()
    row = [cell.value for cell in openpyxl.load_workbook(target)["Raw"][5]]
    assert row == [dt.datetime(2025, 12, 31, 22, 0), "=1+1", True]  # aware times are written in UTC


def test_a_cancelled_workbook_raises_and_leaves_no_file(tmp_path):
    table = Table((Column("n", "N", "number"),), [(n,) for n in range(25_000)])
    steps = []

    def cancelled() -> bool:
        return len(steps) >= 2

    with pytest.raises(Cancelled):
        excel.write_table_workbook("Big", table, tmp_path / "big.xlsx",
                                   progress=lambda done, total, label: steps.append((done, total)),
                                   cancelled=cancelled)
    assert steps == [(0, 25_000), (10_000, 25_000)]
    assert list(tmp_path.iterdir()) == []


@given(st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(9999, 12, 31)))
def test_excel_serial_dates_match_what_xlsxwriter_writes(moment):
    target = io.BytesIO()
    workbook = xlsxwriter.Workbook(target)
    workbook.add_worksheet().write_datetime(0, 0, moment)
    workbook.close()
    sheet_xml = zipfile.ZipFile(target).read("xl/worksheets/sheet1.xml").decode()
    serial = float(re.search(r"<v>([^<]+)</v>", sheet_xml)[1])
    assert excel.excel_serial(moment) == pytest.approx(serial, abs=1e-9)
    assert excel.excel_serial(moment.date()) == int(excel.excel_serial(moment))


def test_the_chart_draws_the_figures_measures_in_the_figures_colours(tmp_path):
    table = Table((Column("month", "Month", "date"), Column("actual", "Actual", "number", "currency"),
                   Column("forecast", "Forecast", "number", "currency"),
                   Column("variance", "Variance", "number", "percent")),
                  [(dt.date(2026, month, 1), 10.0 * month, 11.0 * month, -0.05) for month in (1, 2, 3)])
    figure = go.Figure([go.Bar(x=[1], y=[1], name="Actual", marker={"color": ["#111111"]}),
                        go.Scatter(x=[1], y=[1], name="Forecast", line={"color": "#0D9488"})])
    path, _book = written(tmp_path, report(item("forecast", "Forecast", "bar", figure=figure, table=table)))
    [xml] = chart_xml(path, "Forecast")
    assert xml.count("<c:ser>") == 2 and "$D$" not in xml  # the variance column is not on the chart
    assert '<a:srgbClr val="0D9488"/>' in xml
    assert '<c:dateAx>' in xml and 'formatCode="&quot;$&quot;#,##0.00"' in xml


def test_a_dashboard_workbook_reports_progress_and_can_be_cancelled_between_widgets(tmp_path):
    items = [item(f"w{n}", f"Widget {n}", "table", table=wide_table()) for n in range(3)]
    steps = []
    excel.write_workbook(report(*items), tmp_path / "book.xlsx",
                         progress=lambda done, total, label: steps.append((done, total, label)))
    assert steps == [(0, 3, "Writing Widget 0"), (1, 3, "Writing Widget 1"), (2, 3, "Writing Widget 2"),
                     (3, 3, "Saving the workbook")]
    with pytest.raises(Cancelled):
        excel.write_workbook(report(*items), tmp_path / "cancelled.xlsx", cancelled=lambda: True)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["book.xlsx"]
