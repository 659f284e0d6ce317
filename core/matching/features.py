"""Signals for (query, reference) candidate pairs, vectorized over all pairs at once.

Input contract: ``queries`` and ``reference`` are frames prepared by ``prepare_frame`` (the
normalized name columns of ``core.matching.normalize`` plus the optional columns ``vat_id, iban,
address, city, po_number, amount, currency, date``), and ``qi``/``ri`` are aligned integer
arrays of row positions. Output: one float column per signal, one row per pair.

Name signals are in [0, 1]; the others are +1 (agree), -1 (disagree) or 0 (missing on either
side), so a missing VAT id neither helps nor hurts. ``address`` is scaled to [-1, 1].
"""

from __future__ import annotations

import datetime as dt
import re

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


def prepare_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Add normalized columns (name and optional fields) to a raw ``id,name,...`` frame."""
    out = frame.reset_index(drop=True).copy()
    out["id"] = out["id"].astype(str)
    norm = normalize_frame(out["name"])
    for col in norm.columns:
        out[f"n_{col}"] = norm[col].to_numpy()
    for col in OPTIONAL_COLUMNS:
        if col not in out.columns:
            out[col] = ""
    for col in ("vat_id", "iban", "po_number"):
        out[f"n_{col}"] = [_ident(v) for v in out[col].tolist()]
    out["n_address"] = [normalize_text(v) for v in out["address"].tolist()]
    out["n_city"] = [normalize_text(v) for v in out["city"].tolist()]
    out["n_amount"] = [_number(v) for v in out["amount"].tolist()]
    out["n_currency"] = [str(v).strip().upper() for v in out["currency"].fillna("").tolist()]
    out["n_date"] = [_date(v) for v in out["date"].tolist()]
    first = [t[0] if t else "" for t in out["n_tokens"]]
    out["n_first"] = first
    return out


def _agree(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    present = (left != "") & (right != "")
    return np.where(present, np.where(left == right, 1.0, -1.0), 0.0)


def rowwise_dot(a: sp.csr_matrix, b: sp.csr_matrix, qi: np.ndarray, ri: np.ndarray) -> np.ndarray:
    """Cosine of aligned rows of two L2-normalized sparse matrices."""
    if len(qi) == 0:
        return np.zeros(0)
    return np.asarray(a[qi].multiply(b[ri]).sum(axis=1)).ravel()


def pair_features(
    queries: pd.DataFrame,
    reference: pd.DataFrame,
    qi: np.ndarray,
    ri: np.ndarray,
    *,
    char_cosine: np.ndarray,
    word_cosine: np.ndarray,
    profile: MatchProfile,
) -> pd.DataFrame:
    """All signals for the aligned pairs (see the module docstring for ranges)."""
    q = {c: queries[c].to_numpy()[qi] for c in queries.columns if c.startswith("n_")}
    r = {c: reference[c].to_numpy()[ri] for c in reference.columns if c.startswith("n_")}
    qk, rk = q["n_key"].tolist(), r["n_key"].tolist()
    out = {
        "name_ratio": pair_scores(qk, rk, "ratio") / 100,
        "name_token_sort": pair_scores(qk, rk, "token_sort_ratio") / 100,
        "name_token_set": pair_scores(qk, rk, "token_set_ratio") / 100,
        "name_partial": pair_scores(qk, rk, "partial_ratio") / 100,
        "char_cosine": char_cosine,
        "word_cosine": word_cosine,
        "first_token": pair_scores(q["n_first"].tolist(), r["n_first"].tolist(), "ratio") / 100,
        "exact_key": (q["n_key"] == r["n_key"]).astype(float),
    }
    nospace_q = np.array([k.replace(" ", "") for k in qk], dtype=object)
    nospace_r = np.array([k.replace(" ", "") for k in rk], dtype=object)
    acr = ((nospace_q == r["n_acronym"]) & (r["n_acronym"] != "")) | (
        (nospace_r == q["n_acronym"]) & (q["n_acronym"] != "")
    )
    out["acronym"] = acr.astype(float)
    out["legal_form"] = _agree(q["n_legal_family"], r["n_legal_family"])
    out["vat_id"] = _agree(q["n_vat_id"], r["n_vat_id"])
    out["iban"] = _agree(q["n_iban"], r["n_iban"])
    has_addr = (q["n_address"] != "") & (r["n_address"] != "")
    addr = pair_scores(q["n_address"].tolist(), r["n_address"].tolist(), "token_set_ratio") / 100
    out["address"] = np.where(has_addr, 2 * addr - 1, 0.0)
    out["city"] = _agree(q["n_city"], r["n_city"])
    po_ok = (q["n_po_number"] != "") & (q["n_po_number"] == r["n_po_number"])
    out["po_number"] = po_ok.astype(float)
    qa, ra = q["n_amount"].astype(float), r["n_amount"].astype(float)
    tol = np.maximum(profile.amount_tolerance_abs, np.abs(ra) * profile.amount_tolerance_pct / 100)
    same_cur = (
        (q["n_currency"] == r["n_currency"]) | (q["n_currency"] == "") | (r["n_currency"] == "")
    )
    amount_ok = (np.abs(qa - ra) <= tol) & same_cur
    out["amount"] = np.where(np.isnan(qa) | np.isnan(ra), 0.0, np.where(amount_ok, 1.0, -1.0))
    qd, rd = q["n_date"].astype(float), r["n_date"].astype(float)
    date_ok = np.abs(qd - rd) <= profile.date_window_days
    out["date"] = np.where(np.isnan(qd) | np.isnan(rd), 0.0, np.where(date_ok, 1.0, -1.0))
    return pd.DataFrame(out, columns=list(SIGNALS))


def logistic_score(features: pd.DataFrame, weights: dict[str, float]) -> np.ndarray:
    """0-100 score: 100 * sigmoid(bias + sum of weight * signal)."""
    z = np.full(len(features), weights.get("bias", 0.0))
    for name in SIGNALS:
        w = weights.get(name, 0.0)
        if w:
            z = z + w * features[name].to_numpy()
    return 100.0 / (1.0 + np.exp(-z))
