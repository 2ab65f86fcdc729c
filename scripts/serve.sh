#!/usr/bin/env bash
# Serve the site for `make run`. With REDIS_URL set, a Celery worker and beat run beside the web server;
# without it, tasks run in-process and `manage.py run_schedule` runs the beat schedule.
set -euo pipefail
host=${1:-127.0.0.1}
port=${2:-8000}
bin=.venv/bin
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
# Links in emails follow the address served here unless SITE_URL says otherwise (coalition/settings.py).
export HOST="$host" PORT="$port"
# The demo secretariat sits in Copenhagen: staff pages show its local time (storage and the API keep UTC).
export TIME_ZONE="${TIME_ZONE:-Europe/Copenhagen}"
mkdir -p var
if [ -n "${REDIS_URL:-}" ]; then
  "$bin/celery" -A coalition worker -l INFO --concurrency 2 >var/worker.log 2>&1 & pids+=($!)
  "$bin/celery" -A coalition beat -l INFO --pidfile= >var/beat.log 2>&1 & pids+=($!)
  echo "Celery worker and beat started (logs: var/worker.log, var/beat.log)."
else
  # No broker, so no `celery beat`: the same schedule runs in a process of its own.
  "$bin/python" manage.py run_schedule >var/schedule.log 2>&1 & pids+=($!)
  echo "No REDIS_URL: background tasks run in-process; the schedule runs in manage.py run_schedule (log: var/schedule.log)."
fi
if [ -z "${EMAIL_URL:-}" ]; then
  echo "No EMAIL_URL: emails are written as files to ${EMAIL_FILE_PATH:-var/mail/}."
fi
echo "Serving on http://$host:$port/  (admin: /admin/, API docs: /api/docs/)"
"$bin/python" manage.py runserver "$host:$port"
