"""The secret key, the SQLite database and stored returns are readable by their owner only."""

import os
import stat
import subprocess
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from pcc_dashboard.tests.killed import ROOT, child_env, run_python


def _others_bits(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode) & 0o077


@pytest.fixture
def open_umask():
    """The usual umask, under which a plain write makes a file every local user can read."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_make_writes_env_owner_only(tmp_path, open_umask):
    subprocess.run(["make", "-s", "-f", str(ROOT / "Makefile"), ".env"], cwd=tmp_path, check=True, timeout=60)
    env = tmp_path / ".env"
    assert env.read_text().startswith("SECRET_KEY=")
    assert _others_bits(env) == 0


def test_sqlite_database_and_its_wal_are_owner_only(tmp_path, open_umask):
    database = tmp_path / "data" / "db.sqlite3"
    database.parent.mkdir()
    code = (
        "import django\ndjango.setup()\nfrom django.db import connection\n"
        "with connection.cursor() as c:\n    c.execute('CREATE TABLE t (x int)')\n    c.execute('INSERT INTO t VALUES (1)')\n"
        "import pathlib, sys\nprint(sorted(p.name for p in pathlib.Path(sys.argv[0]).parent.iterdir()))"
    )
    env = child_env(f"sqlite:///{database}", tmp_path)
    run_python(code.replace("sys.argv[0]", repr(str(database))), env)
    files = [p for p in database.parent.iterdir() if p.name.startswith("db.sqlite3")]
    assert database in files
    assert {p.name: _others_bits(p) for p in files} == dict.fromkeys((p.name for p in files), 0)


def test_stored_return_file_is_owner_only(plan, settings, tmp_path, open_umask):
    from returns.models import Submitter
    from returns.reference import period_for
    from returns.services import return_file_path, return_submit
    from returns.tests.leicestershire import FORCE_SUBMITTER

    settings.RETURN_FILES_DIR = tmp_path / "returns"
    rows = pd.DataFrame(
        [{"measure_code": "all_crime", "area_code": "E23000021", "period_start": date(2014, 4, 1),
          "period_end": date(2014, 4, 30), "value": 1.0}]
    )  # fmt: skip
    ret = return_submit(submitter=Submitter.objects.get(code=FORCE_SUBMITTER),
                        period=period_for(start=date(2014, 4, 1), end=date(2014, 4, 30)),
                        rows=rows, raw=b"measure_code,...", original_name="april.csv")  # fmt: skip
    stored = return_file_path(ret)
    assert stored.read_bytes() == b"measure_code,..."
    assert _others_bits(stored) == 0
    assert _others_bits(stored.parent) == 0
