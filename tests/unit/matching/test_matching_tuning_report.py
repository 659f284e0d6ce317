"""The tuner's answer on a small labelled set: a usable band, its interval, the examples needed."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.errors import ValidationFailed
from core.matching.certainty import band_certainty, estimate, examples_needed, wilson, z_one_sided
from core.matching.evaluation import explain, recommend_profile
from core.matching.matcher import match_vendors
from core.matching.profile import DEFAULT_WEIGHTS, MatchProfile
from core.matching.tuning import fit_weights

ROOT = Path(__file__).resolve().parents[3]


def _small_set(n_correct: int = 120, errors: int = 0) -> pd.DataFrame:
    """A small reviewed set: clean matches at 85+, unknowns below 60, ``errors`` at the very top."""
    rows = [(f"k{i}", f"V{i}", f"V{i}", 85.0 + i % 15, 30.0) for i in range(n_correct)]
    rows += [(f"e{i}", f"W{i}", "Z", 100.0, 50.0) for i in range(errors)]
    rows += [(f"u{i}", None, "Z", 40.0 + i % 15, 20.0) for i in range(30)]
    return pd.DataFrame(rows, columns=["query_id", "truth_id", "best_id", "score", "margin"])


def test_a_small_clean_set_gets_a_usable_band_with_its_interval_and_what_would_prove_it() -> None:
    profile, figures = recommend_profile(_small_set(), 0.99)
    assert profile.auto_enabled and figures["auto_band"] == 1.0
    assert figures["auto_count"] == 120 and figures["auto_precision"] == 1.0
    assert figures["auto_precision_low"] < figures["auto_precision_estimate"] == 1.0
    assert figures["auto_precision_high"] == pytest.approx(1.0)
    assert figures["coverage"] == 1.0 and figures["coverage_low"] < 1.0
    # 120 of 120: the 95% lower bound is 120 / (120 + 1.645^2) = 0.978 < 0.99
    assert figures["proven"] == 0.0
    z = z_one_sided(0.95)
    need = 0.99 * z * z / 0.01  # lower bound of n/n reaches 0.99 at this n
    assert figures["examples_needed"] == math.ceil(need) - 120
    assert figures["reviewed_needed"] == math.ceil(figures["examples_needed"] / (120 / 150))
    text = explain(figures)
    assert "not yet proven" in text and f"{int(figures['examples_needed'])} more" in text
    assert "95% interval" in text


def test_the_proven_rule_says_no_band_out_loud_and_what_the_estimate_band_needs() -> None:
    profile, figures = recommend_profile(_small_set(), 0.99, rule="proven")
    assert not profile.auto_enabled and figures["auto_band"] == 0.0 and figures["auto_count"] == 0
    assert figures["estimate_auto_count"] == 120
    assert figures["estimate_reviewed_needed"] > 0
    text = explain(figures)
    assert text.startswith("No auto band") and "more reviewed invoices" in text
    # a profile without a band never auto-accepts, whatever the score
    master = pd.DataFrame({"id": ["V1"], "name": ["Acme GmbH"]})
    out = match_vendors(pd.DataFrame({"id": ["q"], "name": ["Acme GmbH"]}), master, profile)
    assert out.iloc[0]["decision"] == "review"
    assert "no auto band" in out.iloc[0]["reason"]


def test_enough_clean_examples_are_proven_and_need_nothing_more() -> None:
    profile, figures = recommend_profile(_small_set(n_correct=400), 0.99, rule="proven")
    assert profile.auto_enabled and figures["proven"] == 1.0 and figures["examples_needed"] == 0
    assert "is proven at 95% confidence" in explain(figures)


def test_errors_at_the_top_leave_no_band_and_the_report_says_so() -> None:
    profile, figures = recommend_profile(_small_set(n_correct=20, errors=5), 0.99)
    assert not profile.auto_enabled
    assert explain(figures).startswith("No auto band")


def test_examples_needed_is_the_smallest_count_that_proves_the_target() -> None:
    z = z_one_sided(0.95)
    for ok, n in ((100, 100), (297, 299), (990, 995)):
        more = examples_needed(ok, n, 0.99, z)
        assert more is not None and more > 0
        p, total = ok / n, n + more
        assert wilson(p * total, total, z)[0] >= 0.99
        assert wilson(p * (total - 1), total - 1, z)[0] < 0.99
    assert examples_needed(98, 100, 0.99, z) is None  # observed below the target: never
    assert estimate(5, 5) == 1.0 and estimate(0, 0) == 0.0
    cert = band_certainty(0, 0, 10, 20, 0.99, 0.95)
    assert cert.examples_needed is None and not cert.proven


def test_bad_rule_or_confidence_is_a_clear_error() -> None:
    with pytest.raises(ValidationFailed):
        recommend_profile(_small_set(), 0.99, rule="maybe")  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed):
        recommend_profile(_small_set(), 0.99, confidence=1.5)


def test_fitted_weights_shrink_toward_the_general_model() -> None:
    rng = np.random.default_rng(0)
    n = 400
    pairs = pd.DataFrame({"name_ratio": rng.random(n), "char_cosine": rng.random(n)})
    pairs["alias"] = 0.0  # never seen in this labelled set
    labels = (pairs["name_ratio"] + 0.2 * rng.standard_normal(n)) > 0.6
    weights = fit_weights(pairs, labels.to_numpy(), DEFAULT_WEIGHTS)
    assert weights["alias"] == DEFAULT_WEIGHTS["alias"]  # kept, not dropped to zero
    assert weights["name_ratio"] > 0
    strong = fit_weights(pairs, labels.to_numpy(), DEFAULT_WEIGHTS, strength=1e6)
    assert strong["char_cosine"] == pytest.approx(DEFAULT_WEIGHTS["char_cosine"], abs=0.01)


def test_core_tune_prints_the_answer_and_takes_the_rule(tmp_path: Path) -> None:
    master = pd.DataFrame(
        {
            "id": [f"V{i}" for i in range(6)],
            "name": [
                "Alpha Bau GmbH",
                "Beta Logistik AG",
                "Gamma Druck KG",
                "Delta Metall GmbH",
                "Epsilon Software Ltd",
                "Zeta Reinigung GmbH",
            ],
        }
    )
    rows = []
    for i, name in enumerate(master["name"]):
        for j, variant in enumerate([name, name.upper(), name.replace(" ", "  "), name + " (DE)"]):
            rows.append((f"q{i}{j}", variant, f"V{i}"))
    rows += [("u1", "Omega Catering GmbH", ""), ("u2", "Sigma Textil AG", "")]
    ref, queries = tmp_path / "ref.csv", tmp_path / "q.csv"
    master.to_csv(ref, index=False)
    pd.DataFrame(rows, columns=["id", "name", "truth"]).to_csv(queries, index=False)
    for rule in ("estimate", "proven"):
        out = tmp_path / f"{rule}.json"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "core",
                "tune",
                "--reference",
                str(ref),
                "--queries",
                str(queries),
                "--truth-col",
                "truth",
                "--out",
                str(out),
                "--rule",
                rule,
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=180,
            check=True,
        )
        summary = json.loads(done.stdout)
        assert summary["answer"] and "chosen" in summary and "by_scorer" in summary
        profile = MatchProfile.from_json(out.read_text(encoding="utf-8"))
        assert summary["answer"] in profile.notes
        # 24 labelled queries prove nothing at 0.99, and the answer says so either way
        assert profile.metrics["proven"] == 0.0
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "tune",
            "--reference",
            str(ref),
            "--queries",
            str(queries),
            "--truth-col",
            "truth",
            "--out",
            str(tmp_path / "x.json"),
            "--confidence",
            "2",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=180,
        check=False,
    )
    assert bad.returncode == 2 and bad.stderr.startswith("error [")
