"""The operational scripts behave: healthcheck, fetch-secrets, audit verdicts, OCR smoke."""

from __future__ import annotations

import http.server
import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]


class _Handler(http.server.BaseHTTPRequestHandler):
    status_by_path: ClassVar[dict[str, int]] = {}

    def do_GET(self) -> None:
        self.send_response(self.status_by_path.get(self.path, 404))
        self.end_headers()
        self.wfile.write(b"{}")

    def do_POST(self) -> None:
        self.do_GET()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[tuple[int, dict[str, int]]]:
    statuses: dict[str, int] = {}
    handler = type("Handler", (_Handler,), {"status_by_path": statuses})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], statuses
    server.shutdown()
    server.server_close()


def _run_healthcheck(role: str, port: int) -> int:
    env = dict(
        os.environ,
        INVOICEFLOW_ROLE=role,
        INVOICEFLOW_API_PORT=str(port),
        INVOICEFLOW_CONSOLE_PORT=str(port),
    )
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "docker/healthcheck.py")],
        env=env,
        capture_output=True,
        check=False,
        timeout=30,
    ).returncode


def test_healthcheck_probes_the_endpoint_of_each_role(http_server) -> None:
    port, statuses = http_server
    statuses["/api/v1/health"] = 200
    assert _run_healthcheck("api", port) == 0
    assert _run_healthcheck("console", port) == 1  # /_stcore/health not served yet
    statuses["/_stcore/health"] = 200
    assert _run_healthcheck("console", port) == 0
    statuses["/api/v1/health"] = 503
    assert _run_healthcheck("api", port) == 1
    assert _run_healthcheck("migrate", port) == 0  # one-shot: nothing to probe


def test_healthcheck_reads_the_role_from_the_entrypoint_command_line(healthcheck) -> None:
    cmd = ["/usr/bin/tini", "--", "/app/docker/entrypoint.sh", "worker"]
    assert healthcheck.role_from_cmdline(cmd) == "worker"
    assert (
        healthcheck.role_from_cmdline(["/usr/bin/tini", "--", "/app/docker/entrypoint.sh"]) == "api"
    )
    assert healthcheck.role_from_cmdline(["python", "-m", "core", "worker"]) == "worker"


FAKE_AWS = """#!/usr/bin/env bash
# Stand-in for the AWS CLI: answers from files, records its arguments.
echo "$*" >> "$FAKE_AWS_DIR/calls"
case "$*" in
  *"ssm get-parameters-by-path"*) cat "$FAKE_AWS_DIR/ssm.txt" ;;
  *"secretsmanager get-secret-value"*) cat "$FAKE_AWS_DIR/secret.json" ;;
  *) exit 2 ;;
esac
"""


@pytest.fixture
def fake_aws(tmp_path: Path) -> Path:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    aws = bindir / "aws"
    aws.write_text(FAKE_AWS, encoding="utf-8")
    aws.chmod(0o755)
    return tmp_path


def _fetch(fake: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        PATH=f"{fake / 'bin'}:{os.environ['PATH']}",
        FAKE_AWS_DIR=str(fake),
        INVOICEFLOW_ENV_FILE=str(fake / "out" / "invoiceflow.env"),
        AWS_REGION="eu-central-1",
        **extra,
    )
    return subprocess.run(
        ["bash", str(REPO_ROOT / "docker/fetch-secrets.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


def test_fetch_secrets_writes_a_private_env_file_from_ssm_and_secrets_manager(fake_aws) -> None:
    (fake_aws / "ssm.txt").write_text(
        "/invoiceflow/prod/DATABASE_URL\tpostgresql://u:p$w#rd@h:5432/postgres\n"
        "/invoiceflow/prod/INVOICEFLOW_DOMAIN\tinvoices.example.com\n"
        "/invoiceflow/prod/INVOICEFLOW_ACME_EMAIL\tops@example.com\n"
        "/invoiceflow/prod/OPENAI_API_KEY\tfrom-ssm\n",
        encoding="utf-8",
    )
    (fake_aws / "secret.json").write_text(json.dumps({"OPENAI_API_KEY": "sk-live"}), "utf-8")
    result = _fetch(fake_aws, INVOICEFLOW_SECRET_ID="invoiceflow/prod")
    assert result.returncode == 0, result.stderr
    out = fake_aws / "out" / "invoiceflow.env"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    lines = [ln for ln in out.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    assert lines == [
        "DATABASE_URL='postgresql://u:p$w#rd@h:5432/postgres'",
        "INVOICEFLOW_ACME_EMAIL='ops@example.com'",
        "INVOICEFLOW_DOMAIN='invoices.example.com'",
        "OPENAI_API_KEY='sk-live'",  # Secrets Manager wins over SSM
    ]
    assert "sk-live" not in result.stdout and "p$w#rd" not in result.stdout
    calls = (fake_aws / "calls").read_text(encoding="utf-8")
    assert "--path /invoiceflow/prod --recursive --with-decryption" in calls
    assert "--region eu-central-1" in calls


@pytest.mark.parametrize(
    ("ssm", "message"),
    [
        ("/p/INVOICEFLOW_DOMAIN\tx\n/p/INVOICEFLOW_ACME_EMAIL\ty\n", "DATABASE_URL is missing"),
        ("/p/DATABASE_URL\tit's\n", "contains a quote"),
        ("/p/BAD-NAME\tx\n", "invalid variable name"),
    ],
)
def test_fetch_secrets_refuses_incomplete_or_unsafe_values(fake_aws, ssm, message) -> None:
    (fake_aws / "ssm.txt").write_text(ssm, encoding="utf-8")
    result = _fetch(fake_aws)
    assert result.returncode != 0
    assert message in result.stderr
    assert not (fake_aws / "out" / "invoiceflow.env").exists()


def test_audit_ignore_entries_need_an_id_and_a_reason(audit) -> None:
    ignores, errors = audit.parse_ignores(
        "# header\nGHSA-aaaa-bbbb-cccc  # only the CLI is affected; review 2027-01\n"
        "PYSEC-2024-1\nnot an id # with a long enough reason here\n"
    )
    assert list(ignores) == ["GHSA-aaaa-bbbb-cccc"]
    assert (
        len(errors) == 2 and "needs a reason" in errors[0] and "not a vulnerability id" in errors[1]
    )
    assert audit.parse_ignores((REPO_ROOT / ".ci/audit-ignore.txt").read_text("utf-8"))[1] == []


def test_audit_tells_unaudited_packages_from_vulnerable_ones(audit) -> None:
    report = {
        "dependencies": [
            {"name": "ok", "version": "1", "vulns": []},
            {"name": "bad", "version": "2", "vulns": [{"id": "GHSA-x", "fix_versions": ["3"]}]},
            {
                "name": "gone",
                "skip_reason": "Dependency not found on PyPI and could not be audited",
            },
            {"name": "editable", "skip_reason": "Dependency is editable"},
        ]
    }
    vulnerable, unaudited = audit.classify(report)
    assert [(n, v, x["id"]) for n, v, x in vulnerable] == [("bad", "2", "GHSA-x")]
    assert unaudited == ["gone"]


def test_audit_probe_reports_an_unusable_service(audit, http_server, monkeypatch) -> None:
    port, statuses = http_server
    statuses["/v1/query"] = 200
    monkeypatch.setitem(audit.SERVICE_PROBES, "osv", (f"http://127.0.0.1:{port}/v1/query", b"{}"))
    assert audit.probe("osv") is None
    statuses["/v1/query"] = 503
    assert "HTTP 503" in audit.probe("osv")
    monkeypatch.setitem(audit.SERVICE_PROBES, "osv", ("http://127.0.0.1:9/v1/query", b"{}"))
    assert "127.0.0.1:9" in audit.probe("osv", timeout=2)


def test_audit_exits_3_not_0_when_the_service_is_unreachable(audit, monkeypatch, capsys) -> None:
    monkeypatch.setitem(audit.SERVICE_PROBES, "osv", ("http://127.0.0.1:9/v1/query", b"{}"))
    monkeypatch.setenv("AUDIT_SERVICE", "osv")
    assert audit.main() == audit.EXIT_UNREACHABLE
    assert "AUDIT NOT RUN" in capsys.readouterr().out


@pytest.mark.slow
def test_ocr_models_load_and_read_text_with_the_network_blocked() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "docker/ocr_smoke.py")],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "read 'INVOICE 4711'" in result.stdout


FAKE_AWS_RECORDER = f"""#!{sys.executable}
import json, os, sys
with open(os.environ["FAKE_AWS_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
"""


def test_cloudwatch_setup_alarms_on_the_metrics_the_filters_and_agent_publish(tmp_path) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "aws").write_text(FAKE_AWS_RECORDER, encoding="utf-8")
    (bindir / "aws").chmod(0o755)
    log = tmp_path / "calls.jsonl"
    env = dict(
        os.environ,
        PATH=f"{bindir}:{os.environ['PATH']}",
        FAKE_AWS_LOG=str(log),
        AWS_REGION="eu-central-1",
        ALARM_TOPIC_ARN="arn:aws:sns:eu-central-1:123456789012:alerts",
        INSTANCE_ID="i-0123456789abcdef0",
    )
    result = subprocess.run(
        ["bash", str(REPO_ROOT / "docker/cloudwatch-setup.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    filters = {
        c[c.index("--filter-name") + 1]: c[c.index("--metric-transformations") + 1]
        for c in calls
        if "put-metric-filter" in c
    }
    published = {t.split(",")[0].removeprefix("metricName=") for t in filters.values()}
    assert published == {"ApiRequests", "Api5xx", "ApiLatencyMs", "AppErrors"}
    agent = json.loads((REPO_ROOT / "docker/cloudwatch/amazon-cloudwatch-agent.json").read_text())
    emf = agent["logs"]["metrics_collected"]["prometheus"]["emf_processor"]
    published |= set(emf["metric_unit"])
    published |= {"mem_used_percent", "disk_used_percent"}
    alarms = [
        json.loads(c[c.index("--cli-input-json") + 1]) for c in calls if "put-metric-alarm" in c
    ]
    assert len(alarms) == 6
    for alarm in alarms:
        names = [alarm.get("MetricName")] + [
            m["MetricStat"]["Metric"]["MetricName"]
            for m in alarm.get("Metrics", [])
            if "MetricStat" in m
        ]
        for name in filter(None, names):
            assert name in published, (
                f"{alarm['AlarmName']} watches {name}, which nothing publishes"
            )
        assert alarm["AlarmActions"] == [env["ALARM_TOPIC_ARN"]]
    by_name = {a["AlarmName"]: a for a in alarms}
    assert by_name["invoiceflow-api-latency-p99"]["ExtendedStatistic"] == "p99"
    assert by_name["invoiceflow-queue-stalled"]["TreatMissingData"] == "breaching"
