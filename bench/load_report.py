"""Turning load-bench samples into the figures docs/operations.md quotes."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    """One request: its kind, HTTP status (or error name), latency from its scheduled start."""

    kind: str
    status: str
    latency_ms: float
    retry_after: bool = False
    at: float = 0.0  # scheduled start (perf_counter seconds)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def summarize(
    samples: list[Sample], offered_rps: float, seconds: float, goals_ms: dict[str, float]
) -> dict:
    """Per kind: count, statuses, p50/p99 of answered requests; whether the goals hold."""
    kinds: dict[str, dict] = {}
    holds = True
    for kind in sorted({s.kind for s in samples}):
        mine = [s for s in samples if s.kind == kind]
        ok = [s.latency_ms for s in mine if s.status.startswith("2")]
        statuses = Counter(s.status for s in mine)
        p99 = percentile(ok, 99)
        errors = sum(n for st, n in statuses.items() if not st.startswith(("2", "429")))
        kinds[kind] = {
            "count": len(mine),
            "statuses": dict(sorted(statuses.items())),
            "p50_ms": round(percentile(ok, 50), 1),
            "p99_ms": round(p99, 1),
            "goal_p99_ms": goals_ms.get(kind),
            "errors": errors,
            "rate_limited": statuses.get("429", 0),
            "retry_after_on_429": sum(1 for s in mine if s.status == "429" and s.retry_after),
        }
        if errors or statuses.get("429", 0) or p99 > goals_ms.get(kind, float("inf")):
            holds = False
    # Throughput = answered requests over the time from the first scheduled start to the last
    # answer: a server that falls behind stretches that time, so it shows below the offer.
    answered = [s for s in samples if s.status.startswith("2")]
    span = max(
        seconds,
        max((s.at + s.latency_ms / 1000 for s in samples), default=0.0)
        - min((s.at for s in samples), default=0.0),
    )
    served_rps = len(answered) / span if span > 0 else 0.0
    return {
        "offered_rps": offered_rps,
        "served_rps": round(served_rps, 1),
        "holds": holds and served_rps >= 0.95 * offered_rps,
        "kinds": kinds,
    }


def print_phase(title: str, summary: dict) -> None:
    """One block per phase: a line per request kind."""
    verdict = "holds" if summary["holds"] else "does not hold"
    print(f"== {title}: served {summary['served_rps']} req/s, goals {verdict}")
    for kind, k in summary["kinds"].items():
        print(
            f"   {kind:7s} n={k['count']:5d} p50={k['p50_ms']:7.1f} ms p99={k['p99_ms']:7.1f} ms "
            f"(goal {k['goal_p99_ms']}) statuses={k['statuses']}"
            + (f" retry-after on {k['retry_after_on_429']}" if k["rate_limited"] else "")
        )
