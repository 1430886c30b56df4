"""Frozen snapshots are protected by the database itself: UPDATE and DELETE are rejected (R11).

Model code cannot stop QuerySet.update() or raw SQL, so triggers do it on both back ends.
TRUNCATE is left to database privileges in production (the app role has no TRUNCATE), because
Django's test flush on PostgreSQL truncates tables.
"""

from django.db import migrations

TABLES = ["reports_snapshot", "reports_snapshotobservation", "reports_snapshotresult"]

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION pcc_snapshot_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'frozen snapshot rows are immutable (% on %)', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # params=None: psycopg would otherwise read the % in RAISE as a placeholder.
        schema_editor.execute(PG_FUNCTION, params=None)
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION pcc_snapshot_immutable();",
                params=None,
            )
    elif vendor == "sqlite":
        for table in TABLES:
            for op in ("UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'frozen snapshot rows are immutable ({op} on {table})'); END;"
                )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table};", params=None)
        elif vendor == "sqlite":
            for op in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op};")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS pcc_snapshot_immutable();", params=None)


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
