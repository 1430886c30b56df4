"""Frozen rows are protected by the database itself: raw SQL UPDATE and DELETE fail."""

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


@pytest.mark.parametrize("table", ["reports_snapshotobservation", "reports_snapshotresult"])
def test_nothing_can_be_added_to_a_frozen_snapshot(frozen, table):
    """An extra row inserted into a frozen snapshot is refused by the database."""
    columns = {
        "reports_snapshotobservation": (
            "snapshot_id, measure_code, area_code, period_start, period_end, value, return_id",
            "%s, 'all_crime', 'E23000021', '2014-06-01', '2014-06-30', 1.0, 1",
        ),
        "reports_snapshotresult": ("snapshot_id, key, measure_code, payload", "%s, 'extra', '', '{}'"),
    }[table]
    before = _counts(frozen)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns[0]}) VALUES ({columns[1]})", [frozen.pk])  # nosec B608
    assert _counts(frozen) == before
    assert snapshot_verify() == []


def _counts(snapshot):
    return (
        SnapshotObservation.objects.filter(snapshot=snapshot).count(),
        SnapshotResult.objects.filter(snapshot=snapshot).count(),
    )


def _rewrite_sql(table: str) -> str:
    """Rewrite a frozen row in one statement without UPDATE or DELETE: SQLite's REPLACE, or
    PostgreSQL's INSERT … ON CONFLICT DO UPDATE."""
    if connection.vendor == "sqlite":
        return f"REPLACE INTO {table} SELECT * FROM {table} WHERE id = %s"  # nosec B608
    return (
        f"INSERT INTO {table} SELECT * FROM {table} WHERE id = %s "  # nosec B608
        "ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id"
    )


@pytest.mark.parametrize("model", [Snapshot, SnapshotObservation, SnapshotResult])
def test_replace_cannot_rewrite_frozen_rows(frozen, model):
    row = _row(model, frozen)
    before = model.objects.filter(pk=row.pk).values().get()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_rewrite_sql(model._meta.db_table), [row.pk])
    assert model.objects.filter(pk=row.pk).values().get() == before


def test_replace_of_who_froze_and_when_is_refused_and_detected(frozen):
    """REPLACE with only frozen_by_name and frozen_at changed; had it passed, the digest notices."""
    values = Snapshot.objects.filter(pk=frozen.pk).values().get()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "REPLACE INTO reports_snapshot (id, as_of, frozen_at, frozen_by_id, frozen_by_name, digest, "
                "observation_count) VALUES (%s, %s, %s, NULL, 'Someone else', %s, %s)",
                [frozen.pk, frozen.as_of, "2014-06-02 09:00:00", values["digest"], values["observation_count"]],
            )
        else:
            cursor.execute(
                "INSERT INTO reports_snapshot SELECT * FROM reports_snapshot WHERE id = %s ON CONFLICT (id) "
                "DO UPDATE SET frozen_by_name = 'Someone else', frozen_at = '2014-06-02 09:00:00+00'",
                [frozen.pk],
            )
    assert Snapshot.objects.filter(pk=frozen.pk).values().get() == values
    # Lift the snapshot's own triggers in the test's transaction (rolled back at the end): the digest covers the fields.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks on the table
            cursor.execute("DROP TRIGGER reports_snapshot_immutable ON reports_snapshot")
        else:
            cursor.execute("DROP TRIGGER reports_snapshot_no_update")
        cursor.execute(
            "UPDATE reports_snapshot SET frozen_by_name = 'Someone else', frozen_at = %s WHERE id = %s",
            [frozen.frozen_at.replace(year=2015), frozen.pk],
        )
    assert [m["as_of"] for m in snapshot_verify()] == [MAY_2014.isoformat()]


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


@pytest.mark.slow
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
