"""The Supabase store's readiness probe: reachable is ready, 5xx or no answer is not."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator

import pytest

from core.config import Settings
from core.errors import UpstreamError
from core.storage.supabase_store import SupabaseFileStore


class _Status(http.server.BaseHTTPRequestHandler):
    status = 200
    seen: list[tuple[str, str | None]]

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("apikey")))
        self.send_response(self.status)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def storage_server() -> Iterator[type[_Status]]:
    handler = type("Handler", (_Status,), {"status": 200, "seen": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()
    server.server_close()


def _store(url: str) -> SupabaseFileStore:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        storage_backend="supabase",
        supabase_url=url,
        supabase_anon_key="anon-key-for-tests",
        jwt_secret="j" * 40,
    )
    return SupabaseFileStore(settings)


@pytest.mark.parametrize("status", [200, 400, 404])
def test_an_answering_storage_service_is_ready(storage_server, status) -> None:
    storage_server.status = status
    _store(storage_server.url).ping()
    assert storage_server.seen == [("/storage/v1/bucket/invoices", "anon-key-for-tests")]


def test_a_failing_storage_service_is_not_ready(storage_server) -> None:
    storage_server.status = 503
    with pytest.raises(UpstreamError, match="503"):
        _store(storage_server.url).ping()


def test_an_unreachable_storage_service_is_not_ready() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connection refused
        with pytest.raises(UpstreamError, match="unreachable"):
            _store(f"http://127.0.0.1:{port}").ping()
