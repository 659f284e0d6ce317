"""``VendorIndex``: a vendor master prepared once for many lookups, and its candidate search.

Reference frame contract (one row per vendor, or per vendor x PO/address when a vendor has
several; ``id`` may then repeat): ``id`` (str, required), ``name`` (required), optional
``vat_id, iban, address, city, po_number, amount, currency, date``.

Aliases (``core.matching.aliases``: former names, learned spellings, VAT ids, IBANs; from an
alias frame or the reference's alias columns) become extra rows under their vendor's id.

Candidates for a batch of queries come from, in this order: exact keys (VAT id, IBAN, normalized
name key, the name without spaces, acronyms both ways), then the character n-gram blocking index
(top ``k`` per query). The result is a pair table ``qi, ri, char_cosine, word_cosine`` of row
positions plus the word-overlap signals of ``core.matching.features.INDEX_SIGNALS``.

Word weights are learned from the vendor master: each word's code (``normalize.codes``) gets an
IDF weight, generic words (``vocabulary.GENERIC_WORDS``) x0.3; a word is *distinctive* when it is
not generic and its IDF is at least half the largest (it names few vendors). A word the master
has never seen counts as distinctive with the largest weight.
"""

from __future__ import annotations

import multiprocessing
from functools import lru_cache
from itertools import chain

import numpy as np
import pandas as pd
import scipy.sparse as sp
from rapidfuzz import fuzz, process
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.preprocessing import normalize

from core.errors import ValidationFailed
from core.matching.aliases import expand_aliases
from core.matching.blocking import BlockingIndex
from core.matching.features import PARALLEL_MIN_ROWS, paused_gc, prepare_frame, rowwise_dot
from core.matching.normalize import normalize_name
from core.matching.vocabulary import CITIES, COUNTRIES, GENERIC_WORDS, LEGAL_FORMS, LEGAL_JOINED
from core.matching.wordwise import counts, fit_counts, whole_word

UNMATCHED_BELOW = 0.75  # a word less similar than this to every word of the other side is lone
GLUED_MIN = 3  # letters of a word glued to a vendor word ("ObdanfeldBau") that make it a word
FORM_OR_PLACE_ALIKE = 80.0  # ratio from which a lone invoice word is a misspelt form or place
GENERIC_WEIGHT = 0.3  # generic words ("group", "services") count 30% of their IDF
# VAT id, IBAN, normalized name, and acronyms both ways ("IBM" <-> "Intl Business Machines")
_EXACT_KEYS = (
    ("n_vat_id", "n_vat_id"),
    ("n_iban", "n_iban"),
    ("n_key", "n_key"),
    ("n_flat", "n_flat"),
    ("n_flat", "n_acronym"),
    ("n_acronym", "n_flat"),
    ("n_flat", "n_acronym2"),
    ("n_acronym2", "n_flat"),
    ("n_first_acr", "n_acronym"),
)
_GENERIC_CODES = (
    frozenset(c for w in GENERIC_WORDS for c in normalize_name(w).codes) | GENERIC_WORDS
)
_EXACT_LIMIT = 5  # exact-key hits per query and key kind (a key shared by more is not distinctive)


class _ExactTable:
    """Value -> reference rows holding it (ascending); built with one ``pd.factorize`` and one
    sort instead of a Python loop over the rows (a dict per row cost 0.2 s per key kind at
    100,000 vendors)."""

    def __init__(self, values: list[str]) -> None:
        codes, uniques = pd.factorize(np.asarray(values, dtype=object))
        codes = codes.astype(np.int64)
        codes[codes < 0] = len(uniques)  # a missing value (None, NaN): found by no look-up
        self._code = dict(zip(uniques.tolist(), range(len(uniques)), strict=True))
        self._rows = np.argsort(codes, kind="stable")
        sizes = np.bincount(codes, minlength=len(uniques) + 1)
        self._start = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self._size = sizes

    def get(self, value: str) -> list[int] | None:
        """Rows whose column equals ``value`` (None when none; never for ``""``)."""
        code = self._code.get(value) if value else None
        if code is None:
            return None
        start = int(self._start[code])
        return self._rows[start : start + int(self._size[code])].tolist()


_FORMS_AND_PLACES = sorted(
    {t for k in LEGAL_FORMS for t in k if len(t) > 1} | set(LEGAL_JOINED) | COUNTRIES | CITIES
)


_FORMS_BY_LENGTH: dict[int, list[str]] = {}
for _form in _FORMS_AND_PLACES:
    _FORMS_BY_LENGTH.setdefault(len(_form), []).append(_form)


@lru_cache(maxsize=100_000)
def _form_or_place(word: str) -> bool:
    """Whether ``word`` is a legal form or a place misspelt (OCR: "tsarl", "deutscland").

    Only forms and places of a length that can reach the cutoff are compared: ``fuzz.ratio``
    is at most ``100 * (1 - |a - b| / (a + b))`` for lengths ``a`` and ``b``."""
    size, slack = len(word), 100.0 - FORM_OR_PLACE_ALIKE
    choices = [
        form
        for length, forms in _FORMS_BY_LENGTH.items()
        if 100.0 * abs(size - length) <= slack * (size + length)
        for form in forms
    ]
    return (
        bool(choices)
        and process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=FORM_OR_PLACE_ALIKE)
        is not None
    )


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def validate_frame(frame: pd.DataFrame, what: str) -> None:
    """Refuse frames without the required ``id`` and ``name`` columns."""
    missing = [c for c in ("id", "name") if c not in frame.columns]
    if missing:
        raise ValidationFailed(f"{what} is missing column(s): {', '.join(missing)}")


class VendorIndex:
    """Normalized vendor master with blocking and word indexes (build once, query many times)."""

    def __init__(
        self,
        reference: pd.DataFrame,
        *,
        aliases: pd.DataFrame | None = None,
        workers: int = 2,
    ) -> None:
        validate_frame(reference, "reference")
        if reference.empty:
            raise ValidationFailed("reference has no rows")
        with paused_gc():
            self._build(reference, aliases, workers)

    def _build(self, reference: pd.DataFrame, aliases: pd.DataFrame | None, workers: int) -> None:
        self.frame = prepare_frame(expand_aliases(reference, aliases), workers=workers)
        keys = self.frame["n_key"].tolist()
        if workers > 1 and len(keys) >= PARALLEL_MIN_ROWS and _can_fork():
            # The n-gram index is fitted in a forked process while this one builds the rest.
            with multiprocessing.get_context("fork").Pool(1) as pool:
                pending = pool.apply_async(BlockingIndex, (keys,), {"workers": workers})
                self._build_word_indexes(keys)
                self.blocking: BlockingIndex = pending.get()
        else:
            self.blocking = BlockingIndex(keys, workers=workers)
            self._build_word_indexes(keys)

    def _build_word_indexes(self, keys: list[str]) -> None:
        """Word TF-IDF (generic words down-weighted), exact-key tables, word codes, tokens."""
        # TfidfVectorizer(analyzer=str.split, sublinear_tf=True, norm=None, dtype=float32), its
        # counts taken word by word (core.matching.wordwise): the same matrix, faster
        counted, vocab = fit_counts([k or "_" for k in keys], whole_word, lower=False)
        self._word_vocab = vocab
        self._words = TfidfTransformer(sublinear_tf=True, norm=None)
        self._words.fit(counted)
        raw = sp.csr_matrix(self._words.transform(counted, copy=False))
        scale = np.ones(len(vocab), dtype=np.float32)
        for word in GENERIC_WORDS & vocab.keys():
            scale[vocab[word]] = GENERIC_WEIGHT
        self._words.idf_ = self._words.idf_ * scale  # what word_vectors applies to queries
        raw.data *= scale[raw.indices]
        self.word_matrix = normalize(raw).tocsr()
        self._exact: dict[str, _ExactTable] = {}
        # exact-key lookups: query column -> (reference column, table); one table per column
        tables: dict[str, _ExactTable] = {}
        for q_col, r_col in _EXACT_KEYS:
            if r_col not in tables:
                tables[r_col] = _ExactTable(self.frame[r_col].tolist())
            self._exact[q_col + ">" + r_col] = tables[r_col]
        self._fit_codes(self.frame["n_codes"].tolist())
        self._ref_tokens = self._token_table(self.frame)

    def _fit_codes(self, codes: list[tuple[str, ...]]) -> None:
        """Binary word-code matrix of the master and the learned word weights (columns in
        first-appearance order of the codes, each row's columns sorted)."""
        lengths = np.fromiter(map(len, codes), dtype=np.int64, count=len(codes))
        flat = np.fromiter(chain.from_iterable(codes), dtype=object, count=int(lengths.sum()))
        col_of, uniques = pd.factorize(flat)
        vocab: dict[str, int] = dict(zip(uniques.tolist(), range(len(uniques)), strict=True))
        n, v = len(codes), max(1, len(vocab))
        rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
        # one entry per distinct (row, code), sorted by row then column
        pairs = np.sort(rows * v + col_of.astype(np.int64))  # np.unique hashes: 15x slower
        pairs = pairs[np.concatenate([[True], pairs[1:] != pairs[:-1]])] if len(pairs) else pairs
        indices = pairs % v
        indptr = np.concatenate([[0], np.cumsum(np.bincount(pairs // v, minlength=n))])
        data = np.ones(len(indices), dtype=np.float32)
        self._code_vocab = vocab
        self.code_matrix = sp.csr_matrix((data, indices, indptr), shape=(n, v))
        df = np.bincount(indices, minlength=v)
        idf = np.log((1 + n) / (1 + df)) + 1.0
        self._max_idf = float(np.log(1 + n) + 1.0)
        generic = np.zeros(v, dtype=bool)
        generic[: len(vocab)] = np.fromiter(
            (c in _GENERIC_CODES for c in vocab), dtype=bool, count=len(vocab)
        )
        self.code_weight = np.where(generic, idf * GENERIC_WEIGHT, idf).astype(np.float64)
        self.code_distinct = (~generic & (idf >= 0.5 * self._max_idf)).astype(np.float64)
        self._ref_mass = np.asarray(self.code_matrix @ self.code_weight).ravel()
        self._ref_words = np.diff(self.code_matrix.indptr)

    def _query_codes(self, codes: list[tuple[str, ...]]) -> tuple[sp.csr_matrix, np.ndarray]:
        """Query code matrix in the master's vocabulary and each query's total word weight."""
        indptr, indices = [0], []
        mass = np.zeros(len(codes))
        for i, row in enumerate(codes):
            cols = set()
            for c in set(row):
                col = self._code_vocab.get(c)
                if col is None:
                    mass[i] += self._max_idf * (GENERIC_WEIGHT if c in _GENERIC_CODES else 1.0)
                else:
                    cols.add(col)
                    mass[i] += self.code_weight[col]
            indices.extend(sorted(cols))
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=np.float32)
        shape = (len(codes), self.code_matrix.shape[1])
        return sp.csr_matrix((data, indices, indptr), shape=shape), mass

    def word_overlap(
        self, queries: pd.DataFrame, qi: np.ndarray, ri: np.ndarray
    ) -> dict[str, np.ndarray]:
        """``INDEX_SIGNALS`` of aligned (query row, reference row) pairs."""
        codes = queries["n_codes"].tolist()
        qmat, qmass = self._query_codes(codes)
        if len(qi) == 0:
            empty = np.zeros(0)
            return {k: empty for k in ("cover_query", "cover_ref", "lone_shared", "generic_only")}
        both = qmat[qi].multiply(self.code_matrix[ri]).tocsr()
        shared_all = np.asarray(both.sum(axis=1)).ravel()
        shared_w = np.asarray(both @ self.code_weight).ravel()
        shared_d = np.asarray(both @ self.code_distinct).ravel()
        q_words = np.array([len(set(c)) for c in codes])[qi]
        r_words = self._ref_words[ri]
        return {
            "cover_query": np.where(qmass[qi] > 0, shared_w / np.maximum(qmass[qi], 1e-9), 0.0),
            "cover_ref": np.where(
                self._ref_mass[ri] > 0, shared_w / np.maximum(self._ref_mass[ri], 1e-9), 0.0
            ),
            "lone_shared": (
                (shared_all == 1) & (shared_d == 1) & (q_words > 1) & (r_words > 1)
            ).astype(float),
            "generic_only": ((shared_all >= 1) & (shared_d == 0)).astype(float),
        }

    def _token_table(self, frame: pd.DataFrame) -> tuple[np.ndarray, ...]:
        """Flattened tokens of ``frame`` (``n_tokens``), their weights, each row's start and
        length, and the tokens' codes (``n_codes``, aligned with the tokens)."""
        tokens = frame["n_tokens"].tolist()
        lengths = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) if len(tokens) else lengths
        flat = np.fromiter(chain.from_iterable(tokens), dtype=object, count=int(lengths.sum()))
        codes = np.fromiter(
            chain.from_iterable(frame["n_codes"].tolist()), dtype=object, count=len(flat)
        )
        # each distinct code once: its learned weight, or the weight of a word never seen
        code_of, uniques = pd.factorize(codes)
        vocab, unknown = self._code_vocab, self._max_idf
        per_code = np.fromiter(
            (
                self.code_weight[vocab[c]]
                if c in vocab
                else (unknown * GENERIC_WEIGHT if c in _GENERIC_CODES else unknown)
                for c in uniques.tolist()
            ),
            dtype=np.float64,
            count=len(uniques),
        )
        weights = per_code[code_of] if len(flat) else np.zeros(0)
        return flat, weights, starts, lengths, codes

    def soft_overlap(
        self, queries: pd.DataFrame, qi: np.ndarray, ri: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Word-by-word fuzzy agreement of aligned pairs (typo-tolerant, unlike ``codes``).

        Each word is matched to its most similar word on the other side (rapidfuzz ``ratio``).
        ``soft_cover_*``: weight-averaged best similarity (below 0.75 counts 0) of one side's
        words; ``worst_word_*``: the lowest best similarity of one side's words, so a typo keeps
        it high while another trade word ("Papier" for "Elektro") drives it down;
        ``unmatched_*``: how many of one side's words have no counterpart on the other (none
        similar to ``UNMATCHED_BELOW`` and none with the same code), generic words included;
        on the invoice side a word that is a misspelt legal form or place does not count.
        """
        n = len(qi)
        names = (
            "soft_cover_query",
            "soft_cover_ref",
            "worst_word_query",
            "worst_word_ref",
            "unmatched_query",
            "unmatched_ref",
        )
        out = {k: np.zeros(n) for k in names}
        if n == 0:
            return out
        q_flat, q_w, q_start, q_len, q_codes = self._token_table(queries)
        r_flat, r_w, r_start, r_len, r_codes = self._ref_tokens
        a, b = q_len[qi], r_len[ri]
        sizes = a * b
        total = int(sizes.sum())
        if total == 0:
            return out
        pair = np.repeat(np.arange(n), sizes)
        first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        within = np.arange(total) - first[pair]
        i_q, j_r = within // b[pair], within % b[pair]
        q_tok = q_start[qi][pair] + i_q
        r_tok = r_start[ri][pair] + j_r
        ratio = (
            process.cpdist(
                q_flat[q_tok].tolist(), r_flat[r_tok].tolist(), scorer=fuzz.ratio, workers=-1
            )
            / 100.0
        )
        # A word "has a counterpart" when a word of the other side is similar or sounds alike.
        alike = np.maximum(ratio, (q_codes[q_tok] == r_codes[r_tok]).astype(float))
        for side, key_len, tok, weights, word in (
            ("query", a, q_tok, q_w, i_q),
            ("ref", b, r_tok, r_w, j_r),
        ):
            offset = np.concatenate([[0], np.cumsum(key_len)[:-1]])
            slot = offset[pair] + word
            best = np.zeros(int(key_len.sum()))
            np.maximum.at(best, slot, ratio)
            owner = np.repeat(np.arange(n), key_len)
            slot_tok = np.zeros(len(best), dtype=np.int64)
            slot_tok[slot] = tok
            w = weights[slot_tok]
            mass = np.bincount(owner, weights=w, minlength=n)
            got = np.bincount(owner, weights=w * np.where(best >= 0.75, best, 0.0), minlength=n)
            out[f"soft_cover_{side}"] = np.where(mass > 0, got / np.maximum(mass, 1e-9), 0.0)
            worst = np.ones(n)
            np.minimum.at(worst, owner, best)
            out[f"worst_word_{side}"] = np.where(key_len > 0, worst, 0.0)
            counterpart = np.zeros(len(best))
            np.maximum.at(counterpart, slot, alike)
            lone = counterpart < UNMATCHED_BELOW
            if side == "query" and lone.any():
                # a damaged legal form or place tail ("tSARL", "(Deutscland)") is no word
                words = q_flat[slot_tok[lone]]
                junk = {w: _form_or_place(w) for w in set(words.tolist())}
                lone[np.flatnonzero(lone)[[junk[w] for w in words]]] = False
            if side == "query":
                lone |= self._glued_extra(
                    (q_flat, r_flat, r_start, r_len, ri),
                    (q_tok, r_tok, alike),
                    (slot, owner, counterpart),
                )
            counted = np.bincount(owner, weights=lone.astype(float), minlength=n)
            out[f"unmatched_{side}"] = counted.astype(np.float64)
        return out

    @staticmethod
    def _glued_extra(
        words: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
        token_pairs: tuple[np.ndarray, np.ndarray, np.ndarray],
        slots: tuple[np.ndarray, np.ndarray, np.ndarray],
    ) -> np.ndarray:
        """Invoice-word slots that are a vendor word with another word glued to it
        ("ObdanfeldBau" for "Obdanfeld Holding"): its only counterparts are vendor words it
        starts or ends with, and the glued rest has ``GLUED_MIN`` letters or more, no
        counterpart in the vendor's name and is no legal form or place. Such a word is a
        sibling's trade word written without a space: it counts as a word without a
        counterpart (``soft_overlap``'s ``unmatched_query``), so the hold rule applies."""
        q_flat, r_flat, r_start, r_len, ri = words
        q_tok, r_tok, alike = token_pairs
        slot, owner, counterpart = slots
        out = np.zeros(len(counterpart), dtype=bool)
        # word lengths of the compared pairs only (not of the whole vendor master's words)
        q_size = np.fromiter(map(len, q_flat[q_tok].tolist()), dtype=np.int64, count=len(q_tok))
        r_size = np.fromiter(map(len, r_flat[r_tok].tolist()), dtype=np.int64, count=len(r_tok))
        longer = q_size - r_size
        near = np.flatnonzero(
            (alike >= UNMATCHED_BELOW) & (longer >= GLUED_MIN) & (r_size >= GLUED_MIN)
        )
        glue = np.zeros(len(alike), dtype=bool)
        rest_of: dict[int, str] = {}
        for t in near.tolist():
            q, r = q_flat[q_tok[t]], r_flat[r_tok[t]]
            if q.startswith(r):
                glue[t], rest_of[int(slot[t])] = True, q[len(r) :]
            elif q.endswith(r):
                glue[t], rest_of[int(slot[t])] = True, q[: -len(r)]
        if not rest_of:
            return out
        plain = np.zeros(len(counterpart))  # best counterpart that is not a glued part
        np.maximum.at(plain, slot, np.where(glue, 0.0, alike))
        for s, rest in rest_of.items():
            if counterpart[s] < UNMATCHED_BELOW or plain[s] >= UNMATCHED_BELOW:
                continue
            row = ri[int(owner[s])]
            lo = int(r_start[row])
            vendor_words = r_flat[lo : lo + int(r_len[row])].tolist()
            alike_word = any(fuzz.ratio(rest, w) >= 100 * UNMATCHED_BELOW for w in vendor_words)
            out[s] = not alike_word and not _form_or_place(rest)
        return out

    def __len__(self) -> int:
        return len(self.frame)

    def word_vectors(self, keys: list[str]) -> sp.csr_matrix:
        """Word TF-IDF vectors (generic words down-weighted) in the reference vocabulary."""
        counted = counts([k or "_" for k in keys], whole_word, self._word_vocab, lower=False)
        return normalize(self._words.transform(counted, copy=False)).tocsr()

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
        overlap = {**self.word_overlap(queries, qi, ri), **self.soft_overlap(queries, qi, ri)}
        return pd.DataFrame(
            {"qi": qi, "ri": ri, "char_cosine": char, "word_cosine": word, **overlap}
        )
