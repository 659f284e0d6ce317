"""Pick a ``MatchProfile`` from labelled queries: scorer, signal weights, T, M and R.

For the ``model`` scorer the signal weights are a logistic regression of "this candidate is the
true vendor" on the pair signals. Thresholds are chosen on *cross-fitted* scores (each query
scored by weights fitted without its company), so the bands are judged on scores that behave
like unseen data; the final weights are then refitted on everything. Each thefuzz scorer is
tuned the same way (thresholds only) and the scorer with the best auto rate at the target
precision (then F1) wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from core.errors import ValidationFailed
from core.matching.evaluation import _missing, recommend_profile
from core.matching.features import SIGNALS, logistic_score, prepare_frame
from core.matching.index import VendorIndex, validate_frame
from core.matching.matcher import rank_vendors, score_candidates
from core.matching.profile import MatchProfile

DEFAULT_SCORERS: tuple[str, ...] = ("model", "token_sort_ratio", "token_set_ratio", "WRatio")
_FOLDS = 4


def fit_weights(
    pairs: pd.DataFrame, labels: np.ndarray, base: dict[str, float]
) -> dict[str, float]:
    """Logistic weights for the signals that vary in ``pairs``; the others keep ``base``."""
    used = [s for s in SIGNALS if s in pairs and pairs[s].std() > 1e-9]
    weights = dict(base)
    if not used or labels.all() or not labels.any():
        return weights
    model = LogisticRegression(C=1.0, max_iter=2000)
    model.fit(pairs[used].to_numpy(), labels.astype(int))
    fixed = [s for s in SIGNALS if s not in used]
    for s in fixed:
        weights[s] = base.get(s, 0.0)
    for s, w in zip(used, model.coef_[0], strict=True):
        weights[s] = round(float(w), 4)
    # Constant signals (e.g. VAT id missing everywhere) add their fixed contribution to the bias.
    weights["bias"] = round(float(model.intercept_[0]), 4)
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
    return pd.DataFrame(
        {
            "query_id": list(query_ids),
            "truth_id": pd.Series(list(truth), dtype=object),
            "best_id": pd.Series(
                [None if (isinstance(b, float) and np.isnan(b)) else b for b in best], dtype=object
            ),
            "score": score,
            "margin": score - runner,
        }
    )


def _cross_fitted(
    pairs: pd.DataFrame, labels: np.ndarray, groups: np.ndarray, base: dict[str, float]
) -> np.ndarray:
    fold_of_group = {g: i % _FOLDS for i, g in enumerate(pd.unique(groups))}
    fold = np.array([fold_of_group[g] for g in groups])[pairs["qi"].to_numpy()]
    scores = np.zeros(len(pairs))
    for f in range(_FOLDS):
        test = fold == f
        if not test.any():
            continue
        weights = fit_weights(pairs[~test], labels[~test], base)
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
) -> tuple[MatchProfile, dict[str, Any]]:
    """Best profile for these labelled queries, and the figures of every scorer tried."""
    validate_frame(queries, "queries")
    if truth_col not in queries.columns:
        raise ValidationFailed(f"queries have no truth column {truth_col!r}")
    base = base or MatchProfile()
    index = VendorIndex(reference)
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
            pairs["score"] = _cross_fitted(pairs, labels, groups, base.weights)
            profile = profile.model_copy(
                update={"weights": fit_weights(pairs, labels, base.weights)}
            )
        table = outcome_from_pairs(pairs, prepared["id"].tolist(), truth)
        profile, figures = recommend_profile(table, target_precision, profile)
        report[scorer] = figures
        key = (round(figures["auto_correct_known"], 3), round(figures["f1"], 3))
        if best is None or key > best[0]:
            best = (key, profile)
    assert best is not None
    chosen = best[1]
    figures = report[chosen.scorer]
    chosen = chosen.model_copy(
        update={
            "metrics": {k: float(v) for k, v in figures.items()},
            "notes": f"tuned on {len(queries)} labelled queries, target {target_precision}",
        }
    )
    return chosen, report
