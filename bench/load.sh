#!/usr/bin/env bash
# make load: 50 simulated readers for 60 s against gunicorn (3 workers) on PostgreSQL, on loopback.
# Seeds a PostgreSQL database once (LOAD_RESEED=1 to redo it), prints requests/s and p50/p95/p99,
# writes bench/LOAD.md, and exits non-zero if any request failed. Not part of CI.
#
# Settings: PG_HOST/PG_PORT/PG_USER (127.0.0.1/5432/postgres), LOAD_DB (pcc_load), LOAD_USERS (50),
# LOAD_SECONDS (60), LOAD_WORKERS (3), LOAD_SEED_TO (2015-03).
set -euo pipefail
cd "$(dirname "$0")/.."
PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
PG_USER=${PG_USER:-postgres}
LOAD_DB=${LOAD_DB:-pcc_load}
LOAD_USERS=${LOAD_USERS:-50}
LOAD_SECONDS=${LOAD_SECONDS:-60}
LOAD_WORKERS=${LOAD_WORKERS:-3}
LOAD_SEED_TO=${LOAD_SEED_TO:-2015-03}
LOCUST_VERSION=2.47.0
PY=.venv/bin/python
OUT=bench/out
mkdir -p "$OUT"

[[ -x .venv/bin/locust ]] || .venv/bin/pip install -q "locust==$LOCUST_VERSION"

export DATABASE_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$LOAD_DB"
export SECRET_KEY=${SECRET_KEY:-$($PY -c 'import secrets; print(secrets.token_urlsafe(64))')}
export DEBUG=0 PCC_PROFILE=development PCC_REQUIRE_2FA=0 ALLOWED_HOSTS=127.0.0.1 LOG_LEVEL=ERROR
export RETURN_FILES_DIR=$OUT/load_files WHITENOISE_USE_FINDERS=0
# Redis as the shared cache between workers, as in production, when it is running.
if command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
    export CACHE_URL=redis://127.0.0.1:6379/3
    redis-cli -h 127.0.0.1 -n 3 flushdb >/dev/null
fi
PSQL=(psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -v ON_ERROR_STOP=1 -q)

seeded=$("${PSQL[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = '$LOAD_DB'" postgres || true)
if [[ $seeded == 1 && ${LOAD_RESEED:-0} != 1 ]] &&
    [[ $("${PSQL[@]}" -tAc "SELECT count(*) FROM reports_snapshot" "$LOAD_DB" 2>/dev/null || echo 0) -gt 0 ]]; then
    echo "Reusing the seeded database $LOAD_DB (LOAD_RESEED=1 to rebuild it)"
else
    echo "Seeding $LOAD_DB (takes a few minutes)"
    "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $LOAD_DB WITH (FORCE)" postgres
    "${PSQL[@]}" -c "CREATE DATABASE $LOAD_DB" postgres
    $PY manage.py migrate --noinput -v0
    $PY manage.py import_reference >/dev/null
    $PY manage.py import_plan fixtures/plan_leicestershire_2014.yaml >/dev/null
    $PY manage.py seed_demo --to "$LOAD_SEED_TO" >"$OUT/load_seed.log"
fi

export LOAD_USERNAME=load-panel
export LOAD_PASSWORD=$($PY -c 'import secrets; print(secrets.token_urlsafe(24))')
$PY manage.py shell -c "
from django.contrib.auth.models import Group, User
u, _ = User.objects.get_or_create(username='$LOAD_USERNAME')
u.set_password('$LOAD_PASSWORD'); u.save()
u.groups.add(Group.objects.get_or_create(name='panel')[0])
"
$PY manage.py collectstatic --noinput -v0

PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
.venv/bin/gunicorn pcc_dashboard.wsgi:application --workers "$LOAD_WORKERS" --bind "127.0.0.1:$PORT" \
    --timeout 60 --access-logfile /dev/null --error-logfile "$OUT/load_gunicorn.log" &
GUNICORN=$!
trap 'kill $GUNICORN 2>/dev/null; wait $GUNICORN 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/public/" && break; sleep 1; done

echo "Load: $LOAD_USERS users for ${LOAD_SECONDS}s against gunicorn ($LOAD_WORKERS workers) on 127.0.0.1:$PORT"
rc=0
.venv/bin/locust -f bench/locustfile.py --headless -u "$LOAD_USERS" -r 10 -t "${LOAD_SECONDS}s" \
    --host "http://127.0.0.1:$PORT" --only-summary --exit-code-on-error 1 --csv "$OUT/load" \
    --stop-timeout 10 2>&1 | tee "$OUT/load_locust.log" || rc=$?

post=0
$PY - "$OUT/load_stats.csv" "$LOAD_USERS" "$LOAD_SECONDS" "$LOAD_WORKERS" <<'PY' || post=$?
import csv, datetime, os, subprocess, sys

path, users, seconds, workers = sys.argv[1:]
rows = list(csv.DictReader(open(path)))
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
lines = [
    "# Load test: latest result",
    "",
    f"`make load` on {datetime.date.today():%d %B %Y}, commit {commit}: {users} simulated signed-in readers for"
    f" {seconds} s (0.5–2 s between clicks) against gunicorn with {workers} workers on PostgreSQL, on loopback,"
    f" on a {os.cpu_count()}-CPU machine shared with the load generator. Times in milliseconds.",
    "",
    "| Page | Requests | Failures | Requests/s | p50 | p95 | p99 | Max |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
]
for row in rows:
    name = row["Name"] if row["Name"] != "Aggregated" else "**All**"
    lines.append(
        f"| {name} | {row['Request Count']} | {row['Failure Count']} | {float(row['Requests/s']):.1f} | "
        f"{row['50%']} | {row['95%']} | {row['99%']} | {float(row['Max Response Time']):.0f} |"
    )
total = rows[-1]
lines += ["", "Sign-in requests happen once per simulated user at start. Regenerate with `make load`.", ""]
open("bench/LOAD.md", "w").write("\n".join(lines))
print(
    f"\nrequests/s {float(total['Requests/s']):.1f}; p50 {total['50%']} ms, p95 {total['95%']} ms, "
    f"p99 {total['99%']} ms; {total['Failure Count']} failures of {total['Request Count']} requests"
)
print("Written to bench/LOAD.md")
if int(total["Failure Count"]) > 0:
    sys.exit(1)
PY
[[ $rc -eq 0 && $post -eq 0 ]] || { echo "LOAD FAILED (locust exit $rc)" >&2; exit 1; }
