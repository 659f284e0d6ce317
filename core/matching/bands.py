"""The band rule of a ``MatchProfile`` as one vectorized function, for re-banding previews.

The console's threshold sliders and the notebooks re-band already scored matches under draft
thresholds without scoring again: ``auto`` when ``score >= auto_threshold`` and ``margin >=
margin``, ``review`` when not auto and ``score >= review_threshold``, otherwise ``reject``.
The same rule as ``core.matching.matcher.decide`` and ``core.matching.evaluation.metrics_at``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.matching.profile import MatchProfile

BANDS = ("auto", "review", "reject")


def assign_bands(
    scores: Sequence[float] | np.ndarray,
    margins: Sequence[float] | np.ndarray,
    profile: MatchProfile,
) -> np.ndarray:
    """Band of each (score, margin) pair on the 0-100 scale; NaN scores are ``reject``."""
    score = np.nan_to_num(np.asarray(scores, dtype=float), nan=-1.0)
    margin = np.nan_to_num(np.asarray(margins, dtype=float), nan=0.0)
    is_auto = (score >= profile.auto_threshold) & (margin >= profile.margin)
    is_auto &= profile.auto_enabled
    is_review = ~is_auto & (score >= profile.review_threshold)
    return np.where(is_auto, "auto", np.where(is_review, "review", "reject"))


def band_counts(bands: Sequence[str] | np.ndarray) -> dict[str, int]:
    """How many of each band, with zeros for the missing ones."""
    values = np.asarray(bands, dtype=object)
    return {b: int((values == b).sum()) for b in BANDS}
