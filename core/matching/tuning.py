"""Pick a ``MatchProfile`` from labelled queries: scorer, signal weights, T, M and R.

For the ``model`` scorer the signal weights are a logistic regression of "this candidate is the
true vendor" on the pair signals, shrunk toward the base profile's weights (the general model
fitted on the synthetic vendor set, or the client's previous profile when it is the base): an L2
penalty on the distance to those weights instead of to zero. With few labelled queries the
weights stay near the general model, and a signal the labelled set never exercises (no acronym,
no alias among them) keeps its prior weight instead of dropping to zero. The pull is weak
(``PRIOR_STRENGTH``): on Fodors-Zagat (real names and addresses) a strength of 0.01 gave F1
0.99/0.98 on the two halves, 0.1 gave 0.97/0.95 and 10 gave 0.92/0.95, while the synthetic
company set scored alike at 0.01 and 0.1; so the client's data decides wherever it says
something, and the general model only fills in what it does not. Thresholds are chosen on
*cross-fitted* scores (each query scored by weights fitted without its company), so the bands are
judged on scores that behave like unseen data; the final weights are then refitted on everything.
Each thefuzz scorer is tuned the same way (thresholds only) and the scorer with the most correct
auto-accepts at the target precision (then F1) wins. How sure the band is, and which rule chose
it, is in ``core.matching.certainty``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit

from core.errors import ValidationFailed
from core.matching.certainty import Rule
from core.matching.evaluation import _missing, explain, recommend_profile
from core.matching.features import SIGNALS, logistic_score, prepare_frame
from core.matching.index import VendorIndex, validate_frame
from core.matching.matcher import rank_vendors, score_candidates
from core.matching.profile import MatchProfile

DEFAULT_SCORERS: tuple[str, ...] = ("model", "token_sort_ratio", "token_set_ratio", "WRatio")
_FOLDS = 4
PRIOR_STRENGTH = 0.01  # L2 pull of the fitted weights toward the base profile's


def fit_weights(
    pairs: pd.DataFrame,
    labels: np.ndarray,
    base: dict[str, float],
    *,
    strength: float = PRIOR_STRENGTH,
) -> dict[str, float]:
    """Logistic weights for the signals that vary in ``pairs``, shrunk toward ``base``.

    Minimizes the logistic loss plus ``strength / 2 * sum((w - base_w) ** 2)`` (the bias is not
    penalized); signals constant in ``pairs`` keep their ``base`` weight.
    """
    used = [s for s in SIGNALS if s in pairs and pairs[s].std() > 1e-9]
    weights = dict(base)
    if not used or labels.all() or not labels.any():
        return weights
    x = pairs[used].to_numpy(dtype=float)
    y = np.where(labels, 1.0, -1.0)
    prior = np.array([base.get(s, 0.0) for s in used])

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = theta[0] + x @ theta[1:]
        margin = y * z
        value = float(np.logaddexp(0.0, -margin).sum())
        value += strength / 2 * float(((theta[1:] - prior) ** 2).sum())
        dz = -y * expit(-margin)
        grad = np.concatenate([[dz.sum()], x.T @ dz + strength * (theta[1:] - prior)])
        return value, grad

    start = np.concatenate([[base.get("bias", 0.0)], prior])
    fitted = minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 2000}).x
    weights["bias"] = round(float(fitted[0]), 4)
    for s, w in zip(used, fitted[1:], strict=True):
        weights[s] = round(float(w), 4)
    return weights


def outcome_from_pairs(
    pairs: pd.DataFrame, query_ids: Sequence[Any], truth: Sequence[str | None]
) -> pd.DataFrame:
    """Outcome table (``core.matching.evaluation``) from scored candidate pairs."""
    ranked = rank_vendors(pairs)
    first = ranked[ranked["rank"] == 0].set_index("qi")
    second = ranked[ranked["rank"] == 1].set_index("qi")["score"]
    n = len(query_ids)
    score = first["score"].reindex(range(n)).fillna(0.0).to_numpy()
    runner = second.reindex(range(n)).fillna(0.0).to_numpy()
    best = first["ref_id"].reindex(range(n)).to_numpy(dtype=object)
    held = (
        first["held"].reindex(range(n)).fillna(False).to_numpy(dtype=bool)
        if "held" in first.columns
        else np.zeros(n, dtype=bool)
    )
    return pd.DataFrame(
        {
            "query_id": list(query_ids),
            "truth_id": pd.Series(list(truth), dtype=object),
            "best_id": pd.Series(
                [None if (isinstance(b, float) and np.isnan(b)) else b for b in best], dtype=object
            ),
            "score": score,
            "margin": score - runner,
            "held": held,  # never auto (matcher.held_for_review)
        }
    )


def _cross_fitted(
    pairs: pd.DataFrame,
    labels: np.ndarray,
    groups: np.ndarray,
    base: dict[str, float],
    strength: float = PRIOR_STRENGTH,
) -> np.ndarray:
    fold_of_group = {g: i % _FOLDS for i, g in enumerate(pd.unique(groups))}
    fold = np.array([fold_of_group[g] for g in groups])[pairs["qi"].to_numpy()]
    scores = np.zeros(len(pairs))
    for f in range(_FOLDS):
        test = fold == f
        if not test.any():
            continue
        weights = fit_weights(pairs[~test], labels[~test], base, strength=strength)
        scores[test] = logistic_score(pairs[test], weights)
    return scores


def tune_profile(
    reference: pd.DataFrame,
    queries: pd.DataFrame,
    truth_col: str,
    *,
    target_precision: float = 0.99,
    base: MatchProfile | None = None,
    scorers: Sequence[str] = DEFAULT_SCORERS,
    rule: Rule = "estimate",
    confidence: float = 0.95,
    aliases: pd.DataFrame | None = None,
    prior_strength: float = PRIOR_STRENGTH,
) -> tuple[MatchProfile, dict[str, Any]]:
    """Best profile for these labelled queries, and the figures of every scorer tried.

    ``rule`` and ``confidence`` are ``recommend_profile``'s; each scorer's figures carry an
    ``answer`` (``evaluation.explain``) and so does the chosen profile's ``notes``.
    """
    validate_frame(queries, "queries")
    if truth_col not in queries.columns:
        raise ValidationFailed(f"queries have no truth column {truth_col!r}")
    base = base or MatchProfile()
    index = VendorIndex(reference, aliases=aliases)
    prepared = prepare_frame(queries)
    truth = [None if _missing(v) else str(v) for v in queries[truth_col].tolist()]
    if not any(truth):
        raise ValidationFailed("no labelled query names a reference vendor; cannot tune")
    truth_arr = np.array(truth, dtype=object)
    groups = np.array([t if t else f"q{i}" for i, t in enumerate(truth)], dtype=object)
    report: dict[str, Any] = {}
    best: tuple[tuple[float, float], MatchProfile] | None = None
    for scorer in scorers:
        profile = base.model_copy(update={"scorer": scorer})
        pairs = score_candidates(prepared, index, profile, max(profile.top_k, 10))
        if scorer == "model":
            labels = pairs["ref_id"].to_numpy(dtype=object) == truth_arr[pairs["qi"].to_numpy()]
            pairs["score"] = _cross_fitted(pairs, labels, groups, base.weights, prior_strength)
            fitted = fit_weights(pairs, labels, base.weights, strength=prior_strength)
            profile = profile.model_copy(update={"weights": fitted})
        table = outcome_from_pairs(pairs, prepared["id"].tolist(), truth)
        profile, figures = recommend_profile(
            table, target_precision, profile, rule=rule, confidence=confidence
        )
        report[scorer] = {**figures, "answer": explain(figures)}
        key = (round(figures["auto_correct_known"], 3), round(figures["f1"], 3))
        if best is None or key > best[0]:
            best = (key, profile)
    assert best is not None
    chosen = best[1]
    figures = report[chosen.scorer]
    chosen = chosen.model_copy(
        update={
            "metrics": {k: float(v) for k, v in figures.items() if k != "answer"},
            "notes": (
                f"tuned on {len(queries)} labelled queries, target {target_precision}, rule "
                f"{rule} at {confidence:g}: {figures['answer']}"
            ),
        }
    )
    return chosen, report
