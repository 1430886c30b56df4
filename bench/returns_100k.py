"""Benchmark: validate and store a 100,000-row return on SQLite (goal: under 10 seconds).

Run: .venv/bin/python bench/returns_100k.py [ROWS]. Uses a throwaway SQLite file in a temporary
folder (migrated and loaded with the reference data and plan first, not timed), generates a
valid force return for Q1 2014/15 and times returns.services.return_upload: parse + validate +
store (one transaction, bulk inserts). Not a timed test; the figure goes in the README.
"""

import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="pcc-bench-"))
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.sqlite3'}"
os.environ["RETURN_FILES_DIR"] = str(WORK / "files")
os.environ.setdefault("PCC_ALLOW_INSECURE_KEY", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pcc_dashboard.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

MEASURES = [
    "all_crime",
    "burglary_dwelling",
    "theft_of_motor_vehicle",
    "theft_from_motor_vehicle",
    "violence_with_injury",
]
AREAS = ["E23000021", "E07000129", "E07000130", "E07000131", "E07000132", "E07000133", "E07000134", "E07000135"]
START, END = date(2014, 4, 1), date(2014, 6, 30)


MONTHS = [(date(2014, 4, 1), date(2014, 4, 30)), (date(2014, 5, 1), date(2014, 5, 31)), (date(2014, 6, 1), date(2014, 6, 30))]


def bench_areas(rows: int) -> list[str]:
    """Enough stand-in CSP areas, in the force's agreed data set for the monthly crime measures, that
    one row per measure, area and month of Q1 2014/15 makes `rows` valid rows (one-day rows are refused)."""
    from priorities.models import Area, AreaKind, Frequency, Measure
    from returns.models import DataSetItem
    from returns.reference import force_submitter

    count = -(-rows // (len(MEASURES) * len(MONTHS)))
    force = force_submitter()
    parent = Area.objects.get(code=AREAS[0])
    areas = Area.objects.bulk_create(
        Area(code=f"E9{i:07d}", name=f"Bench area {i}", kind=AreaKind.CSP, parent=parent) for i in range(count)
    )
    measures = list(Measure.objects.filter(code__in=MEASURES))
    DataSetItem.objects.bulk_create(
        DataSetItem(submitter=force, measure=m, area=a, frequency=Frequency.MONTHLY) for a in areas for m in measures
    )
    return [a.code for a in areas]


def generate(rows: int, areas: list[str]) -> bytes:
    """A valid force return: each monthly crime measure, bench area and month of the quarter."""
    lines = ["measure_code,area_code,period_start,period_end,value,numerator,denominator,respondents,comment"]
    n = 0
    for area in areas:
        for measure in MEASURES:
            for ps, pe in MONTHS:
                lines.append(f"{measure},{area},{ps},{pe},{n % 4999},,,,")
                n += 1
                if n == rows:
                    return ("\r\n".join(lines) + "\r\n").encode()
    raise ValueError("not enough bench areas")


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    call_command("migrate", verbosity=0)
    from priorities.plan_file import plan_import, plan_load_file
    from priorities.reference import reference_import
    from returns.models import Observation
    from returns.reference import force_submitter
    from returns.services import return_upload

    reference_import()
    plan_import(data=plan_load_file(ROOT / "fixtures" / "plan_leicestershire_2014.yaml"))
    raw = generate(rows, bench_areas(rows))
    submitter = force_submitter()
    began, cpu_began = time.perf_counter(), time.process_time()
    outcome = return_upload(submitter=submitter, start=START, end=END, raw=raw, file_name="bench.csv")
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    if outcome.ret is None:
        raise SystemExit(f"benchmark return failed validation: {outcome.errors[:3]}")
    stored = Observation.objects.filter(source_return=outcome.ret).count()
    print(
        f"{stored:,} rows ({len(raw) / 1e6:.1f} MB) validated and stored on SQLite in {elapsed:.2f} s "
        f"= {stored / elapsed:,.0f} rows/s (goal: 100,000 rows in under 10 s); "
        f"CPU time of this process {cpu:.2f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
