"""Benchmark: the Overview's live refresh, per tick, against pandas and against full redraws.

For each size (100k, 1M and 5M order lines; 100k alone with --quick) a fresh migrated SQLite
file is seeded, and a fresh PostgreSQL schema too when TEST_DATABASE_URL is set. A Pulseboard
app is built on it with its clock pinned to simulated time, and the Overview's callbacks are
called exactly as Dash calls them on /_dash-update-component: through the wrapper Dash registers,
inside a request context, which returns the JSON body the browser receives. Per period
(30d, today, ytd):

- load: the `load` callback once (cold cache), which also gives the page's live state;
- ticks: `--ticks` times, the demo feed inserts one order stamped with the simulated clock
  (not timed), and the `tick` callback is timed (tick_overview, the
  conversion to card texts and `dash.Patch` objects, and Dash's JSON); p50 and p95 are reported,
  with the body's size raw and gzipped;
- idle ticks: the same with nothing new (tick_overview returns None);
- cache hit: `ResultCache.get_or_compute` on a live base the load cached;
- baseline (a): the same numbers from raw rows in pandas (bench/_naive_overview.py), checked
  against the tick's numbers, then timed after new orders;
- baseline (b): the `load` callback after each new order: every figure rebuilt and resent.

Then, per size, the heavy panels' work (forecast versus actual, top customers, top products)
is timed for 30d and ytd after a new order (so their cache misses, as in the app) and compared
with the heavy refresh interval plus Dash's background polling interval.

Prints a table, writes bench/results/live.json (live-quick.json with --quick), and prints the
headline (1M lines, SQLite, 30 days; the largest size measured with --quick) as one JSON object on
the last line. The clock moves 5 s before each new order.

    .venv/bin/python bench/live.py [--quick] [--ticks 60] [--keep DIR] [--pg-max-rows N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import diskcache  # noqa: E402
import numpy as np  # noqa: E402

# _live_app first: it sets up the environment that importing `app` (a default app) reads.
from bench._live_app import (  # noqa: E402
    END,
    TICK_STEP,
    LivePage,
    meta_of,
    postgres_database,
    sqlite_database,
    state_of,
)
from bench._naive_overview import naive_overview  # noqa: E402
from callbacks import overview as overview_callbacks  # noqa: E402
from components.overview import HEAVY_REFRESH_MS  # noqa: E402
from data.overview_filters import OverviewFilters, filters_to_json  # noqa: E402
from data.overview_panels import forecast_vs_actual, top_n  # noqa: E402
from data.periods import resolve_period  # noqa: E402

SIZES = (100_000, 1_000_000, 5_000_000)
PERIODS = ("30d", "today", "ytd")
HEAVY_PERIODS = ("30d", "ytd")
HEADLINE = {"rows": 1_000_000, "engine": "sqlite", "period": "30d"}
BASELINE_BUDGET_S = 60.0  # a slow baseline stops repeating after this long (with >= 3 runs)
DASH_POLL_MS = 1_000  # dash.callback(background=True, interval=1000): how often the page polls a job
RESULTS = ROOT / "bench" / "results" / "live.json"


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def percentiles(samples: list[float]) -> dict:
    """p50, p95, min, max and count of some timings (seconds in, milliseconds out)."""
    return {"p50_ms": ms(float(np.percentile(samples, 50))), "p95_ms": ms(float(np.percentile(samples, 95))),
            "min_ms": ms(min(samples)), "max_ms": ms(max(samples)), "n": len(samples)}


def body_size(body: str) -> dict:
    """Bytes of a response body as sent, and gzipped (if the app or a proxy compressed)."""
    raw = body.encode()
    return {"raw": len(raw), "gzip": len(gzip.compress(raw, 6))}


def bytes_by_output(body: str) -> dict[str, int]:
    """How many bytes each component's part of a Dash response takes."""
    response = json.loads(body)["response"]
    return {f"{key}.{prop}": len(json.dumps({prop: value}, separators=(",", ":")).encode())
            for key, props in response.items() for prop, value in props.items()}


@contextmanager
def timing(module, name: str) -> Iterator[list]:
    """Replace `module.name` with a wrapper that records (seconds, result) of each call."""
    original, calls = getattr(module, name), []

    def timed(*args, **kwargs):
        started = time.perf_counter()
        result = original(*args, **kwargs)
        calls.append((time.perf_counter() - started, result))
        return result

    setattr(module, name, timed)
    try:
        yield calls
    finally:
        setattr(module, name, original)


def same_numbers(naive: dict, tick: dict) -> bool:
    """Whether pandas' current-period KPIs equal the tick's (floats to 1e-9 relative)."""
    expected = {card["name"]: card["value"] for card in tick["kpis"]}
    for name, value in naive["kpis"]["current"].items():
        if value is None or expected[name] is None:
            if value != expected[name]:
                return False
        elif abs(value - expected[name]) > 1e-9 * max(1.0, abs(value)):
            return False
    return True


def cache_hit_seconds(page: LivePage, repeat: int = 200) -> float:
    """Median time of `get_or_compute` on a live base already cached (its compute would raise)."""
    with diskcache.Cache(str(page.instance / "query-cache")) as shared:  # the same directory, read-only use
        key = next(key for key in shared.iterkeys() if str(key).startswith("live-base:"))

    def missing():
        raise AssertionError(f"cache miss on {key}")

    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        page.cache.get_or_compute(key, missing)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def repeat_within_budget(action, most: int, least: int = 3) -> list[float]:
    """Time `action` up to `most` times, stopping early (after `least`) past the time budget."""
    runs, started = [], time.perf_counter()
    while len(runs) < most and (len(runs) < least or time.perf_counter() - started < BASELINE_BUDGET_S):
        runs.append(action())
    return runs


def measure_period(page: LivePage, period: str, ticks: int, baseline_ticks: int) -> dict:
    """Load, ticks, idle ticks, cache hit and both baselines for one period."""
    filters = filters_to_json(OverviewFilters(period=period))
    load_seconds, body = page.load(filters)
    state, meta, load_size = state_of(body), meta_of(body), body_size(body)

    tick_times, data_times, sizes, reloads = [], [], [], 0
    with timing(overview_callbacks, "tick_overview") as data_calls:
        for number in range(ticks):
            page.new_order()
            seconds, body = page.tick(number, filters, state, meta)
            data_seconds, update = data_calls[-1]
            if update is None or update.get("reload"):  # the page would redraw: do it, untimed
                reloads += 1
                reloaded = page.load(filters)[1]
                state, meta = state_of(reloaded), meta_of(reloaded)
                continue
            tick_times.append(seconds)
            data_times.append(data_seconds)
            sizes.append(body_size(body))
            state = state_of(body)
        last_body, last_update = body, update
        idle = [page.tick(ticks + n, filters, state, meta)[0] for n in range(20)]
        idle_size = body_size(page.tick(ticks + 20, filters, state, meta)[1])
        idle_was_idle = all(result is None for _, result in data_calls[-21:])

    resolved = resolve_period(period, page.now)
    naive = naive_overview(page.engine, resolved, page.now)  # no order since the last tick
    matches = last_update is not None and not last_update.get("reload") and same_numbers(naive, last_update)

    def naive_tick() -> float:
        page.new_order()
        started = time.perf_counter()
        naive_overview(page.engine, resolve_period(period, page.now), page.now)
        return time.perf_counter() - started

    naive_times = repeat_within_budget(naive_tick, baseline_ticks)

    full_sizes = []

    def full_tick() -> float:
        page.new_order()
        seconds, full_body = page.load(filters)
        full_sizes.append(body_size(full_body))
        return seconds

    full_times = repeat_within_budget(full_tick, max(baseline_ticks, 10))
    tick_p50 = float(np.percentile(tick_times, 50))
    raw_bytes = statistics.median(size["raw"] for size in sizes)
    full_raw = statistics.median(size["raw"] for size in full_sizes)
    return {
        "period": period, "load_ms": ms(load_seconds), "load_bytes": load_size,
        "tick": percentiles(tick_times), "tick_data": percentiles(data_times), "reloads": reloads,
        "bytes_per_tick": {"raw_p50": raw_bytes, "raw_max": max(s["raw"] for s in sizes),
                           "gzip_p50": statistics.median(s["gzip"] for s in sizes)},
        "last_tick_bytes_by_output": bytes_by_output(last_body),
        "idle_tick": {**percentiles(idle), "bytes": idle_size, "returned_none": idle_was_idle},
        "cache_hit_ms": ms(cache_hit_seconds(page)),
        "pandas": {**percentiles(naive_times), "rows_read": naive["rows_read"], "same_numbers": matches,
                   "speedup": round(float(np.percentile(naive_times, 50)) / tick_p50, 1)},
        "full_redraw": {**percentiles(full_times), "bytes_raw_p50": full_raw,
                        "bytes_gzip_p50": statistics.median(s["gzip"] for s in full_sizes),
                        "bytes_ratio": round(full_raw / raw_bytes, 1)},
    }


def measure_heavy(page: LivePage, period_key: str, repeat: int = 3) -> dict:
    """The heavy panels' job, after a new order each time (so every panel's cache misses)."""
    steps = {"forecast": [], "top_customers": [], "top_products": [], "total": []}
    filters = OverviewFilters(period=period_key)
    for _ in range(repeat):
        page.new_order()
        period = resolve_period(period_key, page.now)
        started = time.perf_counter()
        forecast_vs_actual(page.engine, page.cache, filters, period, page.now)
        forecast_done = time.perf_counter()
        top_n(page.engine, page.cache, filters, period, "customer")
        customers_done = time.perf_counter()
        top_n(page.engine, page.cache, filters, period, "product")
        products_done = time.perf_counter()
        steps["forecast"].append(forecast_done - started)
        steps["top_customers"].append(customers_done - forecast_done)
        steps["top_products"].append(products_done - customers_done)
        steps["total"].append(products_done - started)
    medians = {f"{name}_ms": ms(statistics.median(runs)) for name, runs in steps.items()}
    budget = HEAVY_REFRESH_MS - DASH_POLL_MS
    return {"period": period_key, **medians, "refresh_ms": HEAVY_REFRESH_MS, "poll_ms": DASH_POLL_MS,
            "fits": medians["total_ms"] < budget, "headroom_x": round(budget / medians["total_ms"], 1)}


def run_size(engine_name: str, database, rows: int, args, heavy: list, runs: list) -> None:
    """Every measurement for one database of `rows` order lines."""
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pulseboard-live-")))
        url, seed_seconds = stack.enter_context(database(folder))
        page = LivePage(url, folder / "instance")
        stack.callback(page.close)
        seeding = "reused (--keep)" if seed_seconds is None else f"seeded in {seed_seconds:.1f} s"
        print(f"[{engine_name} {rows:,}] {seeding}", file=sys.stderr, flush=True)
        for period in PERIODS:
            result = measure_period(page, period, args.ticks, args.baseline_ticks)
            seeded = None if seed_seconds is None else round(seed_seconds, 1)
            runs.append({"engine": engine_name, "rows": rows, "seed_s": seeded, **result})
            print(f"[{engine_name} {rows:,} {period}] tick p50 {result['tick']['p50_ms']} ms",
                  file=sys.stderr, flush=True)
        for period in HEAVY_PERIODS:
            heavy.append({"engine": engine_name, "rows": rows, **measure_heavy(page, period)})


def print_tables(runs: list[dict], heavy: list[dict]) -> None:
    header = (f"{'engine':<8} {'rows':>9} {'period':<6} {'load ms':>8} {'tick p50':>9} {'p95':>7} "
              f"{'idle':>6} {'B/tick':>7} {'gzip':>6} {'pandas p50':>11} {'speedup':>8} "
              f"{'full p50':>9} {'full B':>8} {'ratio':>6} {'hit ms':>7}")
    print(header)
    print("-" * len(header))
    for run in runs:
        pandas, full = run["pandas"], run["full_redraw"]
        print(f"{run['engine']:<8} {run['rows']:>9,} {run['period']:<6} {run['load_ms']:>8.0f} "
              f"{run['tick']['p50_ms']:>9.1f} {run['tick']['p95_ms']:>7.1f} "
              f"{run['idle_tick']['p50_ms']:>6.1f} "
              f"{run['bytes_per_tick']['raw_p50']:>7,.0f} {run['bytes_per_tick']['gzip_p50']:>6,.0f} "
              f"{pandas['p50_ms']:>11.0f} {pandas['speedup']:>7.1f}x {full['p50_ms']:>9.0f} "
              f"{full['bytes_raw_p50']:>8,.0f} {full['bytes_ratio']:>5.1f}x {run['cache_hit_ms']:>7.2f}")
    print()
    print(f"heavy panels: job time versus the refresh interval ({HEAVY_REFRESH_MS / 1000:.0f} s, "
          f"of which the page polls the job every {DASH_POLL_MS / 1000:.0f} s)")
    print(f"{'engine':<8} {'rows':>9} {'period':<6} {'forecast':>9} {'customers':>10} {'products':>9} "
          f"{'total ms':>9} {'fits':>5}")
    for item in heavy:
        print(f"{item['engine']:<8} {item['rows']:>9,} {item['period']:<6} {item['forecast_ms']:>9.0f} "
              f"{item['top_customers_ms']:>10.0f} {item['top_products_ms']:>9.0f} {item['total_ms']:>9.0f} "
              f"{'yes' if item['fits'] else 'NO':>5}")


def source_state() -> dict:
    """The commit measured, and the files that differed from it (the run measures the tree as is)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout

    return {"commit": git("rev-parse", "HEAD").strip(),
            "uncommitted": sorted(line[3:] for line in git("status", "--porcelain").splitlines())}


def headline_of(runs: list[dict]) -> dict:
    """The headline figures: 1M lines, SQLite, 30 days (or the largest size measured)."""
    candidates = [run for run in runs if run["engine"] == HEADLINE["engine"]
                  and run["period"] == HEADLINE["period"]]
    largest = max(candidates, key=lambda r: r["rows"])
    run = next((r for r in candidates if r["rows"] == HEADLINE["rows"]), largest)
    return {"rows": run["rows"], "tick_p50_ms": run["tick"]["p50_ms"], "tick_p95_ms": run["tick"]["p95_ms"],
            "speedup_vs_pandas": run["pandas"]["speedup"], "bytes_per_tick": run["bytes_per_tick"]["raw_p50"],
            "bytes_ratio_vs_full": run["full_redraw"]["bytes_ratio"], "cache_hit_ms": run["cache_hit_ms"]}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k order lines only")
    parser.add_argument("--ticks", type=int, default=60, help="timed ticks per period (default 60)")
    parser.add_argument("--baseline-ticks", type=int, default=5,
                        help="runs of baseline (a) per period; baseline (b) runs at least 10 (default 5)")
    parser.add_argument("--keep", type=Path, help="keep seeded SQLite files here and reuse them next time")
    parser.add_argument("--pg-max-rows", type=int, help="skip PostgreSQL sizes above this many lines")
    parser.add_argument("--output", type=Path,
                        help=f"results file (default {RESULTS}, or live-quick.json beside it with --quick)")
    args = parser.parse_args(argv)
    args.output = args.output or (RESULTS.with_name("live-quick.json") if args.quick else RESULTS)
    if args.ticks < 5 or args.baseline_ticks < 3:
        parser.error("--ticks must be at least 5 and --baseline-ticks at least 3")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)

    sizes = SIZES[:1] if args.quick else SIZES
    postgres_url = os.environ.get("TEST_DATABASE_URL", "")
    load_before, started, source = os.getloadavg(), time.perf_counter(), source_state()
    runs, heavy, notes = [], [], []

    def save(complete: bool) -> dict:
        """Write what has been measured so far (after every size, so a crash keeps it)."""
        headline = headline_of(runs)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps({
            "headline": headline, "complete": complete, "quick": args.quick, "ticks": args.ticks,
            "tick_step_s": TICK_STEP.seconds, "demo_end": END.isoformat(), "runs": runs,
            "heavy_panels": heavy, "notes": notes, "duration_s": round(time.perf_counter() - started),
            "load_average_before": load_before, "load_average_after": os.getloadavg(),
            "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "machine": platform.machine(), "cpus": os.cpu_count(), "source": source,
        }, indent=2) + "\n")
        return headline

    for rows in sizes:
        run_size("sqlite", lambda folder, rows=rows: sqlite_database(rows, folder, args.keep), rows, args,
                 heavy, runs)
        if postgres_url and (args.pg_max_rows is None or rows <= args.pg_max_rows):
            run_size("postgres", lambda _folder, rows=rows: postgres_database(postgres_url, rows), rows, args,
                     heavy, runs)
        elif postgres_url:
            notes.append(f"PostgreSQL skipped at {rows:,} lines (--pg-max-rows {args.pg_max_rows:,})")
        save(complete=False)
    if not postgres_url:
        notes.append("PostgreSQL skipped: TEST_DATABASE_URL is not set")

    print(f"live refresh benchmark: {args.ticks} ticks per period, one order (5 simulated s) per tick")
    print_tables(runs, heavy)
    print("(tick = the tick callback through Dash's wrapper: tick_overview, cards and patches, JSON body;"
          " idle = a tick with nothing new; pandas = baseline (a); full = baseline (b), the load callback;"
          " B = response body bytes)")
    for note in notes:
        print(note)
    headline = save(complete=True)
    print(json.dumps(headline))
    return headline


if __name__ == "__main__":
    main()
