"""How sure a tuned auto band is: intervals, proof at a confidence, and examples still needed.

An auto band is judged on the labelled queries it accepted: ``ok`` correct out of ``n``. Three
numbers come out of that:

* the **estimate** of its precision: the observed share ``ok / n`` (the point estimate). It is
  not shrunk: a band of 3 correct out of 3 is reported as 1.0, next to its interval (0.44-1.0 at
  95%) and the examples it still needs, which say plainly how little that is. The shrinkage this
  product does is on the signal weights instead (``core.matching.tuning``: fitted weights pulled
  toward the general model), where a small labelled set is most easily misread. A Jeffreys
  posterior mean was tried as the estimate and changed nothing on the held-out benchmark
  except refusing bands of fewer than about 50 clean accepts, which an analyst with a few hundred
  reviewed invoices then never got;
* a two-sided Wilson **interval** at ``confidence`` (precision, and coverage of known vendors);
* **proof**: the one-sided Wilson lower bound at ``confidence`` reaches the target. When it does
  not, ``examples_needed`` says how many more labelled queries *in the band*, at the observed
  precision, would make it, and ``reviewed_needed`` the reviewed invoices that means at the
  current share of auto decisions. ``None`` when the observed precision is at or below the target
  (more examples like these can never prove it).

The analyst picks the rule that chooses thresholds (``RULES``): ``estimate`` (default) takes the
widest band whose estimate reaches the target and reports its interval and proof status;
``proven`` takes the widest band whose lower bound reaches it. Either way the report says which
rule decided and what the other would need; an empty band is never silent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from scipy.stats import norm

from core.errors import ValidationFailed

Rule = Literal["estimate", "proven"]
RULES: tuple[str, ...] = ("estimate", "proven")


def z_one_sided(confidence: float) -> float:
    """z of a one-sided bound at ``confidence`` (0.95 -> 1.645)."""
    if not 0.5 < confidence < 1:
        raise ValidationFailed(f"confidence must be between 0.5 and 1, not {confidence}")
    return float(norm.ppf(confidence))


def wilson(successes: float, total: float, z: float) -> tuple[float, float]:
    """Wilson score interval (low, high) of a proportion; (0, 1) when ``total`` is 0."""
    if total <= 0:
        return 0.0, 1.0
    p = successes / total
    denom = 1 + z * z / total
    centre = p + z * z / (2 * total)
    spread = z * math.sqrt(max(p * (1 - p) / total + z * z / (4 * total * total), 0.0))
    return max(0.0, (centre - spread) / denom), min(1.0, (centre + spread) / denom)


def estimate(successes: int, total: int) -> float:
    """Point estimate of a proportion: the observed share (0 when ``total`` is 0)."""
    return successes / total if total else 0.0


def examples_needed(successes: int, total: int, target: float, z: float) -> int | None:
    """More band examples (at the observed precision) until the lower bound reaches ``target``."""
    if total <= 0:
        return None
    p = successes / total
    if p <= target:
        return None
    if wilson(successes, total, z)[0] >= target:
        return 0
    lo, hi = float(total), float(total)
    while wilson(p * hi, hi, z)[0] < target:
        lo, hi = hi, hi * 2
        if hi > 1e9:
            return None
    low, high = int(lo), math.ceil(hi)  # fails at low, proves at high
    while high - low > 1:
        mid = (low + high) // 2
        if wilson(p * mid, mid, z)[0] >= target:
            high = mid
        else:
            low = mid
    return high - total


@dataclass(frozen=True)
class BandCertainty:
    """Figures of one auto band (see the module docstring)."""

    auto_count: int
    auto_ok: int
    known: int
    queries: int
    precision_estimate: float
    precision_low: float
    precision_high: float
    precision_lower_bound: float
    coverage: float
    coverage_low: float
    coverage_high: float
    proven: bool
    examples_needed: int | None
    reviewed_needed: int | None

    def figures(self) -> dict[str, float]:
        """Flat float figures for ``MatchProfile.metrics`` (-1 = cannot be proven this way)."""
        return {
            "auto_precision_estimate": self.precision_estimate,
            "auto_precision_low": self.precision_low,
            "auto_precision_high": self.precision_high,
            "auto_precision_lower_bound": self.precision_lower_bound,
            "coverage": self.coverage,
            "coverage_low": self.coverage_low,
            "coverage_high": self.coverage_high,
            "proven": float(self.proven),
            "examples_needed": -1.0 if self.examples_needed is None else self.examples_needed,
            "reviewed_needed": -1.0 if self.reviewed_needed is None else self.reviewed_needed,
        }


def band_certainty(
    auto_ok: int, auto_count: int, known: int, queries: int, target: float, confidence: float
) -> BandCertainty:
    """Certainty figures of a band that accepted ``auto_count`` queries, ``auto_ok`` correctly."""
    z1 = z_one_sided(confidence)
    z2 = float(norm.ppf(1 - (1 - confidence) / 2))
    low, high = wilson(auto_ok, auto_count, z2)
    lower_bound = wilson(auto_ok, auto_count, z1)[0] if auto_count else 0.0
    cov_low, cov_high = wilson(auto_ok, known, z2)
    more = examples_needed(auto_ok, auto_count, target, z1)
    share = auto_count / queries if queries else 0.0
    reviewed = None if more is None or share <= 0 else math.ceil(more / share)
    return BandCertainty(
        auto_count=auto_count,
        auto_ok=auto_ok,
        known=known,
        queries=queries,
        precision_estimate=estimate(auto_ok, auto_count) if auto_count else 0.0,
        precision_low=low if auto_count else 0.0,
        precision_high=high if auto_count else 0.0,
        precision_lower_bound=lower_bound,
        coverage=auto_ok / known if known else 0.0,
        coverage_low=cov_low if known else 0.0,
        coverage_high=cov_high if known else 0.0,
        proven=bool(auto_count) and lower_bound >= target,
        examples_needed=more,
        reviewed_needed=reviewed,
    )
