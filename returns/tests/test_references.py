"""Observation's references are enforced by the database (set-based triggers, migration 0002)."""

import threading
from datetime import date

import pandas as pd
import psycopg2
import pytest
from django.db import IntegrityError, connection, transaction

from priorities.models import Area, Measure
from returns.models import Observation, Return, Submitter
from returns.reference import period_for
from returns.services import return_submit
from returns.tests.leicestershire import FORCE_SUBMITTER

START, END = date(2014, 4, 1), date(2014, 6, 30)
TABLE = Observation._meta.db_table
INSERT = (
    f"INSERT INTO {TABLE} (source_return_id, measure_id, area_id, period_start, period_end, value, comment) "
    "VALUES (%s, %s, %s, %s, %s, 1.0, '')"
)


def _submit(rows: int = 1) -> Return:
    submitter = Submitter.objects.get(code=FORCE_SUBMITTER)
    frame = pd.DataFrame(
        {
            "measure_code": ["all_crime"] * rows,
            "area_code": ["E23000021"] * rows,
            "period_start": [date(2014, 4 + i % 3, 1) for i in range(rows)],
            "period_end": [date(2014, 4 + i % 3, 28) for i in range(rows)],
            "value": [float(i) for i in range(rows)],
        }
    )
    return return_submit(
        submitter=submitter, period=period_for(start=START, end=END), rows=frame, raw=b"x", original_name="x.csv"
    )


def _ids() -> tuple[int, int, int]:
    ret = _submit()
    return ret.pk, Measure.objects.get(code="all_crime").pk, Area.objects.get(code="E23000021").pk


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["return", "measure", "area"])
def test_an_observation_cannot_refer_to_a_missing_row(plan, bad):
    ret_id, measure_id, area_id = _ids()
    args = {"return": ret_id, "measure": measure_id, "area": area_id}
    args[bad] = 987_654
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(INSERT, [args["return"], args["measure"], args["area"], date(2015, 1, 1), date(2015, 1, 31)])
    assert Observation.objects.filter(period_start=date(2015, 1, 1)).count() == 0


@pytest.mark.django_db
def test_an_observation_cannot_be_moved_to_a_missing_row(plan):
    _ids()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET measure_id = 987654")
    assert not Observation.objects.filter(measure_id=987_654).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("table", ["returns_return", "priorities_measure", "priorities_area"])
def test_a_referenced_row_cannot_be_deleted_even_by_raw_sql(plan, table):
    ret_id, measure_id, area_id = _ids()
    row = {"returns_return": ret_id, "priorities_measure": measure_id, "priorities_area": area_id}[table]
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [row])  # nosec B608 - fixed table names
    assert Observation.objects.filter(source_return_id=ret_id).count() == 1


@pytest.mark.django_db
def test_an_unreferenced_row_can_still_be_deleted(plan):
    _ids()
    unused = Measure.objects.exclude(pk__in=Observation.objects.values("measure_id")).first()
    Return.objects.filter(observations__isnull=True).delete()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM priorities_measure_priorities WHERE measure_id = %s", [unused.pk])
        cursor.execute("DELETE FROM returns_datasetitem WHERE measure_id = %s", [unused.pk])
        cursor.execute("DELETE FROM priorities_frameworkpriority_measures WHERE measure_id = %s", [unused.pk])
        cursor.execute("DELETE FROM priorities_measure WHERE id = %s", [unused.pk])
    assert not Measure.objects.filter(pk=unused.pk).exists()


@pytest.mark.django_db
def test_a_bulk_import_keeps_every_row_and_its_references(plan):
    ret = _submit(rows=3)
    stored = list(Observation.objects.filter(source_return=ret).values_list("measure__code", "area__code", "value"))
    assert sorted(stored) == [
        ("all_crime", "E23000021", 0.0),
        ("all_crime", "E23000021", 1.0),
        ("all_crime", "E23000021", 2.0),
    ]


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_delete_racing_an_import_waits_and_then_fails(plan):
    """The import's KEY SHARE lock holds off a concurrent delete of a row it refers to."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks between two connections need PostgreSQL")
    ret_id, measure_id, area_id = _ids()
    spare = Measure.objects.exclude(pk=measure_id).first()
    settings_dict = connection.settings_dict
    dsn = dict(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        host=settings_dict["HOST"],
        port=settings_dict["PORT"] or 5432,
    )
    importer = psycopg2.connect(**{k: v for k, v in dsn.items() if v})
    deleter = psycopg2.connect(**{k: v for k, v in dsn.items() if v})
    try:
        with importer.cursor() as cursor:
            cursor.execute(INSERT, [ret_id, spare.pk, area_id, date(2015, 2, 1), date(2015, 2, 28)])
        # The import has not committed: the delete must wait for it, not slip past.
        with deleter.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
            with pytest.raises(psycopg2.errors.LockNotAvailable):
                cursor.execute("DELETE FROM priorities_measure WHERE id = %s", [spare.pk])
        deleter.rollback()
        outcome: list[BaseException] = []

        def delete() -> None:
            try:
                with deleter.cursor() as cursor:
                    cursor.execute("DELETE FROM priorities_measure WHERE id = %s", [spare.pk])
            except BaseException as exc:  # noqa: BLE001 - asserted below
                outcome.append(exc)

        thread = threading.Thread(target=delete)
        thread.start()
        importer.commit()
        thread.join(timeout=30)
        assert len(outcome) == 1 and isinstance(outcome[0], psycopg2.errors.ForeignKeyViolation)
    finally:
        importer.close()
        deleter.close()
    assert Measure.objects.filter(pk=spare.pk).exists()
    assert Observation.objects.filter(measure_id=spare.pk).count() == 1
