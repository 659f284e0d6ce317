"""Auth figures: sign-up time for new vs already registered addresses (F11: the two must not be
told apart by timing), and the cost of the session check every verified token goes through (F7).

    python -m bench.auth_bench [--rounds 30]

Starts a throw-away embedded PostgreSQL in a temporary directory, applies the migrations, and
uses the local auth adapter with its production bcrypt cost (10). Prints figures only; nothing
here asserts a time. Figures taken on a shared, loaded machine are skewed: re-run on a quiet one.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from core.auth.local_auth import LocalAuthProvider
from core.auth.session_check import SessionCheck
from core.auth.verifier import TokenVerifier
from core.config import Settings
from core.db import embedded
from core.db.engine import database_url, make_engine
from core.db.migrate import apply_migrations

PASSWORD = "bench password 123"  # noqa: S105 - a throw-away database


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return f"median {statistics.median(ordered) * 1000:7.1f} ms   p90 {p90 * 1000:7.1f} ms"


def _us(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1e6:8.1f} µs"


def run(rounds: int) -> None:
    """Sign-up timings and session-check costs on a fresh embedded database."""
    root = Path(tempfile.mkdtemp(prefix="invoiceflow-auth-bench-"))
    settings = Settings(_env_file=None, data_dir=root, embedded_pg_port=_free_port())  # type: ignore[call-arg]
    try:
        embedded.ensure_running(settings)
        apply_migrations(database_url(settings))
        engine = make_engine(settings)
        auth = LocalAuthProvider(engine, settings)  # bcrypt cost 10, as in production
        taken = [f"taken-{i}-{uuid.uuid4().hex[:6]}@example.test" for i in range(rounds)]
        for address in taken:
            auth.sign_up(address, PASSWORD)
        new, existing = [], []
        for address in taken:  # interleaved, so load drifts hit both series alike
            started = time.perf_counter()
            auth.sign_up(f"new-{uuid.uuid4().hex[:10]}@example.test", PASSWORD)
            new.append(time.perf_counter() - started)
            started = time.perf_counter()
            auth.sign_up(address, "another password 456")
            existing.append(time.perf_counter() - started)
        print(f"== sign-up, local auth, bcrypt cost 10, {rounds} each (interleaved)")
        print(f"new address        {_ms(new)}")
        print(f"existing address   {_ms(existing)}")
        ratio = statistics.median(existing) / statistics.median(new)
        print(f"median ratio existing/new: {ratio:.2f}")

        check = SessionCheck(engine, ttl_seconds=5.0)
        verifier = TokenVerifier.from_settings(settings, session_check=check)
        token = auth.sign_in(taken[0], PASSWORD).access_token
        user = verifier.current_user(token)
        misses, hits = [], []
        for _ in range(rounds * 10):
            check.forget(user.session_id)
            started = time.perf_counter()
            verifier.current_user(token)
            misses.append(time.perf_counter() - started)
            started = time.perf_counter()
            verifier.current_user(token)
            hits.append(time.perf_counter() - started)
        print(f"== session check per verified token, {len(misses)} each")
        print(f"database check (cache miss, once per session per TTL)  {_us(misses)}")
        print(f"cached answer                                          {_us(hits)}")
        engine.dispose()
    finally:
        embedded.stop(settings)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    run(parser.parse_args().rounds)
