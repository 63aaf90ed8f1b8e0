"""How numbers read on cards, axes and tooltips: one place, so every view agrees."""

from __future__ import annotations

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
# d3-format strings for plotly axes and hover labels, by measure format.
D3_FORMATS = {"currency": "$,.2s", "percent": ".1%", "integer": ",d", "decimal": ",.2f"}
EMPTY = "—"


def format_value(value: float | None, kind: str, currency: str = "USD") -> str:
    """A measure value as people read it: $7.21M, 45.7%, 23,214; an em dash when missing."""
    if value is None:
        return EMPTY
    if kind == "percent":
        return f"{value * 100:.1f}%"
    if kind == "integer":
        return f"{round(value):,}"
    if kind == "currency":
        symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} ")
        sign, size = ("−" if value < 0 else ""), abs(value)
        for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
            if size >= threshold:
                return f"{sign}{symbol}{size / threshold:.2f}{suffix}"
        return f"{sign}{symbol}{size:,.2f}"
    return f"{value:,.2f}"


def format_change(change: float | None) -> str:
    """A relative change with its direction: ▲ 10.9%, ▼ 1.5%, or a dash when undefined."""
    if change is None:
        return EMPTY
    arrow = "▲" if change > 0 else "▼" if change < 0 else "■"
    return f"{arrow} {abs(change) * 100:.1f}%"
