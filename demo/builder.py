"""Deterministic demo data: realistic returns from April 2010, demo users, and month-end freezes.

Everything goes through the product's own services (return_submit, return_accept, snapshot_freeze),
so the demo exercises the same paths as real returns. Figures are synthetic but realistic: all crime
at about 60–90 per 1,000 a year, seasonal violence and burglary, a step down in burglary after
April 2013, and a rise in recorded serious sexual offences after a recording-practice change in
November 2014. Fixed random seed, so every run gives the same figures.

This module runs the story in order; the parts live in returns_story (the returns), filing (sending
and dating one return), freezes (month-end snapshots and statements), users and days.
"""

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import transaction

from demo.filing import DEMO_SOURCE
from demo.freezes import snapshot_freeze_on_time, snapshot_publish_on_time, statements_seed
from demo.returns_story import DemoBuilder, populations_back_project
from demo.users import demo_users
from reports.models import Snapshot
from returns.models import Return
from returns.periods import financial_quarter, month_end

FIRST_FREEZE = date(2014, 3, 31)
USERS_FILE = Path(os.environ.get("DEMO_USERS_FILE") or Path(settings.BASE_DIR) / "var" / "demo_users.txt")


@dataclass
class DemoResult:
    """What seed_demo made: whether it built the demo this run, the number of returns, the frozen
    month ends and the demo users [(username, password, role label)]."""

    created: bool
    returns: int
    snapshots: list[date]
    users: list[tuple[str, str, str]]


def demo_seed(*, to_month: date, progress=None) -> DemoResult:
    """Create the demo (once) and freeze every month end from March 2014 to `to_month`, publishing
    all but the last; then seed the office's boards and (re)make the demo users.

    progress: called with one line of text per step. Errors from the office's boards (seed_boards)
    are raised, not hidden."""
    say = progress or (lambda message: None)
    created = False
    if not Return.objects.filter(source=DEMO_SOURCE).exists():
        created = True
        with transaction.atomic():
            builder = DemoBuilder(to_month)
            populations_back_project([builder.focus, *builder.msg])
        frozen = []
        for month in builder.months():
            with transaction.atomic():
                builder.force_month(month)
                end = month_end(month)
                if (month.month - 4) % 3 == 2:
                    q_start, q_end = financial_quarter(month)
                    builder.quarter(q_start, q_end, narrative_from=date(2014, 1, 1))
            if end >= FIRST_FREEZE:
                frozen.append(snapshot_freeze_on_time(end, builder.coordinator))
                say(f"Froze the snapshot as at {end:%-d %B %Y}.")
                if end == date(2014, 6, 30):
                    builder.correction()
                    say("Accepted a corrected May 2014 return after the June freeze.")
        for snapshot in frozen[:-1]:
            snapshot_publish_on_time(snapshot, builder.coordinator)
        statements_seed(frozen, builder.coordinator)
        say("Published the statement on the national priorities and drafted the next quarter's.")
    call_command("seed_boards", verbosity=0)
    return DemoResult(
        created=created,
        returns=Return.objects.count(),
        snapshots=list(Snapshot.objects.order_by("as_of").values_list("as_of", flat=True)),
        users=demo_users(path=USERS_FILE),
    )
