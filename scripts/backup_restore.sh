#!/usr/bin/env bash
# Backup and restore rehearsal: pg_dump a database, restore it into a fresh
# database, run verify_snapshots against the copy, and compare every table's row count and content
# checksum. Exits non-zero on any difference.
#
#   scripts/backup_restore.sh DBNAME            rehearse with an existing database
#   scripts/backup_restore.sh --seed DBNAME     first (re)create DBNAME with a small demo data set
#
# Connection: PG_HOST (127.0.0.1), PG_PORT (5432), PG_USER (postgres); trust or ~/.pgpass auth.
# SEED_TO (2015-03) is the last month of demo data when seeding.
set -euo pipefail

cd "$(dirname "$0")/.."
PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
PG_USER=${PG_USER:-postgres}
SEED_TO=${SEED_TO:-2015-03}
PY=${PY:-.venv/bin/python}
[[ -x $PY ]] || PY=python3

seed=0
if [[ ${1:-} == "--seed" ]]; then
    seed=1
    shift
fi
SOURCE_DB=${1:?usage: scripts/backup_restore.sh [--seed] DBNAME}
RESTORED_DB="${SOURCE_DB}_restored"
[[ $SOURCE_DB =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "database name must be lower-case letters, digits, _" >&2; exit 2; }

PSQL=(psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -v ON_ERROR_STOP=1 -q)
WORK=$(mktemp -d /tmp/pcc-backup.XXXXXX)
DUMP="$WORK/$SOURCE_DB.dump"
trap 'rm -rf "$WORK"; "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $RESTORED_DB WITH (FORCE)" postgres >/dev/null 2>&1 || true' EXIT

url_for() { echo "postgres://$PG_USER@$PG_HOST:$PG_PORT/$1"; }
manage() {
    DATABASE_URL=$(url_for "$1") PCC_ALLOW_INSECURE_KEY=1 DEMO_USERS_FILE="$WORK/demo_users.txt" \
        "$PY" manage.py "${@:2}"
}
has_command() { manage "$SOURCE_DB" help "$1" >/dev/null 2>&1; }

if [[ $seed -eq 1 ]]; then
    echo "Seeding $SOURCE_DB (migrate, import_reference, import_plan, seed_demo --to $SEED_TO)"
    "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $SOURCE_DB WITH (FORCE)" postgres
    "${PSQL[@]}" -c "CREATE DATABASE $SOURCE_DB" postgres
    manage "$SOURCE_DB" migrate --noinput -v0
    manage "$SOURCE_DB" import_reference >/dev/null
    manage "$SOURCE_DB" import_plan fixtures/plan_leicestershire_2014.yaml >/dev/null
    if has_command seed_demo; then
        manage "$SOURCE_DB" seed_demo --to "$SEED_TO" >/dev/null
    else
        echo "seed_demo is not available: rehearsing with reference data and the plan only"
    fi
fi

echo "Backing up $SOURCE_DB"
pg_dump -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" --format=custom --no-owner --file "$DUMP" "$SOURCE_DB"
echo "  $(du -h "$DUMP" | cut -f1) in $DUMP"

echo "Restoring into a fresh database $RESTORED_DB"
"${PSQL[@]}" -c "DROP DATABASE IF EXISTS $RESTORED_DB WITH (FORCE)" postgres
"${PSQL[@]}" -c "CREATE DATABASE $RESTORED_DB" postgres
pg_restore -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" --no-owner --exit-on-error -d "$RESTORED_DB" "$DUMP"

# One line per table: name, row count, md5 of the rows in a stable order.
table_fingerprints() {
    local tables
    tables=$("${PSQL[@]}" -tA -d "$1" -c \
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    for table in $tables; do
        "${PSQL[@]}" -tA -d "$1" -c \
            "SELECT '$table', count(*), coalesce(md5(string_agg(t::text, E'\n' ORDER BY t::text)), '-') FROM \"$table\" t"
    done
}

echo "Comparing every table (row count and content checksum)"
table_fingerprints "$SOURCE_DB" >"$WORK/source.txt"
table_fingerprints "$RESTORED_DB" >"$WORK/restored.txt"
if ! diff -u "$WORK/source.txt" "$WORK/restored.txt"; then
    echo "FAIL: the restored database differs from $SOURCE_DB (see the diff above)" >&2
    exit 1
fi
tables=$(wc -l <"$WORK/source.txt")
rows=$(awk -F'|' '{s += $2} END {print s}' "$WORK/source.txt")
echo "  $tables tables, $rows rows: identical"
for main in priorities_measure returns_return returns_observation reports_snapshot; do
    grep "^$main|" "$WORK/source.txt" | awk -F'|' '{printf "  %-24s %s rows\n", $1, $2}' || true
done

if has_command verify_snapshots; then
    echo "verify_snapshots on the restored database"
    manage "$RESTORED_DB" verify_snapshots
else
    echo "verify_snapshots is not available yet: skipped"
fi
echo "Backup and restore rehearsal passed"
