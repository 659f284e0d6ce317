"""The image, its entrypoint and the CI mirror point at things that exist in the code."""

from __future__ import annotations

import fnmatch
import importlib
import inspect
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from core.__main__ import build_parser
from core.config import Settings

REPO_ROOT = Path(__file__).resolve().parents[3]
ENTRYPOINT = REPO_ROOT / "docker" / "entrypoint.sh"
DOCKERFILE = REPO_ROOT / "Dockerfile"


def entrypoint_roles() -> dict[str, list[str]]:
    """role -> the argv its `exec` line runs (continuation lines joined, "$@" dropped)."""
    text = ENTRYPOINT.read_text(encoding="utf-8").replace("\\\n", " ")
    roles: dict[str, list[str]] = {}
    for match in re.finditer(r"^\s+([a-z-]+)\)\s*\n(?:\s*#.*\n)*\s+exec (.+)$", text, re.MULTILINE):
        argv = [a for a in shlex.split(match.group(2)) if a != "$@"]
        roles[match.group(1)] = argv
    return roles


def final_stage(dockerfile: str) -> str:
    return dockerfile.split("\nFROM ")[-1]


def test_entrypoint_offers_every_role_and_execs_each() -> None:
    roles = entrypoint_roles()
    assert set(roles) == {"api", "console", "worker", "migrate", "seed-demo"}
    text = ENTRYPOINT.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/sh\n") and "set -eu" in text
    # every role replaces the shell so SIGTERM from tini reaches Python itself
    assert text.count("exec ") >= len(roles) + 1


@pytest.mark.parametrize(
    ("role", "argv"), [("migrate", ["db", "migrate"]), ("seed-demo", ["db", "seed-demo"])]
)
def test_database_roles_run_registered_core_subcommands(role, argv) -> None:
    assert entrypoint_roles()[role] == ["python", "-m", "core", *argv]
    args = build_parser(argv).parse_args(argv)
    assert callable(args.func)


def test_worker_role_runs_the_registered_worker_command() -> None:
    assert entrypoint_roles()["worker"] == ["python", "-m", "core", "worker"]
    args = build_parser(["worker"]).parse_args(["worker"])
    assert callable(args.func)
    # the worker's graceful stop must fit in the container's stop grace period (compose)
    assert args.shutdown_timeout < 120


def test_api_role_serves_the_app_factory_that_exists() -> None:
    argv = entrypoint_roles()["api"]
    assert argv[:4] == ["python", "-m", "uvicorn", "api.main:app"]
    assert "--factory" in argv
    module = importlib.import_module("api.main")
    assert callable(module.app) and callable(module.create_app)
    assert inspect.signature(module.app).parameters == {}  # uvicorn calls it with no arguments


def test_console_role_runs_the_streamlit_app_that_exists() -> None:
    argv = entrypoint_roles()["console"]
    assert argv[:2] == ["streamlit", "run"]
    script = Path(argv[2])
    assert script.parts[:2] == ("/", "app")
    assert (REPO_ROOT / Path(*script.parts[2:])).is_file()


def test_image_copies_what_the_roles_need_and_dockerignore_lets_it_through() -> None:
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    sources = []
    for line in dockerfile.splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            parts = [p for p in line.split()[1:] if not p.startswith("--")]
            sources += parts[:-1]
    assert {"core/", "api/", "console/", "supabase/", "docker/entrypoint.sh"} <= set(sources)
    for source in sources:
        path = REPO_ROOT / source
        assert path.exists(), f"COPY {source}: not in the repository"
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        included = [f for f in files if not dockerignored(f.relative_to(REPO_ROOT).as_posix())]
        assert included, f"COPY {source}: every file is excluded by .dockerignore"
    # the migration runner reads these inside the image
    assert not dockerignored("supabase/migrations/20261126070000_core_schema.sql")
    assert not dockerignored("supabase/bootstrap/local_supabase.sql")
    for secret in (".env", "console/.env.production", ".streamlit/secrets.toml", ".git/config"):
        assert dockerignored(secret), f"{secret} would reach the build context"


def dockerignored(path: str) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern also matches a file's parents."""
    excluded = False
    for raw in (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").rstrip("/")
        if _matches(pattern, path):
            excluded = not negate
    return excluded


def _matches(pattern: str, path: str) -> bool:
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*", "[^/]*")
    return any(re.fullmatch(regex, c) or fnmatch.fnmatch(c, pattern) for c in candidates)


def test_final_image_is_pinned_non_root_under_tini_with_a_healthcheck() -> None:
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(
        r"ARG PYTHON_IMAGE=python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}\n", dockerfile
    )
    runtime = final_stage(dockerfile)
    assert "build-essential" not in runtime and "pip wheel" not in runtime
    users = re.findall(r"^USER (\S+)", runtime, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert users[-1].split(":")[0].isdigit()
    assert 'ENTRYPOINT ["/usr/bin/tini", "--", "/app/docker/entrypoint.sh"]' in runtime
    assert re.search(
        r"^HEALTHCHECK .*\n\s+CMD \[\"python\", \"/app/docker/healthcheck.py\"\]", runtime, re.M
    )
    assert "RUN python /app/docker/ocr_smoke.py" in runtime
    assert not re.search(r"(?i)^(ENV|ARG) \S*(SECRET|PASSWORD|API_KEY|TOKEN)", dockerfile, re.M)


def _apt_packages(text: str) -> set[str]:
    line = next(ln for ln in text.splitlines() if "apt-get install" in ln)
    words = line.split("apt-get install", 1)[1].split(">")[0].split()
    return {w for w in words if not w.startswith("-")}


def test_github_workflow_mirrors_ci_run() -> None:
    ci_run = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    workflow = yaml.safe_load((REPO_ROOT / ".github/workflows/ci.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["ci"]["steps"]
    commands = "\n".join(step.get("run", "") for step in steps)
    assert _apt_packages(ci_run) == _apt_packages(commands)
    for command in ("make test", "bash .ci/pgtap.sh", "bash .ci/docker_checks.sh"):
        assert command in ci_run and command in commands, command
    audit_steps = workflow["jobs"]["audit"]["steps"]
    assert any(step.get("run") == "make audit" for step in audit_steps)
    assert "audit" not in ci_run  # the service is unreachable here: not part of .ci/run


def _env_example() -> dict[str, str]:
    values = {}
    for line in (REPO_ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def _settings_from(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_env_example_as_copied_is_refused_outside_development(monkeypatch) -> None:
    with pytest.raises(ValidationError, match="placeholder"):
        _settings_from(_env_example(), monkeypatch)


def test_env_example_filled_in_is_accepted(monkeypatch) -> None:
    env = _env_example()
    env.update(
        SUPABASE_URL="https://abcdefghijklmnop.supabase.co",
        SUPABASE_ANON_KEY="sb_publishable_" + "a" * 32,
        SUPABASE_SERVICE_ROLE_KEY="sb_secret_" + "b" * 32,
        SUPABASE_JWT_SECRET="c" * 40,
        DATABASE_URL="postgresql://postgres.abcdefghijklmnop:d8f1e0c2b9a7@aws-0-eu-central-1"
        ".pooler.supabase.com:5432/postgres",
    )
    settings = _settings_from(env, monkeypatch)
    assert settings.environment.value == "production"
    assert settings.auth_backend == settings.storage_backend == "supabase"
    assert settings.database_url == env["DATABASE_URL"]


def test_env_example_names_only_real_settings_or_deployment_variables() -> None:
    text = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    names = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))
    known = set()
    for name, field in Settings.model_fields.items():
        known.add(f"INVOICEFLOW_{name.upper()}")
        alias = field.validation_alias
        known |= set(getattr(alias, "choices", []) or [])
    compose = "\n".join(
        (REPO_ROOT / f).read_text(encoding="utf-8")
        for f in (
            "docker-compose.yml",
            "docker-compose.local.yml",
            "docker-compose.aws.yml",
            "docker/Caddyfile",
        )
    )
    deployment = set(re.findall(r"\$\{?([A-Z][A-Z0-9_]+)", compose))
    stale = sorted(names - known - deployment)
    assert not stale, f".env.example documents variables nothing reads: {stale}"


def test_refused_configuration_stops_a_cli_role_with_one_clear_line(tmp_path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "INVOICEFLOW_ENVIRONMENT": "production",
        "DATABASE_URL": "postgresql://u:p@127.0.0.1:1/postgres",
        "INVOICEFLOW_AUTH_BACKEND": "supabase",
        "INVOICEFLOW_STORAGE_BACKEND": "supabase",
        "SUPABASE_URL": "https://abcdefghijklmnop.supabase.co",
        "SUPABASE_ANON_KEY": "changeme",
    }
    result = subprocess.run(
        [sys.executable, "-m", "core", "db", "migrate"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("configuration error:")
    assert "supabase_anon_key" in result.stderr


def test_uvicorn_log_config_of_the_api_role_writes_json_lines(tmp_path) -> None:
    (tmp_path / "tinyapp.py").write_text(
        "async def app(scope, receive, send):\n    pass\n", encoding="utf-8"
    )
    argv = entrypoint_roles()["api"]
    config = argv[argv.index("--log-config") + 1]
    assert config == "/app/docker/uvicorn-log.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "tinyapp:app", "--port", "0",
         "--log-config", str(REPO_ROOT / "docker/uvicorn-log.json"), "--log-level", "info"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert first["logger"] == "uvicorn.error" and first["level"] == "INFO"
    assert "color_message" not in first


def test_env_example_local_trial_checklist_gives_valid_settings(monkeypatch) -> None:
    env = {k: v for k, v in _env_example().items() if not k.startswith("SUPABASE_")}
    local = yaml.safe_load((REPO_ROOT / "docker-compose.local.yml").read_text(encoding="utf-8"))
    env.update(local["x-local-environment"])  # what the override sets for every app service
    env.update(
        INVOICEFLOW_DOMAIN="localhost",
        INVOICEFLOW_JWT_SECRET="d" * 64,
        DATABASE_URL="postgresql://postgres:local-pw@db:5432/postgres",
    )
    settings = _settings_from(env, monkeypatch)
    assert settings.auth_backend == settings.storage_backend == "local"
    assert settings.environment.value == "production"
