"""``make smoke-supabase`` (docker/supabase_smoke.py): skips cleanly without a project, and every
check runs and passes against the loopback fake playing a staging project in two key setups."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import Engine

from core.config import Settings
from core.db.session import user_session
from core.db.storage_objects import delete_object, insert_object
from tests.fakes.supabase_fake import KeySetup, running_fake

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "docker" / "supabase_smoke.py"
PASSWORD = "a long enough password"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("supabase_smoke", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_a_project_it_says_what_to_set_and_exits_0() -> None:
    env = {"PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("SKIP  make smoke-supabase: no staging project configured")
    assert "SUPABASE_TEST_URL" in done.stdout


@pytest.mark.parametrize("key_setup", ["legacy", "revoked"])
def test_every_check_passes_against_a_project_that_behaves(
    key_setup: KeySetup,
    engine: Engine,
    test_settings: Settings,
    make_user: Callable[..., Any],
    make_client: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    owner, viewer, outsider = make_user(), make_user(), make_user()
    client = make_client(owner, {"viewer": viewer})
    make_client(outsider)

    def storage_writes_its_row(event: str, bucket: str, name: str, claims: dict[str, Any]) -> None:
        with user_session(engine, claims) as session:  # as Storage does, under the user's RLS
            if event == "insert":
                insert_object(session, bucket=bucket, name=name, owner=claims["sub"], metadata={})
            else:
                delete_object(session, bucket=bucket, name=name)

    with running_fake(key_setup=key_setup, confirm_email=True) as fake:
        fake.on_object = storage_writes_its_row
        for user in (owner, viewer, outsider):
            fake.add_user(user.email, PASSWORD, user.id)
        fake.add_member(client.id, owner.id, "owner")
        fake.add_member(client.id, viewer.id, "viewer")
        env = {
            "SUPABASE_TEST_ENVIRONMENT": "test",
            "SUPABASE_TEST_URL": fake.url,
            "SUPABASE_TEST_ANON_KEY": fake.anon_key,
            "SUPABASE_TEST_SECRET_KEY": fake.service_key,
            "SUPABASE_TEST_DATABASE_URL": str(test_settings.database_url),
            "SUPABASE_TEST_JWT_SECRET": fake.jwt_secret if key_setup == "legacy" else "",
            "SUPABASE_TEST_JWKS_URL": fake.jwks_url,
            "SUPABASE_TEST_EMAIL": owner.email,
            "SUPABASE_TEST_PASSWORD": PASSWORD,
            "SUPABASE_TEST_CLIENT_ID": str(client.id),
            "SUPABASE_TEST_VIEWER_EMAIL": viewer.email,
            "SUPABASE_TEST_VIEWER_PASSWORD": PASSWORD,
            "SUPABASE_TEST_OUTSIDER_EMAIL": outsider.email,
            "SUPABASE_TEST_OUTSIDER_PASSWORD": PASSWORD,
            "SUPABASE_TEST_SIGNUP_EMAIL": "smoke@example.test",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        assert _load().main() == 0
    lines = capsys.readouterr().out.splitlines()
    assert not [line for line in lines if line.startswith("FAIL")], lines
    passed = [line for line in lines if line.startswith("PASS")]
    skipped = [line for line in lines if line.startswith("SKIP")]
    if key_setup == "legacy":  # HS256 tokens: there is no kid to find in a JWKS
        assert [s.split(":")[0] for s in skipped] == ["SKIP  JWKS without apikey"]
        assert len(passed) == 7
    else:
        assert skipped == [] and len(passed) == 8
    assert lines[-1].endswith("failed, " + str(len(skipped)) + " skipped")
