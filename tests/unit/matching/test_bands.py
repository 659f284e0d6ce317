"""Re-banding under draft thresholds follows the matcher's own decision rule."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.matching.bands import assign_bands, band_counts
from core.matching.matcher import match_vendors
from core.matching.profile import MatchProfile


def test_auto_needs_both_score_and_margin() -> None:
    profile = MatchProfile(auto_threshold=90, margin=10, review_threshold=50)
    bands = assign_bands([95, 95, 89.9, 50, 49.9, np.nan], [10, 9.9, 50, 0, 0, 0], profile)
    assert bands.tolist() == ["auto", "review", "review", "review", "reject", "reject"]


def test_counts_include_empty_bands() -> None:
    assert band_counts(["auto", "auto", "review"]) == {"auto": 2, "review": 1, "reject": 0}


def test_rebanding_agrees_with_the_matcher_at_other_thresholds() -> None:
    reference = pd.DataFrame(
        {
            "id": ["1", "2", "3", "4"],
            "name": ["Acme GmbH", "Acme Logistics GmbH", "Globex Corp", "Initech LLC"],
        }
    )
    queries = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "name": ["ACME GmbH", "Globex Corporation", "Initrode", "Acme Logistic"],
        }
    )
    for auto, margin, review in [(90, 10, 50), (60, 0, 30), (99, 30, 80)]:
        profile = MatchProfile(auto_threshold=auto, margin=margin, review_threshold=review)
        decided = match_vendors(queries, reference, profile)
        rebanded = assign_bands(decided["score"], decided["margin"], profile)
        assert rebanded.tolist() == decided["decision"].tolist()
