"""A freeze killed with SIGKILL halfway leaves no partial snapshot (SQLite file and PostgreSQL)."""

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("PCC_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
TABLES = ("reports_snapshot", "reports_snapshotobservation", "reports_snapshotresult")

SETUP = """
import datetime as dt
import django
django.setup()
import pandas as pd
from django.core.management import call_command
call_command("migrate", verbosity=0)
from priorities.services import plan_import, plan_load_file, reference_import
from returns.models import Submitter
from returns.services import FORCE_SUBMITTER, period_for, return_accept, return_submit, submitters_ensure
reference_import()
plan_import(data=plan_load_file(r"{plan}"))
submitters_ensure()
force = Submitter.objects.get(code=FORCE_SUBMITTER)
start, end = dt.date(2014, 4, 1), dt.date(2014, 4, 30)
rows = pd.DataFrame([{{"measure_code": "all_crime", "area_code": "E23000021", "period_start": start,
                      "period_end": end, "value": 6000.0}}])
return_accept(ret=return_submit(submitter=force, period=period_for(start=start, end=end), rows=rows,
                                raw=b"april", original_name="april.csv"))
"""

# Runs the real freeze command; once the frozen rows and results are written (still inside the
# freeze's transaction) it says so and waits to be killed.
CHILD = """
import sys, time
import django
django.setup()
from reports import freeze
original = freeze.results_store
def pause_after_store(*, snapshot_id, results):
    original(snapshot_id=snapshot_id, results=results)
    print("STORED", len(results), flush=True)
    time.sleep(120)
freeze.results_store = pause_after_store
from django.core.management import call_command
call_command("freeze_snapshot", "--as-of", "2014-04-30")
"""


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


def _kill_mid_freeze(database_url: str, tmp_path: Path, count) -> None:
    env = _env(database_url, tmp_path)
    plan = ROOT / "fixtures" / "plan_leicestershire_2014.yaml"
    subprocess.run([sys.executable, "-c", SETUP.format(plan=plan)], env=env, cwd=ROOT, check=True, timeout=600)
    assert count() == (0, 0, 0)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = child.stdout.readline()
        assert line.startswith("STORED"), (line, child.stderr.read() if child.poll() is not None else "")
        assert child.poll() is None
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    assert count() == (0, 0, 0)
    # And the month can still be frozen afterwards: nothing half-made blocks it.
    subprocess.run(
        [sys.executable, "manage.py", "freeze_snapshot", "--as-of", "2014-04-30"],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=600,
    )
    snapshots, observations, results = count()
    assert snapshots == 1 and observations == 1 and results > 0


def test_sigkill_mid_freeze_leaves_nothing_sqlite(tmp_path):
    import sqlite3

    db = tmp_path / "freeze-kill.sqlite3"

    def count():
        with sqlite3.connect(db) as conn:
            return tuple(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES)  # nosec B608

    _kill_mid_freeze(f"sqlite:///{db}", tmp_path, count)


@pytest.mark.postgres
def test_sigkill_mid_freeze_leaves_nothing_postgres(tmp_path):
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        admin = psycopg2.connect(PG_URL, connect_timeout=3)
    except psycopg2.OperationalError:
        pytest.skip("PostgreSQL is not reachable")
    admin.autocommit = True
    name = f"pcc_freeze_kill_{uuid.uuid4().hex[:8]}"
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    url = PG_URL.rsplit("/", 1)[0] + f"/{name}"

    def count():
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            found = []
            for table in TABLES:
                cur.execute(f"SELECT COUNT(*) FROM {table}")  # nosec B608
                found.append(cur.fetchone()[0])
            return tuple(found)

    try:
        _kill_mid_freeze(url, tmp_path, count)
        with admin.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state LIKE 'idle in transaction%%'",
                [name],
            )
            assert cur.fetchone()[0] == 0
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()
