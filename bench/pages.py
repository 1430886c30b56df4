"""Pages at 1×, 10× and 100× history: set-up and server-side timings with the test client.

`worker.py setup-pages --months N` fills the database named by DATABASE_URL with the plan's own
measures for Leicestershire, its 9 CSPs and its 7 MSG forces over N months to AS_OF, accepts
them, freezes and publishes AS_OF and adds a Panel meeting. `worker.py pages --months N` then times each page
with the cache cleared before every request (the work a first reader causes) and counts queries.
"""

from __future__ import annotations

import time
from datetime import date

from bench import generate
from bench.harness import median, p95

AS_OF = date(2024, 3, 31)
MEETING_DAY = date(2024, 4, 18)
MEASURE = "all_crime"


def urls(meeting_id: int) -> dict[str, str]:
    as_of = AS_OF.isoformat()
    return {
        "overview": f"/snapshots/{as_of}/",
        "measure page": f"/snapshots/{as_of}/measures/{MEASURE}/",
        "Panel report": f"/meetings/{meeting_id}/report/",
        "MSG API": f"/api/v1/snapshots/{as_of}/measures/{MEASURE}/msg?period_end={as_of}&months=12",
    }


def setup(months: int) -> dict:
    from django.contrib.auth.models import Group, User
    from django.db import transaction

    from bench.worker import product_setup
    from pcc_dashboard.roles import COORDINATOR, PANEL
    from reports.models import Board, Meeting
    from reports.services import snapshot_freeze, snapshot_publish
    from returns.models import PeriodKind, ReturnPeriod, Submitter
    from returns.reference import PUBLIC_SUBMITTER, force_submitter
    from returns.services import return_accept, return_submit

    areas = generate.national_areas(1.0)[: 1 + len(generate.FOCUS_CSPS) + len(generate.MSG_FORCES)]
    product_setup(areas=areas, measures=False)
    frame = generate.pages_frame(months=months, as_of=AS_OF)
    period, _ = ReturnPeriod.objects.get_or_create(
        start=frame["period_start"].min(),
        end=frame["period_end"].max(),
        defaults={"kind": PeriodKind.MONTH, "due_date": AS_OF},
    )
    msg_forces = set(generate.MSG_FORCES)
    t0 = time.perf_counter()
    for code, rows in (
        (force_submitter().code, frame[~frame["area_code"].isin(msg_forces)]),
        (PUBLIC_SUBMITTER, frame[frame["area_code"].isin(msg_forces)]),
    ):
        submitter = Submitter.objects.get(code=code)
        ret = return_submit(
            submitter=submitter,
            period=period,
            rows=rows.reset_index(drop=True),
            raw=b"bench",
            original_name=f"bench-{months}.csv",
            source="bench",
        )
        return_accept(ret=ret)
    t1 = time.perf_counter()
    snapshot = snapshot_freeze(as_of=AS_OF)
    t2 = time.perf_counter()
    snapshot_publish(snapshot=snapshot)  # anonymous readers see published snapshots only
    with transaction.atomic():
        board, _ = Board.objects.get_or_create(
            slug="police-and-crime-panel",
            defaults={
                "name": "Police and Crime Panel",
                "audience_role": PANEL,
                "frequency": "quarterly",
                "is_panel": True,
            },
        )
        Meeting.objects.get_or_create(board=board, date=MEETING_DAY)
        for name, role in (("bench-coordinator", COORDINATOR), ("bench-panel", PANEL)):
            user, _ = User.objects.get_or_create(username=name)
            user.groups.add(Group.objects.get_or_create(name=role)[0])
    return {"rows": len(frame), "submit_seconds": t1 - t0, "freeze_seconds": t2 - t1}


def measure(repeat: int) -> dict:
    """Median and p95 server time (ms) and queries per page, cache cleared before each request."""
    from django.contrib.auth.models import User
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from reports.models import Meeting

    meeting = Meeting.objects.get(date=MEETING_DAY)
    clients = {}
    for name in ("bench-coordinator", "bench-panel"):
        client = Client()
        client.force_login(User.objects.get(username=name))
        clients[name] = client
    figures = {}
    for label, url in urls(meeting.pk).items():
        client = clients["bench-panel" if label == "Panel report" else "bench-coordinator"]
        cache.clear()
        response = client.get(url)  # warm-up: imports, template loading, connection
        if response.status_code != 200:
            figures[label] = {"error": f"HTTP {response.status_code}"}
            continue
        times, queries = [], []
        for _ in range(repeat):
            cache.clear()
            with CaptureQueriesContext(connection) as captured:
                t0 = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
            queries.append(len(captured.captured_queries))
        figures[label] = {
            "median_ms": median(times),
            "p95_ms": p95(times),
            "queries": max(queries),
            "bytes": len(response.content),
        }
    return figures


def main(args) -> None:
    from bench.worker import django_setup, emit

    django_setup()
    if args.task == "setup-pages":
        emit(**setup(args.months))
    else:
        emit(**measure(args.repeat))
