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
``held``           the best candidate may not be auto-accepted (``held_for_review``)
================== =====================================================================

``held_for_review``: two kinds of pairs go to review, never to the auto band, whatever the score
(the tuner applies the same rule, ``tuning.outcome_from_pairs``):

* the invoice name has a word with no counterpart in the vendor's name (no similar word, no same
  sound: "Rodríguez *Logistik*" for "Rodríguez Stahl", "Fali *Bau*" for "Fali", "*Randanne*
  Worldwide" for "Danno Worldwide"): evidence of a sibling or another company with the same
  family or brand name, unless the VAT id, IBAN, an exact alias, the address, the same
  normalized name, an acronym or the same letters without spaces vouch for the pair;
* both names carry a legal form and they differ, not as a typo would ("TCE *Oy*" for "TCE
  *S.A.*", not "S.As." for "S.A."): another legal entity of the same name (a subsidiary
  abroad), unless the VAT id, IBAN, an identifier alias or the address vouch for it (a name
  alias matches legal form aside: its own legal form must agree, "X e.K." learned for one
  vendor does not vouch for "X GmbH").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.extraction.schema import Extraction
from core.matching.features import (
    INDEX_SIGNALS,
    SIGNALS,
    logistic_score,
    pair_features,
    paused_gc,
    prepare_frame,
)
from core.matching.identified import identifier_verdicts
from core.matching.index import VendorIndex, validate_frame
from core.matching.profile import MatchProfile
from core.matching.scoring import pair_scores, thefuzz_cdist, thefuzz_pairs

FULL_SCAN_PAIRS = 20_000_000  # thefuzz scorers scan every vendor below this many pairs
_LABELS = {
    "name_token_set": "name tokens",
    "char_cosine": "name spelling",
    "word_cosine": "distinctive words",
    "exact_key": "same normalized name",
    "acronym": "acronym",
    "legal_form": "legal form",
    "phonetic": "sounds alike",
    "flat_ratio": "same letters without spaces",
    "cover_query": "the invoice name's distinctive words",
    "cover_ref": "the vendor name's distinctive words",
    "lone_shared": "only one word in common (a family name or one brand word alone is weak)",
    "generic_only": "only generic words in common",
    "soft_cover_query": "the invoice name's words (typo-tolerant)",
    "soft_cover_ref": "the vendor name's words (typo-tolerant)",
    "worst_word_query": "the invoice name's least similar word",
    "worst_word_ref": "the vendor name's least similar word",
    "tail": "place tail",
    "alias": "alias",
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
                index_signals=pairs[list(INDEX_SIGNALS)],
            )
            unmatched = pairs["unmatched_query"].to_numpy(dtype=float)
            forms = pair_scores(
                queries["n_legal_family"].to_numpy()[qi].tolist(),
                ref["n_legal_family"].to_numpy()[ri].tolist(),
                "ratio",
            )
            pairs = pd.concat([pairs[["qi", "ri"]], feats], axis=1)
            pairs["score"] = logistic_score(feats, profile.weights)
            name_alias = ref["alias_kind"].to_numpy()[ri] == "name"
            pairs["held"] = held_for_review(
                feats, unmatched, forms < LEGAL_FORMS_ALIKE, name_alias=name_alias
            )
        else:
            names_q, names_r = queries["name"].to_numpy(), ref["name"].to_numpy()
            scores = thefuzz_pairs(names_q[qi].tolist(), names_r[ri].tolist(), profile.scorer)
            pairs = pd.DataFrame({"qi": qi, "ri": ri, "score": scores.astype(float)})
    pairs["ref_id"] = ref["id"].to_numpy()[pairs["ri"].to_numpy()]
    return pairs


SPACELESS_SAME = 0.9  # flat_ratio from which two names are the same letters without spaces
LEGAL_FORMS_ALIKE = 50.0  # ratio of two legal-form families from which one may be a typo
ADDRESS_SAME = 0.8  # address signal (-1..1) from which the addresses vouch for the pair


def held_for_review(
    feats: pd.DataFrame,
    unmatched_query: np.ndarray,
    forms_unalike: np.ndarray | None = None,
    *,
    name_alias: np.ndarray | None = None,
) -> np.ndarray:
    """Pairs that may not be auto-accepted (see ``held_for_review`` in the module docstring).

    ``forms_unalike``: the two legal-form families are not near spellings of each other (a
    typo such as "S.As." for "S.A." reads as another family but is no other entity).
    ``name_alias``: the pair's vendor row is a name alias; such an alias matches by its key,
    legal form aside, so it vouches for the words but not for another legal form than its own
    (a spelling "X e.K." learned for one vendor says nothing about "X GmbH")."""
    alias = feats["alias"].to_numpy() > 0
    other_ids = (feats["vat_id"].to_numpy() > 0) | (feats["iban"].to_numpy() > 0)
    other_ids |= feats["address"].to_numpy() >= ADDRESS_SAME
    by_identifier = other_ids | alias
    by_name = (
        (feats["exact_key"].to_numpy() > 0)
        | (feats["acronym"].to_numpy() > 0)
        | (feats["flat_ratio"].to_numpy() >= SPACELESS_SAME)
    )
    extra_word = (unmatched_query > 0) & ~(by_identifier | by_name)
    form_vouched = by_identifier if name_alias is None else other_ids | (alias & ~name_alias)
    other_entity = (feats["legal_form"].to_numpy() < 0) & ~form_vouched
    if forms_unalike is not None:
        other_entity &= forms_unalike
    return extra_word | other_entity


def rank_vendors(pairs: pd.DataFrame) -> pd.DataFrame:
    """Best pair per (query, vendor id), sorted by query then score descending, with ``rank``."""
    # among rows of equal score (an exact name saturates at 100 with or without its VAT id), the
    # one whose VAT id, IBAN or alias agrees stands for its vendor (its reason names it)
    vouched = np.zeros(len(pairs))
    for col in ("vat_id", "iban", "alias"):
        if col in pairs.columns:
            vouched = np.maximum(vouched, pairs[col].to_numpy(dtype=float) > 0)
    order = np.lexsort(
        (pairs["ri"].to_numpy(), -vouched, -pairs["score"].to_numpy(), pairs["qi"].to_numpy())
    )
    ordered = pairs.iloc[order]
    # a vendor id can repeat in the reference (several rows per vendor): keep its best row only
    best = ordered.drop_duplicates(["qi", "ref_id"], keep="first").copy()
    best["rank"] = best.groupby("qi").cumcount()
    return best


def decide(
    queries: pd.DataFrame, pairs: pd.DataFrame, index: VendorIndex, profile: MatchProfile, top: int
) -> pd.DataFrame:
    """Apply the profile's bands to ranked candidates; see the decision frame contract above."""
    n = len(queries)
    ranked = rank_vendors(pairs)
    rank = ranked["rank"].to_numpy()
    qi = ranked["qi"].to_numpy()
    score = ranked["score"].to_numpy(dtype=float)
    ref_id = ranked["ref_id"].to_numpy(dtype=object)
    first, second = rank == 0, rank == 1
    best_pos = np.full(n, -1)
    best_pos[qi[first]] = np.flatnonzero(first)
    best = np.zeros(n)
    best[qi[first]] = score[first]
    runner = np.zeros(n)
    runner[qi[second]] = score[second]
    runner_id = np.full(n, None, dtype=object)
    runner_id[qi[second]] = ref_id[second]
    margin = best - runner
    held = np.zeros(n, dtype=bool)
    if "held" in ranked.columns:
        held[qi[first]] = ranked["held"].to_numpy(dtype=bool)[first]
    is_auto = (best >= profile.auto_threshold) & (margin >= profile.margin) & (best_pos >= 0)
    is_auto &= profile.auto_enabled & ~held
    # the printed VAT id / IBAN decides between vendors the name cannot tell apart, and holds a
    # best candidate that does not own the identifier another vendor owns (core.matching.identified)
    verdicts = identifier_verdicts(queries, ranked, index, profile, best_pos)
    conflict = verdicts.conflict & (verdicts.pick < 0)
    held |= conflict
    is_auto &= ~conflict
    by_identifier = np.zeros(n, dtype=bool)
    for q in np.flatnonzero(verdicts.pick >= 0).tolist():
        picked = int(verdicts.pick[q])
        if is_auto[q] and picked == best_pos[q]:
            continue  # the margin rule alone accepts it: the usual reason
        others = np.flatnonzero((qi == q) & (np.arange(len(qi)) != picked))
        best_pos[q], best[q] = picked, score[picked]
        runner[q] = score[others[0]] if len(others) else 0.0
        runner_id[q] = ref_id[others[0]] if len(others) else None
        margin[q] = best[q] - runner[q]
        is_auto[q] = by_identifier[q] = True
    is_review = ~is_auto & (best >= profile.review_threshold) & (best_pos >= 0)
    decision = np.where(is_auto, "auto", np.where(is_review, "review", "reject"))
    cand_lists: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    keep = rank < top
    for q, rid, sc in zip(qi[keep], ref_id[keep], score[keep], strict=True):
        cand_lists[q].append({"id": rid, "score": round(float(sc), 2)})
    signals = _signals_text(ranked, best_pos, profile)
    names = index.frame["vendor_name"].to_numpy()
    alias = index.frame["alias"].to_numpy()
    alias_note = index.frame["alias_note"].to_numpy()
    ri = ranked["ri"].to_numpy()
    match_id: list[Any] = []
    reasons: list[str] = []
    for q in range(n):
        pos = best_pos[q]
        if pos < 0:
            match_id.append(None)
            reasons.append(f"unknown vendor: no candidate vendor [profile {profile.label}]")
            continue
        match_id.append(ref_id[pos] if decision[q] != "reject" else None)
        row = ri[pos]
        via = f" via alias '{alias[row]}' ({alias_note[row]})" if alias[row] else ""
        head = f"best vendor {ref_id[pos]} '{names[row]}'{via} scores {best[q]:.1f}"
        reasons.append(
            _reason(
                str(decision[q]),
                head,
                best[q],
                margin[q],
                runner_id[q],
                signals[q],
                profile,
                held=bool(held[q]),
                identified=verdicts.notes[q] if by_identifier[q] else "",
                conflict=verdicts.notes[q] if conflict[q] else "",
            )
        )
    return pd.DataFrame(
        {
            "query_id": pd.Series(queries["id"].tolist(), dtype=object),
            "match_id": pd.Series(match_id, dtype=object),
            "score": np.round(best, 2),
            "margin": np.round(margin, 2),
            "runner_up_id": pd.Series(list(runner_id), dtype=object),
            "decision": pd.Series(decision.tolist(), dtype=object),
            "reason": pd.Series(reasons, dtype=object),
            "profile_version": profile.label,
            "candidates": pd.Series(cand_lists, dtype=object),
            "held": held,
        }
    )


def _signals_text(ranked: pd.DataFrame, best_pos: np.ndarray, profile: MatchProfile) -> list[str]:
    """Per query, the signals that moved its best candidate's score most."""
    n = len(best_pos)
    if profile.scorer != "model":
        return [f"thefuzz {profile.scorer} on the names"] * n
    names = [s for s in SIGNALS if s in _LABELS]
    weights = np.array([profile.weight(s) for s in names])
    if ranked.empty:
        return ["no candidate"] * n
    feats = ranked[names].to_numpy(dtype=float)[np.maximum(best_pos, 0)]
    contrib = feats * weights
    order = np.argsort(-np.abs(contrib), axis=1)[:, :4]
    out = []
    for q in range(n):
        parts = []
        for j in order[q]:
            value = contrib[q, j]
            if abs(value) >= 0.5:
                parts.append(_signal_words(names[j], value, feats[q, j]))
        out.append(", ".join(parts) or "weak name similarity only")
    return out


def _signal_words(signal: str, contribution: float, value: float) -> str:
    """One signal's part of a reason, in words (``contribution`` = weight x value)."""
    label = _LABELS[signal]
    if signal in ("lone_shared", "generic_only"):
        return label
    if signal in ("worst_word_query", "worst_word_ref"):
        return f"{label} is {value:.0%} alike"
    if signal in ("cover_query", "cover_ref", "soft_cover_query", "soft_cover_ref"):
        return f"{value:.0%} of {label} shared"
    if signal == "alias":
        return "exact alias"
    return f"{label} {'agrees' if contribution > 0 else 'differs'}"


def _reason(
    decision: str,
    head: str,
    score: float,
    margin: float,
    runner: Any,
    signals: str,
    profile: MatchProfile,
    *,
    held: bool = False,
    identified: str = "",
    conflict: str = "",
) -> str:
    tail = f" [{signals}; profile {profile.label}]"
    if decision == "auto" and identified:
        return (
            f"auto-accepted: {head} >= {profile.auto_threshold:g}, {identified}"
            f" (leads runner-up {runner} by {margin:.1f}){tail}"
        )
    if decision == "auto":
        return (
            f"auto-accepted: {head} >= {profile.auto_threshold:g} and leads by {margin:.1f} "
            f">= {profile.margin:g}{tail}"
        )
    if decision == "review":
        if conflict and profile.auto_enabled:
            why = f"held for review: {conflict}"
        elif not profile.auto_enabled:
            why = "this profile has no auto band (its tuning found none that meets the target)"
        elif held and score >= profile.auto_threshold and margin >= profile.margin:
            why = (
                "held for review: the invoice name has a word the vendor's name lacks, or another"
                " legal form (a sibling or another company of the same name?), and no VAT id,"
                " IBAN, alias or address vouches for it"
            )
        elif score >= profile.auto_threshold:
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
    aliases: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Decide every query against the vendor master (a frame, or a prebuilt ``VendorIndex``).

    ``aliases`` (``core.matching.aliases``) is used when the master is given as a frame.
    """
    profile = profile or MatchProfile()
    validate_frame(queries, "queries")
    index = (
        reference if isinstance(reference, VendorIndex) else VendorIndex(reference, aliases=aliases)
    )
    with paused_gc():  # see paused_gc: many small objects, no cycles
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
