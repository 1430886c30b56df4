"""What the returns parsing tests share: an upload context, the upload corpus, and a parse held to a budget."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

from returns.parsing import TEMPLATE_COLUMNS, MeasureRule, UploadContext, parse_upload
from returns.tests.leicestershire import BLABY_DISTRICT as BLABY
from returns.tests.leicestershire import FORCE

UPLOADS = Path(__file__).parent / "fixtures" / "uploads"
MEASURES = {
    "all_crime": MeasureRule("all_crime", "count", False),
    "burglary_dwelling": MeasureRule("burglary_dwelling", "count", False),
    "victim_satisfaction": MeasureRule("victim_satisfaction", "percentage", True),
    "revenue_savings": MeasureRule("revenue_savings", "pounds", False),
}
ALLOWED = {
    ("all_crime", FORCE),
    ("all_crime", BLABY),
    ("burglary_dwelling", FORCE),
    ("burglary_dwelling", BLABY),
    ("victim_satisfaction", FORCE),
    ("revenue_savings", FORCE),
}
HEADER = ",".join(TEMPLATE_COLUMNS)


def make_context(file_name: str = "return.csv", **changes) -> UploadContext:
    """The context of a Leicestershire Police return for Q1 2014/15 (force and Blaby), with `changes`."""
    context = UploadContext(
        file_name=file_name,
        measures=MEASURES,
        known_areas={FORCE, BLABY},
        allowed=ALLOWED,
        period_start=date(2014, 4, 1),
        period_end=date(2014, 6, 30),
        submitter="Leicestershire Police",
    )
    return replace(context, **changes)


def parse_fixture(name: str, **changes):
    return parse_upload((UPLOADS / name).read_bytes(), context=make_context(name, **changes))


def parse_text(text: str, **changes):
    return parse_upload(text.encode("utf-8"), context=make_context(**changes))


def where(result) -> list[tuple]:
    """(row, column, message start) of each problem, for compact assertions."""
    return [(p.row, p.column, p.message) for p in result.problems]


# -- a hostile file parsed within a memory and CPU-time budget ---------------------------
# The parse runs in a child process under resource limits (RLIMIT_AS for memory, RLIMIT_CPU for
# processor time): a parse that pads, copies or collects without bound is killed or runs out of
# memory there, and the test fails.

ROOT = Path(__file__).resolve().parents[2]
MEMORY_BUDGET = 1024 * 1024 * 1024  # address space, bytes; importing pandas and openpyxl takes about 200 MB
CPU_BUDGET = 30  # seconds of CPU time, imports included

CHILD = """
import json, sys
from returns.parsing import parse_upload
from returns.tests.parse_support import make_context
path = sys.argv[1]
raw = open(path, "rb").read()
result = parse_upload(raw, context=make_context(path.rsplit("/", 1)[-1]))
print(json.dumps([[p.row, p.column, p.message] for p in result.errors]))
"""


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BUDGET, MEMORY_BUDGET))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_BUDGET, CPU_BUDGET))


def parse_in_budget(path: Path) -> list[list]:
    """The errors from parsing path in a child held to the memory and CPU budget."""
    env = {"PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        cwd=ROOT,
        env=env,
        preexec_fn=_limits,  # noqa: PLW1509 - the child runs no threads before exec
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == 0, (child.returncode, child.stderr[-2000:])
    return json.loads(child.stdout)
