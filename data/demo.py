"""A deterministic, vectorised generator for the demo business (customers, products, orders).

`generate(rows, end, seed)` returns column arrays for every table; the same arguments always
give the same business. Order volume follows a growth trend, yearly seasonality, weekday and
hour-of-day effects and promotions; some lines are returned weeks later.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from data import demo_catalogue as cat

DAY = np.timedelta64(1, "D")


@dataclasses.dataclass(frozen=True)
class DemoBusiness:
    """Column arrays per table, ready for `bulk_insert`."""

    customers: dict[str, np.ndarray]
    products: dict[str, np.ndarray]
    orders: dict[str, np.ndarray]
    order_lines: dict[str, np.ndarray]
    forecast: dict[str, np.ndarray]

    @property
    def line_count(self) -> int:
        return len(self.order_lines["id"])


def promotion_calendar(days: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return the promotion name running on each day ('' for none)."""
    dates = days.astype("datetime64[D]").astype(object)
    names = np.full(len(days), "", dtype=object)
    for i, day in enumerate(dates):
        # Black Friday follows US Thanksgiving (the fourth Thursday, 22nd-28th), so it is the 23rd-29th.
        if day.month == 11 and day.weekday() == 4 and 23 <= day.day <= 29:
            names[i:i + 4] = "Black Friday"  # Friday through Cyber Monday
        elif day.month == 4 and day.day <= 7 and not names[i]:
            names[i] = "Spring Sale"
        elif day.month == 7 and 10 <= day.day <= 20 and not names[i]:
            names[i] = "Summer Sale"
    quiet = np.flatnonzero(names == "")
    flash = rng.choice(quiet, size=max(1, len(days) * 6 // 365), replace=False)
    names[flash] = "Flash Sale"
    return names


def _day_intensity(days: np.ndarray, promotions: np.ndarray) -> np.ndarray:
    years = (days - days[0]) / np.timedelta64(365, "D")
    months = days.astype("datetime64[M]").astype(int) % 12
    weekdays = (days.astype("datetime64[D]").astype(int) + 3) % 7  # 1970-01-01 was a Thursday
    lift = np.array([cat.PROMOTIONS[name][0] if name else 1.0 for name in promotions])
    return ((1 + cat.YEARLY_GROWTH) ** years * np.take(cat.MONTH_FACTOR, months)
            * np.take(cat.WEEKDAY_FACTOR, weekdays) * lift)


def _products(rng: np.random.Generator) -> dict[str, np.ndarray]:
    rows = []
    for category, (_, _, _, _, subs) in cat.CATALOGUE.items():
        for sub, (low, high, cost_ratio) in subs.items():
            prices = np.round(np.geomspace(low, high, cat.PRODUCTS_PER_SUB_CATEGORY), 0) - 0.01
            models = rng.choice(cat.PRODUCT_MODELS, size=len(prices), replace=False)
            for rank, (model, price) in enumerate(zip(models, prices, strict=True)):
                name = f"{model} {sub.rstrip('s')} {100 * (rank + 1) + 50 * (rank % 2)}"
                cost = round(price * cost_ratio * rng.uniform(0.93, 1.07), 2)
                rows.append((name, category, sub, float(price), cost))
    names, categories, subs, prices, costs = (np.array(c) for c in zip(*rows, strict=True))
    return {"id": np.arange(1, len(rows) + 1), "name": names, "category": categories,
            "sub_category": subs, "unit_price": prices.astype(float), "unit_cost": costs.astype(float)}


def _customers(rng: np.random.Generator, count: int, start: np.datetime64,
               end: np.datetime64) -> dict[str, np.ndarray]:
    segment_names = list(cat.SEGMENTS)
    segments = rng.choice(segment_names, size=count, p=[cat.SEGMENTS[s][0] for s in segment_names])
    regions = rng.choice(list(cat.REGION_SHARE), size=count, p=list(cat.REGION_SHARE.values()))
    countries = np.empty(count, dtype=object)
    for region, options in cat.GEOGRAPHY.items():
        mask = regions == region
        names, shares = zip(*options, strict=True)
        countries[mask] = rng.choice(names, size=mask.sum(), p=np.array(shares) / sum(shares))
    first = rng.choice(cat.FIRST_NAMES, size=count)
    last = rng.choice(cat.LAST_NAMES, size=count)
    words = rng.choice(cat.COMPANY_WORDS, size=count)
    names = np.char.add(np.char.add(first.astype(str), " "), last.astype(str)).astype(object)
    for segment, suffixes in cat.COMPANY_SUFFIXES.items():
        mask = segments == segment
        names[mask] = [f"{w} {s}" for w, s in zip(words[mask], rng.choice(suffixes, mask.sum()), strict=True)]
    ids = np.arange(1, count + 1)
    names = np.array([f"{name} #{i}" for name, i in zip(names, ids, strict=True)], dtype=object)
    # A third were customers before the window opens; the rest sign up as the business grows.
    span = (end - start) / DAY
    offsets = np.where(rng.random(count) < 0.33, -rng.uniform(1, 720, count),
                       span * np.sqrt(rng.random(count)))
    signup = np.sort(start + (offsets * 86400).astype("timedelta64[s]")).astype("datetime64[D]")
    return {"id": ids, "name": names, "segment": segments, "region": regions,
            "country": countries, "signup_date": signup}


def generate(rows: int = 200_000, end: dt.datetime | None = None, seed: int = 42,
             months: int = 24) -> DemoBusiness:
    """Return the demo business with exactly `rows` order lines ending at `end` (naive UTC).

    Raises `ValueError` when `rows` is below 100.
    """
    if rows < 100:
        raise ValueError("the demo business needs at least 100 order lines")
    rng = np.random.default_rng(seed)
    end64 = np.datetime64(end or dt.datetime.now(dt.UTC).replace(tzinfo=None), "s")
    today = end64.astype("datetime64[D]")
    start = today - np.timedelta64(months * 365 // 12, "D")
    days = np.arange(start, today + DAY, DAY)
    promotions = promotion_calendar(days, rng)
    intensity = _day_intensity(days, promotions)
    elapsed_today = (end64 - today.astype("datetime64[s]")) / np.timedelta64(86400, "s")
    intensity[-1] *= elapsed_today

    products = _products(rng)
    customers = _customers(rng, max(300, rows // 60), start.astype("datetime64[s]"), end64)

    # Draw more orders than needed, then drop random sale lines to hit `rows` exactly.
    mean_lines = 1.6 + 0.7 * sum(s[0] * s[1] for s in cat.SEGMENTS.values())
    n_orders = int(rows * 1.15 / (mean_lines * 1.05)) + 20
    order_day = rng.choice(len(days), size=n_orders, p=intensity / intensity.sum())
    hours = rng.choice(24, size=n_orders, p=np.array(cat.HOUR_FACTOR) / sum(cat.HOUR_FACTOR))
    seconds = hours * 3600 + rng.integers(0, 3600, n_orders)
    order_ts = days[order_day].astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    late = order_ts > end64
    order_ts[late] = today.astype("datetime64[s]") + (
        rng.random(late.sum()) * max(elapsed_today, 1e-6) * 86400).astype("timedelta64[s]")
    order_rank = np.argsort(order_ts, kind="stable")
    order_ts, order_day = order_ts[order_rank], order_day[order_rank]
    order_promo = promotions[order_day]

    # Customers who have signed up by the order date, the big spenders more often.
    weight_cum = np.cumsum(rng.lognormal(0.0, 1.1, len(customers["id"])))
    signed_up = np.searchsorted(customers["signup_date"], order_ts.astype("datetime64[D]"), "right")
    signed_up = np.maximum(signed_up, 1)
    order_customer = np.searchsorted(weight_cum, rng.random(n_orders) * weight_cum[signed_up - 1])
    segment = customers["segment"][order_customer]
    extra_lines = np.select([segment == s for s in cat.SEGMENTS], [v[1] for v in cat.SEGMENTS.values()])
    lines_per_order = np.minimum(1 + rng.poisson(0.7 * extra_lines + 0.6), 9)

    line_order = np.repeat(np.arange(n_orders), lines_per_order)
    n_lines = len(line_order)
    line_ts = order_ts[line_order]
    line_month = line_ts.astype("datetime64[M]").astype(int) % 12
    category_names = list(cat.CATALOGUE)
    share = np.array([cat.CATALOGUE[c][0] for c in category_names])
    peak = np.array([cat.CATALOGUE[c][1] for c in category_names]) - 1
    amplitude = np.array([cat.CATALOGUE[c][2] for c in category_names])
    month_mix = share * (1 + amplitude * np.cos(2 * np.pi * (np.arange(12)[:, None] - peak) / 12))
    month_mix /= month_mix.sum(axis=1, keepdims=True)
    line_category = (rng.random(n_lines)[:, None] > np.cumsum(month_mix[line_month], axis=1)).sum(1)
    line_category = np.minimum(line_category, len(category_names) - 1)
    line_product = np.empty(n_lines, dtype=np.int64)
    for index, category in enumerate(category_names):
        mask = line_category == index
        candidates = np.flatnonzero(products["category"] == category)
        popularity = rng.lognormal(0.0, 0.8, len(candidates)) / np.sqrt(products["unit_price"][candidates])
        line_product[mask] = rng.choice(candidates, size=mask.sum(), p=popularity / popularity.sum())

    line_segment = segment[line_order]
    extra_units = np.select([line_segment == s for s in cat.SEGMENTS], [v[2] for v in cat.SEGMENTS.values()])
    is_bike = products["category"][line_product] == "Bikes"
    quantity = 1 + rng.poisson(np.where(is_bike, extra_units * 0.3, extra_units))
    years = (line_ts - start.astype("datetime64[s]")) / np.timedelta64(365 * 86400, "s")
    inflation = (1 + cat.PRICE_INFLATION) ** years
    unit_price = np.round(products["unit_price"][line_product] * inflation, 2)
    unit_cost = products["unit_cost"][line_product] * inflation
    promo_discount = np.array([cat.PROMOTIONS[p][1] if p else 0.0 for p in order_promo])[line_order]
    segment_discount = np.select([line_segment == s for s in cat.SEGMENTS],
                                 [v[3] for v in cat.SEGMENTS.values()])
    discount = np.round(np.maximum(promo_discount, segment_discount), 2)
    revenue = np.round(quantity * unit_price * (1 - discount), 2)
    cost = np.round(quantity * unit_cost, 2)

    # Returns: a negative line dated when the goods come back, if that is before `end`.
    return_rate = np.array([cat.CATALOGUE[c][3] for c in category_names])[line_category]
    return_ts = line_ts + (rng.uniform(3, 40, n_lines) * 86400).astype("timedelta64[s]")
    returned = (rng.random(n_lines) < return_rate) & (return_ts <= end64)

    # Trim to exactly `rows` lines by dropping random sale lines that have no return.
    excess = n_lines + returned.sum() - rows
    keep = np.ones(n_lines, dtype=bool)
    if excess > 0:
        droppable = np.flatnonzero(~returned)
        keep[rng.choice(droppable, size=min(excess, len(droppable)), replace=False)] = False
    sale = np.flatnonzero(keep)
    back = np.flatnonzero(keep & returned)
    source = np.concatenate([sale, back])
    sign = np.concatenate([np.ones(len(sale)), -np.ones(len(back))])
    when = np.concatenate([line_ts[sale], return_ts[back]])
    ordering = np.argsort(when, kind="stable")
    source, sign, when = source[ordering], sign[ordering], when[ordering]

    used_orders, order_index = np.unique(line_order[source], return_inverse=True)
    order_ids = np.arange(1, len(used_orders) + 1)
    channel_names, channel_share = zip(*cat.CHANNELS, strict=True)
    orders = {
        "id": order_ids,
        "order_date": order_ts[used_orders],
        "customer_id": customers["id"][order_customer[used_orders]],
        "channel": rng.choice(channel_names, size=len(used_orders), p=channel_share),
        "promotion": np.where(order_promo[used_orders] == "", None, order_promo[used_orders]),
    }
    product_index = line_product[source]
    customer_index = order_customer[line_order[source]]
    line_revenue = revenue[source] * sign
    line_cost = cost[source] * sign
    order_lines = {
        "id": np.arange(1, len(source) + 1),
        "order_id": order_ids[order_index],
        "order_date": when,
        "customer_id": customers["id"][customer_index],
        "product_id": products["id"][product_index],
        "region": customers["region"][customer_index],
        "country": customers["country"][customer_index],
        "segment": customers["segment"][customer_index],
        "category": products["category"][product_index],
        "sub_category": products["sub_category"][product_index],
        "product": products["name"][product_index],
        "customer": customers["name"][customer_index],
        "quantity": (quantity[source] * sign).astype(np.int64),
        "unit_price": unit_price[source],
        "discount": discount[source],
        "revenue": line_revenue,
        "cost": line_cost,
        "gross_profit": np.round(line_revenue - line_cost, 2),
        "is_return": sign < 0,
    }
    forecast = forecast_table(order_lines, end64, rng)
    return DemoBusiness(customers, products, orders, order_lines, forecast)


def forecast_table(lines: dict[str, np.ndarray], end: np.datetime64,
                   rng: np.random.Generator, horizon_months: int = 3) -> dict[str, np.ndarray]:
    """Monthly forecast per region × category: actual months with planning error, plus a horizon."""
    months = lines["order_date"].astype("datetime64[M]")
    regions, categories = list(cat.REGION_SHARE), list(cat.CATALOGUE)
    first, current = months.min(), end.astype("datetime64[M]")
    all_months = np.arange(first, current + horizon_months + 1)
    key = (months - first).astype(int) * 10_000 + np.searchsorted(
        np.array(sorted(regions)), lines["region"]) * 100 + np.searchsorted(
        np.array(sorted(categories)), lines["category"])
    actual = np.bincount(key, weights=lines["revenue"], minlength=len(all_months) * 10_000)
    month_col, region_col, category_col, forecast_col, actual_col = [], [], [], [], []
    day_fraction = ((end - current.astype("datetime64[s]")) / np.timedelta64(1, "D") + 1e-9) / 30.4
    for m, month in enumerate(all_months):
        for r, region in enumerate(sorted(regions)):
            for c, category in enumerate(sorted(categories)):
                value = actual[m * 10_000 + r * 100 + c] if month <= current else 0.0
                if month < current:
                    expected = value
                elif month == current:
                    expected = value / min(max(day_fraction, 0.05), 1.0)
                else:
                    year_ago = m - 12
                    expected = (actual[year_ago * 10_000 + r * 100 + c] * (1 + cat.YEARLY_GROWTH)
                                if year_ago >= 0 else None)
                # Planners miss by ~8 % usually, and by a lot now and then.
                error = rng.normal(0, 0.3 if rng.random() < 0.1 else 0.08)
                month_col.append(month.astype("datetime64[D]"))
                region_col.append(region)
                category_col.append(category)
                planned = None if expected is None else round(float(expected) * float(np.exp(error)), 2)
                forecast_col.append(planned)
                actual_col.append(round(float(value), 2))
    return {"id": np.arange(1, len(month_col) + 1), "month": np.array(month_col, dtype="datetime64[D]"),
            "region": np.array(region_col), "category": np.array(category_col),
            "forecast_revenue": np.array(forecast_col, dtype=object), "actual_revenue": np.array(actual_col)}
