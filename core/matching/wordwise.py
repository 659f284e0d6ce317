"""Term-count matrices built from the unique words of the documents (the vendor index build).

scikit-learn's ``CountVectorizer`` analyzes every document in Python; in a vendor master most
words repeat across names (100,000 names hold about 54,000 distinct words), and both analyzers
the index uses work word by word (character n-grams inside word boundaries, ``char_wb``; and
the words themselves, ``str.split``). So each distinct word is analyzed once and the document
counts are one sparse product: (documents x words) @ (words x terms).

The matrices are the ones ``CountVectorizer`` gives, bit for bit, so that the TF-IDF weights
and every score stay the same: ``fit_counts`` orders each row's entries as a fit does (by the
term's first appearance in the corpus, then renumbered in sorted term order, which leaves the
row unsorted), ``counts`` as a transform does (sorted); float32 data, int32 indices.
``test_matching_build_identical`` compares them with scikit-learn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import chain

import numpy as np
import pandas as pd
import scipy.sparse as sp

Analyzer = Callable[[str], list[str]]


def char_wb_grams(n: int) -> Analyzer:
    """The ``char_wb`` n-grams of one word (``CountVectorizer._char_wb_ngrams``, one n)."""

    def grams(word: str) -> list[str]:
        padded = " " + word + " "
        if len(padded) <= n:
            return [padded]
        return [padded[i : i + n] for i in range(len(padded) - n + 1)]

    return grams


def whole_word(word: str) -> list[str]:
    """The word itself (the ``str.split`` analyzer)."""
    return [word]


def _doc_words(docs: Sequence[str], lower: bool) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Row of each word occurrence, its distinct-word id (first appearance order), the words."""
    split = [(d.lower() if lower else d).split() for d in docs]
    lengths = np.fromiter(map(len, split), dtype=np.int64, count=len(split))
    rows = np.repeat(np.arange(len(split), dtype=np.int64), lengths)
    flat = np.fromiter(chain.from_iterable(split), dtype=object, count=int(lengths.sum()))
    word_ids, words = pd.factorize(flat)
    return rows, word_ids.astype(np.int64), list(words)


def _counts(
    rows: np.ndarray,
    word_ids: np.ndarray,
    word_terms: list[list[int]],
    n_docs: int,
    n_terms: int,
) -> sp.csr_matrix:
    """(documents x words) @ (words x terms) as an int64 CSR with sorted indices."""
    per_word = np.fromiter(map(len, word_terms), dtype=np.int64, count=len(word_terms))
    terms = np.fromiter(chain.from_iterable(word_terms), dtype=np.int64, count=int(per_word.sum()))
    owner = np.repeat(np.arange(len(word_terms), dtype=np.int64), per_word)
    shape_w = (len(word_terms), n_terms)
    w = sp.csr_matrix((np.ones(len(terms), dtype=np.int64), (owner, terms)), shape=shape_w)
    d = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.int64), (rows, word_ids)), shape=(n_docs, len(word_terms))
    )
    x = (d @ w).tocsr()
    x.eliminate_zeros()
    x.sort_indices()
    return x


def _as_sklearn(x: sp.csr_matrix, indices: np.ndarray) -> sp.csr_matrix:
    return sp.csr_matrix(
        (
            x.data.astype(np.float32),
            indices.astype(np.int32),
            x.indptr.astype(np.int32),
        ),
        shape=x.shape,
    )


def fit_counts(
    docs: Sequence[str], analyzer: Analyzer, *, lower: bool
) -> tuple[sp.csr_matrix, dict[str, int]]:
    """Counts and vocabulary as ``CountVectorizer(...).fit_transform`` gives them."""
    rows, word_ids, words = _doc_words(docs, lower)
    first_seen: dict[str, int] = {}
    word_terms = [[first_seen.setdefault(g, len(first_seen)) for g in analyzer(w)] for w in words]
    x = _counts(rows, word_ids, word_terms, len(docs), len(first_seen))
    ordered = sorted(first_seen)
    vocabulary = {term: i for i, term in enumerate(ordered)}
    renumber = np.empty(len(ordered), dtype=np.int64)
    renumber[[first_seen[t] for t in ordered]] = np.arange(len(ordered))
    return _as_sklearn(x, renumber[x.indices]), vocabulary


def counts(
    docs: Sequence[str], analyzer: Analyzer, vocabulary: dict[str, int], *, lower: bool
) -> sp.csr_matrix:
    """Counts as ``CountVectorizer.transform`` gives them (unknown terms ignored)."""
    rows, word_ids, words = _doc_words(docs, lower)
    get = vocabulary.get
    word_terms = [[t for t in (get(g) for g in analyzer(w)) if t is not None] for w in words]
    x = _counts(rows, word_ids, word_terms, len(docs), len(vocabulary))
    return _as_sklearn(x, x.indices)
