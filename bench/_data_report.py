"""The tables and the headline of `bench/data.py`."""

from __future__ import annotations

TARGET_S = 30.0


def _import_row(engine: str, item: dict) -> str:
    if item.get("naive_s") is not None:
        naive = (f"{item['naive_s']:.2f} | {item['naive_peak_mb']:.0f} "
                 f"(+{item['naive_peak_mb'] - item['naive_baseline_mb']:.0f})")
    else:
        naive = "– | –"
    cells = [engine, f"{item['rows']:,}", f"{item['file_mb']:.1f}", str(item["runs"]),
             f"{item['check_s']:.2f}", f"{item['preview_s']:.2f}", f"{item['import_s']:.2f}",
             f"{item['total_s']:.2f}",
             f"{item['rows'] / item['total_s']:,.0f}", f"{item['cpu_s']:.2f}", f"{item['baseline_mb']:.0f}",
             f"{item['peak_mb']:.0f}", f"{item['peak_mb'] / item['baseline_mb']:.2f}×",
             f"{item['anon_first_chunk_mb']:.0f} → {item['anon_last_chunk_mb']:.0f}", naive]
    return "| " + " | ".join(cells) + " |"


def print_imports(imports: list[dict], postgres: dict) -> None:
    print("\nImport, check + preview + import in a fresh process each (times: median of the runs; peak: the "
          "highest)")
    print("| engine | rows | file MB | runs | check s | preview s | import s | total s | rows/s | CPU s "
          "| baseline MB | peak MB | peak / baseline | heap, chunk 1 → last MB | read_csv s "
          "| read_csv peak MB (growth) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    for item in imports:
        print(_import_row("sqlite", item))
    if "import" in postgres:
        print(_import_row("postgres", {**postgres["import"], "file_mb": imports[-1]["file_mb"], "runs": 1}))


def print_groupbys(groupbys: list[tuple[str, dict]], runs: int) -> None:
    print(f"\nRevenue by month (36 months) through run_query, as widgets run it: median of {runs} runs "
          "after a warm-up, interleaved with the two baselines")
    print("| table | rows | group-by ms | in-process CPU ms | count(*) ms | group-by / count "
          "| sum(revenue) ms | group-by / sum | plan |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for engine, item in groupbys:
        cpu = f"{item['groupby_cpu_ms']:,.0f}" if engine == "sqlite" else "–"
        print(f"| {engine} | {item['rows']:,} | {item['groupby_ms']:,.0f} | {cpu} | {item['count_ms']:,.1f} "
              f"| {item['vs_count']:.1f}× | {item['sum_ms']:,.0f} | {item['vs_sum']:.1f}× | {item['plan']} |")


def print_summary(imports: list[dict], notes: list[str]) -> None:
    main, smallest = imports[-1], imports[0]
    growth = main["peak_mb"] - main["baseline_mb"]
    small_growth = smallest["peak_mb"] - smallest["baseline_mb"]
    print(f"\nPeak memory at {main['rows']:,} rows is {main['peak_mb'] / smallest['peak_mb']:.2f}× that at "
          f"{smallest['rows']:,} ({main['rows'] / smallest['rows']:.0f}× the rows); growth over the baseline "
          f"{growth:.0f} MB against {small_growth:.0f} MB. pandas.read_csv of the whole file: "
          f"{main['naive_peak_mb'] / smallest['naive_peak_mb']:.2f}×.")
    print(f"Import target, {main['rows']:,} rows in {TARGET_S:.0f} s or less: {main['total_s']:.1f} s "
          f"(runs: {', '.join(f'{seconds:.1f}' for seconds in main['all_total_s'])}), "
          f"{'met' if main['total_s'] <= TARGET_S else 'MISSED'}")
    for note in notes:
        print(f"note: {note}")


def headline(imports: list[dict], groupbys: list[tuple[str, dict]], postgres: dict) -> dict:
    """The issue's JSON object, with the per-size peaks and PostgreSQL figures as extra keys."""
    main, sqlite = imports[-1], groupbys[0][1]
    big = postgres.get("groupby_big")
    result = {
        "import_rows": main["rows"], "import_s": round(main["total_s"], 2),
        "import_rows_per_s": round(main["rows"] / main["total_s"]),
        "import_peak_mb": round(main["peak_mb"], 1),
        "groupby_month_ms": round(sqlite["groupby_ms"], 1),
        "import_baseline_mb": round(main["baseline_mb"], 1),
        "import_peak_mb_by_rows": {str(item["rows"]): round(item["peak_mb"], 1) for item in imports},
        "groupby_month_vs_sum_scan": round(sqlite["vs_sum"], 2),
        "groupby_month_pg_5m_ms": round(big["groupby_ms"], 1) if big else None,
        "groupby_month_pg_5m_vs_sum_scan": round(big["vs_sum"], 2) if big else None,
    }
    if "import" in postgres:
        result["import_pg_s"] = round(postgres["import"]["total_s"], 2)
    return result
