"""In-memory fakes of the workflow's ports (``core.workflow.ports``) and a ``Services`` of them.

For tests that need the typed container but no database work from a port: the API shell, the
workflow rules that run before any SQL. They implement the same protocols as the real adapters
(mypy checks ``fake_services`` against ``Services``); the database itself is never faked: the
engine here points at a server that is not there, so any SQL fails loudly.
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from core.auth.models import AuthSession, CurrentUser, SignUpResult
from core.auth.verifier import TokenVerifier
from core.config import Settings
from core.errors import NotFound
from core.extraction.schema import Extraction
from core.storage.keys import make_key
from core.storage.port import StagedObject, StoredObject, normalise_content_type
from core.workflow.services import Services

NO_DATABASE = "postgresql+psycopg://nobody:nothing@127.0.0.1:1/none"


class FakeJobQueue:
    """A queue that remembers what was queued; ``ping_error`` makes its probe fail."""

    def __init__(self) -> None:
        self.queued: list[uuid.UUID] = []
        self.ping_error: Exception | None = None
        self.closed = False

    def enqueue_invoice(self, s: Session, invoice_id: uuid.UUID) -> bool:
        if invoice_id in self.queued:
            return False
        self.queued.append(invoice_id)
        return True

    def ping(self) -> None:
        if self.ping_error is not None:
            raise self.ping_error

    def overview(self) -> tuple[dict[str, int], float]:
        return {"todo": len(self.queued)}, 0.0

    def batch_jobs(self, batch_id: uuid.UUID) -> dict[str, int]:
        return {}

    def requeue_orphans(self, *, older_than_seconds: int = 60, limit: int = 500) -> int:
        return 0

    def close(self) -> None:
        self.closed = True


class FakeExtractor:
    """Returns the same extraction for every file (or raises ``fail_with``)."""

    def __init__(self, result: Extraction | None = None) -> None:
        self.result = result or Extraction(extractor="fake", extractor_version="1")
        self.fail_with: Exception | None = None
        self.calls = 0

    def extract(
        self, data: bytes, *, filename: str | None = None, vendor_examples: Any = ()
    ) -> Extraction:
        self.calls += 1
        if self.fail_with is not None:
            raise self.fail_with
        return self.result


class FakeFileStore:
    """Files in a dict, keyed like the real stores; no rights checks (those are RLS's)."""

    bucket = "invoices"
    stages_remotely = False

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}

    def put(
        self,
        client_id: uuid.UUID,
        filename: str,
        data: bytes,
        content_type: str | None,
        user: CurrentUser,
    ) -> StoredObject:
        key = make_key(client_id, filename)
        kind = normalise_content_type(content_type, filename)
        self.objects[key] = (data, kind)
        return StoredObject(key, len(data), hashlib.sha256(data).hexdigest(), kind, self.bucket)

    def stage(
        self,
        client_id: uuid.UUID,
        filename: str,
        data: bytes,
        content_type: str | None,
        user: CurrentUser,
    ) -> StagedObject:
        return StagedObject(self.put(client_id, filename, data, content_type, user))

    def discard(self, key: str, user: CurrentUser) -> None:
        self.objects.pop(key, None)

    def get(self, key: str, user: CurrentUser) -> bytes:
        if key not in self.objects:
            raise NotFound("file not found")
        return self.objects[key][0]

    def delete(self, key: str, user: CurrentUser) -> None:
        if self.objects.pop(key, None) is None:
            raise NotFound("file not found")

    def exists(self, key: str, user: CurrentUser) -> bool:
        return key in self.objects

    def signed_url(self, key: str, user: CurrentUser, ttl_seconds: int | None = None) -> str:
        return f"/storage/v1/object/sign/{self.bucket}/{key}?token=fake"

    def read_signed(self, url: str) -> tuple[bytes, str]:
        key = url.split(f"/sign/{self.bucket}/", 1)[-1].split("?", 1)[0]
        if key not in self.objects:
            raise NotFound("file not found")
        return self.objects[key]

    def ping(self) -> None:
        return None


class FakeAuthProvider:
    """Refuses every sign-in: tests of the API shell never sign anyone in through it."""

    def sign_up(
        self, email: str, password: str, *, user_metadata: dict[str, Any] | None = None
    ) -> SignUpResult:
        raise NotFound("no accounts in the fake auth provider")

    def sign_in(self, email: str, password: str, *, client_ip: str | None = None) -> AuthSession:
        raise NotFound("no accounts in the fake auth provider")

    def refresh(self, refresh_token: str) -> AuthSession:
        raise NotFound("no sessions in the fake auth provider")

    def sign_out(self, access_token: str) -> None:
        return None

    def get_user(self, access_token: str) -> CurrentUser:
        raise NotFound("no accounts in the fake auth provider")


def fake_services(settings: Settings | None = None, **overrides: Any) -> Services:
    """A real ``Services`` of fakes, on an engine whose database is not there."""
    settings = settings or Settings()
    engine = create_engine(NO_DATABASE, pool_pre_ping=False)
    services = Services(
        settings=settings,
        engine=engine,
        verifier=TokenVerifier.from_settings(settings),
        auth=FakeAuthProvider(),
        storage=FakeFileStore(),
        extraction=FakeExtractor(),
        jobs=FakeJobQueue(),
        closers=(engine.dispose,),
    )
    return dataclasses.replace(services, **overrides)
