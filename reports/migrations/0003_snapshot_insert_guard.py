"""Nothing is added to a frozen snapshot, and SQLite's REPLACE cannot rewrite a frozen row (R11).

A snapshot's rows are written before its Snapshot row (which is written last, with the digest),
so a row inserted for a snapshot that already exists is an addition to a frozen snapshot: refused.
SQLite's REPLACE deletes the conflicting row without firing DELETE triggers, so an INSERT whose
key is already taken is refused too (PostgreSQL's ON CONFLICT DO UPDATE fires the UPDATE trigger).
"""

from django.db import migrations

CHILDREN = ["reports_snapshotobservation", "reports_snapshotresult"]

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION pcc_snapshot_no_additions() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM reports_snapshot WHERE id = NEW.snapshot_id) THEN
        RAISE EXCEPTION 'snapshot % is frozen: nothing can be added to it (INSERT on %)', NEW.snapshot_id, TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION, params=None)
        for table in CHILDREN:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_additions BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION pcc_snapshot_no_additions();",
                params=None,
            )
    elif vendor == "sqlite":
        for table in CHILDREN:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_insert BEFORE INSERT ON {table} "  # nosec B608 - constant table names
                f"WHEN EXISTS (SELECT 1 FROM reports_snapshot WHERE id = NEW.snapshot_id) "
                f"OR EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id) "
                f"BEGIN SELECT RAISE(ABORT, 'frozen snapshot rows are immutable (INSERT on {table})'); END;"
            )
        schema_editor.execute(
            "CREATE TRIGGER reports_snapshot_no_replace BEFORE INSERT ON reports_snapshot "
            "WHEN EXISTS (SELECT 1 FROM reports_snapshot WHERE id = NEW.id OR as_of = NEW.as_of) "
            "BEGIN SELECT RAISE(ABORT, 'frozen snapshot rows are immutable (REPLACE on reports_snapshot)'); END;"
        )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in CHILDREN:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_additions ON {table};", params=None)
        schema_editor.execute("DROP FUNCTION IF EXISTS pcc_snapshot_no_additions();", params=None)
    elif vendor == "sqlite":
        for table in CHILDREN:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_insert;")
        schema_editor.execute("DROP TRIGGER IF EXISTS reports_snapshot_no_replace;")


class Migration(migrations.Migration):
    dependencies = [("reports", "0002_snapshot_immutability")]
    operations = [migrations.RunPython(forwards, backwards)]
