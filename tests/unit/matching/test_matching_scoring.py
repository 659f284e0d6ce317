"""thefuzz-compatible scorers: identical to thefuzz, symmetric where thefuzz is, bounded."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from thefuzz import fuzz
from thefuzz import process as thefuzz_process

from core.matching.scoring import (
    THEFUZZ_SCORERS,
    thefuzz_cdist,
    thefuzz_extract_one,
    thefuzz_pairs,
)

CORPUS = [
    "Müller Logistik GmbH",
    "Mueller Logistik",
    "MÜLLER LOGISTIK G.M.B.H.",
    "Deutsche Bank AG",
    "deutsche bank",
    "Société Générale S.A.",
    "Societe Generale",
    "ACME Trading Services Ltd.",
    "Acme Trading",
    "北京 贸易 有限公司",
    "O'Brien & Sons, Inc.",
    "",
    "   ",
    "a",
    "Ab",
    "Brown & Brown (UK) Ltd - London",
    "Ørsted A/S",
    "Škoda Auto a.s.",
    "€uro Service 24/7",
]
NAMES = st.text(alphabet=st.sampled_from(list("abcdeABCDE üéßÆ.-&,0129中")), max_size=25)


@pytest.mark.parametrize("scorer", THEFUZZ_SCORERS)
def test_matrix_equals_thefuzz_on_a_fixed_corpus(scorer: str) -> None:
    func = getattr(fuzz, scorer)
    matrix = thefuzz_cdist(CORPUS, CORPUS, scorer)
    expected = [[func(a, b) for b in CORPUS] for a in CORPUS]
    assert matrix.tolist() == expected


@pytest.mark.parametrize("scorer", THEFUZZ_SCORERS)
def test_pairs_equal_thefuzz_on_a_random_sample(scorer: str) -> None:
    rng = random.Random(5)
    alphabet = "abcdefghij ABCÜé.-&'中"
    left = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20))) for _ in range(400)]
    right = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20))) for _ in range(400)]
    func = getattr(fuzz, scorer)
    assert thefuzz_pairs(left, right, scorer).tolist() == [
        func(a, b) for a, b in zip(left, right, strict=True)
    ]


@settings(max_examples=150, deadline=None)
@given(st.lists(NAMES, min_size=1, max_size=6), st.lists(NAMES, min_size=1, max_size=6))
def test_matrix_equals_thefuzz_for_any_strings(left: list[str], right: list[str]) -> None:
    for scorer in THEFUZZ_SCORERS:
        func = getattr(fuzz, scorer)
        assert thefuzz_cdist(left, right, scorer).tolist() == [
            [func(a, b) for b in right] for a in left
        ]


@settings(max_examples=150, deadline=None)
@given(NAMES, NAMES)
def test_scores_are_bounded_and_symmetric(a: str, b: str) -> None:
    for scorer in THEFUZZ_SCORERS:
        score = int(thefuzz_pairs([a], [b], scorer)[0])
        assert 0 <= score <= 100
    for scorer in ("ratio", "token_sort_ratio", "token_set_ratio", "WRatio"):
        assert thefuzz_pairs([a], [b], scorer)[0] == thefuzz_pairs([b], [a], scorer)[0]


@pytest.mark.parametrize("scorer", THEFUZZ_SCORERS)
def test_extract_one_picks_what_thefuzz_picks(scorer: str) -> None:
    func = getattr(fuzz, scorer)
    for query in ["muller logistics", "Deutsche Bank", "acme", "Generale", "O Brien"]:
        expected = thefuzz_process.extractOne(query, CORPUS, scorer=func)
        got = thefuzz_extract_one(query, CORPUS, scorer)
        assert got is not None
        assert (got[0], got[1]) == expected


def test_unknown_scorer_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown scorer"):
        thefuzz_pairs(["a"], ["b"], "jaro")
