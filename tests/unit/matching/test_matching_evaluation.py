"""Evaluation figures against hand-computed confusion matrices, and the profile recommendation."""

from __future__ import annotations

import pandas as pd
import pytest

from core.matching.evaluation import (
    metrics_at,
    outcome_table,
    pair_metrics,
    recommend_profile,
    sweep,
    wilson_lower,
)

# q1 right 95/m30, q2 right 80/m5, q3 wrong 85/m20, q4 unknown 70/m40, q5 right 40/m40,
# q6 unknown with no candidate.
TABLE = pd.DataFrame(
    {
        "query_id": ["q1", "q2", "q3", "q4", "q5", "q6"],
        "truth_id": ["A", "B", "C", None, "E", "-1"],
        "best_id": ["A", "B", "X", "Y", "E", None],
        "score": [95.0, 80.0, 85.0, 70.0, 40.0, 0.0],
        "margin": [30.0, 5.0, 20.0, 40.0, 40.0, 0.0],
    }
)


def test_figures_at_one_setting_match_the_hand_count() -> None:
    # T=80, M=10, R=60: auto = q1, q3; review = q2, q4; reject = q5, q6.
    m = metrics_at(TABLE, 80, 10, 60)
    assert (m["tp"], m["fp"], m["fn"]) == (2, 2, 2)  # tp q1 q2; fp q3 q4; fn q3 q5
    assert m["precision"] == pytest.approx(0.5)
    assert m["recall"] == pytest.approx(0.5)  # 4 known queries: q1 q2 q3 q5
    assert m["f1"] == pytest.approx(0.5)
    assert m["auto_count"] == 2
    assert m["auto_precision"] == pytest.approx(0.5)
    assert m["auto_rate"] == pytest.approx(2 / 6)
    assert m["auto_correct_known"] == pytest.approx(1 / 4)
    assert m["review_size"] == 2


def test_a_stricter_band_trades_recall_for_precision() -> None:
    m = metrics_at(TABLE, 90, 0, 90)  # only q1 predicted
    assert (m["tp"], m["fp"], m["fn"]) == (1, 0, 3)
    assert (m["precision"], m["recall"]) == (1.0, 0.25)
    assert m["f1"] == pytest.approx(0.4)


def test_sweep_has_one_row_per_threshold_and_margin() -> None:
    grid = sweep(TABLE, thresholds=(50, 90), margins=(0, 10, 25))
    assert len(grid) == 6
    row = grid[(grid["auto_threshold"] == 90) & (grid["margin"] == 25)].iloc[0]
    assert row["auto_count"] == 1


def test_recommendation_meets_the_target_with_the_largest_auto_band() -> None:
    rows = []
    for i in range(300):  # 300 clean matches at 90+, 3 confident errors at 85, unknowns below 60
        rows.append((f"k{i}", f"V{i}", f"V{i}", 90 + (i % 10), 50.0))
    rows += [(f"e{i}", f"W{i}", "Z", 85.0, 50.0) for i in range(3)]
    rows += [(f"u{i}", None, "Z", 55.0, 50.0) for i in range(50)]
    table = pd.DataFrame(rows, columns=["query_id", "truth_id", "best_id", "score", "margin"])
    profile, figures = recommend_profile(table, target_precision=0.99)
    assert 85 < profile.auto_threshold <= 90
    assert figures["auto_precision"] == 1.0
    assert figures["auto_count"] == 300
    assert profile.review_threshold <= profile.auto_threshold


def test_no_band_reaches_an_impossible_target_so_nothing_is_auto() -> None:
    wrong = TABLE.assign(best_id="nope")
    profile, figures = recommend_profile(wrong, target_precision=0.99)
    assert figures["auto_count"] == 0
    assert profile.auto_threshold == 100.0


def test_outcome_table_reads_decisions_and_truth() -> None:
    decisions = pd.DataFrame(
        {
            "query_id": ["a", "b"],
            "score": [90.0, 10.0],
            "margin": [50.0, 1.0],
            "candidates": [[{"id": "V1", "score": 90.0}], []],
        }
    )
    table = outcome_table(decisions, pd.Series({"a": "V1", "b": ""}))
    assert table["truth_id"].tolist() == ["V1", None]
    assert table["best_id"].tolist() == ["V1", None]


def test_pair_metrics_and_wilson_bound() -> None:
    m = pair_metrics([True, True, False, False], [True, False, True, False])
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (1, 1, 1, 1)
    assert m["f1"] == pytest.approx(0.5)
    assert wilson_lower(100, 100, 1.0) == pytest.approx(100 / 101)
    assert wilson_lower(0, 0) == 0.0
