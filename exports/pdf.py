"""The PDF report (fpdf2): `write_pdf(report, target)` for the four templates.

- executive: a cover, then one page with the KPI table and the key charts in a grid;
- detailed: a cover, a clickable table of contents, then every widget with its chart and table;
- audit: the detailed report plus, for each widget, its exact filters, time range, when its data
  was read, the data version, the row count and a SHA-256 of its data table;
- chart: the one-click export of a single chart, on one page.

Every page but the cover carries the dashboard title; every page says "Page n of N" and when
the report was generated. Text is set in the shipped DejaVu Sans, so it can be selected and
searched, and characters the font lacks (CJK, most emoji) print as U+FFFD instead of vanishing.
Charts are vector SVG where fpdf2 draws them faithfully and PNG otherwise (`exports.pdf_charts`);
tables print at most `ROW_LIMIT` rows (`exports.pdf_tables`).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from fpdf import FPDF

from exports import files, pdf_pages, pdf_summary
from exports.document import TEMPLATES, Report
from exports.pdf_charts import MAX_VECTOR_MARKERS, PNG_SCALE, VECTOR_KINDS, image_format
from exports.pdf_pages import Progress, stamp
from exports.pdf_tables import INK, MUTED, ROW_LIMIT, RULE, fit

__all__ = ["MAX_VECTOR_MARKERS", "PNG_SCALE", "ROW_LIMIT", "VECTOR_KINDS", "image_format", "needs_images",
           "pdf_bytes", "write_pdf"]

FONT_DIR = Path(__file__).resolve().parent.parent / "assets" / "fonts"
TEMPLATE_LABELS = {**TEMPLATES, "chart": "Chart"}
_OUTSIDE_ASCII = re.compile(r"[^\x00-\x7f]")
TEMPLATE_WRITERS: dict[str, Callable[[FPDF, Report, Progress], None]] = {
    "executive": pdf_summary.executive, "detailed": pdf_pages.detailed, "audit": pdf_pages.audit,
    "chart": pdf_summary.chart}


class ReportPDF(FPDF):
    """A report's pages: the dashboard title above (not on `bare_pages`), "Page n of N" and
    the time of generation below, text in DejaVu Sans."""

    def __init__(self, report: Report) -> None:
        super().__init__(orientation=report.orientation, unit="mm", format=report.page_size)
        self.report = report
        self.bare_pages: set[int] = set()
        self.add_font("DejaVu", "", FONT_DIR / "DejaVuSans.ttf")
        self.add_font("DejaVu", "B", FONT_DIR / "DejaVuSans-Bold.ttf")
        if report.template == "audit":  # hashes line up in monospace; 30 ms to load, so only here
            self.add_font("DejaVuMono", "", FONT_DIR / "DejaVuSansMono.ttf")
        self.set_font("DejaVu", size=10)
        self.set_text_color(*INK)
        self.set_margins(16, 20, 16)
        self.set_auto_page_break(True, margin=18)
        self.set_title(report.title)
        if report.generated_by:
            self.set_author(report.generated_by)
        self.set_creator("Pulseboard")
        self.set_subject(TEMPLATE_LABELS.get(report.template, "Report"))
        self.set_lang("en")
        self.set_creation_date(report.generated_at.replace(tzinfo=dt.UTC))

    def normalize_text(self, text: str) -> str:
        """Text as fpdf2 wants it, with characters the current font lacks shown as U+FFFD."""
        text = super().normalize_text(text)
        if text.isascii() or not self.is_ttf_font:
            return text
        glyphs = self.current_font.cmap
        return _OUTSIDE_ASCII.sub(lambda match: match.group() if ord(match.group()) in glyphs else "\ufffd",
                                  text)

    def header(self) -> None:
        if self.page_no() in self.bare_pages:
            return
        self.set_xy(self.l_margin, 9)
        self.set_text_color(*MUTED)
        self.set_font("DejaVu", "B", 8)
        self.cell(self.epw * 0.7, 5, fit(self, self.report.title, self.epw * 0.7))
        self.set_font("DejaVu", "", 8)
        self.cell(self.epw * 0.3, 5, TEMPLATE_LABELS.get(self.report.template, ""), align="R")
        self.set_draw_color(*RULE)
        self.line(self.l_margin, 15, self.w - self.r_margin, 15)
        self.set_y(self.t_margin)

    def footer(self) -> None:
        self.set_xy(self.l_margin, -12)
        self.set_text_color(*MUTED)
        self.set_font("DejaVu", "", 7.5)
        made = f"Generated {stamp(self.report.generated_at)}"
        if self.report.generated_by:
            made += f" by {self.report.generated_by}"
        self.cell(self.epw * 0.75, 5, fit(self, f"{made} · Pulseboard", self.epw * 0.75))
        self.cell(self.epw * 0.25, 5, f"Page {self.page_no()} of {{nb}}", align="R")


def needs_images(report: Report) -> dict[str, str]:
    """Item id → the one image format ("svg" or "png") `write_pdf` will draw for it, for the
    items of `report` that get a chart in its template; the collector renders only these."""
    return {item.id: image_format(item.kind, item.figure)
            for item in pdf_pages.charted_items(report)}


def pdf_bytes(report: Report, progress: Progress | None = None) -> bytes:
    """The report as PDF bytes. `progress(done, total, title)` is called after each widget of a
    detailed or audit report, and once at the end of the others. Raises ValueError for a
    "chart" report without an item."""
    pdf = ReportPDF(report)
    TEMPLATE_WRITERS[report.template](pdf, report, progress or _quiet)
    return bytes(pdf.output())


def write_pdf(report: Report, target: str | os.PathLike | BinaryIO,
              progress: Progress | None = None) -> None:
    """Write the report to a binary file object, or to a path (through a temporary file in
    the same folder, renamed into place, so no partial file is ever seen)."""
    data = pdf_bytes(report, progress)
    files.write_to(target, lambda handle: handle.write(data))


def _quiet(_done: int, _total: int, _title: str) -> None:
    return None
