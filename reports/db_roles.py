"""The application's own PostgreSQL role: only the rights the running service needs.

Two roles: the owner runs migrations and owns every table, trigger and function; the application
connects as a role that may read and write data but owns nothing, so it cannot disable or drop the
immutability triggers nor replace their functions, and it has no UPDATE, DELETE or TRUNCATE on
the frozen snapshot tables (the triggers refuse those for the owner too, and refuse additions).
"""

from __future__ import annotations

import re

from django.db import connection, transaction

# Frozen once written (reports/migrations/0002 and 0003): the application may only add and read.
FROZEN_TABLES = ("reports_snapshot", "reports_snapshotobservation", "reports_snapshotresult")
# Written by migrations only.
READ_ONLY_TABLES = ("django_migrations",)
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RoleError(ValueError):
    """The role cannot be set up as asked (bad name, not PostgreSQL, or it owns tables)."""


def app_role_grant(*, role: str, password: str | None = None, schema: str = "public") -> list[str]:
    """Create (if missing) and grant `role` exactly the rights the application needs; return the
    statements run (password left out). Run as the owner, after every `migrate` (new tables get
    the same rights). Raises RoleError on SQLite, for a name that is not a plain lower-case
    identifier, or when the role owns tables (it must not: migrate as the owner)."""
    if connection.vendor != "postgresql":
        raise RoleError("SQLite has no database roles: protect the database file instead (it is created owner-only).")
    if not ROLE_NAME.match(role):
        raise RoleError("Use a role name of lower-case letters, digits and underscores, starting with a letter.")
    name, space = connection.ops.quote_name(role), connection.ops.quote_name(schema)
    run: list[str] = []
    with transaction.atomic(), connection.cursor() as cursor:

        def execute(sql: str, params=None, shown: str | None = None) -> None:
            cursor.execute(sql, params)
            run.append(shown or sql)

        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        exists = cursor.fetchone() is not None
        verb = "ALTER" if exists else "CREATE"
        if password:
            execute(f"{verb} ROLE {name} LOGIN PASSWORD %s", [password], f"{verb} ROLE {name} LOGIN PASSWORD '…'")
        elif not exists:
            execute(f"CREATE ROLE {name} LOGIN")
        cursor.execute("SELECT count(*) FROM pg_tables WHERE tableowner = %s", [role])
        if cursor.fetchone()[0]:
            raise RoleError(f"{role} owns tables: run migrations as the owner role and the service as {role}.")
        execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {space} FROM {name}")
        execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {space} FROM {name}")
        execute(f"REVOKE CREATE ON SCHEMA {space} FROM {name}")
        execute(f"GRANT USAGE ON SCHEMA {space} TO {name}")
        execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {space} TO {name}")
        for table in FROZEN_TABLES:
            execute(f"REVOKE UPDATE, DELETE ON {connection.ops.quote_name(table)} FROM {name}")
        for table in READ_ONLY_TABLES:
            execute(f"REVOKE INSERT, UPDATE, DELETE ON {connection.ops.quote_name(table)} FROM {name}")
        execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {space} TO {name}")
    return run
