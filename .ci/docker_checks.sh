#!/usr/bin/env bash
# Deployment artefacts checked without a Docker engine (`make docker-lint`, called by .ci/run):
#   hadolint on the Dockerfile; the compose files interpolated, merged and validated against the
#   Compose Specification schema (.ci/compose_check.py); `caddy validate` on docker/Caddyfile;
#   every shell script linted by ShellCheck; the GitHub workflow against its schema; the systemd unit.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
BIN="$VENV/bin"
failed=()

step() { echo "-- $*"; }
run() {  # run NAME CMD...: run one check, remember its failure, keep going
  local name="$1"
  shift
  if "$@"; then echo "   ok: $name"; else echo "   FAILED: $name"; failed+=("$name"); fi
}

step "hadolint Dockerfile ($("$BIN/hadolint" --version))"
run hadolint "$BIN/hadolint" --config .hadolint.yaml Dockerfile

step "compose files against the Compose Specification schema"
run compose "$BIN/python" .ci/compose_check.py

step "caddy validate docker/Caddyfile ($("$BIN/caddy" version | cut -d' ' -f1))"
caddy_validate() {
  INVOICEFLOW_DOMAIN=invoices.example.com INVOICEFLOW_ACME_EMAIL=ops@example.com \
    "$BIN/caddy" validate --config docker/Caddyfile --adapter caddyfile 2>&1 | grep -v '"level":"info"'
  "$BIN/caddy" fmt docker/Caddyfile | diff -u docker/Caddyfile - >/dev/null \
    || { echo "docker/Caddyfile is not caddy-fmt formatted (run: $BIN/caddy fmt --overwrite docker/Caddyfile)"; return 1; }
}
run caddy caddy_validate

step "shellcheck"
mapfile -t scripts < <({ git ls-files -- '*.sh' 2>/dev/null || true; ls docker/*.sh .ci/*.sh; echo .ci/run; } | sort -u)
echo "   ${#scripts[@]} scripts: ${scripts[*]}"
if command -v shellcheck >/dev/null; then
  run shellcheck shellcheck --severity=warning "${scripts[@]}"
else
  echo "   FAILED: shellcheck not installed (apt-get install shellcheck)"
  failed+=(shellcheck)
fi

step "GitHub Actions workflow against its schema"
run workflow "$BIN/check-jsonschema" --builtin-schema vendor.github-workflows .github/workflows/ci.yml

step "systemd unit docker/invoiceflow.service"
unit_check() {
  if ! command -v systemd-analyze >/dev/null; then
    echo "   systemd-analyze not available: skipped"
    return 0
  fi
  # Only what is wrong with the file itself counts; this machine has no docker.service and no
  # /opt/invoiceflow, which `verify` also reports.
  local out
  out="$(systemd-analyze verify docker/invoiceflow.service 2>&1 \
    | grep -v -e 'docker.service not found' -e 'is not executable: No such file' \
      -e 'Failed to create invoiceflow.service/start' || true)"
  [ -z "$out" ] || { echo "$out"; return 1; }
}
run systemd unit_check

if [ "${#failed[@]}" -gt 0 ]; then
  echo "docker checks FAILED: ${failed[*]}"
  exit 1
fi
echo "docker checks passed: hadolint, compose schema, caddy, shellcheck, workflow, systemd"
