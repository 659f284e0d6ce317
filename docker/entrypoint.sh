#!/bin/sh
# InvoiceFlow container entrypoint: one image, one role per container.
#   api        FastAPI under uvicorn on $INVOICEFLOW_API_PORT (default 8000)
#   console    Streamlit console on $INVOICEFLOW_CONSOLE_PORT (default 8501)
#   worker     one job worker (procrastinate); scale with `docker compose up --scale worker=N`
#   migrate    apply supabase/migrations to DATABASE_URL once, then exit
#   seed-demo  create the demo workspace (local trial only), then exit
#   <other>    run it as a command, e.g. `python -m core extract invoice.pdf`
# Runs under tini (PID 1), and every role `exec`s so SIGTERM reaches Python directly.
set -eu

role="${1:-api}"
# uvicorn and Streamlit take lower-case level names; INVOICEFLOW_LOG_LEVEL is upper-case.
level="$(printf '%s' "${INVOICEFLOW_LOG_LEVEL:-INFO}" | tr '[:upper:]' '[:lower:]')"
[ "$#" -gt 0 ] && shift

case "$role" in
  api)
    # Proxy headers are trusted from the reverse proxy only (compose network); one process per
    # container keeps /metrics complete; scale containers, not uvicorn workers. Logs: JSON lines
    # (uvicorn's own through docker/uvicorn-log.json, the app's through its settings).
    exec python -m uvicorn api.main:app --factory \
      --host 0.0.0.0 --port "${INVOICEFLOW_API_PORT:-8000}" \
      --proxy-headers --forwarded-allow-ips "${INVOICEFLOW_FORWARDED_ALLOW_IPS:-*}" \
      --timeout-graceful-shutdown "${INVOICEFLOW_GRACEFUL_SECONDS:-25}" \
      --timeout-keep-alive 75 --no-server-header --no-access-log \
      --log-config /app/docker/uvicorn-log.json --log-level "$level" "$@"
    ;;
  console)
    exec streamlit run /app/console/streamlit_app.py \
      --server.address 0.0.0.0 --server.port "${INVOICEFLOW_CONSOLE_PORT:-8501}" \
      --server.headless true --server.enableXsrfProtection true \
      --browser.gatherUsageStats false --server.fileWatcherType none \
      --logger.level "$level" "$@"
    ;;
  worker)
    exec python -m core worker "$@"
    ;;
  migrate)
    exec python -m core db migrate "$@"
    ;;
  seed-demo)
    exec python -m core db seed-demo "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
