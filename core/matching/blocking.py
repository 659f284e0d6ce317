"""Candidate search for large vendor masters: character n-gram TF-IDF with sparse top-k.

A full fuzzy comparison of 10,000 invoices with 100,000 vendors is 10^9 pairs; instead each
normalized key becomes a sparse TF-IDF vector of character 3-grams (with word boundaries) and the
``k`` most similar reference keys per query come from sparse matrix products in chunks. The
cosine itself is kept as a signal. Recall of this step is measured by ``candidate_recall`` and
printed by the benchmark, so blocking never silently hides the true vendor.

Very common n-grams (document frequency above ``max_df``) are dropped from the query side only:
they cost most of the product time and carry little weight in the cosine. A query made only of
common n-grams keeps its ``min_keep`` rarest ones, so no query is left without candidates.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from rapidfuzz import fuzz, process
from sklearn.feature_extraction.text import TfidfTransformer
from sparse_dot_topn import sp_matmul_topn

from core.matching.wordwise import char_wb_grams, counts, fit_counts

NGRAMS = (3, 3)
_GRAMS = char_wb_grams(NGRAMS[0])  # TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS)


class BlockingIndex:
    """TF-IDF index over reference keys; ``search`` returns top-k candidate rows per query."""

    def __init__(
        self, keys: Sequence[str], *, max_df: float = 0.02, min_keep: int = 10, workers: int = 2
    ) -> None:
        self.size = len(keys)
        self.keys = np.asarray(list(keys), dtype=object)
        self.min_keep = min_keep
        self.workers = max(1, workers)
        # TfidfVectorizer(analyzer="char_wb", sublinear_tf=True, dtype=float32), its counts
        # taken word by word (core.matching.wordwise): the same matrix, several times faster
        self._tfidf = TfidfTransformer(sublinear_tf=True)
        self._vocabulary: dict[str, int] = {}
        docs = [k or " " for k in keys]
        self.matrix: sp.csr_matrix | None = None
        if docs:
            raw, self._vocabulary = fit_counts(docs, _GRAMS, lower=True)
            self._tfidf.fit(raw)
            self.matrix = sp.csr_matrix(self._tfidf.transform(raw, copy=False))
        if self.matrix is not None:
            self._df = np.bincount(self.matrix.indices, minlength=self.matrix.shape[1])
            self._limit = max(50, int(max_df * self.size))
            self._transposed = self.matrix.T.tocsr()

    def transform(self, keys: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF vectors of query keys in the reference's n-gram space (L2-normalized)."""
        docs = [k or " " for k in keys]
        raw = counts(docs, _GRAMS, self._vocabulary, lower=True)
        return sp.csr_matrix(self._tfidf.transform(raw, copy=False))

    def search(
        self,
        keys: Sequence[str],
        k: int = 10,
        *,
        shortlist: int = 60,
        vectors: sp.csr_matrix | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` reference rows per query (``-1`` padded) and their shortlist score.

        A shortlist of ``shortlist`` rows per query comes from the product with the pruned query
        vectors (multi-threaded sparse top-n); it is re-ranked by pruned cosine + edit similarity
        of the keys (rapidfuzz, on all cores) and cut to ``k``. ``vectors`` may pass
        ``transform(keys)`` when the caller already has it.
        """
        n = len(keys)
        idx = np.full((n, k), -1, dtype=np.int64)
        sim = np.zeros((n, k), dtype=np.float32)
        if self.matrix is None or n == 0:
            return idx, sim
        short = sp_matmul_topn(
            self._prune(self.transform(keys) if vectors is None else vectors),
            self._transposed,
            top_n=max(k, shortlist),
            n_threads=self.workers,
        ).tocsr()
        rows = np.repeat(np.arange(n), np.diff(short.indptr))
        cols = short.indices.astype(np.int64)
        score = short.data.astype(np.float32)
        if shortlist > k:
            left = np.asarray(keys, dtype=object)[rows].tolist()
            right = self.keys[cols].tolist()
            edit = process.cpdist(left, right, scorer=fuzz.ratio, dtype=np.float32, workers=-1)
            score = score + edit / 100
        order = np.lexsort((-score, rows))
        rows, cols, score = rows[order], cols[order], score[order]
        rank = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
        take = rank < k
        idx[rows[take], rank[take]] = cols[take]
        sim[rows[take], rank[take]] = score[take]
        return idx, sim

    def _prune(self, queries: sp.csr_matrix) -> sp.csr_matrix:
        """Drop common n-grams from each query row, keeping at least its ``min_keep`` rarest."""
        df = self._df[queries.indices]
        keep = df <= self._limit
        indptr = queries.indptr
        cumulative = np.concatenate([[0], np.cumsum(keep)])
        counts = cumulative[indptr[1:]] - cumulative[indptr[:-1]]
        short = np.flatnonzero((counts < self.min_keep) & (np.diff(indptr) > 0))
        for row in short:
            lo, hi = indptr[row], indptr[row + 1]
            rarest = np.argsort(df[lo:hi], kind="stable")[: self.min_keep]
            keep[lo + rarest] = True
        pruned = queries.copy()
        pruned.data = np.where(keep, pruned.data, 0).astype(pruned.data.dtype)
        pruned.eliminate_zeros()
        return pruned


def candidate_recall(candidates: np.ndarray, truth_rows: np.ndarray) -> float:
    """Share of queries with a known true row whose true row is among their candidates."""
    known = truth_rows >= 0
    if not known.any():
        return 1.0
    hit = (candidates[known] == truth_rows[known, None]).any(axis=1)
    return float(hit.mean())
