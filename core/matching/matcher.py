"""Vendor matching: score candidates for many queries at once and decide auto / review / reject.

Query frame contract: ``id`` (query id), ``name``, optional ``vat_id, iban, address, city,
po_number, amount, currency, date`` (an ``Extraction`` becomes such a row through
``extraction_to_query``).

Decision frame contract (one row per query, in query order):

================== =====================================================================
``query_id``       the query's ``id``
``match_id``       best vendor id for ``auto`` and ``review``; ``None`` for ``reject``
``score``          best candidate's score, 0-100
``margin``         best score minus the runner-up vendor's score (best score if none)
``runner_up_id``   second-best vendor id or ``None``
``decision``       ``"auto"`` | ``"review"`` | ``"reject"`` (reject = unknown vendor)
``reason``         one human-readable sentence: why, with the deciding signals
``profile_version````MatchProfile.label`` of the profile that decided
``candidates``     list of ``{"id", "score"}``, best first, at most ``top`` entries
================== =====================================================================
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.extraction.schema import Extraction
from core.matching.features import SIGNALS, logistic_score, pair_features, prepare_frame
from core.matching.index import VendorIndex, validate_frame
from core.matching.profile import MatchProfile
from core.matching.scoring import thefuzz_cdist, thefuzz_pairs

FULL_SCAN_PAIRS = 20_000_000  # thefuzz scorers scan every vendor below this many pairs
_LABELS = {
    "name_token_set": "name tokens",
    "char_cosine": "name spelling",
    "word_cosine": "distinctive words",
    "exact_key": "same normalized name",
    "acronym": "acronym",
    "legal_form": "legal form",
    "vat_id": "VAT id",
    "iban": "IBAN",
    "address": "address",
    "city": "city",
    "po_number": "PO number",
    "amount": "amount",
    "date": "date",
}


def extraction_to_query(extraction: Extraction, query_id: str) -> dict[str, Any]:
    """One query row (see the contract above) from an extraction."""
    total = extraction.total.value
    date = extraction.invoice_date.value
    return {
        "id": query_id,
        "name": extraction.vendor_name.value or "",
        "vat_id": extraction.vendor_vat_id.value or "",
        "iban": extraction.vendor_iban.value or "",
        "address": extraction.vendor_address.value or "",
        "city": "",
        "po_number": extraction.po_number.value or "",
        "amount": "" if total is None else str(total),
        "currency": extraction.currency.value or "",
        "date": "" if date is None else date.isoformat(),
    }


def score_candidates(
    queries: pd.DataFrame, index: VendorIndex, profile: MatchProfile, k: int | None = None
) -> pd.DataFrame:
    """Pair table ``qi, ri, ref_id, score`` (+ every signal in model mode) for prepared queries."""
    k = k or profile.top_k
    ref = index.frame
    if profile.scorer != "model" and len(queries) * len(ref) <= FULL_SCAN_PAIRS:
        matrix = thefuzz_cdist(queries["name"].tolist(), ref["name"].tolist(), profile.scorer)
        kk = min(k, matrix.shape[1])
        top = (
            np.argpartition(-matrix, kk - 1, axis=1)[:, :kk] if kk else np.zeros((len(queries), 0))
        )
        qi = np.repeat(np.arange(len(queries)), kk)
        ri = top.ravel().astype(np.int64)
        pairs = pd.DataFrame({"qi": qi, "ri": ri, "score": matrix[qi, ri].astype(float)})
    else:
        pairs = index.candidates(queries, k)
        qi, ri = pairs["qi"].to_numpy(), pairs["ri"].to_numpy()
        if profile.scorer == "model":
            feats = pair_features(
                queries,
                ref,
                qi,
                ri,
                char_cosine=pairs["char_cosine"].to_numpy(),
                word_cosine=pairs["word_cosine"].to_numpy(),
                profile=profile,
            )
            pairs = pd.concat([pairs[["qi", "ri"]], feats], axis=1)
            pairs["score"] = logistic_score(feats, profile.weights)
        else:
            names_q, names_r = queries["name"].to_numpy(), ref["name"].to_numpy()
            scores = thefuzz_pairs(names_q[qi].tolist(), names_r[ri].tolist(), profile.scorer)
            pairs = pd.DataFrame({"qi": qi, "ri": ri, "score": scores.astype(float)})
    pairs["ref_id"] = ref["id"].to_numpy()[pairs["ri"].to_numpy()]
    return pairs


def rank_vendors(pairs: pd.DataFrame) -> pd.DataFrame:
    """Best pair per (query, vendor id), sorted by query then score descending, with ``rank``."""
    ordered = pairs.sort_values(["qi", "score", "ri"], ascending=[True, False, True], kind="stable")
    best = ordered.drop_duplicates(["qi", "ref_id"], keep="first").copy()
    best["rank"] = best.groupby("qi").cumcount()
    return best


def decide(
    queries: pd.DataFrame, pairs: pd.DataFrame, index: VendorIndex, profile: MatchProfile, top: int
) -> pd.DataFrame:
    """Apply the profile's bands to ranked candidates; see the decision frame contract above."""
    ranked = rank_vendors(pairs)
    firsts = ranked[ranked["rank"] == 0].set_index("qi")
    seconds = ranked[ranked["rank"] == 1].set_index("qi")
    cands = ranked[ranked["rank"] < top]
    cand_lists: dict[int, list[dict[str, Any]]] = {}
    for q, rid, sc in zip(cands["qi"], cands["ref_id"], cands["score"], strict=True):
        cand_lists.setdefault(int(q), []).append({"id": rid, "score": round(float(sc), 2)})
    names = index.frame["name"].to_numpy()
    rows = []
    for qi, qid in enumerate(queries["id"].tolist()):
        if qi not in firsts.index:
            rows.append(_row(qid, None, 0.0, 0.0, None, "reject", "no candidate vendor", profile))
            continue
        best = firsts.loc[qi]
        score = float(best["score"])
        runner = seconds.loc[qi] if qi in seconds.index else None
        second = float(runner["score"]) if runner is not None else 0.0
        margin = score - second
        runner_id = runner["ref_id"] if runner is not None else None
        if score >= profile.auto_threshold and margin >= profile.margin:
            decision = "auto"
        elif score >= profile.review_threshold:
            decision = "review"
        else:
            decision = "reject"
        why = _reason(decision, best, names[int(best["ri"])], score, margin, runner_id, profile)
        match_id = best["ref_id"] if decision != "reject" else None
        row = _row(qid, match_id, score, margin, runner_id, decision, why, profile)
        row["candidates"] = cand_lists.get(qi, [])
        rows.append(row)
    columns = list(_row("", None, 0.0, 0.0, None, "", "", profile))
    # object columns keep None as None (pandas would turn a str column's None into NaN)
    return pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=object) for c in columns}).astype(
        {"score": float, "margin": float}
    )


def _row(
    qid: Any,
    match_id: Any,
    score: float,
    margin: float,
    runner: Any,
    decision: str,
    reason: str,
    profile: MatchProfile,
) -> dict[str, Any]:
    return {
        "query_id": qid,
        "match_id": match_id,
        "score": round(score, 2),
        "margin": round(margin, 2),
        "runner_up_id": runner,
        "decision": decision,
        "reason": reason,
        "profile_version": profile.label,
        "candidates": [],
    }


def _signals_text(best: pd.Series, profile: MatchProfile) -> str:
    if profile.scorer != "model":
        return f"thefuzz {profile.scorer} on the names"
    contrib = {s: profile.weight(s) * float(best[s]) for s in SIGNALS if s in best.index}
    strongest = sorted(contrib.items(), key=lambda kv: -abs(kv[1]))
    parts = []
    for signal, value in strongest[:4]:
        if abs(value) < 0.5 or signal not in _LABELS:
            continue
        verb = "agrees" if value > 0 else "differs"
        parts.append(f"{_LABELS[signal]} {verb}")
    return ", ".join(parts) or "weak name similarity only"


def _reason(
    decision: str,
    best: pd.Series,
    name: str,
    score: float,
    margin: float,
    runner: Any,
    profile: MatchProfile,
) -> str:
    head = f"best vendor {best['ref_id']} '{name}' scores {score:.1f}"
    signals = _signals_text(best, profile)
    tail = f" [{signals}; profile {profile.label}]"
    if decision == "auto":
        return (
            f"auto-accepted: {head} >= {profile.auto_threshold:g} and leads by {margin:.1f} "
            f">= {profile.margin:g}{tail}"
        )
    if decision == "review":
        if score >= profile.auto_threshold:
            why = f"leads runner-up {runner} by only {margin:.1f} < {profile.margin:g}"
        else:
            why = f"below auto-accept {profile.auto_threshold:g}"
        return f"needs review: {head}, {why}{tail}"
    return f"unknown vendor: {head} < review threshold {profile.review_threshold:g}{tail}"


def match_vendors(
    queries: pd.DataFrame,
    reference: pd.DataFrame | VendorIndex,
    profile: MatchProfile | None = None,
    *,
    top: int = 5,
) -> pd.DataFrame:
    """Decide every query against the vendor master (a frame, or a prebuilt ``VendorIndex``)."""
    profile = profile or MatchProfile()
    validate_frame(queries, "queries")
    index = reference if isinstance(reference, VendorIndex) else VendorIndex(reference)
    prepared = prepare_frame(queries)
    pairs = score_candidates(prepared, index, profile, max(profile.top_k, top))
    return decide(prepared, pairs, index, profile, top)


def decide_vendor(
    query: Extraction | dict[str, Any],
    reference: pd.DataFrame | VendorIndex,
    profile: MatchProfile | None = None,
    *,
    top: int = 5,
) -> dict[str, Any]:
    """Decide one invoice (an ``Extraction`` or a query row dict); returns one decision row."""
    row = extraction_to_query(query, "query") if isinstance(query, Extraction) else dict(query)
    row.setdefault("id", "query")
    frame = pd.DataFrame([row])
    return dict(match_vendors(frame, reference, profile, top=top).iloc[0])
