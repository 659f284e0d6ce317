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
