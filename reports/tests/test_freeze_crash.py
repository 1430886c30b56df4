"""A freeze killed with SIGKILL halfway leaves no partial snapshot (SQLite file and PostgreSQL)."""

import subprocess
import sys

import pytest

from pcc_dashboard.tests.killed import BACKENDS, PLAN, ROOT, SETUP, child_env, kill_at, run_python, scratch_database

pytestmark = pytest.mark.slow  # a freeze killed part-way: real processes or threads, seconds each

TABLES = ("reports_snapshot", "reports_snapshotobservation", "reports_snapshotresult")

ACCEPTED_APRIL = """
import datetime as dt
import pandas as pd
from returns.models import Submitter
from returns.reference import period_for
from returns.services import return_accept, return_submit
from returns.tests.leicestershire import FORCE_SUBMITTER
force = Submitter.objects.get(code=FORCE_SUBMITTER)
start, end = dt.date(2014, 4, 1), dt.date(2014, 4, 30)
rows = pd.DataFrame([{"measure_code": "all_crime", "area_code": "E23000021", "period_start": start,
                      "period_end": end, "value": 6000.0}])
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


@pytest.mark.parametrize("backend", BACKENDS)
def test_sigkill_mid_freeze_leaves_nothing(tmp_path, backend):
    with scratch_database(backend, tmp_path, TABLES) as (url, count):
        env = child_env(url, tmp_path)
        run_python(SETUP.format(plan=PLAN) + ACCEPTED_APRIL, env)
        assert count() == (0, 0, 0)
        kill_at([CHILD], env, "STORED")
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
