"""The load bench's arithmetic: nearest-rank percentiles and the goal verdict per request kind."""

from __future__ import annotations

from bench.load_report import Sample, percentile, summarize

GOALS = {"list": 100.0, "upload": 250.0}


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 99) == 0.0


def test_goals_hold_only_without_errors_429s_or_slow_p99() -> None:
    fast = [Sample("list", "200", 20.0), Sample("upload", "201", 120.0)] * 50
    assert summarize(fast, 10, 10, GOALS)["holds"]
    slow = fast + [Sample("upload", "201", 900.0)] * 5
    assert not summarize(slow, 10, 10, GOALS)["holds"]
    limited = [*fast, Sample("list", "429", 3.0, retry_after=True)]
    summary = summarize(limited, 10, 10, GOALS)
    assert not summary["holds"]
    assert summary["kinds"]["list"]["rate_limited"] == 1
    assert summary["kinds"]["list"]["retry_after_on_429"] == 1
    assert summary["kinds"]["list"]["errors"] == 0
    broken = [*fast, Sample("upload", "ConnectError", 5.0)]
    assert summarize(broken, 10, 10, GOALS)["kinds"]["upload"]["errors"] == 1


def test_latency_percentiles_ignore_refused_requests() -> None:
    samples = [Sample("list", "200", 10.0)] * 99 + [Sample("list", "429", 5000.0)]
    assert summarize(samples, 10, 10, GOALS)["kinds"]["list"]["p99_ms"] == 10.0


def test_throughput_counts_the_time_until_the_last_answer() -> None:
    keeping_up = [Sample("list", "200", 10.0, at=i * 0.1) for i in range(100)]  # 10/s for 10 s
    assert summarize(keeping_up, 10, 10, GOALS)["served_rps"] == 10.0
    behind = [Sample("list", "200", 10_000.0 + i * 100, at=i * 0.1) for i in range(100)]
    summary = summarize(behind, 10, 10, GOALS)
    assert summary["served_rps"] < 9.5
    assert not summary["holds"]
