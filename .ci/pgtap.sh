#!/usr/bin/env bash
# pgTAP policy tests (supabase/tests) on Debian's PostgreSQL 15, as Supabase runs 15 and 17.
#
# With PGTAP_DATABASE_URL (a superuser URL to any PostgreSQL 15+ server's maintenance database)
# it uses that server; otherwise it starts the local Debian cluster 15/main (root needed, as in
# CI; .ci/run installs postgresql-15 and postgresql-15-pgtap). Either way it creates a scratch
# database and a non-superuser migration owner (CREATEROLE + BYPASSRLS, like Supabase's
# "postgres"), installs pgtap, applies bootstrap + migrations with our runner, runs pg_prove on
# supabase/tests and drops the scratch database. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
DB="invoiceflow_pgtap_$$"
OWNER="invoiceflow_pgtap_owner"
OWNER_PW="$("$PY" -c 'import secrets; print(secrets.token_hex(16))')"
STARTED_CLUSTER=""

if [ -n "${PGTAP_DATABASE_URL:-}" ]; then
  ADMIN=(psql "$PGTAP_DATABASE_URL" -v ON_ERROR_STOP=1 -qAt)
  SCRATCH_URL="$("$PY" -c 'import sys; from sqlalchemy.engine import make_url; print(make_url(sys.argv[1]).set(database=sys.argv[2]).render_as_string(hide_password=False))' "$PGTAP_DATABASE_URL" "$DB")"
  ADMIN_DB=(psql "$SCRATCH_URL" -v ON_ERROR_STOP=1 -qAt)
  HOSTPORT="$("$PY" -c 'import sys; from urllib.parse import urlsplit; u = urlsplit(sys.argv[1]); print("{}:{}".format(u.hostname or "127.0.0.1", u.port or 5432))' "$PGTAP_DATABASE_URL")"
else
  command -v pg_lsclusters >/dev/null || { echo "pgtap: postgresql-common is not installed" >&2; exit 1; }
  status="$(pg_lsclusters -h | awk '$1 == "15" && $2 == "main" {print $4}')"
  if [ -z "$status" ]; then
    echo "pgtap: no PostgreSQL 15 cluster 'main' (apt-get install postgresql-15)" >&2
    exit 1
  fi
  if [ "$status" != "online" ]; then
    pg_ctlcluster 15 main start
    STARTED_CLUSTER=1
  fi
  port="$(pg_lsclusters -h | awk '$1 == "15" && $2 == "main" {print $3}')"
  ADMIN=(runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -qAt)
  ADMIN_DB=("${ADMIN[@]}" -d "$DB")
  HOSTPORT="127.0.0.1:$port"
fi

cleanup() {
  "${ADMIN[@]}" -c "drop database if exists $DB with (force)" >/dev/null 2>&1 || true
  if [ -n "$STARTED_CLUSTER" ]; then pg_ctlcluster 15 main stop || true; fi
}
trap cleanup EXIT

echo "pgtap: server $("${ADMIN[@]}" -c 'show server_version')"
"${ADMIN[@]}" <<SQL
do \$\$ begin
  if not exists (select 1 from pg_roles where rolname = '$OWNER') then
    create role $OWNER login createrole bypassrls;
  end if;
  -- As on Supabase, the API roles exist before any migration (only a superuser may create a
  -- BYPASSRLS role); the bootstrap then only grants them to the owner.
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
end \$\$;
alter role $OWNER with login createrole bypassrls password '$OWNER_PW';
create database $DB owner $OWNER;
SQL
"${ADMIN_DB[@]}" -c "create extension if not exists pgtap"

URL="postgresql://$OWNER:$OWNER_PW@$HOSTPORT/$DB"
# Settings outside the embedded default demand a real signing secret (even just to migrate).
DATABASE_URL="$URL" INVOICEFLOW_ENVIRONMENT=test \
  INVOICEFLOW_JWT_SECRET="$("$PY" -c 'import secrets; print(secrets.token_hex(32))')" \
  "$PY" -m core db migrate

echo "pgtap: pg_prove supabase/tests"
PGPASSWORD="$OWNER_PW" pg_prove -h "${HOSTPORT%:*}" -p "${HOSTPORT#*:}" -U "$OWNER" -d "$DB" \
  --ext .sql -r supabase/tests
