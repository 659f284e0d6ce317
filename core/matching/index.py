"""``VendorIndex``: a vendor master prepared once for many lookups, and its candidate search.

Reference frame contract (one row per vendor, or per vendor x PO/address when a vendor has
several; ``id`` may then repeat): ``id`` (str, required), ``name`` (required), optional
``vat_id, iban, address, city, po_number, amount, currency, date``.

Candidates for a batch of queries come from, in this order: exact keys (VAT id, IBAN, normalized
name key), then the character n-gram blocking index (top ``k`` per query). The result is a pair
table ``qi, ri, char_cosine`` of row positions.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from core.errors import ValidationFailed
from core.matching.blocking import BlockingIndex
from core.matching.features import prepare_frame, rowwise_dot
from core.matching.vocabulary import GENERIC_WORDS

GENERIC_WEIGHT = 0.3  # generic words ("group", "services") count 30% of their IDF
# VAT id, IBAN, normalized name, and acronyms both ways ("IBM" <-> "Intl Business Machines")
_EXACT_KEYS = (
    ("n_vat_id", "n_vat_id"),
    ("n_iban", "n_iban"),
    ("n_key", "n_key"),
    ("n_flat", "n_acronym"),
    ("n_acronym", "n_flat"),
)
_EXACT_LIMIT = 5  # exact-key hits per query and key kind (a key shared by more is not distinctive)


def validate_frame(frame: pd.DataFrame, what: str) -> None:
    """Refuse frames without the required ``id`` and ``name`` columns."""
    missing = [c for c in ("id", "name") if c not in frame.columns]
    if missing:
        raise ValidationFailed(f"{what} is missing column(s): {', '.join(missing)}")


class VendorIndex:
    """Normalized vendor master with blocking and word indexes (build once, query many times)."""

    def __init__(self, reference: pd.DataFrame, *, workers: int = 2) -> None:
        validate_frame(reference, "reference")
        if reference.empty:
            raise ValidationFailed("reference has no rows")
        self.frame = prepare_frame(reference)
        keys = self.frame["n_key"].tolist()
        self.blocking = BlockingIndex(keys, workers=workers)
        self._words = TfidfVectorizer(
            analyzer=str.split, sublinear_tf=True, dtype=np.float32, min_df=1
        )
        self._words.fit([k or "_" for k in keys])
        vocab = self._words.vocabulary_
        idf = self._words.idf_.copy()
        for word in GENERIC_WORDS & vocab.keys():
            idf[vocab[word]] *= GENERIC_WEIGHT
        self._words.idf_ = idf
        self.word_matrix = self._words.transform([k or "_" for k in keys]).tocsr()
        self._exact: dict[str, dict[str, list[int]]] = {}
        # exact-key lookups: query column -> (reference column, table)
        for q_col, r_col in _EXACT_KEYS:
            table: dict[str, list[int]] = defaultdict(list)
            for row, value in enumerate(self.frame[r_col].tolist()):
                if value:
                    table[value].append(row)
            self._exact[q_col + ">" + r_col] = table

    def __len__(self) -> int:
        return len(self.frame)

    def word_vectors(self, keys: list[str]) -> sp.csr_matrix:
        """Word TF-IDF vectors (generic words down-weighted) in the reference vocabulary."""
        return self._words.transform([k or "_" for k in keys]).tocsr()

    def candidates(self, queries: pd.DataFrame, k: int) -> pd.DataFrame:
        """Candidate pairs ``qi, ri, char_cosine, word_cosine`` for prepared query rows."""
        n = len(queries)
        keys = queries["n_key"].tolist()
        qmat = self.blocking.transform(keys) if self.blocking.matrix is not None else None
        idx, _ = self.blocking.search(keys, k=k, vectors=qmat)
        qi = np.repeat(np.arange(n), k)
        ri = idx.ravel()
        extra_q: list[int] = []
        extra_r: list[int] = []
        for q_col, r_col in _EXACT_KEYS:
            table = self._exact[q_col + ">" + r_col]
            for row, value in enumerate(queries[q_col].tolist()):
                hits = table.get(value) if value else None
                if hits and len(hits) <= _EXACT_LIMIT:
                    extra_q.extend([row] * len(hits))
                    extra_r.extend(hits)
        qi = np.concatenate([qi, np.asarray(extra_q, dtype=np.int64)])
        ri = np.concatenate([ri, np.asarray(extra_r, dtype=np.int64)])
        keep = ri >= 0
        pairs = np.unique(qi[keep] * max(1, len(self)) + ri[keep])
        qi, ri = pairs // max(1, len(self)), pairs % max(1, len(self))
        if qmat is None or self.blocking.matrix is None:
            char = np.zeros(len(qi))
        else:
            char = rowwise_dot(qmat, self.blocking.matrix, qi, ri)
        word = rowwise_dot(self.word_vectors(keys), self.word_matrix, qi, ri)
        return pd.DataFrame({"qi": qi, "ri": ri, "char_cosine": char, "word_cosine": word})
