"""Measure decisions against labels and recommend the profile thresholds.

Outcome table contract (one row per labelled query; build it with ``outcome_table`` from a
decision frame, or from reviewed matches where ``truth_id`` is what the reviewer confirmed):

============= ====================================================================
``query_id``  query id
``truth_id``  true vendor id, or ``None`` when the vendor is not in the reference
``best_id``   the best candidate's vendor id (``None`` when there was no candidate)
``score``     best candidate's score, 0-100
``margin``    best score minus runner-up score
============= ====================================================================

At thresholds (T, M, R) a query is *auto* when ``score >= T and margin >= M``, *review* when not
auto and ``score >= R``, otherwise *reject*. Auto and review predict ``best_id``; reject predicts
"not in the reference". Then: TP = predicted the true vendor; FP = predicted a vendor that is
not the true one (or any vendor for an unknown one); FN = a known vendor not predicted correctly.
``precision = TP/(TP+FP)``, ``recall = TP/known``, ``F1`` their harmonic mean.
``auto_precision`` = correct autos / autos; ``auto_rate`` = autos / queries;
``auto_correct_known`` = correct autos / queries whose vendor is known; ``review_size`` = reviews.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.errors import ValidationFailed
from core.matching.certainty import (
    RULES,
    Rule,
    band_certainty,
    estimate,
    wilson,
    z_one_sided,
)
from core.matching.profile import MatchProfile

DEFAULT_THRESHOLDS = tuple(float(t) for t in np.arange(30, 100.5, 0.5))
DEFAULT_MARGINS = (0.0, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 25.0, 30.0, 40.0)
# A tie (margin 0) is never auto-accepted: two vendors fit equally well.
AUTO_MARGINS = tuple(m for m in DEFAULT_MARGINS if m > 0)
COVERAGE_SLACK = 0.02  # share of correct auto-accepts given up for a purer band (see _pick)


def _missing(value: object) -> bool:
    return (
        value is None or (isinstance(value, float) and np.isnan(value)) or str(value) in {"", "-1"}
    )


def outcome_table(decisions: pd.DataFrame, truth: pd.Series) -> pd.DataFrame:
    """Outcome table from a decision frame (``core.matching.matcher``) and truth ids by query id."""
    best = [c[0]["id"] if len(c) else None for c in decisions["candidates"]]
    truth_by_id = {str(k): (None if _missing(v) else str(v)) for k, v in truth.items()}
    return pd.DataFrame(
        {
            "query_id": decisions["query_id"].to_numpy(),
            "truth_id": pd.Series(
                [truth_by_id.get(str(q)) for q in decisions["query_id"]], dtype=object
            ),
            "best_id": pd.Series(best, dtype=object),
            "score": decisions["score"].to_numpy(dtype=float),
            "margin": decisions["margin"].to_numpy(dtype=float),
            "held": decisions["held"].to_numpy(dtype=bool)
            if "held" in decisions.columns
            else np.zeros(len(decisions), dtype=bool),
        }
    )


def _arrays(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    truth = table["truth_id"].to_numpy(dtype=object)
    known = np.array([not _missing(t) for t in truth])
    correct = known & (table["best_id"].to_numpy(dtype=object) == truth)
    margin = table["margin"].to_numpy(dtype=float)
    if "held" in table.columns:  # held for review: no margin lets it into the auto band
        margin = np.where(table["held"].to_numpy(dtype=bool), -np.inf, margin)
    return table["score"].to_numpy(dtype=float), margin, known, correct


def metrics_at(table: pd.DataFrame, auto: float, margin: float, review: float) -> dict[str, float]:
    """All figures of the module docstring at one (T, M, R)."""
    score, marg, known, correct = _arrays(table)
    is_auto = (score >= auto) & (marg >= margin)
    predicted = is_auto | (score >= review)
    tp = int((predicted & correct).sum())
    fp = int((predicted & ~correct).sum())
    n_known = int(known.sum())
    n_auto = int(is_auto.sum())
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / n_known if n_known else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    auto_ok = int((is_auto & correct).sum())
    return {
        "auto_threshold": auto,
        "margin": margin,
        "review_threshold": review,
        "tp": tp,
        "fp": fp,
        "fn": n_known - tp,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "auto_count": n_auto,
        "auto_precision": auto_ok / n_auto if n_auto else 1.0,
        "auto_rate": n_auto / len(table) if len(table) else 0.0,
        "auto_correct_known": auto_ok / n_known if n_known else 0.0,
        "review_size": int((predicted & ~is_auto).sum()),
    }


def sweep(
    table: pd.DataFrame,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    margins: Sequence[float] = DEFAULT_MARGINS,
    review: float | None = None,
) -> pd.DataFrame:
    """Figures for every (T, M); R defaults to T (no review band) unless given."""
    rows = [
        metrics_at(table, t, m, t if review is None else min(review, t))
        for t in thresholds
        for m in margins
    ]
    return pd.DataFrame(rows)


def best_review_threshold(table: pd.DataFrame, auto: float, margin: float) -> float:
    """The R <= T that maximizes F1 of auto + review predictions."""
    candidates = [r for r in DEFAULT_THRESHOLDS if r <= auto] or [min(auto, 100.0)]
    f1s = [metrics_at(table, auto, margin, r)["f1"] for r in candidates]
    return float(candidates[int(np.argmax(f1s))])


def recommend_profile(
    table: pd.DataFrame,
    target_precision: float = 0.99,
    base: MatchProfile | None = None,
    *,
    rule: Rule = "estimate",
    confidence: float = 0.95,
) -> tuple[MatchProfile, dict[str, float]]:
    """Thresholds whose auto band meets ``target_precision`` with the most correct auto-accepts.

    ``rule`` (``core.matching.certainty``): ``"estimate"`` accepts a band whose observed precision
    (the point estimate) reaches the target, ``"proven"`` one whose one-sided Wilson lower bound at
    ``confidence`` does. Ties go to the higher threshold and margin; R then maximizes F1. The
    figures carry the band's interval, proof status and the examples still needed to prove it
    (``certainty.BandCertainty.figures``), plus ``auto_band`` (1/0) and, when the chosen rule
    found no band, what the estimate rule would have chosen. ``explain`` words them.
    """
    if rule not in RULES:
        raise ValidationFailed(f"unknown rule {rule!r}; choose one of {RULES}")
    base = base or MatchProfile()
    score, marg, known, correct = _arrays(table)
    z1 = z_one_sided(confidence)
    eligible: dict[str, list[tuple[int, int, float, float]]] = {"estimate": [], "proven": []}
    for t in DEFAULT_THRESHOLDS:
        above = score >= t
        for m in AUTO_MARGINS:
            is_auto = above & (marg >= m)
            n_auto = int(is_auto.sum())
            if not n_auto:
                continue
            ok = int((is_auto & correct).sum())
            passes = {
                "estimate": estimate(ok, n_auto) >= target_precision,
                "proven": wilson(ok, n_auto, z1)[0] >= target_precision,
            }
            for name, good in passes.items():
                if good:
                    eligible[name].append((ok, n_auto - ok, t, m))
    best = {name: _pick(bands) for name, bands in eligible.items() if bands}
    chosen = best.get(rule)
    # No band: nothing is auto-accepted, whatever the score (inf thresholds for the figures).
    auto, margin = (math.inf, math.inf) if chosen is None else (chosen[1], chosen[2])
    review = best_review_threshold(table, auto, margin)
    figures = metrics_at(table, auto, margin, review)
    if chosen is None:
        auto, margin = 100.0, 100.0
        figures.update(auto_threshold=auto, margin=margin)
    n_known, n_auto = int(known.sum()), int(figures["auto_count"])
    ok = int(((score >= auto) & (marg >= margin) & correct).sum()) if n_auto else 0
    cert = band_certainty(ok, n_auto, n_known, len(table), target_precision, confidence)
    figures.update(cert.figures())
    figures.update(
        {
            "auto_band": float(chosen is not None),
            "target_precision": target_precision,
            "confidence": confidence,
            "rule_proven": float(rule == "proven"),
        }
    )
    alt = best.get("estimate")
    if chosen is None and alt is not None:
        # The proven rule found nothing: say what the estimate rule's band would need.
        alt_m = metrics_at(table, alt[1], alt[2], alt[1])
        alt_c = band_certainty(
            alt[0], int(alt_m["auto_count"]), n_known, len(table), target_precision, confidence
        )
        figures.update(
            {
                "estimate_auto_threshold": alt[1],
                "estimate_margin": alt[2],
                "estimate_auto_count": alt_m["auto_count"],
                "estimate_auto_precision": alt_m["auto_precision"],
                "estimate_coverage": alt_c.coverage,
                "estimate_examples_needed": -1.0
                if alt_c.examples_needed is None
                else alt_c.examples_needed,
                "estimate_reviewed_needed": -1.0
                if alt_c.reviewed_needed is None
                else alt_c.reviewed_needed,
            }
        )
    profile = base.model_copy(
        update={
            "auto_enabled": chosen is not None,
            "auto_threshold": auto,
            "margin": margin,
            "review_threshold": review,
        }
    )
    return profile, figures


def _pick(bands: list[tuple[int, int, float, float]]) -> tuple[int, float, float]:
    """(ok, T, M) of the purest band among those within ``COVERAGE_SLACK`` of the most correct.

    The band with the very most correct auto-accepts sits right above the last error seen in the
    labelled set, where the next unseen error is most likely; giving up a little coverage for
    fewer errors (then higher T + M) makes the choice steadier on unseen data.
    """
    most = max(b[0] for b in bands)
    near = [b for b in bands if b[0] >= (1 - COVERAGE_SLACK) * most]
    ok, _, t, m = min(near, key=lambda b: (b[1], -b[0], -(b[2] + b[3])))
    return ok, t, m


def explain(figures: dict[str, float]) -> str:
    """The recommendation in plain words, from ``recommend_profile``'s figures."""
    target = figures["target_precision"]
    conf = f"{figures['confidence']:.0%}"
    rule = "proven lower bound" if figures.get("rule_proven") else "estimate"
    if not figures.get("auto_band"):
        text = (
            f"No auto band: no threshold gives an auto band whose {rule} of precision reaches "
            f"{target:g} on these {int(figures.get('tp', 0) + figures.get('fn', 0))} known-vendor "
            "queries; every match goes to review."
        )
        if "estimate_auto_threshold" in figures:
            need = figures["estimate_reviewed_needed"]
            text += (
                f" By the estimate rule, T={figures['estimate_auto_threshold']:g} "
                f"M={figures['estimate_margin']:g} would auto-accept "
                f"{int(figures['estimate_auto_count'])} queries at observed precision "
                f"{figures['estimate_auto_precision']:.3f} (coverage "
                f"{figures['estimate_coverage']:.1%})"
                + (
                    f"; about {int(need)} more reviewed invoices like these would prove it at "
                    f"{conf}."
                    if need >= 0
                    else "."
                )
            )
        return text
    text = (
        f"Auto band T={figures['auto_threshold']:g} M={figures['margin']:g} (chosen by the "
        f"{rule}): {int(figures['auto_count'])} auto-accepts, observed precision "
        f"{figures['auto_precision']:.3f} (estimate {figures['auto_precision_estimate']:.3f}, "
        f"{conf} interval {figures['auto_precision_low']:.3f}-{figures['auto_precision_high']:.3f})"
        f", coverage {figures['coverage']:.1%} ({conf} interval {figures['coverage_low']:.1%}-"
        f"{figures['coverage_high']:.1%}). "
    )
    if figures["proven"]:
        return text + f"Precision >= {target:g} is proven at {conf} confidence."
    need, reviewed = figures["examples_needed"], figures["reviewed_needed"]
    if need < 0:
        return text + (
            f"Precision >= {target:g} is not proven at {conf} and more examples at this observed "
            "precision cannot prove it."
        )
    return text + (
        f"Precision >= {target:g} is not yet proven at {conf}: about {int(need)} more "
        f"auto-band examples at this precision (about {int(reviewed)} more reviewed invoices) "
        "would prove it."
    )


def wilson_lower(successes: int, total: int, z: float = 1.0) -> float:
    """Wilson score lower bound of a proportion (0 when ``total`` is 0)."""
    if total <= 0:
        return 0.0
    return wilson(successes, total, z)[0]


def pair_metrics(truth: Sequence[bool], predicted: Sequence[bool]) -> dict[str, float]:
    """Precision, recall, F1 and the confusion counts of labelled pairs."""
    t = np.asarray(truth, dtype=bool)
    p = np.asarray(predicted, dtype=bool)
    tp, fp = int((t & p).sum()), int((~t & p).sum())
    fn, tn = int((t & ~p).sum()), int((~t & ~p).sum())
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }
