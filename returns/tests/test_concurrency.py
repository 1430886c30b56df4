"""Concurrent submissions (PostgreSQL) and a process killed mid-import (SQLite file and PostgreSQL)."""

import threading
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from django.db import connection

from pcc_dashboard.tests.killed import BACKENDS, PLAN, SETUP, child_env, kill_at, run_python, scratch_database
from returns.models import Return, ReturnStatus, Submitter
from returns.reference import period_for
from returns.services import return_accept, return_submit
from returns.tests.leicestershire import FORCE_SUBMITTER

pytestmark = pytest.mark.slow  # concurrent writers: real processes or threads, seconds each

START, END = date(2014, 4, 1), date(2014, 6, 30)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_submissions_dense_versions_one_current(plan):
    if connection.vendor != "postgresql":
        pytest.skip("row locking needs PostgreSQL (SQLite locks the whole database)")
    submitter = Submitter.objects.get(code=FORCE_SUBMITTER)
    period = period_for(start=START, end=END)
    rows = pd.DataFrame(
        [
            {
                "measure_code": "all_crime",
                "area_code": "E23000021",
                "period_start": START,
                "period_end": END,
                "value": 1.0,
            }
        ]
    )
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def submit(n: int) -> None:
        try:
            barrier.wait()
            return_submit(submitter=submitter, period=period, rows=rows, raw=b"r%d" % n, original_name=f"{n}.csv")
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    versions = sorted(Return.objects.filter(submitter=submitter, period=period).values_list("version", flat=True))
    assert versions == list(range(1, 9))
    for ret in Return.objects.filter(submitter=submitter, period=period).order_by("version"):
        return_accept(ret=ret)
    assert Return.objects.filter(submitter=submitter, period=period, is_current=True).count() == 1
    assert Return.objects.get(is_current=True).version == 8
    assert Return.objects.filter(status=ReturnStatus.SUPERSEDED).count() == 7


# -- killed mid-import -------------------------------------------------------------------------

# Runs the real import_return command; once every row is inserted (still inside the
# transaction) it says so and waits to be killed.
CHILD = """
import sys, time
import django
django.setup()
from returns import services
original = services.observations_copy
def pause_after_insert(frame, progress=None):
    original(frame, progress)
    print("INSERTED", len(frame), flush=True)
    time.sleep(120)
services.observations_copy = pause_after_insert
from django.core.management import call_command
call_command("import_return", sys.argv[1], "--submitter", "leicestershire-police",
             "--period-start", "2014-04-01", "--period-end", "2014-06-30")
"""

MONTHLY = [
    "all_crime",
    "burglary_dwelling",
    "theft_of_motor_vehicle",
    "theft_from_motor_vehicle",
    "violence_with_injury",
]
AREAS = ["E23000021", "E07000129", "E07000130", "E07000131", "E07000132", "E07000133", "E07000134", "E07000135"]


def _big_return(path: Path) -> int:
    """A valid force return for Q1 2014/15: each monthly crime measure, area and month; its row count."""
    months = [("2014-04-01", "2014-04-30"), ("2014-05-01", "2014-05-31"), ("2014-06-01", "2014-06-30")]
    lines = ["measure_code,area_code,period_start,period_end,value,numerator,denominator,respondents,comment"]
    lines += [
        f"{measure},{area},{ps},{pe},{n},,,,"
        for n, (measure, area, (ps, pe)) in enumerate((m, a, p) for m in MONTHLY for a in AREAS for p in months)
    ]
    path.write_text("\n".join(lines) + "\n")
    return len(lines) - 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_sigkill_mid_import_leaves_nothing(tmp_path, backend):
    with scratch_database(backend, tmp_path, ("returns_return", "returns_observation")) as (url, count):
        env = child_env(url, tmp_path)
        run_python(SETUP.format(plan=PLAN), env)
        big = tmp_path / "big.csv"
        rows = _big_return(big)
        assert count() == (0, 0)
        kill_at([CHILD, str(big)], env, f"INSERTED {rows}")
        assert count() == (0, 0)


# -- killed mid-upload: the stored original --------------------------------------

# As CHILD, but the pause comes once the original file is written, just before the commit.
CHILD_AFTER_FILE = """
import sys, time
import django
django.setup()
from returns import services
original = services.return_file_store
def pause_after_file(raw, name):
    original(raw, name)
    print("STORED", name, flush=True)
    time.sleep(120)
services.return_file_store = pause_after_file
from django.core.management import call_command
call_command("import_return", sys.argv[1], "--submitter", "leicestershire-police",
             "--period-start", "2014-04-01", "--period-end", "2014-06-30")
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_sigkill_mid_upload_leaves_no_stored_file(tmp_path, backend):
    with scratch_database(backend, tmp_path, ("returns_return", "returns_observation")) as (url, count):
        env = child_env(url, tmp_path)
        run_python(SETUP.format(plan=PLAN), env)
        big = tmp_path / "big.csv"
        rows = _big_return(big)
        kill_at([CHILD, str(big)], env, f"INSERTED {rows}")
        assert count() == (0, 0)
        files = tmp_path / "files"
        assert not files.exists() or list(files.iterdir()) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_file_left_by_a_kill_before_commit_is_cleaned(tmp_path, backend):
    with scratch_database(backend, tmp_path, ("returns_return", "returns_observation")) as (url, count):
        env = child_env(url, tmp_path)
        run_python(SETUP.format(plan=PLAN), env)
        big = tmp_path / "big.csv"
        _big_return(big)
        kill_at([CHILD_AFTER_FILE, str(big)], env, "STORED")
        assert count() == (0, 0)
        files = tmp_path / "files"
        assert len(list(files.iterdir())) == 1
        # A file still inside its upload's transaction (younger than the age given) is kept.
        run_python(CLEAN.format(minutes=60), env)
        assert len(list(files.iterdir())) == 1
        run_python(CLEAN.format(minutes=0), env)
        assert list(files.iterdir()) == []


CLEAN = """
import django
django.setup()
from django.core.management import call_command
call_command("clean_return_files", "--older-than-minutes", "{minutes}")
"""
