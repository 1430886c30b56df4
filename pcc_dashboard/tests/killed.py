"""Test support: run a real command in a child process, SIGKILL it mid-transaction, count what is left.

Used by the import and freeze crash tests (returns/tests/test_concurrency.py,
reports/tests/test_freeze_crash.py), on a scratch SQLite file or a scratch PostgreSQL database.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "fixtures" / "plan_leicestershire_2014.yaml"
PG_URL = os.environ.get("PCC_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

# Migrates the scratch database and loads reference data, the plan and the submitters; a test
# appends its own lines (formatted with plan=…).
SETUP = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("import_reference", verbosity=0)
call_command("import_plan", r"{plan}", verbosity=0)
"""


def child_env(database_url: str, tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="pcc_dashboard.settings",
        PCC_ALLOW_INSECURE_KEY="1",
        RETURN_FILES_DIR=str(tmp_path / "files"),
        PYTHONPATH=str(ROOT),
    )
    return env


def run_python(code: str, env: dict) -> None:
    subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True, timeout=600)


def kill_at(args: list[str], env: dict, marker: str) -> None:
    """Start `python -c ARGS…`, wait for a stdout line starting with `marker`, then SIGKILL it."""
    child = subprocess.Popen(
        [sys.executable, "-c", *args], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = child.stdout.readline()
        assert line.startswith(marker), (line, child.stderr.read() if child.poll() is not None else "")
        assert child.poll() is None
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL


@contextmanager
def scratch_database(backend: str, tmp_path: Path, tables: tuple[str, ...]) -> Iterator[tuple[str, Callable]]:
    """(database URL, count()) for a new SQLite file or PostgreSQL database; count() gives each table's rows.

    PostgreSQL: on leaving, no session of the killed child may still hold a transaction open
    (the server notices the closed socket within moments); the database is then dropped.
    """
    if backend == "sqlite":
        db = tmp_path / "killed.sqlite3"

        def count_sqlite() -> tuple[int, ...]:
            with sqlite3.connect(db) as conn:
                return tuple(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables)  # nosec B608

        yield f"sqlite:///{db}", count_sqlite
        return
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        admin = psycopg2.connect(PG_URL, connect_timeout=3)
    except psycopg2.OperationalError:
        pytest.skip("PostgreSQL is not reachable")
    admin.autocommit = True
    name = f"pcc_killed_{uuid.uuid4().hex[:8]}"
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    url = PG_URL.rsplit("/", 1)[0] + f"/{name}"

    def count_postgres() -> tuple[int, ...]:
        conn = psycopg2.connect(url)
        try:
            with conn.cursor() as cur:
                found = []
                for table in tables:
                    cur.execute(f"SELECT COUNT(*) FROM {table}")  # nosec B608 - fixed table names
                    found.append(cur.fetchone()[0])
                return tuple(found)
        finally:
            conn.close()

    try:
        yield url, count_postgres
        lingering = None
        for _ in range(50):
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
