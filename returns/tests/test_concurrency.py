"""Concurrent submissions (PostgreSQL) and a process killed mid-import (SQLite file and PostgreSQL)."""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from django.db import connection

from returns.models import Return, ReturnStatus, Submitter
from returns.services import FORCE_SUBMITTER, period_for, return_accept, return_submit

ROOT = Path(__file__).resolve().parents[2]
START, END = date(2014, 4, 1), date(2014, 6, 30)
PG_URL = os.environ.get("PCC_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


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

SETUP = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from priorities.services import plan_import, plan_load_file, reference_import
from returns.services import submitters_ensure
reference_import()
plan_import(data=plan_load_file(r"{plan}"))
submitters_ensure()
"""

# Runs the real import_return command; once every row is inserted (still inside the
# transaction) it says so and waits to be killed.
CHILD = """
import sys, time
import django
django.setup()
from returns import services
original = services._copy_observations
def pause_after_insert(frame, progress=None):
    original(frame, progress)
    print("INSERTED", len(frame), flush=True)
    time.sleep(120)
services._copy_observations = pause_after_insert
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


def _big_return(path: Path, rows: int) -> None:
    """A valid force return: day-level periods inside Q1 2014/15 make every row unique."""
    days = pd.date_range(START, END).date
    lines = ["measure_code,area_code,period_start,period_end,value,numerator,denominator,respondents,comment"]
    n = 0
    for i, ps in enumerate(days):
        for pe in days[i:]:
            for measure in MONTHLY:
                for area in AREAS:
                    lines.append(f"{measure},{area},{ps},{pe},{n % 997},,,,")
                    n += 1
                    if n >= rows:
                        path.write_text("\n".join(lines) + "\n")
                        return


def _env(database_url: str, tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="pcc_dashboard.settings",
        PCC_ALLOW_INSECURE_KEY="1",
        RETURN_FILES_DIR=str(tmp_path / "files"),
        PYTHONPATH=str(ROOT),
    )
    return env


def _kill_mid_import(database_url: str, tmp_path: Path, count) -> None:
    env = _env(database_url, tmp_path)
    plan = ROOT / "fixtures" / "plan_leicestershire_2014.yaml"
    subprocess.run([sys.executable, "-c", SETUP.format(plan=plan)], env=env, cwd=ROOT, check=True, timeout=600)
    big = tmp_path / "big.csv"
    _big_return(big, 30_000)
    before = count()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(big)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline()
        assert line.startswith("INSERTED 30000"), (line, child.stderr.read() if child.poll() is not None else "")
        assert child.poll() is None
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    assert count() == before == (0, 0)


def test_sigkill_mid_import_leaves_nothing_sqlite(tmp_path):
    import sqlite3

    db = tmp_path / "kill.sqlite3"

    def count():
        with sqlite3.connect(db) as conn:
            return tuple(
                conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in ("returns_return", "returns_observation")
            )

    _kill_mid_import(f"sqlite:///{db}", tmp_path, count)


@pytest.mark.postgres
def test_sigkill_mid_import_leaves_nothing_postgres(tmp_path):
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        admin = psycopg2.connect(PG_URL, connect_timeout=3)
    except psycopg2.OperationalError:
        pytest.skip("PostgreSQL is not reachable")
    admin.autocommit = True
    name = f"pcc_kill_{uuid.uuid4().hex[:8]}"
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    url = PG_URL.rsplit("/", 1)[0] + f"/{name}"

    def count():
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            result = []
            for table in ("returns_return", "returns_observation"):
                cur.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - fixed table names
                result.append(cur.fetchone()[0])
        conn.close()
        return tuple(result)

    try:
        _kill_mid_import(url, tmp_path, count)
        for _ in range(50):  # the server notices the closed socket within moments
            with admin.cursor() as cur:
                cur.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state LIKE 'idle in transaction%%'",
                    [name],
                )
                lingering = cur.fetchone()[0]
            if not lingering:
                break
            time.sleep(0.1)
        assert lingering == 0
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()
