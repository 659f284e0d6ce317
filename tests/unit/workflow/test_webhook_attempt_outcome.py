"""A webhook delivery's status after an attempt, decided in one place (``webhooks.deliver``)."""

from __future__ import annotations

from core.workflow.webhooks import MAX_ATTEMPTS, RETRY_SCHEDULE, Outcome, _after_attempt


def test_a_delivered_attempt_succeeds_whatever_its_number():
    assert _after_attempt(1, delivered=True) == Outcome("succeeded")
    assert _after_attempt(MAX_ATTEMPTS, delivered=True) == Outcome("succeeded")


def test_a_failed_attempt_waits_by_the_schedule_until_none_is_left():
    waits = [_after_attempt(n, delivered=False) for n in range(1, MAX_ATTEMPTS)]
    assert waits == [Outcome("pending", s) for s in RETRY_SCHEDULE]
    assert _after_attempt(MAX_ATTEMPTS, delivered=False) == Outcome("failed")
