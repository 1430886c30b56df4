"""One benchmark step in its own process: `python bench/worker.py TASK [options]` prints one JSON line.

run.py starts a fresh process per timed run, so each figure has its own peak memory (wait4's
ru_maxrss) and no run warms the next one's Python caches. DATABASE_URL picks the database.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import generate  # noqa: E402
from returns.template import TEMPLATE_COLUMNS  # noqa: E402

NATIONAL_SUBMITTER = "national-bench"


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_bench")
    os.environ.setdefault("PCC_ALLOW_INSECURE_KEY", "1")
    os.environ.setdefault("RETURN_FILES_DIR", str(generate.OUT / "return_files"))
    import django

    django.setup()


def emit(**figures) -> None:
    print("BENCH " + json.dumps(figures, default=str), flush=True)


# -- set-up ---------------------------------------------------------------------------------
def national_period():
    """One return period spanning the whole national file.

    period_for() accepts a calendar month or a financial quarter only, so the bench creates the
    spanning period itself (returns/ is unchanged); nothing downstream reads a period's kind.
    """
    from django.conf import settings

    from returns.models import PeriodKind, ReturnPeriod
    from returns.periods import add_months, due_date, month_end

    start = generate.NATIONAL_START
    end = month_end(add_months(start, generate.NATIONAL_MONTHS - 1))
    period, _ = ReturnPeriod.objects.get_or_create(
        start=start,
        end=end,
        defaults={"kind": PeriodKind.MONTH, "due_date": due_date(end, settings.RETURN_DUE_WORKING_DAYS)},
    )
    return period


def product_setup(*, areas: list, measures: bool) -> None:
    """Reference data, the plan, the submitters; the bench's areas (and measures) on top."""
    from django.db import transaction

    from priorities.models import Area, AreaKind, Measure, Population, Priority
    from priorities.plan_file import plan_import, plan_load_file
    from priorities.reference import reference_import
    from returns.reference import data_sets_derive

    reference_import()
    plan_import(data=plan_load_file(ROOT / "fixtures" / "plan_leicestershire_2014.yaml"))
    with transaction.atomic():
        known = dict(Area.objects.values_list("code", "id"))
        new = [
            Area(code=a.code, name=a.name, kind=AreaKind.CSP, parent_id=known[a.parent], region="")
            for a in areas
            if a.kind == "csp" and a.code not in known
        ]
        Area.objects.bulk_create(new)
        ids = dict(Area.objects.values_list("code", "id"))
        have = set(Population.objects.values_list("area__code", "mid_year"))
        Population.objects.bulk_create(
            Population(area_id=ids[a.code], mid_year=year, population=a.population, source="bench")
            for a in areas
            for year in range(1900, 2025)
            if a.kind == "csp" and (a.code, year) not in have
        )
        if measures:
            crime_priorities = list(Priority.objects.filter(measures__code="all_crime"))
            for order, (code, title, _) in enumerate(generate.BENCH_MEASURES, start=100):
                measure, _ = Measure.objects.get_or_create(
                    code=code,
                    defaults={
                        "title": title,
                        "definition": f"{title} recorded by the police (Home Office offence group; bench data).",
                        "unit": "count",
                        "direction": "down",
                        "frequency": "monthly",
                        "msg_comparable": True,
                        "order": order,
                    },
                )
                measure.priorities.set(crime_priorities)
    data_sets_derive()


def task_setup_national(args) -> None:
    from priorities.models import Area, Measure
    from returns.models import DataSetItem, Submitter, SubmitterKind

    areas = generate.national_areas()
    product_setup(areas=areas, measures=True)
    submitter, _ = Submitter.objects.get_or_create(
        code=NATIONAL_SUBMITTER, defaults={"name": "National data (bench)", "kind": SubmitterKind.PUBLIC}
    )
    area_ids = dict(Area.objects.filter(code__in=[a.code for a in areas]).values_list("code", "id"))
    measure_ids = dict(
        Measure.objects.filter(code__in=[c for c, _ in generate.national_measures()]).values_list("code", "id")
    )
    DataSetItem.objects.filter(submitter=submitter).delete()
    DataSetItem.objects.bulk_create(
        DataSetItem(submitter=submitter, measure_id=m, area_id=a, frequency="monthly")
        for m in measure_ids.values()
        for a in area_ids.values()
    )
    national_period()
    emit(areas=len(area_ids), measures=len(measure_ids))


# -- import ---------------------------------------------------------------------------------
def upload_context(*, submitter, period, file_name: str, size: int):
    """What the upload view checks a return against, built from the submitter's agreed data set."""
    from priorities.models import Area, Measure
    from returns.models import DataSetItem
    from returns.parsing import MeasureRule, UploadContext

    rules = {
        code: MeasureRule(code=code, unit=unit, needs_respondents=unit == "percentage")
        for code, unit in Measure.objects.values_list("code", "unit")
    }
    allowed = set(DataSetItem.objects.filter(submitter=submitter).values_list("measure__code", "area__code"))
    return UploadContext(
        file_name=file_name,
        measures=rules,
        known_areas=set(Area.objects.values_list("code", flat=True)),
        allowed=allowed,
        period_start=period.start,
        period_end=period.end,
        # A national file is larger than an office upload (RETURN_MAX_BYTES); raise the limit.
        max_bytes=max(size, 20 * 1024 * 1024),
        submitter=submitter.name,
    )


def observations_clear() -> None:
    from django.db import connection

    from returns.models import Observation

    table = Observation._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {table}")
            cursor.execute(f"VACUUM ANALYZE {table}")
        else:
            cursor.execute(f"DELETE FROM {table}")


def task_import_product(args) -> None:
    """parse_upload + return_submit (+ return_accept), timed from the file's bytes to the commit."""
    django_setup()
    from returns.models import Submitter
    from returns.parsing import parse_upload
    from returns.services import return_accept, return_submit

    if args.clear:
        observations_clear()
    path = Path(args.file)
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.005)
        profiler.start()
    t0 = time.perf_counter()
    raw = path.read_bytes()
    submitter = Submitter.objects.get(code=NATIONAL_SUBMITTER)
    period = national_period()
    context = upload_context(submitter=submitter, period=period, file_name=path.name, size=len(raw))
    t1 = time.perf_counter()
    result = parse_upload(raw, context=context)
    t2 = time.perf_counter()
    if not result.ok:
        emit(error=f"{len(result.errors)} errors, first: {result.errors[0]}")
        return
    ret = return_submit(
        submitter=submitter, period=period, rows=result.rows, raw=raw, original_name=path.name, source="bench"
    )
    t3 = time.perf_counter()
    if args.accept:
        return_accept(ret=ret)
    t4 = time.perf_counter()
    if profiler:
        profiler.stop()
        Path(args.profile).write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    emit(rows=len(result.rows), seconds=t4 - t0, setup=t1 - t0, parse=t2 - t1, submit=t3 - t2, accept=t4 - t3)


def task_import_ie(args) -> None:
    """django-import-export: a ModelResource importing the first N rows of the same file."""
    django_setup()
    import tablib
    from import_export import resources

    from bench.iebench.models import ImportedRow

    class RowResource(resources.ModelResource):
        class Meta:
            model = ImportedRow
            fields = TEMPLATE_COLUMNS
            import_id_fields = []  # every row is new: no look-up by id
            use_bulk = args.bulk
            batch_size = 1000
            skip_diff = args.bulk

    ImportedRow.objects.all().delete()
    with open(args.file, encoding="utf-8", newline="") as handle:
        lines = [next(handle) for _ in range(args.rows + 1)]
    t0 = time.perf_counter()
    dataset = tablib.Dataset().load("".join(lines), format="csv")
    result = RowResource().import_data(dataset, dry_run=False, raise_errors=True, use_transactions=True)
    seconds = time.perf_counter() - t0
    stored = ImportedRow.objects.count()
    emit(rows=len(dataset), stored=stored, seconds=seconds, errors=result.has_errors())


def _pg_dsn() -> str:
    return os.environ["DATABASE_URL"]


FLOOR_DDL = """
DROP TABLE IF EXISTS bench_floor;
CREATE TABLE bench_floor (
    measure_code varchar(60) NOT NULL, area_code varchar(9) NOT NULL,
    period_start date NOT NULL, period_end date NOT NULL, value double precision NOT NULL,
    numerator double precision, denominator double precision, respondents integer,
    comment text NOT NULL DEFAULT ''
)"""


def _observation_rows_csv(path: Path, conn) -> bytes:
    """The file's rows as returns_observation would store them (ids, in the unique index's order)."""
    import pandas as pd

    with conn.cursor() as cursor:
        cursor.execute("SELECT code, id FROM priorities_measure")
        measures = dict(cursor.fetchall())
        cursor.execute("SELECT code, id FROM priorities_area")
        areas = dict(cursor.fetchall())
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    stored = pd.DataFrame(
        {
            "source_return_id": 1,
            "measure_id": frame["measure_code"].map(measures),
            "area_id": frame["area_code"].map(areas),
            "period_start": frame["period_start"],
            "period_end": frame["period_end"],
            "value": frame["value"],
            "numerator": frame["numerator"].replace("", "\\N"),
            "denominator": frame["denominator"].replace("", "\\N"),
            "respondents": frame["respondents"].replace("", "\\N"),
            "comment": frame["comment"],
        }
    ).sort_values(["measure_id", "area_id", "period_start", "period_end"], kind="stable")
    return stored.to_csv(index=False, header=False).encode()


def task_copy_floor(args) -> None:
    """The floor: COPY the file into an unindexed table of the same columns, one transaction.

    --indexed: a COPY of the same rows, as ids in the order the product writes them, into a copy
    of returns_observation with its indexes and checks (LIKE … INCLUDING ALL; no triggers): what
    the product's storage costs without parsing, validation or building the COPY text.
    """
    import psycopg2

    conn = psycopg2.connect(_pg_dsn())
    if args.indexed:
        payload = _observation_rows_csv(Path(args.file), conn)
        columns = (
            "source_return_id, measure_id, area_id, period_start, period_end, value, numerator, denominator, "
            "respondents, comment"
        )
        with conn, conn.cursor() as cursor:
            cursor.execute(
                "DROP TABLE IF EXISTS bench_floor_indexed; "
                "CREATE TABLE bench_floor_indexed (LIKE returns_observation INCLUDING ALL)"
            )
        sql = f"COPY bench_floor_indexed ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N', FORCE_NOT_NULL (comment))"
    else:
        with conn, conn.cursor() as cursor:
            cursor.execute(FLOOR_DDL)
        sql = (
            f"COPY bench_floor ({', '.join(TEMPLATE_COLUMNS)}) FROM STDIN "
            "WITH (FORMAT csv, HEADER true, FORCE_NOT_NULL (comment))"
        )
    t0 = time.perf_counter()
    raw = payload if args.indexed else Path(args.file).read_bytes()
    with conn, conn.cursor() as cursor:
        cursor.copy_expert(sql, io.BytesIO(raw))
        rows = cursor.rowcount
    seconds = time.perf_counter() - t0
    conn.close()
    emit(rows=rows, seconds=seconds)


def task_to_sql(args) -> None:
    """pandas: read_csv then DataFrame.to_sql through SQLAlchemy (defaults a developer would use)."""
    import pandas as pd
    import sqlalchemy

    url = _pg_dsn().replace("postgres://", "postgresql+psycopg2://", 1)
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(FLOOR_DDL.replace("bench_floor", "bench_to_sql"))
    t0 = time.perf_counter()
    frame = pd.read_csv(
        args.file,
        dtype={"comment": str},
        keep_default_na=False,
        na_values={"numerator": [""], "denominator": [""], "respondents": [""]},
    )
    frame = frame.astype({"respondents": "Int64"})
    with engine.begin() as conn:
        frame.to_sql("bench_to_sql", conn, if_exists="append", index=False, chunksize=args.chunksize or None)
    seconds = time.perf_counter() - t0
    engine.dispose()
    emit(rows=len(frame), seconds=seconds)


# -- freeze ---------------------------------------------------------------------------------
def snapshots_clear() -> None:
    """TRUNCATE bypasses the row triggers that keep snapshots immutable: bench databases only."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "TRUNCATE reports_snapshotobservation, reports_snapshotresult, reports_snapshotpublication, "
                "reports_commentary, reports_snapshot CASCADE"
            )
        cursor.execute("DROP TABLE IF EXISTS bench_freeze_floor")


def task_freeze(args) -> None:
    django_setup()
    from django.db import connection

    from reports.services import snapshot_freeze

    snapshots_clear()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    as_of = date.fromisoformat(args.as_of)
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.005)
        profiler.start()
    t0 = time.perf_counter()
    snapshot = snapshot_freeze(as_of=as_of)
    seconds = time.perf_counter() - t0
    if profiler:
        profiler.stop()
        Path(args.profile).write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    from reports.models import SnapshotObservation, SnapshotResult

    emit(
        seconds=seconds,
        observations=SnapshotObservation.objects.filter(snapshot=snapshot).count(),
        results=SnapshotResult.objects.filter(snapshot=snapshot).count(),
    )


def task_freeze_floor(args) -> None:
    """The floor: one INSERT INTO … SELECT copying the same accepted rows into a copy table."""
    django_setup()
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_freeze_floor")
        cursor.execute("CREATE TABLE bench_freeze_floor (LIKE reports_snapshotobservation INCLUDING ALL)")
        cursor.execute("VACUUM ANALYZE")
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO bench_freeze_floor (snapshot_id, measure_code, area_code, period_start, period_end,
                                            value, numerator, denominator, respondents, return_id)
            SELECT 0, m.code, a.code, o.period_start, o.period_end, o.value, o.numerator, o.denominator,
                   o.respondents, o.source_return_id
            FROM returns_observation o
            JOIN returns_return r ON r.id = o.source_return_id AND r.is_current
            JOIN priorities_measure m ON m.id = o.measure_id
            JOIN priorities_area a ON a.id = o.area_id
            WHERE o.period_end <= %s
            """,
            [args.as_of],
        )
        rows = cursor.rowcount
    seconds = time.perf_counter() - t0
    emit(rows=rows, seconds=seconds)


def task_session(args) -> None:
    """A signed-in session cookie for the load tests (what a browser holds after signing in)."""
    django_setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore

    user = User.objects.get(username=args.username)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    emit(cookie=f"{settings.SESSION_COOKIE_NAME}={session.session_key}")


TASKS = {
    "session": task_session,
    "setup-national": task_setup_national,
    "import-product": task_import_product,
    "import-ie": task_import_ie,
    "copy-floor": task_copy_floor,
    "to-sql": task_to_sql,
    "freeze": task_freeze,
    "freeze-floor": task_freeze_floor,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("task", choices=sorted(TASKS) + ["setup-pages", "pages"])
    parser.add_argument("--file", default=str(generate.OUT / "national.csv"))
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--bulk", action="store_true")
    parser.add_argument("--indexed", action="store_true")
    parser.add_argument("--clear", action="store_true")
    parser.add_argument("--accept", action="store_true")
    parser.add_argument("--profile", default="")
    parser.add_argument("--chunksize", type=int, default=0)
    parser.add_argument("--as-of", default="2024-08-31")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--username", default="bench-coordinator")
    args = parser.parse_args(argv)
    if args.task in ("setup-pages", "pages"):
        from bench import pages

        pages.main(args)
        return
    if args.task == "setup-national":
        django_setup()
    TASKS[args.task](args)


if __name__ == "__main__":
    csv.field_size_limit(10_000_000)
    main()
