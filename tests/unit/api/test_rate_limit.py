import pytest
from limits.storage import MemoryStorage

from api.rate_limit import RateLimiter
from core.errors import ConfigurationError, RateLimited


def test_third_request_in_window_is_refused_with_retry_after():
    limiter = RateLimiter(user_limit="2/minute", ip_limit="5/minute", storage=MemoryStorage())
    limiter.hit("user", "u1")
    limiter.hit("user", "u1")
    limiter.hit("user", "u2")  # another user has its own budget
    with pytest.raises(RateLimited) as info:
        limiter.hit("user", "u1")
    assert 1 <= info.value.retry_after <= 60
    for _ in range(5):
        limiter.hit("ip", "10.0.0.1")
    with pytest.raises(RateLimited):
        limiter.hit("ip", "10.0.0.1")


def test_limiter_fails_open_when_storage_breaks():
    class Broken(MemoryStorage):
        def incr(self, key, expiry, amount=1):
            raise ConnectionError("db down")

    limiter = RateLimiter(user_limit="1/minute", ip_limit="1/minute", storage=Broken())
    for _ in range(3):
        limiter.hit("user", "u1")


def test_bad_limit_setting_is_a_configuration_error():
    with pytest.raises(ConfigurationError):
        RateLimiter(user_limit="lots", ip_limit="1/minute")
