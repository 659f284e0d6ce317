#!/usr/bin/env python3
"""pip-audit of the pinned requirements, with an honest answer when it cannot run.

Audits requirements.txt and requirements-dev.txt (every pin, no resolution) and then the installed
environment (.venv, which adds the transitive dependencies pip resolved from those pins), against
the vulnerability service (OSV by default; AUDIT_SERVICE=pypi for PyPI's JSON API).

Exit codes:
  0  audited, no known vulnerability except those justified in .ci/audit-ignore.txt
  1  vulnerabilities found (each printed with its fix versions)
  2  configuration error (an ignore entry without a reason, pip-audit missing)
  3  NOT AUDITED: the vulnerability service could not be reached (nothing is known either way)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IGNORE_FILE = ROOT / ".ci" / "audit-ignore.txt"
REQUIREMENTS = ("requirements.txt", "requirements-dev.txt")
SERVICE_PROBES = {
    "osv": ("https://api.osv.dev/v1/query", b'{"package":{"name":"pip","ecosystem":"PyPI"}}'),
    "pypi": ("https://pypi.org/pypi/pip/json", None),
}
EXIT_CLEAN, EXIT_VULNERABLE, EXIT_CONFIG, EXIT_UNREACHABLE = 0, 1, 2, 3
# pip-audit marks a package it could not look up as skipped instead of failing; with the PyPI
# service offline every package is "not found", which would otherwise read as a clean audit.
_UNAUDITED = re.compile(r"could not be audited|not found on PyPI", re.IGNORECASE)


def parse_ignores(text: str) -> tuple[dict[str, str], list[str]]:
    """`ID  # reason` lines -> {id: reason}; entries without a reason are errors."""
    ignores: dict[str, str] = {}
    errors: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        vuln_id, _, reason = line.partition("#")
        vuln_id, reason = vuln_id.strip(), reason.strip()
        if not re.fullmatch(r"[A-Za-z]+-[\w-]+", vuln_id):
            errors.append(f"{IGNORE_FILE.name}:{number}: not a vulnerability id: {vuln_id!r}")
        elif len(reason) < 15:
            errors.append(f"{IGNORE_FILE.name}:{number}: {vuln_id} needs a reason after '#'")
        else:
            ignores[vuln_id] = reason
    return ignores, errors


def probe(service: str, timeout: float = 10.0) -> str | None:
    """None when the service answers; else why it cannot be reached."""
    url, body = SERVICE_PROBES[service]
    request = urllib.request.Request(  # noqa: S310 - fixed https URLs above
        url, data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            response.read(1)
    except urllib.error.HTTPError as exc:
        # Both probes are valid queries: anything but 200 is a proxy or an outage, not the service.
        return f"{url} answered HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"{url}: {reason}"
    return None


def classify(report: dict) -> tuple[list[tuple[str, str, dict]], list[str]]:
    """(vulnerable (name, version, vuln), unaudited names) from a pip-audit JSON report."""
    vulnerable: list[tuple[str, str, dict]] = []
    unaudited: list[str] = []
    for dep in report.get("dependencies", []):
        if "skip_reason" in dep:
            if _UNAUDITED.search(dep["skip_reason"]):
                unaudited.append(dep["name"])
            continue
        vulnerable += [(dep["name"], dep.get("version", "?"), v) for v in dep.get("vulns", [])]
    return vulnerable, unaudited


def run_pip_audit(args: list[str], service: str, ignores: dict[str, str]) -> dict:
    """Run pip-audit with a JSON report; the report, or a dict with an `error`."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        command = [
            str(Path(sys.executable).with_name("pip-audit")),
            *args,
            "--vulnerability-service",
            service,
            "--format",
            "json",
            "--output",
            str(out),
            "--progress-spinner",
            "off",
            "--timeout",
            "30",
            *[part for vuln in ignores for part in ("--ignore-vuln", vuln)],
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if not out.exists():
            tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            return {"error": " | ".join(tail) or f"pip-audit exited {result.returncode}"}
        return json.loads(out.read_text(encoding="utf-8"))


def main() -> int:
    """Audit, then print one verdict line that says which of the four outcomes this is."""
    service = os.environ.get("AUDIT_SERVICE", "osv")
    if service not in SERVICE_PROBES:
        print(f"AUDIT CONFIG ERROR: AUDIT_SERVICE must be one of {sorted(SERVICE_PROBES)}")
        return EXIT_CONFIG
    ignores, errors = parse_ignores(IGNORE_FILE.read_text(encoding="utf-8"))
    if errors:
        print("\n".join(errors))
        print(f"AUDIT CONFIG ERROR: every entry in {IGNORE_FILE.name} needs an id and a reason")
        return EXIT_CONFIG
    if not Path(sys.executable).with_name("pip-audit").exists():
        print("AUDIT CONFIG ERROR: pip-audit is not installed in this environment (make install)")
        return EXIT_CONFIG

    unreachable = probe(service)
    if unreachable:
        print(f"AUDIT NOT RUN: the vulnerability service ({service}) is unreachable: {unreachable}")
        print("Nothing is known about vulnerabilities: this is not a pass. It runs in GitHub")
        print("Actions (.github/workflows/ci.yml, job `audit`) where the service is reachable.")
        return EXIT_UNREACHABLE

    runs = {
        "pinned requirements": [
            *[part for req in REQUIREMENTS for part in ("-r", str(ROOT / req))],
            "--no-deps",
            "--disable-pip",
        ],
        "installed environment": ["--local"],
    }
    found: dict[tuple[str, str, str], dict] = {}
    for label, args in runs.items():
        report = run_pip_audit(args, service, ignores)
        if "error" in report:
            print(f"AUDIT NOT RUN ({label}): pip-audit failed: {report['error']}")
            return EXIT_UNREACHABLE
        vulnerable, unaudited = classify(report)
        if unaudited:
            print(f"AUDIT NOT RUN ({label}): {len(unaudited)} package(s) could not be looked up")
            print(f"  ({', '.join(sorted(unaudited)[:8])}...): the service is not answering.")
            return EXIT_UNREACHABLE
        audited = len(report.get("dependencies", []))
        print(f"{label}: {audited} packages audited against {service}, {len(vulnerable)} findings")
        for name, version, vuln in vulnerable:
            found[(name, version, vuln["id"])] = vuln

    for vuln_id, reason in sorted(ignores.items()):
        print(f"ignored {vuln_id}: {reason}")
    if found:
        for (name, version, vuln_id), vuln in sorted(found.items()):
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix released"
            aliases = ", ".join(vuln.get("aliases") or [])
            print(f"VULNERABLE {name}=={version}: {vuln_id} ({aliases}) fixed in: {fixes}")
        print(
            f"AUDIT FAILED: {len(found)} known vulnerabilities. Upgrade the pin, or justify the "
            f"id in .ci/audit-ignore.txt"
        )
        return EXIT_VULNERABLE
    print(f"AUDIT PASSED: no known vulnerabilities ({len(ignores)} justified exceptions)")
    return EXIT_CLEAN


if __name__ == "__main__":
    sys.exit(main())
