"""The compose checker interpolates, merges and cross-checks like Compose does."""

from __future__ import annotations

import pytest


def test_interpolation_follows_the_compose_specification(compose_check) -> None:
    env = {"SET": "value", "EMPTY": ""}
    used: set[str] = set()
    cases = {
        "${SET}": "value",
        "$SET/x": "value/x",
        "${UNSET}": "",
        "${UNSET:-fallback}": "fallback",
        "${EMPTY:-fallback}": "fallback",
        "${EMPTY-fallback}": "",
        "${UNSET-fallback}": "fallback",
        "${SET:+alt}": "alt",
        "${UNSET:+alt}": "",
        "${UNSET:-${SET}}": "value",
        "$$SET": "$SET",
        "cost $$5": "cost $5",
    }
    for text, expected in cases.items():
        assert compose_check.interpolate(text, env, used) == expected, text
    assert {"SET", "UNSET", "EMPTY"} <= used


@pytest.mark.parametrize(
    ("text", "env"),
    [("${NEED:?say why}", {}), ("${NEED:?say why}", {"NEED": ""}), ("${NEED?say why}", {})],
)
def test_required_variable_raises_with_its_message(compose_check, text, env) -> None:
    with pytest.raises(compose_check.InterpolationError, match="NEED: say why"):
        compose_check.interpolate(text, env, set())


def test_required_but_empty_is_allowed_by_the_question_mark_without_colon(compose_check) -> None:
    assert compose_check.interpolate("${NEED?say why}", {"NEED": ""}, set()) == ""


def test_merge_combines_maps_appends_ports_and_replaces_commands(compose_check) -> None:
    base = {"services": {"a": {"command": ["x"], "ports": ["80:80"], "environment": {"A": "1"}}}}
    override = {
        "services": {"a": {"command": ["y"], "ports": ["443:443"], "environment": {"B": "2"}}}
    }
    merged = compose_check.merge(base, override)["services"]["a"]
    assert merged["command"] == ["y"]
    assert merged["ports"] == ["80:80", "443:443"]
    assert merged["environment"] == {"A": "1", "B": "2"}
    assert base["services"]["a"]["command"] == ["x"]  # inputs untouched


def test_merge_replaces_logging_when_the_driver_changes(compose_check) -> None:
    json_file = {"driver": "json-file", "options": {"max-size": "20m"}}
    awslogs = {"driver": "awslogs", "options": {"awslogs-group": "/g"}}
    assert compose_check.merge({"logging": json_file}, {"logging": awslogs}) == {"logging": awslogs}
    same = {"driver": "json-file", "options": {"max-file": "3"}}
    merged = compose_check.merge({"logging": json_file}, {"logging": same})["logging"]
    assert merged["options"] == {"max-size": "20m", "max-file": "3"}


def _healthy_model() -> dict:
    app = {
        "restart": "unless-stopped",
        "healthcheck": {"test": ["CMD", "true"]},
        "logging": {"driver": "json-file"},
        "depends_on": {"migrate": {"condition": "service_completed_successfully"}},
    }
    return {
        "services": {
            "migrate": {"restart": "no"},
            "api": dict(app),
            "console": dict(app),
            "worker": dict(app, volumes=["data:/data"]),
        },
        "volumes": {"data": {}},
    }


def test_semantic_checks_accept_the_production_shape(compose_check) -> None:
    assert compose_check.semantic_problems(_healthy_model(), "m") == []


def test_semantic_checks_catch_what_the_schema_cannot(compose_check) -> None:
    model = _healthy_model()
    services = model["services"]
    services["worker"]["container_name"] = "w1"
    services["worker"]["ports"] = ["9000:9000"]
    services["worker"]["volumes"] = ["missing:/data"]
    services["api"]["depends_on"] = {"migrate": {"condition": "service_started"}, "ghost": {}}
    services["migrate"]["restart"] = "always"
    del services["console"]["healthcheck"]
    problems = "\n".join(compose_check.semantic_problems(model, "m"))
    for expected in (
        "worker has container_name",
        "worker has ports",
        "undeclared volume 'missing'",
        "unknown service 'ghost'",
        "api must depend on migrate",
        "migrate is one-shot",
        "console has no healthcheck",
    ):
        assert expected in problems


def test_env_example_documents_optional_lines_too(compose_check, tmp_path) -> None:
    env_file = tmp_path / "x.env"
    env_file.write_text("# comment\nA=1\n# B=2\nC='quoted value'\n", encoding="utf-8")
    assert compose_check.parse_env_file(env_file) == {"A": "1", "C": "quoted value"}
    full = compose_check.parse_env_file(env_file, include_optional=True)
    assert full == {"A": "1", "B": "2", "C": "quoted value"}


def test_the_repository_compose_files_pass_every_check(compose_check, capsys) -> None:
    assert compose_check.main() == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert "DATABASE_URL, INVOICEFLOW_ACME_EMAIL, INVOICEFLOW_DOMAIN" in out
