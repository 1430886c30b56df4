"""PostgreSQL: the guard that nothing is added to a frozen snapshot's observations checks each
INSERT statement once.

The guard of migration 0003 ran a query for every inserted row: a million at a national freeze,
a quarter of the time spent copying the observations. For the observations the same rule is now
checked once per statement, on the rows the statement added (a transition table): a statement
that adds any row to a snapshot that already exists is refused, as before, with the same
message. The results keep the per-row guard: a few thousand rows, each a large JSON document
that a transition table would hold a second copy of. SQLite keeps its per-row triggers (they
also refuse REPLACE, which PostgreSQL has no equivalent of).
"""

from django.db import migrations

TABLE = "reports_snapshotobservation"

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
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_additions ON {TABLE};", params=None)
    schema_editor.execute(
        f"CREATE TRIGGER {TABLE}_no_additions AFTER INSERT ON {TABLE} "
        "REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION pcc_snapshot_no_additions_set();",
        params=None,
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_additions ON {TABLE};", params=None)
    # Migration 0003's per-row function is still there: the results' guard uses it.
    schema_editor.execute(
        f"CREATE TRIGGER {TABLE}_no_additions BEFORE INSERT ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION pcc_snapshot_no_additions();",
        params=None,
    )
    schema_editor.execute("DROP FUNCTION IF EXISTS pcc_snapshot_no_additions_set();", params=None)


class Migration(migrations.Migration):
    dependencies = [("reports", "0005_help_texts_in_words")]
    operations = [migrations.RunPython(forwards, backwards)]
