"""Signals for (query, reference) candidate pairs, vectorized over all pairs at once.

Input contract: ``queries`` and ``reference`` are frames prepared by ``prepare_frame`` (the
normalized name columns of ``core.matching.normalize`` plus the optional columns ``vat_id, iban,
address, city, po_number, amount, currency, date``), and ``qi``/``ri`` are aligned integer
arrays of row positions. Output: one float column per signal, one row per pair.

Name signals are in [0, 1]; the others are +1 (agree), -1 (disagree) or 0 (missing on either
side), so a missing VAT id neither helps nor hurts. ``address`` is scaled to [-1, 1] and its
negative part by ``ADDRESS_DIFFERS`` (a differing address is weak evidence).

The name-variant signals, each with its reason (``core.matching.matcher`` words them):

================= ====================================================================
``acronym``       one name is the initials of the other's words (all, or the distinctive
                  ones), or its first word is (``IBM Services`` <-> ``International
                  Business Machines``)
``phonetic``      similarity of the names' Metaphone codes (sounds alike: transliterations,
                  ``Schmidt``/``Schmitt``)
``flat_ratio``    similarity with spaces removed (``Alpha Tec``/``Alphatec``, ``A B B``)
``cover_query``   share of the invoice name's distinctive weight found in the vendor's name
``cover_ref``     share of the vendor name's distinctive weight found in the invoice name;
                  word weights are IDF over the vendor master, generic words x0.3
``lone_shared``   exactly one word in common, both names have others: a family name or one
                  brand word alone is weak evidence
``generic_only``  words in common, but only generic ones ("International", "Holding")
``soft_cover_*``  like ``cover_*`` with each word matched to its most similar word on the
                  other side (typo-tolerant)
``worst_word_*``  the lowest such best-word similarity of one side: a typo keeps it high,
                  another trade word ("Müller Bau" for "Müller Logistik") drives it down
``tail``          place tails (``- Deutschland``, ``München``) agree / differ
``alias``         the vendor row is an alias (former name, learned spelling, VAT id, IBAN)
                  and it matches exactly
================= ====================================================================

Legal forms spelled out (``Naamloze Vennootschap``) are the same family as the abbreviation
(``N.V.``) through ``core.matching.vocabulary``; they feed ``legal_form``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import itertools
import multiprocessing
import re
from collections.abc import Iterator

import numpy as np
import pandas as pd
import scipy.sparse as sp

from core.matching.normalize import normalize_frame, normalize_text
from core.matching.profile import MatchProfile
from core.matching.scoring import pair_scores

NAME_SIGNALS = (
    "name_ratio",
    "name_token_sort",
    "name_token_set",
    "name_partial",
    "char_cosine",
    "word_cosine",
    "first_token",
    "exact_key",
    "acronym",
    "legal_form",
    "phonetic",
    "flat_ratio",
    "cover_query",
    "cover_ref",
    "lone_shared",
    "generic_only",
    "soft_cover_query",
    "soft_cover_ref",
    "worst_word_query",
    "worst_word_ref",
    "tail",
    "alias",
)
# Signals computed by the index for each candidate pair (see VendorIndex.candidates).
INDEX_SIGNALS = (
    "cover_query",
    "cover_ref",
    "lone_shared",
    "generic_only",
    "soft_cover_query",
    "soft_cover_ref",
    "worst_word_query",
    "worst_word_ref",
)
OTHER_SIGNALS = ("vat_id", "iban", "address", "city", "po_number", "amount", "date")
SIGNALS = NAME_SIGNALS + OTHER_SIGNALS
OPTIONAL_COLUMNS = ("vat_id", "iban", "address", "city", "po_number", "amount", "currency", "date")
_IDENT = re.compile(r"[^0-9a-z]")


def _ident(value: object) -> str:
    """VAT ids, IBANs, PO numbers: upper/lower, spaces and punctuation ignored."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return _IDENT.sub("", str(value).lower())


_SWISS_UID = re.compile(r"(che\d{9})(?:mwst|tva|iva)")


def vat_key(value: object) -> str:
    """A VAT id as compared: like ``_ident``, and a Swiss UID without its language suffix
    ("CHE-770.359.036 MWST", "CHE770359036" and "CHE-770.359.036 TVA" are one UID)."""
    key = _ident(value)
    m = _SWISS_UID.fullmatch(key)
    return m.group(1) if m else key


def _number(value: object) -> float:
    try:
        return float(str(value).replace(",", "")) if str(value).strip() else np.nan
    except ValueError:
        return np.nan


def _date(value: object) -> float:
    """Days since epoch, NaN when empty or not an ISO date."""
    text = "" if value is None else str(value).strip()[:10]
    try:
        return float(dt.date.fromisoformat(text).toordinal())
    except ValueError:
        return np.nan


# A differing address counts a quarter of an agreeing one: vendors move and have several sites
# (an invoice may carry a branch or remit-to address), so a different address is weak evidence
# against an otherwise identical name, while the same address is strong evidence for it. With
# the full -1 a tuned profile learned "no agreeing address, no match" on Fodors-Zagat and
# rejected same-name pairs that had moved (F1 0.952 on one half); chosen on that dev set among
# 0, 0.1, 0.25, 0.5: 0.25 was the only one with every half >= 0.97; 0.1 and 0.5 each failed one).
ADDRESS_DIFFERS = 0.25
PARALLEL_MIN_ROWS = 20_000  # below this, a second process costs more than it saves


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large master or batch is prepared.

    Preparing 100,000 names allocates millions of small tuples and strings, none of them in a
    reference cycle; each allocation burst triggers a collection that walks the whole heap
    again (a third of the index build's CPU time). Reference counting still frees everything;
    the collector runs again on exit (as it was: a caller that paused it keeps it paused)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def prepare_frame(frame: pd.DataFrame, *, workers: int = 1) -> pd.DataFrame:
    """Add normalized columns (name and optional fields) to a raw ``id,name,...`` frame.

    With ``workers`` > 1 and at least ``PARALLEL_MIN_ROWS`` rows (a vendor master), the rows are
    split into contiguous parts prepared in forked processes at the same time (normalization is
    pure Python, so threads would not run in parallel); the result is the same frame."""
    parts = min(max(1, workers), len(frame) // (PARALLEL_MIN_ROWS // 2) or 1)
    if parts > 1 and "fork" in multiprocessing.get_all_start_methods():
        bounds = np.linspace(0, len(frame), parts + 1).astype(int)
        chunks = [frame.iloc[lo:hi] for lo, hi in itertools.pairwise(bounds)]
        with multiprocessing.get_context("fork").Pool(parts - 1) as pool:
            pending = pool.map_async(_prepare, chunks[1:])
            first = _prepare(chunks[0])
            rest = pending.get()
        return pd.concat([first, *rest], ignore_index=True)
    return _prepare(frame)


def _prepare(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reset_index(drop=True).copy()
    out["id"] = out["id"].astype(str)
    norm = normalize_frame(out["name"])
    for col in norm.columns:
        out[f"n_{col}"] = norm[col].to_numpy()
    for col in OPTIONAL_COLUMNS:
        if col not in out.columns:
            out[col] = ""
    out["n_vat_id"] = [vat_key(v) if v else "" for v in out["vat_id"].tolist()]
    for col in ("iban", "po_number"):
        out[f"n_{col}"] = [_ident(v) if v else "" for v in out[col].tolist()]
    out["n_address"] = [normalize_text(v) if v else "" for v in out["address"].tolist()]
    out["n_city"] = [normalize_text(v) if v else "" for v in out["city"].tolist()]
    out["n_amount"] = [_number(v) if v else np.nan for v in out["amount"].tolist()]
    out["n_currency"] = [str(v).strip().upper() for v in out["currency"].fillna("").tolist()]
    out["n_date"] = [_date(v) if v else np.nan for v in out["date"].tolist()]
    out["n_first"] = [t[0] if t else "" for t in out["n_tokens"]]
    out["n_flat"] = [k.replace(" ", "") for k in out["n_key"]]
    # first word as an acronym candidate ("IBM Services"); short ones say too little
    out["n_first_acr"] = [
        f if len(f) >= 3 and len(t) > 1 else ""
        for f, t in zip(out["n_first"], out["n_tokens"], strict=True)
    ]
    for col in ("alias", "alias_kind", "alias_note"):
        if col not in out.columns:
            out[col] = ""
    return out


def _agree(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    present = (left != "") & (right != "")
    return np.where(present, np.where(left == right, 1.0, -1.0), 0.0)


def rowwise_dot(a: sp.csr_matrix, b: sp.csr_matrix, qi: np.ndarray, ri: np.ndarray) -> np.ndarray:
    """Cosine of aligned rows of two L2-normalized sparse matrices."""
    if len(qi) == 0:
        return np.zeros(0)
    return np.asarray(a[qi].multiply(b[ri]).sum(axis=1)).ravel()


def _present(queries: pd.DataFrame, reference: pd.DataFrame, col: str) -> bool:
    """Whether both sides have at least one value in ``col`` (else the signal is all zeros)."""
    return bool(queries[col].astype(bool).any() and reference[col].astype(bool).any())


def pair_features(
    queries: pd.DataFrame,
    reference: pd.DataFrame,
    qi: np.ndarray,
    ri: np.ndarray,
    *,
    char_cosine: np.ndarray,
    word_cosine: np.ndarray,
    profile: MatchProfile,
    index_signals: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """All signals for the aligned pairs (see the module docstring for ranges)."""

    def q(col: str) -> np.ndarray:
        return queries[col].to_numpy()[qi]

    def r(col: str) -> np.ndarray:
        return reference[col].to_numpy()[ri]

    zeros = np.zeros(len(qi))
    qk, rk = q("n_key"), r("n_key")
    qkl, rkl = qk.tolist(), rk.tolist()
    out = {
        "name_ratio": pair_scores(qkl, rkl, "ratio") / 100,
        "name_token_sort": pair_scores(qkl, rkl, "token_sort_ratio") / 100,
        "name_token_set": pair_scores(qkl, rkl, "token_set_ratio") / 100,
        "name_partial": pair_scores(qkl, rkl, "partial_ratio") / 100,
        "char_cosine": char_cosine,
        "word_cosine": word_cosine,
        "first_token": pair_scores(q("n_first").tolist(), r("n_first").tolist(), "ratio") / 100,
        "exact_key": (qk == rk).astype(float),
    }
    q_flat, r_flat = q("n_flat"), r("n_flat")
    acr = np.zeros(len(qi), dtype=bool)
    for col in ("n_acronym", "n_acronym2"):
        q_acr, r_acr = q(col), r(col)
        acr |= ((q_flat == r_acr) & (r_acr != "")) | ((r_flat == q_acr) & (q_acr != ""))
        q_first, r_first = q("n_first_acr"), r("n_first_acr")
        acr |= ((q_first == r_acr) & (r_acr != "")) | ((r_first == q_acr) & (q_acr != ""))
    out["acronym"] = acr.astype(float)
    out["legal_form"] = _agree(q("n_legal_family"), r("n_legal_family"))
    out["phonetic"] = (
        pair_scores(q("n_phonetic").tolist(), r("n_phonetic").tolist(), "token_sort_ratio") / 100
    )
    out["flat_ratio"] = pair_scores(q_flat.tolist(), r_flat.tolist(), "ratio") / 100
    for col in INDEX_SIGNALS:
        out[col] = zeros if index_signals is None else index_signals[col].to_numpy(dtype=float)
    out["tail"] = _agree(q("n_tail"), r("n_tail"))
    kind = r("alias_kind")
    same = (kind == "name") & (((qk == rk) & (qk != "")) | ((q_flat == r_flat) & (q_flat != "")))
    for col in ("vat_id", "iban"):
        qv, rv = q(f"n_{col}"), r(f"n_{col}")
        same |= (kind == col) & (qv == rv) & (qv != "")
    out["alias"] = same.astype(float)
    for col in ("vat_id", "iban"):
        present = _present(queries, reference, f"n_{col}")
        out[col] = _agree(q(f"n_{col}"), r(f"n_{col}")) if present else zeros
    out["city"] = zeros
    if _present(queries, reference, "n_city"):
        # "new york" and "new york city" agree: one city's words contain the other's
        qc, rc = q("n_city"), r("n_city")
        near = pair_scores(qc.tolist(), rc.tolist(), "token_set_ratio") >= 90
        out["city"] = np.where((qc != "") & (rc != ""), np.where(near, 1.0, -1.0), 0.0)
    out["address"] = zeros
    if _present(queries, reference, "n_address"):
        qa, ra = q("n_address"), r("n_address")
        addr = pair_scores(qa.tolist(), ra.tolist(), "token_set_ratio") / 100
        signed = 2 * addr - 1
        signed = np.where(signed < 0, ADDRESS_DIFFERS * signed, signed)
        out["address"] = np.where((qa != "") & (ra != ""), signed, 0.0)
    out["po_number"] = zeros
    if _present(queries, reference, "n_po_number"):
        qp = q("n_po_number")
        out["po_number"] = ((qp != "") & (qp == r("n_po_number"))).astype(float)
    out["amount"] = zeros
    if queries["n_amount"].notna().any() and reference["n_amount"].notna().any():
        qa_, ra_ = q("n_amount").astype(float), r("n_amount").astype(float)
        pct = np.abs(ra_) * profile.amount_tolerance_pct / 100
        tol = np.maximum(profile.amount_tolerance_abs, pct)
        qc, rc = q("n_currency"), r("n_currency")
        same_cur = (qc == rc) | (qc == "") | (rc == "")
        ok = (np.abs(qa_ - ra_) <= tol) & same_cur
        out["amount"] = np.where(np.isnan(qa_) | np.isnan(ra_), 0.0, np.where(ok, 1.0, -1.0))
    out["date"] = zeros
    if queries["n_date"].notna().any() and reference["n_date"].notna().any():
        qd, rd = q("n_date").astype(float), r("n_date").astype(float)
        ok = np.abs(qd - rd) <= profile.date_window_days
        out["date"] = np.where(np.isnan(qd) | np.isnan(rd), 0.0, np.where(ok, 1.0, -1.0))
    return pd.DataFrame(out, columns=list(SIGNALS))


def logistic_score(features: pd.DataFrame, weights: dict[str, float]) -> np.ndarray:
    """0-100 score: 100 * sigmoid(bias + sum of weight * signal)."""
    z = np.full(len(features), weights.get("bias", 0.0))
    for name in SIGNALS:
        w = weights.get(name, 0.0)
        if w:
            z = z + w * features[name].to_numpy()
    return 100.0 / (1.0 + np.exp(-z))
