"""Concurrent writers: SQLite queues them instead of failing, and a conflict
that still happens answers a clear message, never a 500."""

import subprocess
import sys
import time
from datetime import date

import pytest
from django.db import OperationalError

from pcc_dashboard.tests.killed import child_env, run_python

pytestmark = pytest.mark.slow  # writes that meet each other: real processes or threads, seconds each

# Read, then write, in one transaction: the shape of return_submit and snapshot_freeze. Each child
# leaves a file when it has read, and writes once the parent leaves "go".
CHILD = """
import pathlib, sys, time
import django
django.setup()
from django.contrib.auth.models import Group
from django.db import connection, transaction
with connection.cursor() as cursor:
    print("MODE", cursor.execute("PRAGMA journal_mode").fetchone()[0], flush=True)
go = pathlib.Path(sys.argv[1])
with transaction.atomic():
    Group.objects.filter(name__startswith="writer").count()
    go.with_name("read-" + sys.argv[2]).touch()
    while not go.exists():
        time.sleep(0.01)
    Group.objects.create(name="writer-" + sys.argv[2])
print("WROTE", flush=True)
"""


def _wait_for_reads(folder, expected: int, limit: float) -> int:
    """How many children have read, waiting at most `limit` seconds (a bound, not a timed assertion)."""
    started = time.monotonic()
    while len(list(folder.glob("read-*"))) < expected and time.monotonic() - started < limit:
        time.sleep(0.02)
    return len(list(folder.glob("read-*")))


def test_two_sqlite_writers_both_succeed(tmp_path):
    database = tmp_path / "writers.sqlite3"
    env = child_env(f"sqlite:///{database}", tmp_path)
    run_python("import django\ndjango.setup()\nfrom django.core.management import call_command\n"
               "call_command('migrate', 'auth', verbosity=0)", env)  # fmt: skip
    go = tmp_path / "go"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(go), str(n)],
            env=env,
            cwd=env["PYTHONPATH"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for n in (1, 2)
    ]
    try:
        modes = [child.stdout.readline().split() for child in children]
        assert all(mode == ["MODE", "wal"] for mode in modes), modes
        # Without queueing both read before either writes, and the second write fails at once.
        # With it the second waits at the start of its transaction: stop waiting for its read.
        assert _wait_for_reads(tmp_path, expected=1, limit=60) >= 1
        _wait_for_reads(tmp_path, expected=2, limit=2)
        go.touch()
        outputs = [child.communicate(timeout=120) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    assert [child.returncode for child in children] == [0, 0], [err[-500:] for _, err in outputs]
    import sqlite3

    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT COUNT(*) FROM auth_group WHERE name LIKE 'writer-%'").fetchone()[0] == 2


@pytest.mark.parametrize("message", ["database is locked", "database table is locked"])
def test_a_write_conflict_answers_a_clear_message_not_a_500(client_for, plan, monkeypatch, message):
    from reports.views import snapshots

    def locked(**kwargs):
        raise OperationalError(message)

    monkeypatch.setattr(snapshots, "snapshot_freeze", locked)
    form = {"as_of": date(2014, 5, 31).isoformat(), "confirm": "yes"}  # the confirmation page's button
    response = client_for("coordinator").post("/snapshots/freeze/", form)
    assert response.status_code == 503
    body = response.content.decode()
    assert "Someone else is changing the data at the same moment" in body
    assert "Traceback" not in body and message not in body
