"""Two database roles: the application role owns nothing, and as that role the
triggers and privileges keep frozen snapshots as they were, while the service still works."""

import datetime as dt
import io
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from reports.models import Snapshot, SnapshotObservation
from reports.services import snapshot_freeze, snapshot_verify
from reports.tests.snapshot_data import demo_history

MAY_2014 = dt.date(2014, 5, 31)

# What a compromised or mistaken application might try on a frozen snapshot.
ATTEMPTS = {
    "update": "UPDATE reports_snapshotobservation SET value = 0 WHERE snapshot_id = {id}",
    "delete": "DELETE FROM reports_snapshotresult WHERE snapshot_id = {id}",
    "truncate": "TRUNCATE reports_snapshotobservation CASCADE",
    "insert": "INSERT INTO reports_snapshotresult (snapshot_id, key, measure_code, payload) VALUES ({id}, 'x', '', '{{}}')",
    "disable_trigger": "ALTER TABLE reports_snapshotobservation DISABLE TRIGGER USER",
    "drop_trigger": "DROP TRIGGER reports_snapshotobservation_immutable ON reports_snapshotobservation",
    "replace_function": "CREATE OR REPLACE FUNCTION pcc_snapshot_immutable() RETURNS trigger AS $$ BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql",
    "rewrite_snapshot": "UPDATE reports_snapshot SET frozen_by_name = 'x' WHERE id = {id}",
}  # fmt: skip


@pytest.fixture
def app_role(plan):
    """A frozen snapshot, then the application role made by the command (rolled back with the test)."""
    if connection.vendor != "postgresql":
        pytest.skip("roles are a PostgreSQL matter")
    demo_history()
    frozen = snapshot_freeze(as_of=MAY_2014)
    role = f"pcc_app_test_{uuid.uuid4().hex[:8]}"
    call_command("create_app_role", role, stdout=io.StringIO())
    return role, frozen


def _as(role):
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {connection.ops.quote_name(role)}")


def _reset():
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


@pytest.mark.postgres
@pytest.mark.parametrize("name", sorted(ATTEMPTS))
def test_application_role_cannot_change_a_frozen_snapshot(app_role, name):
    role, frozen = app_role
    before = list(SnapshotObservation.objects.filter(snapshot=frozen).values_list("id", "value"))
    _as(role)
    try:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(ATTEMPTS[name].format(id=frozen.pk))
    finally:
        _reset()
    assert list(SnapshotObservation.objects.filter(snapshot=frozen).values_list("id", "value")) == before
    assert snapshot_verify() == []


@pytest.mark.postgres
def test_application_role_can_run_the_service(app_role, client_for):
    role, frozen = app_role
    _as(role)
    try:
        snapshot_freeze(as_of=dt.date(2014, 4, 30))  # adds a snapshot: sequences, COPY and the triggers
        assert client_for("coordinator").get(f"/snapshots/{MAY_2014}/").status_code == 200
        assert snapshot_verify() == []
    finally:
        _reset()
    assert Snapshot.objects.count() == 2


@pytest.mark.postgres
def test_create_app_role_refuses_a_role_that_owns_tables(app_role):
    role, _ = app_role
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE reports_board OWNER TO {connection.ops.quote_name(role)}")
    with pytest.raises(CommandError, match="owns tables"):
        call_command("create_app_role", role)


def test_create_app_role_on_sqlite_says_what_to_do_instead(db):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with pytest.raises(CommandError, match="SQLite has no database roles"):
        call_command("create_app_role", "pcc_app")
