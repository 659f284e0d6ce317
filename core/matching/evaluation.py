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

from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.matching.profile import MatchProfile

DEFAULT_THRESHOLDS = tuple(float(t) for t in np.arange(30, 100.5, 0.5))
DEFAULT_MARGINS = (0.0, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 25.0, 30.0, 40.0)


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
        }
    )


def _arrays(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    truth = table["truth_id"].to_numpy(dtype=object)
    known = np.array([not _missing(t) for t in truth])
    correct = known & (table["best_id"].to_numpy(dtype=object) == truth)
    return (
        table["score"].to_numpy(dtype=float),
        table["margin"].to_numpy(dtype=float),
        known,
        correct,
    )


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
    candidates = [r for r in DEFAULT_THRESHOLDS if r <= auto] or [auto]
    f1s = [metrics_at(table, auto, margin, r)["f1"] for r in candidates]
    return float(candidates[int(np.argmax(f1s))])


def recommend_profile(
    table: pd.DataFrame,
    target_precision: float = 0.99,
    base: MatchProfile | None = None,
    *,
    z: float = 1.64,
) -> tuple[MatchProfile, dict[str, float]]:
    """Thresholds whose auto band meets ``target_precision`` with the largest auto rate.

    The band's precision is judged by its Wilson lower bound (``z`` standard errors; 1.64 is a
    one-sided 95% bound, chosen on the synthetic vendor set of the benchmark), so a band
    that was nearly perfect on a few hundred queries is not trusted blindly on unseen data; ties
    go to the higher threshold and margin. R then maximizes F1. Returns the profile and figures.
    """
    base = base or MatchProfile()
    score, marg, _known, correct = _arrays(table)
    best: tuple[float, float, float] | None = None  # (auto_ok, T, M)
    for t in DEFAULT_THRESHOLDS:
        for m in DEFAULT_MARGINS:
            is_auto = (score >= t) & (marg >= m)
            n_auto = int(is_auto.sum())
            ok = int((is_auto & correct).sum())
            if n_auto and wilson_lower(ok, n_auto, z) >= target_precision:
                cand = (ok, t, m)
                if (
                    best is None
                    or cand[0] > best[0]
                    or (cand[0] == best[0] and t + m > best[1] + best[2])
                ):
                    best = cand
    auto, margin = (100.0, 100.0) if best is None else (best[1], best[2])
    review = best_review_threshold(table, auto, margin)
    figures = metrics_at(table, auto, margin, review)
    profile = base.model_copy(
        update={"auto_threshold": auto, "margin": margin, "review_threshold": review}
    )
    return profile, figures


def wilson_lower(successes: int, total: int, z: float = 1.0) -> float:
    """Wilson score lower bound of a proportion (0 when ``total`` is 0)."""
    if total <= 0:
        return 0.0
    p = successes / total
    denom = 1 + z * z / total
    centre = p + z * z / (2 * total)
    spread = z * np.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return float((centre - spread) / denom)


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
