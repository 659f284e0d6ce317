"""The container from ``build_services`` works end to end on the real database."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from core.bootstrap import build_services
from core.config import Settings
from tests.conftest import TestUser


def test_sign_up_verify_and_store_a_file_through_the_container(
    engine: Engine,
    test_settings: Settings,
    tmp_path: Path,
    make_client: Callable[..., Any],
) -> None:
    settings = test_settings.model_copy(update={"data_dir": tmp_path})
    services = build_services(settings, engine=engine)
    try:
        address = f"wired-{uuid.uuid4().hex[:8]}@example.test"
        services.auth.sign_up(address, "x" * 12)
        session = services.auth.sign_in(address, "x" * 12)
        user = services.verifier.current_user(session.access_token)
        assert user.id == session.user.id
        client = make_client(TestUser(user.id, user.email or "", "x" * 12))
        stored = services.storage.put(client.id, "wired.pdf", b"%PDF", None, user)
        assert services.storage.get(stored.key, user) == b"%PDF"
        assert stored.content_type == "application/pdf"
    finally:
        services.close()
    with engine.connect() as conn:  # close() leaves an engine it did not create alone
        assert conn.execute(text("select 1")).scalar_one() == 1
