#!/usr/bin/env bash
# Schema-driven fuzz of the read-only API v1 (schemathesis), bounded and on loopback only.
#
#   scripts/api_fuzz.sh [--max-examples N] [--port PORT]
#
# Builds a throwaway SQLite database (reference data, the plan, demo data when seed_demo exists,
# and a frozen, published snapshot), serves it with `manage.py runserver 127.0.0.1:PORT`, runs
#   schemathesis run http://127.0.0.1:PORT/api/v1/schema --checks not_a_server_error
# and exits non-zero when any request gets a 5xx (or the run fails). Called from .ci/run.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY="${PYTHON:-$ROOT/.venv/bin/python}"
ST="${SCHEMATHESIS:-$ROOT/.venv/bin/schemathesis}"
MAX_EXAMPLES=30
PORT=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --max-examples) MAX_EXAMPLES="$2"; shift 2 ;;
        --port) PORT="$2"; shift 2 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
done
if [[ -z "$PORT" ]]; then
    PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
fi

WORK=$(mktemp -d /tmp/pcc-api-fuzz.XXXXXX)
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# An isolated environment: its own database and return-file store, nothing from .env that matters.
export DATABASE_URL="sqlite:///$WORK/fuzz.sqlite3"
export RETURN_FILES_DIR="$WORK/return-files"
export DEMO_USERS_FILE="$WORK/demo_users.txt"
export DEBUG=1
export PCC_REQUIRE_2FA=0
export ALLOWED_HOSTS=127.0.0.1
export PYTHONDONTWRITEBYTECODE=1
unset CACHE_URL || true

manage() { "$PY" manage.py "$@"; }

echo "api_fuzz: seeding $DATABASE_URL"
manage migrate --noinput -v 0
manage import_reference -v 0
manage import_plan fixtures/plan_leicestershire_2014.yaml -v 0
if manage help seed_demo >/dev/null 2>&1; then
    manage seed_demo --to 2014-06 -v 0
fi
# Publish the newest frozen snapshot (freeze one first when the demo data made none), so the
# anonymous API has figures to serve.
manage shell -v 0 -c '
from datetime import date
from reports.models import Snapshot
from reports.services import snapshot_freeze, snapshot_publish
snapshot = Snapshot.objects.order_by("-as_of").first()
if snapshot is None:
    snapshot = snapshot_freeze(as_of=date(2014, 5, 31))
if not hasattr(snapshot, "publication"):
    snapshot_publish(snapshot=snapshot)
print(f"api_fuzz: published snapshot {snapshot.as_of} ({Snapshot.objects.count()} frozen)")
'

echo "api_fuzz: serving on 127.0.0.1:$PORT"
manage runserver "127.0.0.1:$PORT" --noreload --nothreading >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 60); do
    if "$PY" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/api/v1/schema', timeout=2)" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "api_fuzz: the server did not start:" >&2
        cat "$WORK/server.log" >&2
        exit 1
    fi
    sleep 1
done

status=0
# Bounded: max-examples per operation, and a hard wall-clock limit on the whole run.
timeout 900 "$ST" run "http://127.0.0.1:$PORT/api/v1/schema" \
    --checks not_a_server_error \
    --max-examples "$MAX_EXAMPLES" \
    --workers 1 \
    --request-timeout 30 \
    --phases examples,coverage,fuzzing \
    --generation-deterministic \
    --no-color || status=$?

if grep -q "Internal Server Error" "$WORK/server.log"; then
    echo "api_fuzz: the server logged an internal error:" >&2
    grep -A20 "Internal Server Error" "$WORK/server.log" | head -60 >&2
    status=1
fi
if [[ $status -ne 0 ]]; then
    echo "api_fuzz: FAIL (schemathesis exit $status)" >&2
else
    echo "api_fuzz: PASS (no server error)"
fi
exit "$status"
