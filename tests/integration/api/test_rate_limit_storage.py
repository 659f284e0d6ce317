"""The Postgres rate-limit storage: shared counts, windows, Retry-After."""

from __future__ import annotations

import pytest

from api.rate_limit import RateLimiter
from core.db.rate_limit_store import PostgresLimitsStorage
from core.errors import RateLimited


def test_two_instances_share_one_window_in_postgres(engine):
    a = RateLimiter(
        user_limit="3/minute", ip_limit="100/minute", storage=PostgresLimitsStorage(engine)
    )
    b = RateLimiter(
        user_limit="3/minute", ip_limit="100/minute", storage=PostgresLimitsStorage(engine)
    )
    a.hit("user", "shared-user")
    b.hit("user", "shared-user")
    a.hit("user", "shared-user")
    with pytest.raises(RateLimited) as info:
        b.hit("user", "shared-user")  # the 4th request, on the other "instance"
    assert 1 <= info.value.retry_after <= 60


def test_expired_window_starts_again(engine):
    storage = PostgresLimitsStorage(engine)
    assert storage.incr("k-expiry", 1) == 1
    assert storage.incr("k-expiry", 1) == 2
    assert storage.get("k-expiry") == 2
    import time

    time.sleep(1.2)
    assert storage.get("k-expiry") == 0
    assert storage.incr("k-expiry", 1) == 1
    storage.clear("k-expiry")
    assert storage.check()


def test_ip_and_user_are_counted_in_one_round_trip(engine):
    limiter = RateLimiter(
        user_limit="2/minute", ip_limit="3/minute", storage=PostgresLimitsStorage(engine)
    )
    limiter.hit_all([("ip", "10.9.9.9"), ("user", "u-many")])
    limiter.hit_all([("ip", "10.9.9.9"), ("user", "u-many")])
    with pytest.raises(RateLimited) as info:
        limiter.hit_all([("ip", "10.9.9.9"), ("user", "u-many")])  # user over, IP at 3
    assert info.value.details["scope"] == "user"
    with pytest.raises(RateLimited) as info:
        limiter.hit_all([("ip", "10.9.9.9"), ("user", "u-other")])  # IP now over
    assert info.value.details["scope"] == "ip"


def test_the_event_loop_path_counts_in_the_same_windows_as_the_sync_one(engine):
    import asyncio

    storage = PostgresLimitsStorage(engine, sweep_probability=1.0)  # also runs the sweep
    limiter = RateLimiter(user_limit="2/minute", ip_limit="3/minute", storage=storage)
    other = RateLimiter(
        user_limit="2/minute", ip_limit="3/minute", storage=PostgresLimitsStorage(engine)
    )

    async def requests() -> list[str | None]:
        scopes: list[str | None] = []
        for _ in range(3):
            try:
                await limiter.hit_all_async([("ip", "10.7.7.7"), ("user", "u-async")])
                scopes.append(None)
            except RateLimited as exc:
                scopes.append(exc.details["scope"])
        await storage.aclose()
        return scopes

    other.hit_all([("ip", "10.7.7.7"), ("user", "u-async")])  # another instance, sync path
    assert asyncio.run(requests()) == [None, "user", "ip"]


def test_the_event_loop_path_fails_open_when_the_database_is_unreachable(engine):
    import asyncio

    from sqlalchemy import create_engine

    down = create_engine("postgresql+psycopg://nobody:x@127.0.0.1:9/none")
    storage = PostgresLimitsStorage(down)
    storage.pool_timeout_seconds = 0.5
    limiter = RateLimiter(user_limit="1/minute", ip_limit="1/minute", storage=storage)

    async def twice() -> None:
        for _ in range(2):  # over the limit twice, but nothing can count: allowed, logged
            await limiter.hit_all_async([("ip", "10.6.6.6")])
        await storage.aclose()

    asyncio.run(asyncio.wait_for(twice(), timeout=30))


def test_far_below_the_limit_hits_are_counted_locally_and_flushed_completely(engine):
    import asyncio

    from api import rate_limit

    storage = PostgresLimitsStorage(engine)
    limiter = RateLimiter(user_limit="100/minute", ip_limit="1000/minute", storage=storage)
    other = RateLimiter(user_limit="100/minute", ip_limit="1000/minute", storage=storage)
    calls = 0
    real = storage.incr_many_async

    async def counting(*args, **kwargs):
        nonlocal calls
        calls += 1
        return await real(*args, **kwargs)

    storage.incr_many_async = counting  # type: ignore[method-assign]
    key = f"u-local-{id(limiter)}"

    async def scenario() -> tuple[int, int, list[str | None]]:
        for _ in range(40):  # well below half of 100: one exact hit, then local counting
            await limiter.hit_all_async([("ip", "10.5.5.5"), ("user", key)])
        before_flush = calls
        await asyncio.sleep(rate_limit.FLUSH_SECONDS * 3)  # the flusher sends the 39 owed
        # Another instance now sees all 40 and goes exact near the limit.
        outcomes: list[str | None] = []
        for _ in range(70):
            try:
                await other.hit_all_async([("ip", "10.5.5.6"), ("user", key)])
                outcomes.append(None)
            except RateLimited as exc:
                outcomes.append(exc.details["scope"])
        await limiter.aclose()
        await other.aclose()
        await storage.aclose()
        return before_flush, calls, outcomes

    before_flush, total_calls, outcomes = asyncio.run(scenario())
    assert before_flush == 1  # 40 requests, one round trip
    assert storage.get(limiter.items["user"].key_for("user", key)) == 100 + 10  # all counted
    assert outcomes.count(None) == 60 and set(outcomes[60:]) == {"user"}  # 40 + 60 = the limit
    assert total_calls < 40 + 70  # fewer round trips than requests
