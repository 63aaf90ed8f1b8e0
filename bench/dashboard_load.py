"""Benchmark: opening a 12-widget dashboard over 1M demo lines until every widget is drawn (Chromium).

The issue's target: "Opening a 12-widget dashboard over 1M demo lines must draw every widget
within 2 s in headless Chromium, measured from navigation to the last graph drawn."

A migrated SQLite file is seeded with 1,000,000 demo order lines (or reused from --keep), and an
analyst, a viewer and two dashboards are added to a copy of it: twelve widgets over the `sales`
and `forecast` datasets (bench/_dashboard_app.py), and an empty one. The app is served the
production way: `gunicorn app:server` on 127.0.0.1, 2 workers with 4 threads,
PULSEBOARD_ENV=production, demo feed off. Playwright drives /usr/bin/chromium: the viewer signs
in once through /login, then each run opens a new page in the same context (same session
cookie), navigates to /dashboards/<id>, and waits until all 12 grid items are drawn: a plotly
graph with plotted traces, or an AG Grid with rows.

Time is taken by the browser's own clock. A script installed before the page's scripts watches
the DOM (a MutationObserver) and records `performance.now()` when each widget is first drawn,
and when the last one is: that is milliseconds since the navigation started (the document's
`performance.timeOrigin`). Python's wall time around goto() and the wait is reported too.

- first: the very first open, with an empty browser cache and an empty result cache (untimed
  for the target);
- cold: the result cache (the diskcache under the instance folder that every worker shares) is
  cleared with `ResultCache.clear()` on the same directory, then the dashboard is opened. The
  workers, SQLite's file in the OS page cache and the browser's HTTP cache stay warm;
- warm: later opens, served from cached query results;
- baseline: the same sequence on the empty dashboard: the framework's own cost (HTML, Dash's
  bundles, layout, the page callback).

Runs are interleaved, cycle by cycle (baseline, clear, cold, warm), so noise hits every kind.
The target is met when the median cold open is 2,000 ms or less.

Where the time goes, per open: navigation timing and when plotly.js (loaded lazily by dcc.Graph)
arrived; each Dash callback request, matched to its widget from the request body, with when it
was sent, its time to first byte and when it finished; main-thread long tasks; the page's
main-thread CPU time (DevTools `Performance.getMetrics` in thread time); and gunicorn's CPU time
over all its processes (/proc). CPU times, unlike wall times, are not inflated by other load on
the machine. The access log (with an X-Bench-Run header on every request) gives each request's
server time by open; with --keep, the server's logs are copied to DIR/dashboard_load-logs.

Prints tables, writes bench/results/dashboard_load.json, and prints the headline as one JSON
object on the last line. Bounded: a page gets 30 s, new opens stop after --max-seconds, and the
run stops past 400 requests from one page or 20,000 in all. Traffic goes only to 127.0.0.1
(Chromium resolves no other host), and gunicorn's process group is always stopped.

    .venv/bin/python bench/dashboard_load.py [--keep DIR] [--cold 5] [--warm 10] [--baseline 10]
        [--max-seconds 900]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from playwright.sync_api import Error as PlaywrightError  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from bench._dashboard_app import (  # noqa: E402
    THREADS,
    WORKERS,
    Prepared,
    clear_result_cache,
    group_cpu_seconds,
    gunicorn,
    prepare_database,
    server_times,
)

# _live_app sets up the environment that importing `app` (a default app) reads; nothing imported
# above it imports `app`.
from bench._live_app import sqlite_database  # noqa: E402

TARGET_MS = 2000.0
ROWS = 1_000_000
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 # Nothing but 127.0.0.1 resolves: no request can leave the machine.
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]
VIEWPORT = {"width": 1366, "height": 900}
WAIT_MS = 30_000  # a page that has not drawn every widget by then fails the run
MAX_REQUESTS_PER_PAGE = 400
MAX_REQUESTS = 20_000
RESULTS = ROOT / "bench" / "results" / "dashboard_load.json"
CALLBACK_PATH = "/_dash-update-component"

# Installed into each benchmark page before any of its scripts run. On every batch of DOM
# changes it checks the grid items not yet drawn and stamps performance.now() on each as it
# becomes drawn; `allAt` is the first moment every expected item is drawn.
#   plotly (checked on plotly.js 3 as Dash 4 ships it): `.main-svg` plus what the type draws:
#   a KPI its number (`.indicatorlayer .trace`; its sparkline is drawn in the same pass), a pie
#   `.pielayer .trace`, a heatmap its image (`.heatmaplayer .hm image`), and line, area, bar and
#   scatter a trace in `.cartesianlayer` (`.scatterlayer .trace` or `.barlayer .trace`);
#   AG Grid: at least one body row.
PROBE = """
(() => {
  const expected = __EXPECTED__;
  const state = {expected, items: 0, drawn: {}, kinds: {}, errors: {}, allAt: null, frameAt: null};
  Object.defineProperty(window, "__pbBench", {value: state});
  // Dash's bundles alone fill the default buffer of 250 entries, and plotly.js comes after them.
  performance.setResourceTimingBufferSize(2000);
  function drawnKind(item) {
    const graph = item.querySelector(".js-plotly-plot");
    if (graph) {
      if (!graph.querySelector(".main-svg")) return null;
      const kpi = item.classList.contains("pb-widget--kpi") || item.querySelector(".pb-widget--kpi");
      if (kpi) return graph.querySelector(".indicatorlayer .trace") ? "indicator" : null;
      if (graph.querySelector(".pielayer .trace")) return "pie";
      if (graph.querySelector(".heatmaplayer .hm image")) return "heatmap";
      if (graph.querySelector(".cartesianlayer .trace")) return "cartesian";
      return null;
    }
    const grid = item.querySelector(".ag-root");
    return grid && grid.querySelector(".ag-center-cols-container .ag-row") ? "ag-grid" : null;
  }
  function check() {
    if (state.allAt !== null) return;
    const now = performance.now();
    const root = document.getElementById("pb-dashboard");
    if (!root) return;
    const items = root.querySelectorAll(".react-grid-item");
    state.items = items.length;
    if (items.length !== expected) return;
    let all = true;
    for (const item of items) {
      const tagged = item.matches("[data-widget]") ? item : item.querySelector("[data-widget]");
      const key = tagged ? tagged.getAttribute("data-widget") : item.id;
      if (key in state.drawn) continue;
      const error = item.querySelector(".pb-widget-error");
      if (error) { state.errors[key] = error.textContent.slice(0, 300); all = false; continue; }
      const kind = drawnKind(item);
      if (kind) { state.drawn[key] = now; state.kinds[key] = kind; } else { all = false; }
    }
    if (all) {
      state.allAt = now;
      observer.disconnect();
      requestAnimationFrame(() => { state.frameAt = performance.now(); });
    }
  }
  const observer = new MutationObserver(check);
  observer.observe(document, {childList: true, subtree: true});
  state.longTasks = [];  // main-thread tasks over 50 ms: [start, duration]
  new PerformanceObserver((list) => list.getEntries().forEach(
    (entry) => state.longTasks.push([entry.startTime, entry.duration])))
    .observe({type: "longtask", buffered: true});
})();
"""
# Performance.getMetrics names (seconds of main-thread CPU time, as the page measured them so far).
RENDERER_METRICS = (("tasks", "TaskDuration"), ("script", "ScriptDuration"), ("compile", "V8CompileDuration"),
                    ("layout", "LayoutDuration"), ("style", "RecalcStyleDuration"))
DONE = ("() => { const s = window.__pbBench;"
        " return !!s && (s.allAt !== null || Object.keys(s.errors).length > 0); }")


class BenchmarkError(RuntimeError):
    """The benchmark could not measure what it set out to (a page failed, a bound was hit)."""


def percentile(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 1)


def summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50_ms": percentile(values, 50), "p95_ms": percentile(values, 95),
            "min_ms": round(min(values), 1), "max_ms": round(max(values), 1)}


def callback_label(post_data: str | None) -> str:
    """The widget a Dash callback request draws (its MATCH id's `w`), or its first output's id."""
    try:
        body = json.loads(post_data or "")
    except ValueError:
        return "?"
    outputs = body.get("outputs")
    while isinstance(outputs, list) and outputs:
        outputs = outputs[0]
    ident = outputs.get("id") if isinstance(outputs, dict) else None
    if isinstance(ident, dict):
        return str(ident.get("w") or ident.get("type"))
    return str(ident or body.get("output", "?"))[:60]


class Browser:
    """Chromium with one signed-in context; `open()` times one page open of a dashboard."""

    def __init__(self, stack: ExitStack, base_url: str, prepared: Prepared):
        self.base, self.prepared, self.requests_total, self.offsite = base_url, prepared, 0, []
        playwright = stack.enter_context(sync_playwright())
        self.browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        stack.callback(self.browser.close)
        self.version = self.browser.version
        self.context = self.browser.new_context(viewport=VIEWPORT)
        self.context.set_default_timeout(WAIT_MS)
        self._sign_in()

    def _sign_in(self) -> None:
        """Through the real form, landing on the empty dashboard (not the Overview, whose heavy
        panels would start a background job)."""
        landing = f"/dashboards/{self.prepared.empty_id}"
        page = self.context.new_page()
        page.goto(f"{self.base}/login?next={landing}")
        page.fill("#email", self.prepared.email)
        page.fill("#password", self.prepared.password)
        page.click("#sign-in")
        page.wait_for_url(f"{self.base}{landing}")
        page.wait_for_selector("#pb-dashboard")
        page.close()

    def _count(self, request, page_requests: list) -> None:
        page_requests.append(request)
        self.requests_total += 1
        parts = urlsplit(request.url)
        if parts.scheme not in ("data", "blob") and parts.hostname != "127.0.0.1":
            self.offsite.append(request.url[:200])

    def open(self, dashboard_id: int, expected: int, tag: str) -> dict:
        """Open the dashboard in a new page; times and per-widget detail of that one open."""
        if self.requests_total > MAX_REQUESTS:
            raise BenchmarkError(f"more than {MAX_REQUESTS} requests in all: stopping")
        page = self.context.new_page()
        page_requests, finished, problems = [], [], []
        page.on("request", lambda request: self._count(request, page_requests))
        page.on("requestfinished", lambda request: finished.append(request))
        page.on("console", lambda message: problems.append(f"console: {message.text}"[:300])
                if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"[:300]))
        page.set_extra_http_headers({"X-Bench-Run": tag})
        # The renderer's own account of its main thread, in thread CPU time ("threadTicks").
        devtools = self.context.new_cdp_session(page)
        devtools.send("Performance.enable", {"timeDomain": "threadTicks"})
        page.add_init_script(PROBE.replace("__EXPECTED__", str(expected)))
        url = f"{self.base}/dashboards/{dashboard_id}"
        try:
            started = time.perf_counter()
            page.goto(url, wait_until="commit")
            page.wait_for_function(DONE, timeout=WAIT_MS, polling="raf")
            wall_ms = (time.perf_counter() - started) * 1000
            state = page.evaluate("""() => ({...window.__pbBench, timeOrigin: performance.timeOrigin,
                url: location.href, nav: performance.getEntriesByType("navigation")[0].toJSON(),
                plotlyJs: performance.getEntriesByType("resource")
                    .filter((entry) => /\\/plotly[^/]*\\.min\\.js/.test(entry.name))
                    .map((entry) => entry.responseEnd)})""")
            metrics = {m["name"]: m["value"] for m in devtools.send("Performance.getMetrics")["metrics"]}
        except PlaywrightError as error:
            try:
                detail = json.dumps(page.evaluate("() => window.__pbBench || null"))[:600]
            except PlaywrightError:
                detail = "unavailable"
            raise BenchmarkError(
                f"{tag}: the page did not draw every widget within {WAIT_MS / 1000:.0f} s "
                f"({str(error).splitlines()[0]}); probe state: {detail}; problems: {problems[:3]}") from None
        page.close()
        if state["errors"]:
            raise BenchmarkError(f"{tag}: widgets showed errors: {state['errors']}")
        if not state["url"].startswith(url):
            raise BenchmarkError(f"{tag}: landed on {state['url']}, not {url} (signed out?)")
        if len(page_requests) > MAX_REQUESTS_PER_PAGE:
            raise BenchmarkError(f"{tag}: {len(page_requests)} requests from one page open")
        result = self._result(tag, state, wall_ms, page_requests, finished, problems)
        result["renderer_cpu_ms"] = {name: round(metrics[key] * 1000, 1) for name, key in RENDERER_METRICS
                                     if key in metrics}
        result["breakdown"]["main_thread_cpu_ms"] = result["renderer_cpu_ms"].get("tasks")
        return result

    def _result(self, tag, state, wall_ms, page_requests, finished, problems) -> dict:
        origin = state["timeOrigin"]
        callbacks = []
        for request in finished:
            if urlsplit(request.url).path != CALLBACK_PATH:
                continue
            timing = request.timing
            sent = timing["startTime"] - origin
            callbacks.append({
                "label": callback_label(request.post_data),
                "sent_ms": round(sent, 1),
                # time to first byte once the request went out: the server's time plus the wire
                "ttfb_ms": round(timing["responseStart"] - timing["requestStart"], 1),
                "done_ms": round(sent + timing["responseEnd"], 1),
            })
        nav, drawn_at = state["nav"], state["allAt"]
        widget_calls = [c for c in callbacks if c["label"] in state["drawn"]]
        page_calls = [c["done_ms"] for c in callbacks if c["label"] == "_pages_content"]
        graphs = [t for key, t in state["drawn"].items() if state["kinds"].get(key) != "ag-grid"]
        return {
            "tag": tag, "drawn_ms": round(drawn_at, 1), "wall_ms": round(wall_ms, 1),
            "frame_ms": round(state["frameAt"], 1) if state.get("frameAt") is not None else None,
            "widgets_drawn_ms": {key: round(value, 1) for key, value in state["drawn"].items()},
            "kinds": state["kinds"],
            "breakdown": {
                "html_ms": round(nav["responseEnd"], 1),
                "dom_content_loaded_ms": round(nav["domContentLoadedEventEnd"], 1),
                "page_callback_done_ms": round(min(page_calls), 1) if page_calls else None,
                "first_widget_callback_ms": min((c["sent_ms"] for c in widget_calls), default=None),
                "last_widget_response_ms": max((c["done_ms"] for c in widget_calls), default=None),
                "plotly_js_loaded_ms": round(min(state["plotlyJs"]), 1) if state["plotlyJs"] else None,
                "first_graph_drawn_ms": round(min(graphs), 1) if graphs else None,
                "long_tasks_ms": round(sum(d for start, d in state["longTasks"] if start < drawn_at), 1),
            },
            "callback_requests": len(callbacks), "requests": len(page_requests), "callbacks": callbacks,
            "problems": problems,
        }


def cycle_plan(cold: int, warm: int, baseline: int) -> list[list[str]]:
    """Per cycle (one per cold run): baseline opens, a cold open, then warm opens."""
    plan = []
    warm_each, base_each = math.ceil(warm / cold), math.ceil(baseline / cold)
    for index in range(cold):
        bases = min(base_each, baseline - index * base_each)
        warms = min(warm_each, warm - index * warm_each)
        plan.append(["baseline"] * max(bases, 0) + ["cold"] + ["warm"] * max(warms, 0))
    return plan


def widget_profile(runs: list[dict], widgets: tuple[str, ...]) -> dict:
    """Per widget, medians over the runs: callback sent, server time (ttfb), response done, drawn."""
    profile = {}
    for widget in widgets:
        rows = {"sent_ms": [], "ttfb_ms": [], "done_ms": [], "drawn_ms": [], "callbacks": []}
        for run in runs:
            mine = [c for c in run["callbacks"] if c["label"] == widget]
            rows["callbacks"].append(len(mine))
            if mine:
                first = min(mine, key=lambda c: c["sent_ms"])
                for key in ("sent_ms", "ttfb_ms", "done_ms"):
                    rows[key].append(first[key])
            rows["drawn_ms"].append(run["widgets_drawn_ms"][widget])
        profile[widget] = {key: round(statistics.median(values), 1) if values else None
                           for key, values in rows.items() if key != "callbacks"}
        profile[widget]["callbacks_per_open"] = max(rows["callbacks"]) if rows["callbacks"] else 0
        profile[widget]["slowest_last"] = sum(
            1 for run in runs if run["widgets_drawn_ms"][widget] == max(run["widgets_drawn_ms"].values()))
    return profile


def server_summary(access: dict[str, list[dict]], runs: list[dict]) -> dict:
    """Server time per open from the access log: callback requests, their summed and longest time."""
    sums, longest, counts = [], [], []
    for run in runs:
        calls = [r["ms"] for r in access.get(run["tag"], []) if r["path"] == CALLBACK_PATH]
        if calls:
            sums.append(sum(calls))
            longest.append(max(calls))
            counts.append(len(calls))
    if not sums:
        return {}
    return {"callback_requests": int(statistics.median(counts)),
            "callback_server_ms_sum_p50": round(statistics.median(sums), 1),
            "callback_server_ms_max_p50": round(statistics.median(longest), 1)}


def source_state() -> dict:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout

    return {"commit": git("rev-parse", "HEAD").strip(),
            "uncommitted": sorted(line[3:] for line in git("status", "--porcelain").splitlines())}


BREAKDOWN = (  # (key, column title): medians, in ms since navigation start unless noted
    ("dom_content_loaded_ms", "DOM ready"), ("page_callback_done_ms", "page cb"),
    ("first_widget_callback_ms", "1st widget cb"), ("last_widget_response_ms", "last widget resp"),
    ("plotly_js_loaded_ms", "plotly.js"), ("first_graph_drawn_ms", "1st graph"),
    ("drawn_ms", "all drawn"), ("long_tasks_ms", "long tasks"), ("main_thread_cpu_ms", "browser CPU"),
    ("server_cpu_ms", "server CPU"),
)


def breakdown_medians(runs: list[dict]) -> dict:
    medians = {}
    for key, _ in BREAKDOWN:
        values = [run["drawn_ms"] if key == "drawn_ms" else run["breakdown"][key] for run in runs]
        values = [value for value in values if value is not None]
        medians[key] = round(statistics.median(values), 1) if values else None
    medians["callback_requests"] = int(statistics.median(run["callback_requests"] for run in runs))
    return medians


def print_report(phases: dict, profile: dict, server: dict, prepared: Prepared, args) -> None:
    base = phases["baseline"]["summary"].get("p50_ms")
    print(f"dashboard load benchmark: {len(prepared.widget_ids)} widgets over {args.rows:,} demo lines "
          f"(SQLite), gunicorn {WORKERS} workers x {THREADS} threads, headless Chromium")
    header = (f"{'open':<9} {'runs':>4} {'drawn p50':>10} {'p95':>7} {'min':>7} {'max':>7} "
              f"{'wall p50':>9} {'x baseline':>10} {'cb req':>6} {'server sum':>10} {'server max':>10}")
    print(header)
    print("-" * len(header))
    for name in ("first", "cold", "warm", "baseline"):
        stats, walls = phases[name]["summary"], phases[name]["wall"]
        if not stats.get("n"):
            continue
        ratio = f"{stats['p50_ms'] / base:.2f}x" if base else "-"
        srv = server.get(name, {})
        print(f"{name:<9} {stats['n']:>4} {stats['p50_ms']:>10,.0f} {stats['p95_ms']:>7,.0f} "
              f"{stats['min_ms']:>7,.0f} {stats['max_ms']:>7,.0f} {walls.get('p50_ms', 0):>9,.0f} "
              f"{ratio:>10} {srv.get('callback_requests', '-'):>6} "
              f"{srv.get('callback_server_ms_sum_p50', 0):>10,.0f} "
              f"{srv.get('callback_server_ms_max_p50', 0):>10,.0f}")
    print("(drawn = browser clock, navigation start -> last widget drawn; wall = Python around goto + wait;"
          " cb req and server = the page's Dash callback requests in gunicorn's access log, their time summed"
          " and the longest, median per open)")
    print()
    print("where the time goes: medians, ms since navigation start; then durations: long tasks ="
          " main-thread time in tasks over 50 ms before the last widget was drawn, browser CPU = the page's"
          " main-thread CPU time, server CPU = gunicorn's CPU time (all its processes) during the open")
    print(f"{'open':<9} " + " ".join(f"{title:>{max(len(title), 9)}}" for _, title in BREAKDOWN))
    for name in ("cold", "warm", "baseline"):
        medians = phases[name].get("breakdown", {})
        cells = []
        for key, title in BREAKDOWN:
            value = medians.get(key)
            cells.append(f"{value:>{max(len(title), 9)},.0f}" if value is not None
                         else f"{'-':>{max(len(title), 9)}}")
        print(f"{name:<9} " + " ".join(cells))
    print()
    print("per widget, medians (ms since navigation start): callback sent, its time to first byte, "
          "response done, widget drawn")
    print(f"{'widget':<16} {'type':<8} {'cold sent':>9} {'ttfb':>6} {'done':>6} {'drawn':>6} "
          f"{'warm sent':>9} {'ttfb':>6} {'done':>6} {'drawn':>6} {'last':>5}")
    for widget in prepared.widget_ids:
        cold, warm = profile["cold"][widget], profile["warm"][widget]

        def cells(row):
            return " ".join(f"{row[k]:>{w},.0f}" if row[k] is not None else f"{'-':>{w}}"
                            for k, w in (("sent_ms", 9), ("ttfb_ms", 6), ("done_ms", 6), ("drawn_ms", 6)))

        print(f"{widget:<16} {prepared.widget_types[widget]:<8} {cells(cold)} {cells(warm)} "
              f"{cold['slowest_last']:>5}")
    print("(ttfb = request sent -> first byte: the server's time, queueing in gunicorn included;"
          " last = how many cold opens this widget was drawn last, ties included)")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS, help=f"demo order lines (default {ROWS:,})")
    parser.add_argument("--cold", type=int, default=5, help="cold opens (default 5)")
    parser.add_argument("--warm", type=int, default=10, help="warm opens (default 10)")
    parser.add_argument("--baseline", type=int, default=10, help="opens of the empty dashboard (default 10)")
    parser.add_argument("--keep", type=Path, help="keep the seeded SQLite file here and reuse it next time")
    parser.add_argument("--max-seconds", type=float, default=900,
                        help="stop starting new opens after this long (default 900)")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"results file (default {RESULTS})")
    args = parser.parse_args(argv)
    if args.cold < 1 or args.warm < 1 or args.baseline < 1:
        parser.error("--cold, --warm and --baseline must each be at least 1")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)

    started, load_before, source = time.perf_counter(), os.getloadavg(), source_state()
    deadline = started + args.max_seconds
    runs: dict[str, list[dict]] = {"first": [], "cold": [], "warm": [], "baseline": []}
    notes: list[str] = []
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pulseboard-dashload-")))
        url, seed_seconds = stack.enter_context(sqlite_database(args.rows, folder, args.keep))
        seeding = "reused (--keep)" if seed_seconds is None else f"seeded in {seed_seconds:.1f} s"
        print(f"[{args.rows:,} lines] {seeding}", file=sys.stderr, flush=True)
        prepared = prepare_database(url)
        instance = folder / "instance"
        served = stack.enter_context(gunicorn(url, instance, folder / "logs"))
        boot_seconds = served.boot_seconds
        print(f"gunicorn healthy in {boot_seconds:.1f} s at {served.url}", file=sys.stderr, flush=True)
        browser = Browser(stack, served.url, prepared)
        full, empty, count = prepared.full_id, prepared.empty_id, len(prepared.widget_ids)

        def record(kind: str, number: int) -> None:
            dashboard, expected = (empty, 0) if kind == "baseline" else (full, count)
            cpu_before = group_cpu_seconds(served.pid)
            result = browser.open(dashboard, expected, f"{kind}-{number}")
            result["breakdown"]["server_cpu_ms"] = round((group_cpu_seconds(served.pid) - cpu_before) * 1000)
            runs[kind].append(result)
            print(f"  {result['tag']:<12} drawn {result['drawn_ms']:>8,.0f} ms   "
                  f"wall {result['wall_ms']:>8,.0f} ms", file=sys.stderr, flush=True)

        clear_result_cache(instance)
        record("first", 1)
        for cycle in cycle_plan(args.cold, args.warm, args.baseline):
            if time.perf_counter() > deadline:
                notes.append(f"stopped early: --max-seconds {args.max_seconds:.0f} reached")
                break
            for kind in cycle:
                if kind == "cold":
                    clear_result_cache(instance)
                record(kind, len(runs[kind]) + 1)
        if not runs["cold"]:
            raise BenchmarkError(f"no cold open within --max-seconds {args.max_seconds:.0f}")
        access = server_times(served.access_log)
        gunicorn_log = (folder / "logs" / "gunicorn.log").read_text(errors="replace")
        if "Traceback" in gunicorn_log:
            trace = gunicorn_log[gunicorn_log.index("Traceback"):][:800]
            notes.append(f"the gunicorn log has a traceback: {trace}")
        problems = sorted({problem for kind in runs.values() for run in kind for problem in run["problems"]})
        if problems:
            notes.append(f"the browser reported {len(problems)} distinct console errors or page errors, e.g. "
                         f"{problems[:3]}")
        if browser.offsite:
            notes.append(f"requests to other hosts (refused): {browser.offsite[:5]}")
        chromium_version = browser.version
        if args.keep:  # the server's logs, for profiling: kept beside the seeded file
            shutil.copytree(folder / "logs", args.keep / "dashboard_load-logs", dirs_exist_ok=True)

    phases = {}
    for name, items in runs.items():
        phases[name] = {"summary": summary([r["drawn_ms"] for r in items]),
                        "wall": summary([r["wall_ms"] for r in items]),
                        "breakdown": breakdown_medians(items) if items else {}, "runs": items}
    profile = {name: widget_profile(runs[name], prepared.widget_ids) for name in ("cold", "warm")}
    server = {name: server_summary(access, runs[name]) for name in runs}
    cold, warm, base = (phases[n]["summary"] for n in ("cold", "warm", "baseline"))
    headline = {"widgets": count, "rows": args.rows, "cold_p50_ms": cold.get("p50_ms"),
                "cold_p95_ms": cold.get("p95_ms"), "warm_p50_ms": warm.get("p50_ms"),
                "baseline_p50_ms": base.get("p50_ms"), "target_ms": TARGET_MS}
    ratios = {name: round(phases[name]["summary"]["p50_ms"] / base["p50_ms"], 2)
              for name in ("first", "cold", "warm") if phases[name]["summary"].get("n") and base.get("n")}
    passed = cold.get("p50_ms") is not None and cold["p50_ms"] <= TARGET_MS

    print_report(phases, profile, server, prepared, args)
    for note in notes:
        print(note)
    print(f"{'PASS' if passed else 'FAIL'}: median cold open {cold.get('p50_ms'):,.0f} ms "
          f"({'within' if passed else 'over'} the {TARGET_MS:,.0f} ms target; "
          f"p95 {cold.get('p95_ms'):,.0f} ms, "
          f"warm median {warm.get('p50_ms'):,.0f} ms, empty-dashboard baseline {base.get('p50_ms'):,.0f} ms)")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({
        "headline": headline, "passed": passed, "ratios_to_baseline": ratios,
        "complete": not any(note.startswith("stopped early") for note in notes),
        "phases": phases, "widget_profile": profile, "server": server, "notes": notes,
        "dashboard": {"id": prepared.full_id, "widgets": prepared.widget_types},
        "seed_s": None if seed_seconds is None else round(seed_seconds, 1),
        "gunicorn": {"workers": WORKERS, "threads": THREADS, "boot_s": round(boot_seconds, 1)},
        "chromium": chromium_version, "viewport": VIEWPORT,
        "duration_s": round(time.perf_counter() - started), "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
        "machine": platform.machine(), "cpus": os.cpu_count(), "source": source,
    }, indent=2) + "\n")
    print(json.dumps(headline))
    return headline


if __name__ == "__main__":
    try:
        main()
    except BenchmarkError as error:
        print(f"dashboard load benchmark failed: {error}", file=sys.stderr)
        sys.exit(1)
