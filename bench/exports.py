"""Export speed, in one run against its own baseline (`make bench-exports`).

Measures, each as the median of several runs:
- one chart to PNG through the warm renderer;
- an 8-widget dashboard to a PDF report (detailed template) and to an Excel workbook, end to end:
  queries (warm cache), images through the warm renderer, and the file written;
- a 100k-row x 6-column table to Excel (constant memory), with the peak memory growth of the
  process that wrote it;
- the baseline: the same 8 figures through plotly's default path, a cold `fig.to_image` each
  (Kaleido starts Chromium for every call), plus the same fpdf2 assembly.

The last line printed is one JSON object; the results are also written under bench/results/.
Nothing here talks to anything but this machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._dashboard_app import dashboard_document  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TARGETS = {"png_warm_s": 0.25, "pdf8_s": 2.0, "pdf8_speedup": 5.0, "xlsx_100k_s": 3.5, "xlsx_100k_mem_mb": 50}


def _timed(work, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return samples


def eight_widget_document() -> dict:
    """The dashboard benchmark's sales pulse, cut to its first 8 widgets."""
    document = dashboard_document()
    keep = [widget["id"] for widget in document["widgets"][:8]]
    document["widgets"] = document["widgets"][:8]
    document["layout"] = [item for item in document["layout"] if item["i"] in keep]
    document["title"] = "Sales pulse (8 widgets)"
    return document


def _status_kb(field: str) -> int:
    """A memory figure of this process from /proc/self/status, in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


def big_table_child(rows: int) -> None:
    """In a fresh process: write rows x 6 columns to Excel; print seconds and peak growth (MB)."""
    from exports.document import Column, Table
    from exports.excel import write_table_workbook

    start = dt.datetime(2026, 1, 1)
    columns = (
        Column("when", "When", "datetime"),
        Column("region", "Region"),
        Column("product", "Product"),
        Column("units", "Units", "number", "integer"),
        Column("revenue", "Revenue", "number", "currency"),
        Column("margin", "Margin", "number", "percent"),
    )

    class Rows:  # generated on the fly, so the table itself costs no memory
        def __len__(self):
            return rows

        def __getitem__(self, index):
            if isinstance(index, slice):
                return [self[i] for i in range(*index.indices(rows))]
            if index >= rows:
                raise IndexError(index)
            return (
                start + dt.timedelta(minutes=index),
                ("EMEA", "APAC", "AMER")[index % 3],
                f"Product {index % 500}",
                index % 17,
                index * 1.25,
                (index % 100) / 100,
            )

        def __iter__(self):
            return (self[i] for i in range(rows))

    table = Table(columns, Rows())
    target = Path(tempfile.mkdtemp()) / "big.xlsx"
    # Reset the process's peak RSS (VmHWM) once everything is imported, so the peak after the
    # write is the write's own (Linux: writing 5 to clear_refs resets it).
    Path("/proc/self/clear_refs").write_text("5")
    before = _status_kb("VmRSS")
    started = time.perf_counter()
    write_table_workbook("Order lines", table, target)
    seconds = time.perf_counter() - started
    growth = max(0, _status_kb("VmHWM") - before) / 1024
    print(json.dumps({"seconds": seconds, "growth_mb": growth, "bytes": target.stat().st_size}))


def big_table(rows: int, runs: int) -> tuple[float, float]:
    times, growths = [], []
    for _ in range(runs):
        output = (
            subprocess.run(
                [sys.executable, __file__, "--big-table-child", str(rows)],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        measured = json.loads(output)
        times.append(measured["seconds"])
        growths.append(measured["growth_mb"])
    return statistics.median(times), statistics.median(growths)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline-runs", type=int, default=2)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--demo-rows", type=int, default=200_000)
    parser.add_argument("--big-table-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.big_table_child:
        big_table_child(args.big_table_child)
        return

    import plotly.io as pio

    from app import create_app
    from auth.account import Account
    from context import EXTENSION
    from data.dashboard_spec import parse_document
    from data.dashboards import create_dashboard
    from data.migrate import upgrade
    from data.seed import seed_demo
    from data.users import create_user
    from exports import pdf, renderer
    from exports.collect import dashboard_items
    from exports.document import Report
    from exports.options import ExportOptions
    from exports.run import export_dashboard

    folder = Path(tempfile.mkdtemp(prefix="pb-bench-exports-"))
    url = f"sqlite:///{folder / 'pulseboard.db'}"
    print(f"Seeding {args.demo_rows:,} order lines in {folder} ...", flush=True)
    upgrade(url)
    app = create_app(
        {
            "env": "test",
            "instance_path": folder,
            "database_url": url,
            "demo_feed": False,
            "secret_key": "bench-exports-" + "x7Kp" * 10,
        }
    )
    services = app.server.extensions[EXTENSION]
    seed_demo(services.database.engine, rows=args.demo_rows)
    with services.database.session() as session:
        user = create_user(session, "bench@pulseboard.test", "bench-password-0", "analyst", "Bench")
        account = Account.from_user(user)
        board = create_dashboard(session, account, parse_document(eight_widget_document()))

    results: dict[str, float] = {}
    with app.server.app_context():
        renderer.warm_up()
        items = dashboard_items(board.spec, None, [], "light", services.clock())
        figure = next(item.figure for item in items if item.kind == "line")
        renderer.render(figure, "png", width=1000, height=560, scale=2)  # first call after start-up
        results["png_warm_s"] = statistics.median(
            _timed(lambda: renderer.render(figure, "png", width=1000, height=560, scale=2), args.runs * 2)
        )
        export_dashboard(account, board.id, ExportOptions(format="pdf"))  # warm the query cache
        results["pdf8_s"] = statistics.median(
            _timed(lambda: export_dashboard(account, board.id, ExportOptions(format="pdf")), args.runs)
        )
        results["xlsx8_s"] = statistics.median(
            _timed(lambda: export_dashboard(account, board.id, ExportOptions(format="xlsx")), args.runs)
        )

        def baseline() -> None:
            """plotly's default path: a cold `to_image` per figure, then the same assembly."""
            loaded = dashboard_items(board.spec, None, [], "light", services.clock())
            pictured = []
            for item in loaded:
                if item.has_chart:
                    image = pio.to_image(item.figure, format="png", width=1000, height=560, scale=2)
                    item = dataclasses.replace(item, images={"png": image})
                pictured.append(item)
            report = Report(board.title, tuple(pictured), "detailed", "Bench", services.clock())
            pdf.write_pdf(report, folder / "baseline.pdf")

        results["pdf8_baseline_s"] = statistics.median(_timed(baseline, args.baseline_runs))
    results["pdf8_speedup"] = results["pdf8_baseline_s"] / results["pdf8_s"]
    results["xlsx_100k_s"], results["xlsx_100k_mem_mb"] = big_table(args.rows, max(3, args.runs // 2))
    with app.server.app_context():
        renderer.stop_server()

    print()
    print(f"{'measure':<22}{'median':>12}{'target':>12}")
    for key, value in results.items():
        target = TARGETS.get(key)
        mark = (
            ""
            if target is None
            else ("  ok" if (value >= target if key == "pdf8_speedup" else value <= target) else "  MISSED")
        )
        unit = "x" if key == "pdf8_speedup" else " MB" if key.endswith("mem_mb") else " s"
        print(f"{key:<22}{value:>10.3f}{unit:<2}{'' if target is None else f'{target:>10}'}{mark}")
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"exports-{stamp}.json").write_text(
        json.dumps({"when": stamp, "cpus": os.cpu_count(), "runs": args.runs, **results}, indent=2)
    )
    print(
        json.dumps(
            {
                key: round(results[key], 3)
                for key in (
                    "png_warm_s",
                    "pdf8_s",
                    "pdf8_baseline_s",
                    "pdf8_speedup",
                    "xlsx8_s",
                    "xlsx_100k_s",
                    "xlsx_100k_mem_mb",
                )
            }
        )
    )


if __name__ == "__main__":
    main()
