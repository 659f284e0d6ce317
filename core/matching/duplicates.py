"""Duplicate invoices in three tiers, strongest first.

Input frame contract: ``invoice_id`` (required) and any of ``sha256`` (file bytes), ``vendor_id``
or ``vendor_name``, ``invoice_number``, ``total``, ``currency``, ``date`` (ISO), ``text`` (the
document's extracted text). Rows are compared in input order; a later row is reported as the
duplicate of the earlier one.

Tiers (a pair is reported once, under its strongest tier):

1. ``same_file`` - identical SHA-256 of the file bytes;
2. ``same_invoice`` - same vendor (id, else normalized name) and same invoice number
   (case, punctuation and leading zeros ignored), amount within the profile's tolerance, dates
   within ``date_window_days`` (when both dates are known);
   ``same_amount`` - same vendor, no agreeing number, but the same amount and currency on dates
   within the window: weaker, since invoice-number agreement beats amount-only agreement;
3. ``near_identical`` - extracted texts with TF-IDF cosine >= ``NEAR_IDENTICAL_MIN``.

Output: ``invoice_id, duplicate_of, tier, score`` (1.0 for tiers 1-2, the cosine for tier 3) and
``reason``.
"""

from __future__ import annotations

import datetime as dt
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sparse_dot_topn import sp_matmul_topn

from core.errors import ValidationFailed
from core.matching.normalize import normalize_name
from core.matching.profile import MatchProfile
from core.matching.purchase_orders import normalize_number, within

NEAR_IDENTICAL_MIN = 0.95
TIERS = ("same_file", "same_invoice", "same_amount", "near_identical")
_COLUMNS = ["invoice_id", "duplicate_of", "tier", "score", "reason"]


def _col(frame: pd.DataFrame, name: str) -> list[Any]:
    if name not in frame.columns:
        return [""] * len(frame)
    return ["" if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in frame[name]]


def _day(value: Any) -> int | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]).toordinal()
    except ValueError:
        return None


def _amount(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(out) else out


def find_duplicates(invoices: pd.DataFrame, profile: MatchProfile | None = None) -> pd.DataFrame:
    """All duplicate pairs with tier and reason; see the module docstring."""
    profile = profile or MatchProfile()
    if "invoice_id" not in invoices.columns:
        raise ValidationFailed("invoices are missing column: invoice_id")
    ids = list(invoices["invoice_id"])
    found: dict[tuple[int, int], tuple[str, float, str]] = {}

    def add(i: int, j: int, tier: str, score: float, reason: str) -> None:
        key = (min(i, j), max(i, j))
        if key not in found or TIERS.index(tier) < TIERS.index(found[key][0]):
            found[key] = (tier, score, reason)

    for digest, rows in _groups(_col(invoices, "sha256")).items():
        for i, j in combinations(rows, 2):
            add(i, j, "same_file", 1.0, f"identical file bytes (sha256 {str(digest)[:12]}...)")

    vendor_ids, names = _col(invoices, "vendor_id"), _col(invoices, "vendor_name")
    vendors = [
        str(v) if v != "" else normalize_name(str(n)).key
        for v, n in zip(vendor_ids, names, strict=True)
    ]
    numbers = [normalize_number(v) for v in _col(invoices, "invoice_number")]
    totals = [_amount(v) for v in _col(invoices, "total")]
    currencies = [str(c).upper() for c in _col(invoices, "currency")]
    days = [_day(v) for v in _col(invoices, "date")]
    window = profile.date_window_days
    for vendor, rows in _groups(vendors).items():
        for i, j in combinations(rows, 2):
            di, dj, ti, tj = days[i], days[j], totals[i], totals[j]
            dates_ok = di is None or dj is None or abs(di - dj) <= window
            amounts_ok = (
                ti is not None
                and tj is not None
                and within(ti, tj, profile.amount_tolerance_pct, profile.amount_tolerance_abs)
            )
            if not (amounts_ok and dates_ok):
                continue
            if numbers[i] and numbers[i] == numbers[j]:
                why = f"same vendor {vendor}, invoice number {numbers[i]}, amount and date agree"
                add(i, j, "same_invoice", 1.0, why)
            elif di is not None and dj is not None and currencies[i] == currencies[j] and ti == tj:
                why = (
                    f"same vendor {vendor}, same amount {ti:g} within {window} days, "
                    "invoice numbers differ"
                )
                add(i, j, "same_amount", 1.0, why)

    texts = [str(t) for t in _col(invoices, "text")]
    filled = [k for k, t in enumerate(texts) if t.strip()]
    if len(filled) > 1:
        matrix = TfidfVectorizer(sublinear_tf=True, dtype=np.float64).fit_transform(
            [texts[k] for k in filled]
        )
        sims = sp_matmul_topn(
            matrix, matrix.T, top_n=10, threshold=NEAR_IDENTICAL_MIN - 1e-9
        ).tocoo()
        for a, b, value in zip(sims.row, sims.col, sims.data, strict=True):
            if a < b:
                add(
                    filled[a],
                    filled[b],
                    "near_identical",
                    float(value),
                    f"extracted text {value:.1%} similar",
                )

    pairs = [
        {
            "invoice_id": ids[j],
            "duplicate_of": ids[i],
            "tier": tier,
            "score": round(score, 4),
            "reason": reason,
        }
        for (i, j), (tier, score, reason) in sorted(found.items())
    ]
    return pd.DataFrame(pairs, columns=_COLUMNS)


def _groups(values: list[Any]) -> dict[Any, list[int]]:
    groups: dict[Any, list[int]] = {}
    for row, value in enumerate(values):
        if value not in ("", None):
            groups.setdefault(value, []).append(row)
    return {k: v for k, v in groups.items() if len(v) > 1}
