"""docker/rollout.sh: new containers healthy before old ones stop; rollback when they are not.

The Docker CLI is replaced by a small stand-in that keeps container state in a JSON file and
records every call, so the script's decisions (what it starts, waits for, stops, removes) are
checked without a Docker engine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]

FAKE_DOCKER = f"""#!{sys.executable}
import json, os, sys
state_file = os.environ["FAKE_DOCKER_STATE"]
state = json.load(open(state_file))
args = sys.argv[1:]
state["calls"].append(" ".join(args))
out = []
def save():
    json.dump(state, open(state_file, "w"))
if args[:1] == ["compose"]:
    rest = [a for a in args[1:] if a not in ("--env-file",) and not a.endswith(".env")]
    if "ps" in rest:
        out = [c["id"] for c in state["containers"] if c["service"] == rest[-1]]
    elif "images" in rest:
        out = sorted({{c["image"] for c in state["containers"] if c["service"] == rest[-1]}})
    elif "up" in rest:
        service = rest[-1]
        scale = next((a.split("=")[1] for a in rest if a.startswith(service + "=")), None)
        mine = [c for c in state["containers"] if c["service"] == service]
        want = int(scale) if scale else max(1, len(mine))
        for i in range(len(mine), want):
            state["containers"].append({{
                "id": f"new{{len(state['containers'])}}", "service": service,
                "image": state["new_image"], "health": state["new_health"], "polls": 0}})
        if len(mine) > want:
            raise SystemExit("compose would have to remove containers: the script should not ask")
elif args[:1] == ["inspect"]:
    c = next(c for c in state["containers"] if c["id"] == args[-1])
    c["polls"] += 1
    out = ["starting" if c["polls"] <= state["starting_polls"] else c["health"]]
elif args[:1] in (["stop"], ["rm"]):
    ids = [a for a in args[1:] if not a.startswith("-")]
    if args[0] == "stop":
        for c in state["containers"]:
            if c["id"] in ids:
                c["stopped"] = True
    else:
        state["containers"] = [c for c in state["containers"] if c["id"] not in ids]
elif args[:1] == ["logs"]:
    out = ["last log line of " + args[-1]]
save()
print("\\n".join(out))
"""


def _run(tmp_path: Path, *, new_health: str, starting_polls: int = 1, timeout: str = "60"):
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    (bindir / "docker").write_text(FAKE_DOCKER, encoding="utf-8")
    (bindir / "docker").chmod(0o755)
    state = tmp_path / "state.json"
    old = [
        {"id": f"old{i}", "service": "api", "image": "sha-old", "health": "healthy", "polls": 0}
        for i in range(2)
    ]
    state.write_text(
        json.dumps(
            {
                "containers": old,
                "calls": [],
                "new_image": "sha-new",
                "new_health": new_health,
                "starting_polls": starting_polls,
            }
        ),
        encoding="utf-8",
    )
    env = dict(
        os.environ,
        PATH=f"{bindir}:{os.environ['PATH']}",
        FAKE_DOCKER_STATE=str(state),
        INVOICEFLOW_COMPOSE="docker compose --env-file /etc/invoiceflow/invoiceflow.env",
    )
    result = subprocess.run(
        ["bash", str(REPO_ROOT / "docker/rollout.sh"), "api", timeout],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return result, json.loads(state.read_text(encoding="utf-8"))


def test_rollout_starts_new_waits_for_health_then_stops_old(tmp_path) -> None:
    result, state = _run(tmp_path, new_health="healthy")
    assert result.returncode == 0, result.stderr + result.stdout
    assert sorted(c["image"] for c in state["containers"]) == ["sha-new", "sha-new"]
    calls = state["calls"]
    scale_up = next(i for i, c in enumerate(calls) if "--scale api=4" in c)
    first_inspect = next(i for i, c in enumerate(calls) if c.startswith("inspect"))
    stop_old = next(i for i, c in enumerate(calls) if c.startswith("stop"))
    last_inspect = max(i for i, c in enumerate(calls) if c.startswith("inspect"))
    assert scale_up < first_inspect < last_inspect < stop_old
    assert calls[stop_old].split()[1:] == ["old0", "old1"]
    assert "--no-recreate" in calls[scale_up] and "--no-deps" in calls[scale_up]
    assert "done: 2 container(s) on sha-new" in result.stdout


@pytest.mark.parametrize(("health", "timeout"), [("unhealthy", "60"), ("starting", "3")])
def test_rollout_keeps_the_old_containers_when_new_ones_are_not_healthy(
    tmp_path, health, timeout
) -> None:
    result, state = _run(tmp_path, new_health=health, timeout=timeout)
    assert result.returncode == 1
    assert sorted(c["id"] for c in state["containers"]) == ["old0", "old1"]
    assert not any(c.get("stopped") for c in state["containers"])
    assert not any(call.startswith("stop") for call in state["calls"])
    assert "rolling back" in result.stdout
