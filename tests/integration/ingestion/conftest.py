"""A real Dovecot on loopback for the IMAP tests (skipped locally without it, failing in CI)."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.ingestion.dovecot import DOVECOT, Dovecot, free_port

USERS = tuple(f"box{i}@example.test" for i in range(40))


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    if not DOVECOT.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{DOVECOT} is missing but CI is set: .ci/run must install dovecot-imapd")
        pytest.skip("dovecot not installed (apt-get install dovecot-imapd); runs in CI")
    # Outside pytest's basetemp: the unprivileged server user must reach its own files.
    root = Path(tempfile.mkdtemp(prefix="invoiceflow-dovecot-"))
    root.chmod(0o755)
    server = Dovecot(root=root, port=free_port(), users=USERS).start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
def mailbox_user(dovecot: Dovecot) -> str:
    """A mailbox of its own for each test (empty at the start)."""
    used = getattr(dovecot, "_used", set())
    free = next(u for u in dovecot.users if u not in used)
    used.add(free)
    dovecot._used = used  # type: ignore[attr-defined]
    return free


@pytest.fixture
def message_id() -> str:
    return f"<{uuid.uuid4().hex}@sender.example.test>"
