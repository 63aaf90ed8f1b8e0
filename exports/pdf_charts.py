"""Charts in PDF reports: which picture each widget kind gets, and drawing it into a box.

fpdf2 2.8 draws plotly's SVG as vector paths and real text, but not faithfully as it comes.
Compared here page by page (`pdftoppm` of the PDF against Kaleido's own PNG, every kind):

- fonts: plotly names browser fonts (system-ui, "Open Sans"), which fpdf2 maps to the built-in
  Helvetica, and a U+2212 minus on a negative tick then raises KeyError. `pdf_ready_svg` points
  every font-family at the shipped DejaVu Sans (the font Chromium drew the PNG with here).
- sizes: fpdf2 reads the unitless drawing size as pt but `font-size: 12px` as 9 pt, so text came
  out a quarter too small; lengths inside style attributes are rewritten from px to pt.
- defs: plotly nests its <clipPath>s and gradients in <g> groups inside <defs>, which fpdf2
  skips ("Ignoring unsupported SVG tag: <clipPath>"); the groups are unwrapped.
- clipping: fpdf2 ignores clip-path on <g>, so a chart with a fixed axis range (a zoom) draws
  its traces past the axes: such figures get a PNG.
- heatmap: the cells are one embedded <image> with preserveAspectRatio="none", which fpdf2
  misplaces (shifted by half a cell, and the colour bar lost): PNG.
- markers: each scatter marker is its own path; 2,000 took 0.6 s to convert where the PNG took
  80 ms, so scatter charts with more than MAX_VECTOR_MARKERS points get a PNG.

After those fixes line, area, bar, pie, scatter and KPI (indicator and sparkline) match the PNG.
"""

from __future__ import annotations

import io
import logging
import re
import struct
from collections.abc import Container
from typing import Literal

import plotly.graph_objects as go
from fpdf import FPDF

from exports.document import ExportItem
from exports.renderer import PNG_SCALE as PNG_SCALE  # re-exported for exports.pdf

log = logging.getLogger(__name__)

VECTOR_KINDS = frozenset({"line", "area", "bar", "pie", "scatter", "kpi"})
MAX_VECTOR_MARKERS = 300
FONT_FAMILY = "DejaVu"
DARK_PANEL = (15, 23, 42)

_FONT_FAMILY = re.compile(r"font-family:\s*(?:&quot;|&#39;|[^;\"])*")
_FONT_FAMILY_ATTRIBUTE = re.compile(r'font-family="[^"]*"')
_ITALIC = re.compile(r"font-style:\s*(?:italic|oblique)")
_STYLE = re.compile(r'style="([^"]*)"')
_PX = re.compile(r"(\d)px\b")
_DEFS_GROUP = re.compile(r'<g class="(?:clips|gradients)">(.*?)</g>', re.S)
_NOT_ASCII = re.compile(r"[^\x00-\x7f]")
_VIEWBOX = re.compile(rb'viewBox="[\d.\-]+[ ,]+[\d.\-]+[ ,]+([\d.]+)[ ,]+([\d.]+)"')


def image_format(kind: str, figure: go.Figure | None = None) -> Literal["svg", "png"]:
    """The one picture the PDF draws for a chart: "svg" for kinds fpdf2 draws faithfully,
    "png" for the rest. Pass the figure when there is one: a zoomed chart or a scatter with
    many markers gets "png" too (see the module docstring for why)."""
    if kind not in VECTOR_KINDS:
        return "png"
    if figure is not None and (_has_fixed_range(figure) or _markers(figure) > MAX_VECTOR_MARKERS):
        return "png"
    return "svg"


def _has_fixed_range(figure: go.Figure) -> bool:
    layout = figure.layout.to_plotly_json()
    return any(key.startswith(("xaxis", "yaxis")) and isinstance(value, dict)
               and value.get("range") is not None for key, value in layout.items())


def _markers(figure: go.Figure) -> int:
    return sum(len(trace.x) for trace in figure.data
               if trace.type == "scatter" and trace.x is not None and "markers" in (trace.mode or ""))


def pdf_ready_svg(svg: bytes, glyphs: Container[int]) -> bytes:
    """A plotly SVG rewritten so fpdf2 draws it as the browser does (see the module docstring);
    characters outside `glyphs` (the font's code points) become U+FFFD rather than vanish."""
    text = svg.decode("utf-8")
    text = _FONT_FAMILY.sub(f"font-family: {FONT_FAMILY}", text)
    text = _FONT_FAMILY_ATTRIBUTE.sub(f'font-family="{FONT_FAMILY}"', text)
    text = _ITALIC.sub("font-style: normal", text)  # no oblique face is shipped
    text = _STYLE.sub(_style_in_pt, text)
    text = _DEFS_GROUP.sub(r"\1", text)
    text = _NOT_ASCII.sub(lambda match: match.group() if ord(match.group()) in glyphs else "\ufffd", text)
    return text.encode("utf-8")


def _style_in_pt(match: re.Match) -> str:
    return 'style="' + _PX.sub(r"\1pt", match.group(1)) + '"'


def aspect(data: bytes, fmt: str) -> float:
    """Height over width of an SVG (its viewBox) or PNG (its header); 9/16 when unknown."""
    if fmt == "png" and data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
    else:
        match = _VIEWBOX.search(data[:2000])
        width, height = (float(match.group(1)), float(match.group(2))) if match else (0, 0)
    return height / width if width and height else 9 / 16


def picture(item: ExportItem) -> tuple[str, bytes] | None:
    """The format and bytes to draw for `item`: the preferred format, else whatever it has."""
    preferred = image_format(item.kind, item.figure)
    for fmt in (preferred, "png" if preferred == "svg" else "svg"):
        if item.images.get(fmt):
            return fmt, item.images[fmt]
    return None


def chart_height(item: ExportItem, width: float, limit: float) -> float:
    """How tall `item`'s chart is when drawn `width` wide, at most `limit` (mm)."""
    found = picture(item)
    return min(width * aspect(found[1], found[0]), limit) if found else 0


def draw_chart(pdf: FPDF, item: ExportItem, x: float, y: float, width: float, height: float,
               dark: bool = False) -> bool:
    """Draw `item`'s chart centred in the box, keeping its proportions; False when it has no
    picture or none could be drawn (an SVG fpdf2 rejects falls back to the PNG)."""
    found = picture(item)
    if found is None:
        return False
    attempts = [found]
    if found[0] == "svg" and item.images.get("png"):
        attempts.append(("png", item.images["png"]))
    for fmt, data in attempts:
        ratio = aspect(data, fmt)
        drawn_width = min(width, height / ratio)
        drawn_height = drawn_width * ratio
        left = x + (width - drawn_width) / 2
        try:
            source = pdf_ready_svg(data, pdf.fonts["dejavu"].cmap) if fmt == "svg" else data
            if dark:
                pdf.set_fill_color(*DARK_PANEL)
                pdf.rect(left, y, drawn_width, drawn_height, style="F")
            pdf.image(io.BytesIO(source), x=left, y=y, w=drawn_width, h=drawn_height)
            return True
        except Exception:  # a picture fpdf2 cannot read must not lose the whole report
            log.warning("could not draw the %s chart of %r", fmt, item.title, exc_info=True)
    return False
