"""Frozen rows are protected by the database itself (R11): raw SQL UPDATE and DELETE fail."""

import datetime as dt
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from reports.models import Snapshot, SnapshotObservation, SnapshotResult
from reports.services import SnapshotError, snapshot_freeze, snapshot_verify
from reports.tests.snapshot_data import demo_history

MAY_2014 = dt.date(2014, 5, 31)
STATEMENTS = {
    "observation_update": ("UPDATE reports_snapshotobservation SET value = 0 WHERE id = %s", SnapshotObservation),
    "observation_delete": ("DELETE FROM reports_snapshotobservation WHERE id = %s", SnapshotObservation),
    "result_update": ("UPDATE reports_snapshotresult SET payload = '{}' WHERE id = %s", SnapshotResult),
    "result_delete": ("DELETE FROM reports_snapshotresult WHERE id = %s", SnapshotResult),
    "snapshot_update": ("UPDATE reports_snapshot SET digest = 'x' WHERE id = %s", Snapshot),
    "snapshot_delete": ("DELETE FROM reports_snapshot WHERE id = %s", Snapshot),
}


@pytest.fixture
def frozen(plan):
    demo_history()
    return snapshot_freeze(as_of=MAY_2014)


def _row(model, snapshot):
    return (
        model.objects.filter(pk=snapshot.pk).first()
        if model is Snapshot
        else model.objects.filter(snapshot=snapshot).first()
    )


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_raw_sql_cannot_change_frozen_rows(frozen, name):
    sql, model = STATEMENTS[name]
    row = _row(model, frozen)
    before = model.objects.filter(pk=row.pk).values().get()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [row.pk])
    assert model.objects.filter(pk=row.pk).values().get() == before


def test_orm_update_and_delete_are_rejected(frozen):
    with pytest.raises(DatabaseError), transaction.atomic():
        SnapshotObservation.objects.filter(snapshot=frozen).update(value=1)
    with pytest.raises(DatabaseError), transaction.atomic():
        SnapshotResult.objects.filter(snapshot=frozen).delete()
    assert snapshot_verify() == []


def _drop_observation_trigger(cursor):
    if connection.vendor == "postgresql":
        cursor.execute("DROP TRIGGER reports_snapshotobservation_immutable ON reports_snapshotobservation")
    else:
        cursor.execute("DROP TRIGGER reports_snapshotobservation_no_update")


def test_verify_detects_a_tampered_row(frozen, capsys):
    call_command("verify_snapshots")
    assert f"OK {MAY_2014.isoformat()}" in capsys.readouterr().out
    # Lift the trigger inside the test's transaction; the rollback at the end restores it.
    with connection.cursor() as cursor:
        _drop_observation_trigger(cursor)
        row = SnapshotObservation.objects.filter(snapshot=frozen).first()
        cursor.execute("UPDATE reports_snapshotobservation SET value = value + 1 WHERE id = %s", [row.pk])
    mismatches = snapshot_verify()
    assert [m["as_of"] for m in mismatches] == [MAY_2014.isoformat()]
    with pytest.raises(CommandError, match="differ from their digest"):
        call_command("verify_snapshots")
    assert "MISMATCH 2014-05-31" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_concurrent_freezes_leave_one_snapshot_on_postgresql(plan):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: a TransactionTestCase on SQLite cannot flush frozen rows")
    demo_history()
    outcomes, barrier = [], threading.Barrier(2)

    def freeze():
        try:
            barrier.wait()
            snapshot_freeze(as_of=MAY_2014)
            outcomes.append("frozen")
        except SnapshotError as exc:
            outcomes.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=freeze) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["Data as at 31 May 2014 is already frozen.", "frozen"]
    assert Snapshot.objects.filter(as_of=MAY_2014).count() == 1
