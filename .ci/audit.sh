#!/usr/bin/env bash
# `make audit`: pip-audit of the pinned requirements and of the installed .venv (.ci/audit.py).
# Exit 0 clean, 1 vulnerabilities found, 2 configuration error, 3 NOT AUDITED (service
# unreachable). Not part of .ci/run: the development machines cannot reach the vulnerability
# service; the `audit` job of .github/workflows/ci.yml runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${VENV:-.venv}/bin/python" .ci/audit.py "$@"
