"""Observation's set-based reference check reads the inserted rows once instead of six times.

The statement-level trigger of the previous migration counted the distinct returns, measures
and areas of the inserted rows, then locked them, each with its own pass over the transition
table: six passes over 1,000,000 rows for a national return, most of the trigger's cost. Now
one pass groups the rows by (return, measure, area) and the three checks read that small set.
The guarantee is unchanged: each distinct referenced row is locked FOR KEY SHARE, and a missing
one refuses the statement with the same message and error code. PostgreSQL only; SQLite's
row-level triggers are unchanged.
"""

from django.db import migrations

# (column on returns_observation, array variable, referenced table)
REFERENCES = [
    ("source_return_id", "return_ids", "returns_return"),
    ("measure_id", "measure_ids", "priorities_measure"),
    ("area_id", "area_ids", "priorities_area"),
]

CHECK_BLOCK = """
    SELECT count(*) INTO locked FROM (SELECT 1 FROM {table} WHERE id = ANY ({ids}) FOR KEY SHARE) AS l;
    IF locked < cardinality({ids}) THEN
        RAISE EXCEPTION 'insert or update on returns_observation refers to a missing row of {table}'
            USING ERRCODE = 'foreign_key_violation';
    END IF;"""

ONE_SCAN = (
    "CREATE OR REPLACE FUNCTION pcc_observation_references() RETURNS trigger AS $$\n"  # nosec B608 - constants
    "DECLARE\n    return_ids bigint[];\n    measure_ids bigint[];\n    area_ids bigint[];\n    locked bigint;\nBEGIN\n"
    "    WITH keys AS MATERIALIZED (\n"
    "        SELECT source_return_id, measure_id, area_id FROM new_rows GROUP BY 1, 2, 3\n"
    "    )\n"
    "    SELECT array_agg(DISTINCT source_return_id), array_agg(DISTINCT measure_id), array_agg(DISTINCT area_id)\n"
    "        INTO return_ids, measure_ids, area_ids FROM keys;"
    + "".join(CHECK_BLOCK.format(ids=ids, table=table) for _, ids, table in REFERENCES)
    + "\n    RETURN NULL;\nEND;\n$$ LANGUAGE plpgsql;"
)

# The previous migration's body, restored on the way back.
SIX_SCANS_BLOCK = """
    SELECT count(DISTINCT {column}) INTO wanted FROM new_rows;
    SELECT count(*) INTO locked FROM (
        SELECT 1 FROM {table} WHERE id IN (SELECT {column} FROM new_rows) FOR KEY SHARE
    ) AS l;
    IF locked < wanted THEN
        RAISE EXCEPTION 'insert or update on returns_observation refers to a missing row of {table}'
            USING ERRCODE = 'foreign_key_violation';
    END IF;"""
SIX_SCANS = (
    "CREATE OR REPLACE FUNCTION pcc_observation_references() RETURNS trigger AS $$\n"
    "DECLARE\n    wanted bigint;\n    locked bigint;\nBEGIN"
    + "".join(SIX_SCANS_BLOCK.format(column=column, table=table) for column, _, table in REFERENCES)
    + "\n    RETURN NULL;\nEND;\n$$ LANGUAGE plpgsql;"
)


def _replace(body: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            # params=None: psycopg would otherwise read the % in RAISE as a placeholder.
            schema_editor.execute(body, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0002_observation_set_based_references"),
    ]

    operations = [migrations.RunPython(_replace(ONE_SCAN), _replace(SIX_SCANS))]
