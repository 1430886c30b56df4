"""Plumbing for bench/run.py: child processes with their peak memory, databases, medians, machine facts."""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PG_BASE = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")


def runs() -> int:
    return max(1, int(os.environ.get("BENCH_RUNS", "3")))


def pg_url(name: str) -> str:
    return f"{PG_BASE}/{name}"


def child_env(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="bench.settings_bench",
        PCC_ALLOW_INSECURE_KEY="1",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    env.pop("DEBUG", None)
    return env


@dataclass
class ChildResult:
    figures: dict
    wall: float
    max_rss_mb: float
    cpu: float
    output: str = ""


class ChildFailed(RuntimeError):
    pass


def child(args: list[str], *, env: dict[str, str], timeout: float = 3600) -> ChildResult:
    """Run `python bench/worker.py ARGS`; its figures, wall time, peak RSS and CPU time (wait4)."""
    import signal
    import tempfile

    t0 = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as log:
        proc = subprocess.Popen(
            [PY, str(ROOT / "bench" / "worker.py"), *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = t0 + timeout
        while True:
            # wait4, not waitpid: the child's own peak RSS, not a running maximum over all children.
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                os.kill(proc.pid, signal.SIGKILL)
                pid, status, rusage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        log.seek(0)
        out = log.read()
    figures = {}
    for line in out.splitlines():
        if line.startswith("BENCH "):
            figures = json.loads(line[6:])
    if proc.returncode != 0 or not figures or "error" in figures:
        raise ChildFailed(f"{' '.join(args)} failed (exit {proc.returncode}):\n{out[-3000:]}")
    return ChildResult(
        figures=figures,
        wall=wall,
        max_rss_mb=rusage.ru_maxrss / 1024,
        cpu=rusage.ru_utime + rusage.ru_stime,
        output=out,
    )


def psql(sql: str, *, db: str = "postgres") -> str:
    return subprocess.run(
        ["psql", pg_url(db), "-XqtA", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def pg_recreate(name: str) -> str:
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql(f"CREATE DATABASE {name}")
    return pg_url(name)


def migrate(env: dict[str, str]) -> None:
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


@dataclass
class Table:
    """Every figure of the run: section, name, value, unit, note."""

    rows: list[tuple[str, str, str, str]] = field(default_factory=list)
    goals: list[tuple[str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, section: str, name: str, value: str, note: str = "") -> None:
        self.rows.append((section, name, value, note))
        print(f"  {section:<10} {name:<58} {value:>16}  {note}", flush=True)

    def goal(self, goal: str, status: str, detail: str) -> None:
        self.goals.append((goal, status, detail))

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  NOTE: {text}", flush=True)

    def text(self) -> str:
        width = max((len(r[1]) for r in self.rows), default=10)
        lines = [f"{'section':<10} {'figure':<{width}} {'value':>16}  note"]
        lines += [f"{s:<10} {n:<{width}} {v:>16}  {note}" for s, n, v, note in self.rows]
        return "\n".join(lines)


def guarded(table: Table, section: str, run, *args, **kwargs):
    """Run one section; if it fails, say so in the table and carry on, keeping every other section's figures."""
    try:
        return run(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - any failure of one section is reported, never fatal to the run
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        table.add(section, "section failed: figures not measured", type(exc).__name__, first_line[:120])
        table.note(f"{section} failed: {exc}"[:2000])
        return None


def machine() -> dict[str, str]:
    def run(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return "?"

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    load = "?"
    try:
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        pass
    return {
        "cores (nproc)": run(["nproc"]),
        "memory": mem,
        "CPU": cpu,
        "Python": platform.python_version(),
        "PostgreSQL": psql("SHOW server_version") if shutil.which("psql") else "?",
        "load average at start": load,
    }
