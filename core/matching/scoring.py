"""Vectorized string scorers, including a mode that returns exactly what thefuzz returns.

thefuzz 0.22 is a thin layer over rapidfuzz with two differences that matter for equality:

* ``token_sort_ratio``, ``token_set_ratio``, ``WRatio`` (and ``QRatio``) first run
  ``thefuzz.utils.full_process(s, force_ascii=True)``: drop code points 128-255, then
  rapidfuzz's ``default_process`` (lower case, non-alphanumerics to spaces, trim).
  ``ratio`` and ``partial_ratio`` take the strings as given.
* scores are ``int(round(x))`` (Python's round half to even, which ``numpy.rint`` matches on the
  same float64 value).

Here the preprocessing runs once per distinct string and the pair scores come from
``rapidfuzz.process.cdist`` (all pairs) or ``cpdist`` (aligned pairs) in float64, on all cores.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

ScorerName = Literal["ratio", "partial_ratio", "token_sort_ratio", "token_set_ratio", "WRatio"]
THEFUZZ_SCORERS: tuple[str, ...] = (
    "ratio",
    "partial_ratio",
    "token_sort_ratio",
    "token_set_ratio",
    "WRatio",
)
_RAPIDFUZZ: dict[str, Callable[..., float]] = {
    "ratio": fuzz.ratio,
    "partial_ratio": fuzz.partial_ratio,
    "token_sort_ratio": fuzz.token_sort_ratio,
    "token_set_ratio": fuzz.token_set_ratio,
    "WRatio": fuzz.WRatio,
}
_FULL_PROCESS = frozenset({"token_sort_ratio", "token_set_ratio", "WRatio"})
_LATIN1_HIGH = {i: None for i in range(128, 256)}


def _check(scorer: str) -> Callable[..., float]:
    try:
        return _RAPIDFUZZ[scorer]
    except KeyError:
        raise ValueError(f"unknown scorer {scorer!r}; choose one of {THEFUZZ_SCORERS}") from None


def thefuzz_process(text: Any) -> str:
    """What thefuzz's ``full_process(text, force_ascii=True)`` returns."""
    return str(default_process(str(text).translate(_LATIN1_HIGH)))


def prepare(strings: Sequence[Any], scorer: str) -> list[str]:
    """Preprocess strings the way thefuzz does for ``scorer`` (each distinct string once)."""
    _check(scorer)
    values = ["" if s is None else str(s) for s in strings]
    if scorer not in _FULL_PROCESS:
        return values
    cache: dict[str, str] = {}
    return [cache.setdefault(v, thefuzz_process(v)) if v not in cache else cache[v] for v in values]


def _round(scores: np.ndarray) -> np.ndarray:
    return np.rint(scores).astype(np.int16)


def thefuzz_cdist(
    queries: Sequence[Any], choices: Sequence[Any], scorer: str = "WRatio", workers: int = -1
) -> np.ndarray:
    """All-pairs matrix (len(queries) x len(choices)) equal to ``thefuzz.fuzz.<scorer>(q, c)``."""
    func = _check(scorer)
    q, c = prepare(queries, scorer), prepare(choices, scorer)
    raw = process.cdist(q, c, scorer=func, dtype=np.float64, workers=workers)
    return _round(raw)


def thefuzz_pairs(
    left: Sequence[Any], right: Sequence[Any], scorer: str = "WRatio", workers: int = -1
) -> np.ndarray:
    """Aligned pairs: element i equals ``thefuzz.fuzz.<scorer>(left[i], right[i])``."""
    func = _check(scorer)
    if len(left) != len(right):
        raise ValueError("left and right must have the same length")
    if len(left) == 0:
        return np.zeros(0, dtype=np.int16)
    raw = process.cpdist(
        prepare(left, scorer),
        prepare(right, scorer),
        scorer=func,
        dtype=np.float64,
        workers=workers,
    )
    return _round(raw)


def pair_scores(
    left: Sequence[str], right: Sequence[str], scorer: str, workers: int = -1
) -> np.ndarray:
    """Aligned pairs on already-normalized strings, unrounded floats in [0, 100]."""
    func = _check(scorer)
    if len(left) == 0:
        return np.zeros(0, dtype=np.float64)
    return np.asarray(
        process.cpdist(list(left), list(right), scorer=func, dtype=np.float64, workers=workers)
    )


def thefuzz_extract_one(
    query: str, choices: Sequence[str], scorer: str = "WRatio"
) -> tuple[str, int, int] | None:
    """Same best choice and score as ``thefuzz.process.extractOne`` (default processor)."""
    if not choices:
        return None
    # extractOne runs full_process on the query, then rapidfuzz applies the scorer's processor to
    # query and choices; the best choice is picked on the unrounded score.
    q = default_process(query)
    if scorer in _FULL_PROCESS:
        prepped = [thefuzz_process(c) for c in choices]
        q = thefuzz_process(q)
    else:
        prepped = [default_process(c) for c in choices]
        q = default_process(q)
    raw = process.cdist([q], prepped, scorer=_check(scorer), dtype=np.float64)[0]
    best = int(np.argmax(raw))
    return choices[best], int(np.rint(raw[best])), best
