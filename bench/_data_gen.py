"""Generated order lines for `bench/data.py`: 12 mixed columns, deterministic by seed and row.

Rows are made in blocks of `BLOCK_ROWS`, each from its own generator seeded with (seed, block),
so the first 250,000 rows of a 1M-row file are the 250k file, and the 5M PostgreSQL table holds
the same rows as the files where they overlap. The same arrays feed the CSV writer (as text, the
way a spreadsheet exports them) and PostgreSQL's COPY (typed, through `data.bulk`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

BLOCK_ROWS = 250_000
FIRST_DAY = np.datetime64("2023-01-01T00:00:00", "s")
DAYS = 1096  # 2023-01-01 to 2025-12-31: 36 months
START = "2023-01-01"
MONTHS = 36
REGIONS = np.array(["EMEA", "Americas", "APAC", "LATAM"])
COUNTRIES = np.array(["France", "Germany", "United Kingdom", "Spain", "Italy", "Poland", "United States",
                      "Canada", "Mexico", "Brazil", "Chile", "Japan", "India", "Australia", "Singapore",
                      "South Korea", "Côte d'Ivoire", "Nigeria", "Sweden", "Netherlands"])
CHANNELS = np.array(["Web", "Store", "Partner"])
_NOUNS = ["Bike", "Helmet", "Lamp", "Lock", "Pump", "Bottle", "Saddle", "Tyre", "Chain", "Glove"]
_QUALIFIERS = ["", " Pro", " Lite", ', "Trail" edition', ", large", ", small", " XL", " Kids"]
PRODUCTS = np.array([f"{noun}{qualifier} {number}" for number in range(125) for noun in _NOUNS
                     for qualifier in _QUALIFIERS])  # 10,000 names, some with commas and quotes
CUSTOMERS = 200_000
MISSING_SHIP_DATE = 0.03  # orders not shipped yet: empty cells

COLUMNS = ("order_id", "ordered_at", "ship_date", "region", "country", "channel", "customer", "product",
           "quantity", "unit_price", "revenue", "returned")
KINDS = {"order_id": "integer", "ordered_at": "datetime", "ship_date": "date", "region": "text",
         "country": "text", "channel": "text", "customer": "text", "product": "text", "quantity": "integer",
         "unit_price": "decimal", "revenue": "decimal", "returned": "boolean"}


def block(seed: int, index: int, count: int) -> dict[str, np.ndarray]:
    """Rows index * BLOCK_ROWS onwards (`count` of them) as typed arrays; NaT where missing."""
    rng = np.random.default_rng([seed, index])
    first_id = index * BLOCK_ROWS + 1
    ordered_at = FIRST_DAY + rng.integers(0, DAYS * 86_400, count).astype("timedelta64[s]")
    ship_date = (ordered_at.astype("datetime64[D]") + rng.integers(0, 8, count)).astype("datetime64[D]")
    ship_date[rng.random(count) < MISSING_SHIP_DATE] = np.datetime64("NaT")
    quantity = rng.integers(1, 13, count)
    unit_price = np.round(rng.lognormal(3.2, 0.9, count) + 0.5, 2)
    discount = rng.choice([0.0, 0.0, 0.0, 0.05, 0.1, 0.2], count)
    return {
        "order_id": np.arange(first_id, first_id + count, dtype=np.int64),
        "ordered_at": ordered_at,
        "ship_date": ship_date,
        "region": rng.choice(REGIONS, count, p=[0.4, 0.3, 0.2, 0.1]),
        "country": rng.choice(COUNTRIES, count),
        "channel": rng.choice(CHANNELS, count),
        "customer": np.char.add("C", rng.integers(1, CUSTOMERS + 1, count).astype(str)).astype(object),
        "product": PRODUCTS[np.minimum(rng.zipf(1.3, count), len(PRODUCTS)) - 1],
        "quantity": quantity,
        "unit_price": unit_price,
        "revenue": np.round(quantity * unit_price * (1 - discount), 2),
        "returned": rng.random(count) < 0.04,
    }


def blocks(rows: int, seed: int) -> Iterator[dict[str, np.ndarray]]:
    """The first `rows` rows, a block at a time."""
    for index, start in enumerate(range(0, rows, BLOCK_ROWS)):
        yield block(seed, index, min(BLOCK_ROWS, rows - start))


def as_text(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """A block as the cells of a CSV export: ISO dates, empty cells, true/false."""
    ship = columns["ship_date"]
    ship_text = np.where(np.isnat(ship), "", np.datetime_as_string(ship, unit="D"))
    ordered_text = np.char.replace(np.datetime_as_string(columns["ordered_at"], unit="s"), "T", " ")
    return pd.DataFrame({**columns, "ordered_at": ordered_text, "ship_date": ship_text,
                         "returned": np.where(columns["returned"], "true", "false")})


def write_csv(path: Path, rows: int, seed: int) -> None:
    """Write the first `rows` rows with a header to `path` (UTF-8, comma, quoted where needed)."""
    with path.open("w", encoding="utf-8", newline="") as file:
        for number, columns in enumerate(blocks(rows, seed)):
            as_text(columns).to_csv(file, header=number == 0, index=False, lineterminator="\n")


def load_table(connection: sa.Connection, table: sa.Table, rows: int, seed: int) -> None:
    """COPY the first `rows` rows into `table` (PostgreSQL), through the project's bulk loader."""
    from data.bulk import bulk_insert

    names = {column.name for column in table.columns}
    assert names == set(COLUMNS), f"the table's columns are not the generator's: {sorted(names)}"
    for columns in blocks(rows, seed):
        bulk_insert(connection, table, columns)
