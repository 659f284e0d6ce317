"""F6: the sign-in throttle holds under concurrency and cannot be used to lock a victim out.

Against the real database, with threads standing in for concurrent requests: counting and
checking happen in one transaction, so N concurrent guesses evaluate at most the limit; the lock
is keyed by e-mail and client address, and the e-mail alone only slows down (capped).
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, text

from core.auth.local_auth import LocalAuthProvider
from core.config import Settings
from core.errors import InvalidCredentials, RateLimited

pytestmark = pytest.mark.security

PASSWORD = "the right password 42"
ATTACKER = "203.0.113.7"
VICTIM = "198.51.100.20"


class CountingProvider(LocalAuthProvider):
    """The real adapter, recording which passwords it actually compares (bcrypt checks)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.compared: list[str] = []
        self._count_lock = threading.Lock()

    @property
    def evaluated(self) -> int:
        return len(self.compared)

    def _password_matches(self, password: str, stored: str | None) -> bool:
        with self._count_lock:
            self.compared.append(password)
        return super()._password_matches(password, stored)


def new_email() -> str:
    return f"throttle-{uuid.uuid4().hex[:12]}@example.test"


@pytest.fixture
def make_provider(engine: Engine, test_settings: Settings) -> Callable[..., CountingProvider]:
    def _make(**overrides: Any) -> CountingProvider:
        settings = test_settings.model_copy(update={"password_min_length": 10, **overrides})
        return CountingProvider(engine, settings, bcrypt_rounds=4)

    return _make


def _attempt(provider: LocalAuthProvider, email: str, password: str, **kwargs: Any) -> str:
    try:
        provider.sign_in(email, password, **kwargs)
        return "ok"
    except RateLimited:
        return "limited"
    except InvalidCredentials:
        return "wrong"


def _guess_concurrently(provider: LocalAuthProvider, email: str, guesses: list[str]) -> list[str]:
    barrier = threading.Barrier(len(guesses))
    outcomes: list[str] = []

    def guess(password: str) -> None:
        barrier.wait()
        outcomes.append(_attempt(provider, email, password))

    threads = [threading.Thread(target=guess, args=(g,)) for g in guesses]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(outcomes) == len(guesses)
    return outcomes


def test_thirty_concurrent_guesses_evaluate_at_most_the_limit(
    make_provider: Callable[..., CountingProvider],
) -> None:
    provider = make_provider(signin_max_failures=5, signin_slowdown_seconds=30.0)
    email = new_email()
    provider.sign_up(email, PASSWORD)
    outcomes = _guess_concurrently(provider, email, [f"wrong guess {i}" for i in range(30)])
    assert provider.evaluated <= 5, f"{provider.evaluated} passwords evaluated, limit 5"
    assert outcomes.count("limited") == 30 - provider.evaluated
    # The owner is not locked out meanwhile: the lock is the guessing address's (unknown here).
    assert provider.sign_in(email, PASSWORD, client_ip=VICTIM).user.email == email


def test_the_right_password_among_concurrent_guesses_is_found_only_within_the_limit(
    make_provider: Callable[..., CountingProvider],
) -> None:
    provider = make_provider(signin_max_failures=5, signin_slowdown_seconds=30.0)
    email = new_email()
    provider.sign_up(email, PASSWORD)
    guesses = [f"wrong guess {i}" for i in range(29)] + [PASSWORD]
    random.Random(11).shuffle(guesses)
    outcomes = _guess_concurrently(provider, email, guesses)
    if PASSWORD in provider.compared:
        # Found among the first 5 comparisons (a success then clears the counter, as it must
        # for the account's owner; the attacker needed no more guesses).
        assert provider.compared.index(PASSWORD) < 5, provider.compared
        assert outcomes.count("ok") == 1
    else:
        assert provider.evaluated <= 5
        assert outcomes.count("ok") == 0


def test_a_failing_attacker_address_does_not_lock_the_victim_out(
    make_provider: Callable[..., CountingProvider],
) -> None:
    provider = make_provider(signin_max_failures=3, signin_slowdown_seconds=60.0)
    email = new_email()
    provider.sign_up(email, PASSWORD)
    attacker = [_attempt(provider, email, f"guess {i}!", client_ip=ATTACKER) for i in range(10)]
    assert attacker == ["wrong"] * 3 + ["limited"] * 7
    # Locked for the attacker's address, even with the right password (no answer leaks) ...
    assert _attempt(provider, email, PASSWORD, client_ip=ATTACKER) == "limited"
    # ... while the victim, from their own address, signs in at once.
    session = provider.sign_in(email, PASSWORD, client_ip=VICTIM)
    assert session.user.email == email


def test_the_email_alone_is_only_slowed_down_and_the_slowdown_is_capped(
    make_provider: Callable[..., CountingProvider],
) -> None:
    provider = make_provider(
        signin_max_failures=2,
        signin_slowdown_seconds=10.0,
        signin_email_max_failures=4,
        signin_email_slowdown_max_seconds=3.0,
    )
    email = new_email()
    provider.sign_up(email, PASSWORD)
    # A distributed guesser: several addresses, each up to its own limit.
    for n, address in enumerate(("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4")):
        for _ in range(2):
            outcome = _attempt(provider, email, f"guess from {n}!", client_ip=address)
            assert outcome in ("wrong", "limited")
    with pytest.raises(RateLimited) as slowed:
        provider.sign_in(email, PASSWORD, client_ip=VICTIM)
    assert 0 < slowed.value.retry_after <= 3.0  # a slowdown capped at 3 s, never a lock
    # The locked addresses cannot re-arm the e-mail's slowdown: refused before any evaluation.
    evaluated = provider.evaluated
    assert _attempt(provider, email, "another guess!", client_ip="192.0.2.1") == "limited"
    assert provider.evaluated == evaluated
    time.sleep(slowed.value.retry_after + 0.05)
    assert provider.sign_in(email, PASSWORD, client_ip=VICTIM).user.email == email


def test_ipv6_addresses_of_one_network_share_a_lock(
    make_provider: Callable[..., CountingProvider],
) -> None:
    provider = make_provider(signin_max_failures=2, signin_slowdown_seconds=60.0)
    email = new_email()
    provider.sign_up(email, PASSWORD)
    # A /64 is what one subscriber gets: rotating within it must not buy fresh guesses.
    outcomes = [
        _attempt(provider, email, "wrong password!", client_ip=f"2001:db8:1:2::{i:x}")
        for i in range(1, 5)
    ]
    assert outcomes == ["wrong", "wrong", "limited", "limited"]
    assert _attempt(provider, email, PASSWORD, client_ip="2001:db8:1:3::1") == "ok"


def test_throttle_rows_are_not_readable_by_api_roles(engine: Engine) -> None:
    for role in ("anon", "authenticated"):
        with engine.connect() as conn, conn.begin():
            conn.execute(text(f"set local role {role}"))
            for table in ("auth.signin_failures", "auth.signin_failures_by_address"):
                with pytest.raises(Exception, match="permission denied"), conn.begin_nested():
                    conn.execute(text(f"select * from {table}"))
