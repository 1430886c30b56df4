"""PostgreSQL: the guard that nothing is added to a frozen snapshot checks each INSERT statement once.

The guard of migration 0003 ran a query for every inserted row: a million at a national freeze,
a quarter of the time spent copying the observations. The same rule is now checked once per
statement, on the rows the statement added (a transition table): a statement that adds any row
to a snapshot that already exists is refused, as before, with the same message. SQLite keeps its
per-row triggers (they also refuse REPLACE, which PostgreSQL has no equivalent of).
"""

import importlib

from django.db import migrations

CHILDREN = ["reports_snapshotobservation", "reports_snapshotresult"]

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION pcc_snapshot_no_additions_set() RETURNS trigger AS $$
DECLARE
    frozen bigint;
BEGIN
    SELECT a.snapshot_id INTO frozen FROM added a
    WHERE EXISTS (SELECT 1 FROM reports_snapshot s WHERE s.id = a.snapshot_id)
    LIMIT 1;
    IF frozen IS NOT NULL THEN
        RAISE EXCEPTION 'snapshot % is frozen: nothing can be added to it (INSERT on %)', frozen, TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(PG_FUNCTION, params=None)
    for table in CHILDREN:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_additions ON {table};", params=None)
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_additions AFTER INSERT ON {table} "
            "REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION pcc_snapshot_no_additions_set();",
            params=None,
        )
    schema_editor.execute("DROP FUNCTION IF EXISTS pcc_snapshot_no_additions();", params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    earlier = importlib.import_module("reports.migrations.0003_snapshot_insert_guard")
    schema_editor.execute(earlier.PG_FUNCTION, params=None)
    for table in CHILDREN:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_additions ON {table};", params=None)
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_additions BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION pcc_snapshot_no_additions();",
            params=None,
        )
    schema_editor.execute("DROP FUNCTION IF EXISTS pcc_snapshot_no_additions_set();", params=None)


class Migration(migrations.Migration):
    dependencies = [("reports", "0004_statements")]
    operations = [migrations.RunPython(forwards, backwards)]
