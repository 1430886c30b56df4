"""Run every benchmark, print one table and write bench/RESULTS.md (`make bench`).

Environment: BENCH_SCALE (default 1: the 1,000,000-row national file; 0.05 for a quick run),
BENCH_RUNS (default 3: each figure is the median of this many runs, interleaved side by side),
BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432; the bench creates its own databases),
BENCH_DB / BENCH_OUT / BENCH_RESULTS (database name and prefix of the page databases, data folder,
results file: set all three to run two benches side by side),
BENCH_SECTIONS (comma list of import,sqlite,freeze,pages,http,weight; default all).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_REQUIREMENTS = ROOT / "bench" / "requirements.txt"


def ensure_tools() -> None:
    """Install the bench-only tools into this venv once (they are not product dependencies)."""
    wanted = ("import_export", "tablib", "sqlalchemy", "psutil", "pyinstrument")
    if all(importlib.util.find_spec(name) for name in wanted):
        return
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-r", str(BENCH_REQUIREMENTS)], check=True)


ensure_tools()

from bench import generate, harness  # noqa: E402
from bench.harness import Table, child, child_env, guarded, median  # noqa: E402

OUT = generate.OUT
NATIONAL_DB = os.environ.get("BENCH_DB", "pcc_bench")
RESULTS = Path(os.environ.get("BENCH_RESULTS", ROOT / "bench" / "RESULTS.md"))
SECTIONS = set(filter(None, os.environ.get("BENCH_SECTIONS", "import,sqlite,freeze,pages,http,weight").split(",")))


def fmt_rate(rows: float, seconds: float) -> str:
    return f"{rows / seconds:,.0f} rows/s"


def _import_rounds(env: dict, national: Path, ie_rows: int) -> dict[str, list]:
    """Each contender once per round, side by side, for harness.runs() rounds; the last product run accepts."""
    n = harness.runs()
    results: dict[str, list] = {"copy": [], "copy_indexed": [], "product": [], "to_sql": [], "ie": [], "ie_bulk": []}
    for i in range(n):
        print(f"import round {i + 1}/{n}", flush=True)
        results["copy"].append(child(["copy-floor", "--file", str(national)], env=env))
        results["copy_indexed"].append(child(["copy-floor", "--file", str(national), "--indexed"], env=env))
        last = i == n - 1
        args = ["import-product", "--file", str(national), "--clear"]
        results["product"].append(child([*args, "--accept"] if last else args, env=env))
        results["to_sql"].append(child(["to-sql", "--file", str(national)], env=env))
        results["ie"].append(child(["import-ie", "--file", str(national), "--rows", str(ie_rows)], env=env))
        results["ie_bulk"].append(
            child(["import-ie", "--file", str(national), "--rows", str(ie_rows), "--bulk"], env=env)
        )
    return results


def _import_figures(
    table: Table, med: dict, *, rows: int, ie_rows: int, parse: float, submit: float, rss: float
) -> None:
    """The import section's timings: each contender's median time and rate, the product's parts and memory."""
    s = "import"
    table.add(s, f"PostgreSQL COPY floor, {rows:,} rows", f"{med['copy']:.2f} s", fmt_rate(rows, med["copy"]))
    table.add(
        s,
        f"product parse_upload + return_submit, {rows:,} rows",
        f"{med['product']:.2f} s",
        fmt_rate(rows, med["product"]),
    )
    table.add(
        s,
        "COPY of the same rows as ids into a copy of returns_observation",
        f"{med['copy_indexed']:.2f} s",
        f"{med['copy_indexed'] / med['copy']:.2f}× the floor: its indexes and checks alone",
    )
    table.add(s, "  of which parse_upload", f"{parse:.2f} s")
    table.add(s, "  of which return_submit (COPY + commit)", f"{submit:.2f} s")
    table.add(s, "product peak memory (child ru_maxrss, max of runs)", f"{rss:,.0f} MB")
    table.add(s, f"pandas read_csv + to_sql, {rows:,} rows", f"{med['to_sql']:.2f} s", fmt_rate(rows, med["to_sql"]))
    table.add(s, f"django-import-export, {ie_rows:,}-row slice", f"{med['ie']:.2f} s", fmt_rate(ie_rows, med["ie"]))
    table.add(
        s,
        f"django-import-export use_bulk, {ie_rows:,}-row slice",
        f"{med['ie_bulk']:.2f} s",
        fmt_rate(ie_rows, med["ie_bulk"]),
    )


def _import_goals(
    table: Table, med: dict, secs: dict, *, rows: int, ie_rows: int, parse: float, submit: float, rss: float
) -> None:
    """The product against each contender as ratios, its runs, and the import goals met or not."""
    s = "import"
    rate = {
        "copy": rows / med["copy"],
        "product": rows / med["product"],
        "to_sql": rows / med["to_sql"],
        "ie": ie_rows / med["ie"],
        "ie_bulk": ie_rows / med["ie_bulk"],
    }
    ratio_copy = med["product"] / med["copy"]
    ratio_indexed = med["product"] / med["copy_indexed"]
    ratio_ie = rate["product"] / rate["ie"]
    ratio_ie_bulk = rate["product"] / rate["ie_bulk"]
    ratio_sql = med["to_sql"] / med["product"]
    table.add(s, "ratio product time / COPY into the indexed table", f"{ratio_indexed:.2f}×", "goal ≤ 2×")
    table.add(s, "ratio product time / COPY time (unindexed floor)", f"{ratio_copy:.2f}×", "for reference")
    table.add(s, "ratio product rows/s / import-export rows/s", f"{ratio_ie:.1f}×", "goal ≥ 20×")
    table.add(s, "ratio product rows/s / import-export (use_bulk)", f"{ratio_ie_bulk:.1f}×", "for reference")
    table.add(s, "ratio to_sql time / product time", f"{ratio_sql:.2f}×", "goal > 1×")
    runs_text = ", ".join(f"{x:.1f}" for x in secs["product"])
    table.add(s, "product runs (s)", runs_text)
    table.goal(
        "Import within 2× of a COPY into a copy of the indexed observation table",
        "met" if ratio_indexed <= 2 else "not met",
        f"{ratio_indexed:.2f}× ({med['product']:.1f} s vs {med['copy_indexed']:.1f} s); parse {parse:.1f} s,"
        f" submit {submit:.1f} s; {ratio_copy:.1f}× the unindexed COPY floor",
    )
    table.goal(
        "Import ≥ 20× faster than django-import-export",
        "met" if ratio_ie >= 20 else "not met",
        f"{ratio_ie:.1f}× by rows/s (default resource); {ratio_ie_bulk:.1f}× against use_bulk=True",
    )
    table.goal(
        "Import faster than pandas to_sql",
        "met" if ratio_sql > 1 else "not met",
        f"to_sql takes {ratio_sql:.2f}× the product's time",
    )
    table.goal("Import peak memory < 1 GB", "met" if rss < 1024 else "not met", f"{rss:,.0f} MB")


def section_import(table: Table, env: dict, national: Path, rows: int) -> dict:
    """Product vs COPY floor vs django-import-export vs to_sql, interleaved per round."""
    ie_rows = max(1000, round(50_000 * generate.scale()))
    results = _import_rounds(env, national, ie_rows)
    # Timed inside each process (file bytes → commit), so interpreter start-up is not counted.
    secs = {k: [r.figures["seconds"] for r in v] for k, v in results.items()}
    med = {k: median(v) for k, v in secs.items()}
    product = results["product"]
    rss = max(r.max_rss_mb for r in product)
    parse = median([r.figures["parse"] for r in product])
    submit = median([r.figures["submit"] for r in product])
    _import_figures(table, med, rows=rows, ie_rows=ie_rows, parse=parse, submit=submit, rss=rss)
    _import_goals(table, med, secs, rows=rows, ie_rows=ie_rows, parse=parse, submit=submit, rss=rss)
    return {"product_median": med["product"], "rss": rss}


def section_sqlite(table: Table, national: Path, rows: int) -> None:
    """SQLite: the same file through the same service (bulk_create in batches)."""
    db = OUT / "bench.sqlite3"
    db.unlink(missing_ok=True)
    env = child_env(f"sqlite:///{db}")
    harness.migrate(env)
    child(["setup-national"], env=env)
    times = []
    for i in range(harness.runs()):
        print(f"sqlite round {i + 1}", flush=True)
        times.append(child(["import-product", "--file", str(national), "--clear"], env=env).figures["seconds"])
    med = median(times)
    table.add("sqlite", f"product import on SQLite, {rows:,} rows", f"{med:.2f} s", fmt_rate(rows, med))
    # The office's own size: a 100,000-row return through return_upload (bench/returns_100k.py).
    small = []
    for _ in range(harness.runs()):
        out = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "returns_100k.py")], capture_output=True, text=True, check=True
        ).stdout
        small.append(float(re.search(r"stored on SQLite in ([\d.]+) s", out).group(1)))
    seconds = median(small)
    table.add("sqlite", "100,000-row return on SQLite (return_upload)", f"{seconds:.2f} s", "goal < 10 s")
    table.goal("A 100,000-row return on SQLite under 10 s", "met" if seconds < 10 else "not met", f"{seconds:.1f} s")


def have(module: str, name: str) -> bool:
    try:
        return hasattr(importlib.import_module(module), name)
    except Exception:  # noqa: BLE001 - a module that isn't there yet, or doesn't import
        return False


def write_results(table: Table, machine: dict, started: datetime, elapsed: float) -> None:
    scale = generate.scale()
    lines = [
        "# Benchmark results",
        "",
        f"Run {started:%Y-%m-%d %H:%M} UTC, {elapsed / 60:.1f} minutes, BENCH_SCALE={scale:g}, "
        f"BENCH_RUNS={harness.runs()}. Every figure is the median of BENCH_RUNS runs unless it says otherwise; "
        "every ratio is between figures measured side by side in the same run (runs interleaved).",
        "",
        "## Machine",
        "",
        *[f"- {k}: {v}" for k, v in machine.items()],
        "",
        "## Commands",
        "",
        "```",
        "make bench                      # = .venv/bin/python bench/run.py (installs bench/requirements.txt)",
        "BENCH_SCALE=0.05 make bench     # quick run on a 50,000-row national file",
        "BENCH_SECTIONS=import,freeze .venv/bin/python bench/run.py",
        "```",
        "",
        "## Goals",
        "",
        "| goal | status | measured |",
        "| --- | --- | --- |",
        *[f"| {g} | {s} | {d} |" for g, s, d in table.goals],
        "",
        "## Figures",
        "",
        "```",
        table.text(),
        "```",
        "",
    ]
    if table.notes:
        lines += ["## Notes", "", *[f"- {n}" for n in table.notes], ""]
    extra = ROOT / "bench" / "ANALYSIS.md"
    if extra.exists():
        lines += [extra.read_text(encoding="utf-8").strip(), ""]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    table = Table()
    machine = harness.machine()
    print(f"bench: scale {generate.scale():g}, {harness.runs()} runs, sections {sorted(SECTIONS)}", flush=True)
    national, rows = generate.write_national()
    table.add(
        "data", "national return file", f"{rows:,} rows", f"{national.stat().st_size / 1e6:.1f} MB, {national.name}"
    )
    env = child_env(harness.pg_recreate(NATIONAL_DB))
    harness.migrate(env)
    setup = child(["setup-national"], env=env)
    table.add(
        "data",
        "areas × measures × months",
        f"{setup.figures['areas']} × {setup.figures['measures']} × {generate.NATIONAL_MONTHS}",
    )
    if "import" in SECTIONS:
        guarded(table, "import", section_import, table, env, national, rows)
    elif "freeze" in SECTIONS:
        # The freeze reads the accepted national return that the import section leaves behind.
        child(["import-product", "--file", str(national), "--clear", "--accept"], env=env)
    if "sqlite" in SECTIONS:
        guarded(table, "sqlite", section_sqlite, table, national, rows)
    from bench import sections

    sections.run_rest(table, env=env, national=national, rows=rows, wanted=SECTIONS)
    elapsed = time.perf_counter() - t0
    table.add("run", "total bench time", f"{elapsed / 60:.1f} min")
    print()
    print(table.text())
    print()
    for goal, status, detail in table.goals:
        print(f"{status:>8}  {goal}: {detail}")
    write_results(table, machine, started, elapsed)
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main()
