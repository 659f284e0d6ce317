#!/usr/bin/env python3
"""Check the compose files the way `docker compose config` would, without Docker.

1. Interpolate `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}` and
   `$$` exactly as the Compose specification says, with the variables of `.env.example`, and
   again with none of them set (every `:?` must then fail with its message).
2. Every variable the compose files read is documented in `.env.example`.
3. Merge `docker-compose.yml` with each override the way Compose merges files.
4. Write each interpolated file and each merged model as JSON and validate them with
   check-jsonschema against the vendored Compose Specification schema (`.ci/compose-spec.json`).
5. Cross-references a schema cannot see: `depends_on` targets exist, named volumes are declared,
   the apps wait for the one-shot migration, the worker can be scaled (no container_name, no
   published ports), every long-running service has a restart policy, a healthcheck and logging.

Exit 0 when all hold; 1 with one line per problem otherwise.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / ".ci" / "compose-spec.json"
BASE = "docker-compose.yml"
OVERRIDES = ("docker-compose.local.yml", "docker-compose.aws.yml")
ENV_EXAMPLE = ".env.example"
APPS = ("api", "console", "worker")
ONE_SHOT = ("migrate",)

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"


class InterpolationError(ValueError):
    """A `${VAR:?message}` (or `?`) whose variable is missing."""


def parse_env_file(path: Path, *, include_optional: bool = False) -> dict[str, str]:
    """KEY=VALUE lines of an env file, quotes stripped.

    With ``include_optional``, documented optional lines (``# KEY=value``) count too, under the
    active ones: that is the file as a user who filled in everything would have it.
    """
    env: dict[str, str] = {}
    optional: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        commented = re.match(rf"#\s?({_NAME}=.*)\Z", line)
        if commented and include_optional:
            key, _, value = commented.group(1).partition("=")
            optional[key] = value.strip()
            continue
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not re.fullmatch(_NAME, key.strip()):
            raise ValueError(f"{path.name}: not KEY=VALUE: {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key.strip()] = value
    return {**optional, **env}


def _braced_end(text: str, start: int) -> int:
    """Index of the `}` closing the `${` that starts at `start` (nested braces allowed)."""
    depth = 0
    for index in range(start, len(text)):
        if text.startswith("${", index):
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    raise ValueError(f"unclosed ${{ in {text!r}")


def interpolate(text: str, env: dict[str, str], used: set[str]) -> str:
    """Compose-spec interpolation of one string; records every variable name it reads."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "$":
            out.append(char)
            index += 1
            continue
        if text.startswith("$$", index):
            out.append("$")
            index += 2
            continue
        if text.startswith("${", index):
            end = _braced_end(text, index)
            out.append(_expand(text[index + 2 : end], env, used))
            index = end + 1
            continue
        match = re.match(_NAME, text[index + 1 :])
        if match:
            used.add(match.group(0))
            out.append(env.get(match.group(0), ""))
            index += 1 + len(match.group(0))
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _expand(expr: str, env: dict[str, str], used: set[str]) -> str:
    match = re.match(rf"({_NAME})(:?[-?+])?(.*)\Z", expr, re.DOTALL)
    if not match:
        raise ValueError(f"invalid interpolation ${{{expr}}}")
    name, op, rest = match.group(1), match.group(2), match.group(3)
    used.add(name)
    value = env.get(name)
    if op is None:
        if rest:
            raise ValueError(f"invalid interpolation ${{{expr}}}")
        return value or ""
    missing = value is None or (op.startswith(":") and value == "")
    kind = op[-1]
    if kind == "-":
        return interpolate(rest, env, used) if missing else str(value)
    if kind == "+":
        return "" if missing else interpolate(rest, env, used)
    if missing:
        raise InterpolationError(f"{name}: {interpolate(rest, env, used)}")
    return str(value)


def interpolate_tree(node: Any, env: dict[str, str], used: set[str], errors: list[str]) -> Any:
    """Interpolate every string value of a parsed compose file (keys are left alone)."""
    if isinstance(node, dict):
        return {k: interpolate_tree(v, env, used, errors) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate_tree(v, env, used, errors) for v in node]
    if isinstance(node, str):
        try:
            return interpolate(node, env, used)
        except InterpolationError as exc:
            errors.append(str(exc))
            return ""
    return node


def passthrough_names(model: dict[str, Any]) -> set[str]:
    """Environment entries without a value: Compose copies them from the caller's environment."""
    names: set[str] = set()
    for service in (model.get("services") or {}).values():
        environment = service.get("environment") or {}
        if isinstance(environment, dict):
            names |= {k for k, v in environment.items() if v is None}
        else:
            names |= {e for e in environment if "=" not in e}
    return names


_LIST_MERGE_UNIQUE = {"ports", "expose", "volumes", "tmpfs", "cap_drop", "cap_add", "security_opt"}


def merge(base: Any, override: Any, key: str = "") -> Any:
    """Compose's merge of two files: mappings merge, some sequences append, scalars replace."""
    if isinstance(base, dict) and isinstance(override, dict):
        if key == "logging" and base.get("driver") != override.get("driver", base.get("driver")):
            return copy.deepcopy(override)  # compose-go: another driver replaces the whole block
        merged = dict(base)
        for k, v in override.items():
            merged[k] = merge(base[k], v, k) if k in base else copy.deepcopy(v)
        return merged
    if isinstance(base, list) and isinstance(override, list) and key in _LIST_MERGE_UNIQUE:
        merged_list = list(base)
        merged_list += [item for item in override if item not in merged_list]
        return merged_list
    return copy.deepcopy(override)


def semantic_problems(model: dict[str, Any], label: str) -> list[str]:
    """What `docker compose config` or a scaled deployment would reject, beyond the schema."""
    problems: list[str] = []
    services: dict[str, Any] = model.get("services") or {}
    volumes = set((model.get("volumes") or {}).keys())
    for name, service in services.items():
        depends = service.get("depends_on") or {}
        for target in depends if isinstance(depends, (dict, list)) else []:
            if target not in services:
                problems.append(f"{label}: {name} depends_on unknown service {target!r}")
        for mount in service.get("volumes") or []:
            source = mount.split(":", 1)[0] if isinstance(mount, str) else mount.get("source", "")
            if source and not source.startswith((".", "/", "~")) and source not in volumes:
                problems.append(f"{label}: {name} mounts undeclared volume {source!r}")
        if name in ONE_SHOT:
            if str(service.get("restart", "no")) != "no":
                problems.append(f"{label}: {name} is one-shot and must have restart: 'no'")
            continue
        for field in ("restart", "healthcheck", "logging"):
            if not service.get(field):
                problems.append(f"{label}: {name} has no {field}")
    for app in APPS:
        service = services.get(app)
        if service is None:
            problems.append(f"{label}: service {app!r} is missing")
            continue
        condition = ((service.get("depends_on") or {}).get("migrate") or {}).get("condition")
        if condition != "service_completed_successfully":
            problems.append(
                f"{label}: {app} must depend on migrate with service_completed_successfully"
            )
    worker = services.get("worker") or {}
    for field in ("container_name", "ports"):
        if field in worker:
            problems.append(f"{label}: worker has {field}: it could not be scaled")
    return problems


def _load(name: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8")) or {}


def main() -> int:
    """Run every check and print one line per finding."""
    problems: list[str] = []
    example = parse_env_file(ROOT / ENV_EXAMPLE, include_optional=True)
    raw = {name: _load(name) for name in (BASE, *OVERRIDES)}

    used: set[str] = set()
    rendered: dict[str, dict[str, Any]] = {}
    for name, model in raw.items():
        errors: list[str] = []
        rendered[name] = interpolate_tree(model, example, used, errors)
        problems += [f"{name} with {ENV_EXAMPLE}: required variable missing: {e}" for e in errors]
        used |= passthrough_names(model)

    required: set[str] = set()
    for name, model in raw.items():
        errors = []
        interpolate_tree(model, {}, set(), errors)
        required |= {e.split(":", 1)[0] for e in errors}
        for error in errors:
            if not error.split(":", 1)[1].strip():
                problems.append(f"{name}: `${{{error.split(':')[0]}:?}}` has no message")
    undocumented = sorted(used - set(example))
    problems += [f"{ENV_EXAMPLE} does not document {var} (read by compose)" for var in undocumented]

    merged = {BASE: rendered[BASE]}
    for override in OVERRIDES:
        merged[f"{BASE}+{override}"] = merge(rendered[BASE], rendered[override])
    for label, model in merged.items():
        problems += semantic_problems(model, label)

    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for label, model in {**rendered, **merged}.items():
            target = Path(tmp) / (label.replace("+", "__") + ".json")
            target.write_text(json.dumps(model), encoding="utf-8")
            files.append(str(target))
        for name, model in raw.items():
            target = Path(tmp) / (name + ".raw.json")
            target.write_text(json.dumps(model), encoding="utf-8")
            files.append(str(target))
        checker = Path(sys.executable).with_name("check-jsonschema")
        result = subprocess.run(  # noqa: S603 - fixed argv, our own files
            [str(checker), "--schemafile", str(SCHEMA), *files],
            capture_output=True,
            text=True,
            check=False,
        )
        output = (result.stdout + result.stderr).replace(tmp + "/", "")
        print(output.strip())
        if result.returncode != 0:
            problems.append("Compose Specification schema validation failed (see above)")

    print(
        f"compose: {len(raw)} files, {len(merged)} merged models, {len(used)} variables read, "
        f"required: {', '.join(sorted(required)) or 'none'}"
    )
    for problem in problems:
        print(f"FAIL {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
