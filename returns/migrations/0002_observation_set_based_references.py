"""Observation's references, checked set-based instead of row by row (issue 8, import throughput).

PostgreSQL checks a foreign key with one query per inserted row; for a 1,000,000-row national
return that was three million queries at COMMIT, longer than the COPY itself. The constraints
are replaced by triggers that keep the same guarantee:

- after each INSERT or UPDATE statement on returns_observation (COPY included), one trigger
  locks each distinct referenced return, measure and area row FOR KEY SHARE, as the foreign-key
  check does, but once per row referred to rather than once per observation, and refuses the
  statement if any is missing;
- before a DELETE (or a change of id) of a return, measure or area, a trigger refuses it while
  an observation refers to the row. A delete racing an import waits on the import's KEY SHARE
  lock and then sees its rows.

SQLite gets row-level triggers with the same effect. Both raise an integrity error, as a foreign
key would. A later migration that makes SQLite rebuild returns_observation drops these triggers:
returns/tests/test_references.py would then fail.
"""

import django.db.models.deletion
from django.db import migrations, models

OBSERVATION = "returns_observation"
# (column on returns_observation, referenced table)
REFERENCES = [
    ("source_return_id", "returns_return"),
    ("measure_id", "priorities_measure"),
    ("area_id", "priorities_area"),
]

# One block per reference: lock each distinct referenced row once, then count what was found.
PG_CHECK_BLOCK = """
    SELECT count(DISTINCT {column}) INTO wanted FROM new_rows;
    SELECT count(*) INTO locked FROM (
        SELECT 1 FROM {table} WHERE id IN (SELECT {column} FROM new_rows) FOR KEY SHARE
    ) AS l;
    IF locked < wanted THEN
        RAISE EXCEPTION 'insert or update on returns_observation refers to a missing row of {table}'
            USING ERRCODE = 'foreign_key_violation';
    END IF;"""
PG_CHECK = (
    "CREATE OR REPLACE FUNCTION pcc_observation_references() RETURNS trigger AS $$\n"
    "DECLARE\n    wanted bigint;\n    locked bigint;\nBEGIN"
    + "".join(PG_CHECK_BLOCK.format(column=column, table=table) for column, table in REFERENCES)
    + "\n    RETURN NULL;\nEND;\n$$ LANGUAGE plpgsql;"
)

PG_PARENT = """
CREATE OR REPLACE FUNCTION pcc_observation_parent() RETURNS trigger AS $$
DECLARE
    referred boolean;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
        RETURN NEW;
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM returns_observation WHERE %I = $1)', TG_ARGV[0])
        INTO referred USING OLD.id;
    IF referred THEN
        RAISE EXCEPTION '% on % refers to a row still referenced from returns_observation', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        RETURN NEW;
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    run = schema_editor.execute
    if vendor == "postgresql":
        # params=None: psycopg would otherwise read the % in RAISE as a placeholder.
        run(PG_CHECK, params=None)
        run(PG_PARENT, params=None)
        # A trigger with a transition table may name one event only: one for INSERT, one for UPDATE.
        for event in ("INSERT", "UPDATE"):
            run(
                f"CREATE TRIGGER {OBSERVATION}_refs_{event.lower()} AFTER {event} ON {OBSERVATION} "
                "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pcc_observation_references();",
                params=None,
            )
        for column, table in REFERENCES:
            run(
                f"CREATE TRIGGER {table}_observation_refs BEFORE DELETE OR UPDATE OF id ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION pcc_observation_parent('{column}');",
                params=None,
            )
    elif vendor == "sqlite":
        missing = " OR ".join(
            f"NOT EXISTS (SELECT 1 FROM {table} WHERE id = NEW.{column})"  # nosec B608 - constants
            for column, table in REFERENCES
        )
        columns = ", ".join(column for column, _ in REFERENCES)
        for event, name in (("INSERT", "insert"), (f"UPDATE OF {columns}", "update")):
            run(
                f"CREATE TRIGGER {OBSERVATION}_refs_{name} BEFORE {event} ON {OBSERVATION} "
                f"BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: returns_observation') WHERE {missing}; END;"
            )
        for column, table in REFERENCES:
            referred = f"EXISTS (SELECT 1 FROM {OBSERVATION} WHERE {column} = OLD.id)"  # nosec B608 - constants
            run(
                f"CREATE TRIGGER {table}_observation_refs_delete BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: {table}') WHERE {referred}; END;"
            )
            run(
                f"CREATE TRIGGER {table}_observation_refs_update BEFORE UPDATE OF id ON {table} "
                f"WHEN NEW.id != OLD.id "
                f"BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: {table}') WHERE {referred}; END;"
            )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    run = schema_editor.execute
    if vendor == "postgresql":
        for name in ("insert", "update"):
            run(f"DROP TRIGGER IF EXISTS {OBSERVATION}_refs_{name} ON {OBSERVATION};", params=None)
        for _, table in REFERENCES:
            run(f"DROP TRIGGER IF EXISTS {table}_observation_refs ON {table};", params=None)
        run("DROP FUNCTION IF EXISTS pcc_observation_references();", params=None)
        run("DROP FUNCTION IF EXISTS pcc_observation_parent();", params=None)
    elif vendor == "sqlite":
        for name in ("insert", "update"):
            run(f"DROP TRIGGER IF EXISTS {OBSERVATION}_refs_{name};")
        for _, table in REFERENCES:
            for name in ("delete", "update"):
                run(f"DROP TRIGGER IF EXISTS {table}_observation_refs_{name};")


class Migration(migrations.Migration):
    dependencies = [
        ("priorities", "0001_initial"),
        ("returns", "0001_initial"),
    ]

    operations = [
        *(
            migrations.AlterField(
                model_name="observation",
                name=name,
                field=models.ForeignKey(
                    db_constraint=False,
                    on_delete=django.db.models.deletion.PROTECT,
                    related_name="+",
                    to=f"priorities.{name}",
                ),
            )
            for name in ("area", "measure")
        ),
        migrations.AlterField(
            model_name="observation",
            name="source_return",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="observations",
                to="returns.return",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
