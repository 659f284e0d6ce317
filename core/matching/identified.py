"""The printed VAT id / IBAN decides between vendors the name cannot tell apart (as a clerk would).

Scores saturate: an exact name scores 100 with or without an agreeing VAT id, so two vendors
that share a name ("Nordlicht Werkzeuge GmbH & Co. KG" and its sibling "NORDLICHT Werkzeuge",
or a vendor and another one that learned the same spelling as an alias) tie, and the margin rule
sends every invoice of either to review, however clearly its identifier names one of them.

``identifier_verdicts`` looks at each query's printed identifiers (``vat_id``, ``iban``; Swiss
UIDs without their ``MWST``/``TVA``/``IVA`` suffix, see ``features.vat_key``) and at who holds
them on record anywhere in the index (master rows and alias rows alike):

* **decides** (``pick``): exactly one vendor X holds the printed identifier(s); the invoice
  contradicts none of X's (X's values on record of each printed kind include the printed one,
  or there are none); X scores at least
  ``auto_threshold`` and is not held for review; and every other candidate within ``margin`` of
  X is *explained*: its name alone (the score without VAT id, IBAN and identifier aliases) does
  not lead X's by ``margin`` or more, and it either has another identifier of a printed kind on
  record, or has the same name as X (same normalized key or letters: a same-name sibling). X is
  then the match, in the auto band, with a reason naming the identifier.
* **conflict**: the printed identifier is on record for some vendor, but not for the best
  candidate (a name or a name alias points at Y while the VAT id belongs to X): the best
  candidate is held for review, whatever its score and margin, so a name alias never silently
  overrides another vendor's exact VAT id.

Two vendors holding the same identifier (branches under one VAT id) decide nothing here: the
margin still applies. A name-only tie (no identifier printed, or none on record) is untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.matching.features import SIGNALS, logistic_score
from core.matching.index import VendorIndex
from core.matching.profile import MatchProfile

IDENTIFIER_KINDS = ("vat_id", "iban")
_KIND_WORDS = {"vat_id": "VAT id", "iban": "IBAN"}


@dataclass
class IdentifierVerdicts:
    """Per query: ``pick`` (position in the ranked table of the vendor the identifiers decide
    for, -1 for none), ``conflict`` (the best candidate does not hold the printed identifier
    another vendor holds) and ``notes`` (the words for the reason, ``""`` when none)."""

    pick: np.ndarray
    conflict: np.ndarray
    notes: list[str] = field(default_factory=list)


def _name_only_scores(rows: pd.DataFrame, kinds: np.ndarray, profile: MatchProfile) -> np.ndarray:
    """Scores of ranked rows without the identifier signals (VAT id, IBAN, identifier aliases)."""
    feats = rows[list(SIGNALS)].astype(float).copy()
    for kind in IDENTIFIER_KINDS:
        feats[kind] = 0.0
    feats.loc[np.isin(kinds, IDENTIFIER_KINDS), "alias"] = 0.0
    return logistic_score(feats, profile.weights)


def identifier_verdicts(
    queries: pd.DataFrame,
    ranked: pd.DataFrame,
    index: VendorIndex,
    profile: MatchProfile,
    best_pos: np.ndarray,
) -> IdentifierVerdicts:
    """See the module docstring; ``ranked`` is ``matcher.rank_vendors``' table (model scorer)."""
    n = len(queries)
    out = IdentifierVerdicts(np.full(n, -1), np.zeros(n, dtype=bool), [""] * n)
    if profile.scorer != "model" or ranked.empty or "vat_id" not in ranked.columns:
        return out
    printed = {k: queries[f"n_{k}"].to_numpy(dtype=object) for k in IDENTIFIER_KINDS}
    frame = index.frame
    holders: dict[str, dict[str, set[str]]] = {}
    sources: dict[tuple[str, str, str], str] = {}
    for kind in IDENTIFIER_KINDS:
        values = {v for v in printed[kind] if v}
        holders[kind] = {}
        if not values:
            continue
        hits = frame[frame[f"n_{kind}"].isin(values)]
        for vid, value, note, akind in zip(
            hits["id"], hits[f"n_{kind}"], hits["alias_note"], hits["alias_kind"], strict=True
        ):
            holders[kind].setdefault(value, set()).add(str(vid))
            where = str(note) if akind == kind and note else "vendor master"
            sources.setdefault((kind, value, str(vid)), where)
    asked = [
        q
        for q in range(n)
        if best_pos[q] >= 0 and any(holders[k].get(printed[k][q]) for k in IDENTIFIER_KINDS)
    ]
    if not asked:
        return out
    qi = ranked["qi"].to_numpy()
    ref_id = ranked["ref_id"].to_numpy(dtype=object).astype(str)
    score = ranked["score"].to_numpy(dtype=float)
    held = (
        ranked["held"].to_numpy(dtype=bool)
        if "held" in ranked.columns
        else np.zeros(len(ranked), dtype=bool)
    )
    ri = ranked["ri"].to_numpy()
    keys, flats = frame["n_key"].to_numpy(), frame["n_flat"].to_numpy()
    # ranked is sorted by query: each query's rows are one slice
    lo, hi = np.searchsorted(qi, asked, "left"), np.searchsorted(qi, asked, "right")
    rows_of = {q: np.arange(a, b) for q, a, b in zip(asked, lo, hi, strict=True)}
    involved = np.concatenate(list(rows_of.values()))
    name_only = np.zeros(len(ranked))
    name_only[involved] = _name_only_scores(
        ranked.iloc[involved], frame["alias_kind"].to_numpy()[ri[involved]], profile
    )
    # every identifier each candidate vendor has on record (master and alias rows)
    on_record: dict[str, dict[str, set[str]]] = {k: {} for k in IDENTIFIER_KINDS}
    cand_ids = set(ref_id[involved].tolist())
    mine = frame[frame["id"].astype(str).isin(cand_ids)]
    for kind in IDENTIFIER_KINDS:
        for vid, value in zip(mine["id"].astype(str), mine[f"n_{kind}"], strict=True):
            if value:
                on_record[kind].setdefault(vid, set()).add(str(value))
    raw = {k: queries[k].fillna("").astype(str).to_numpy() for k in IDENTIFIER_KINDS}
    for q in asked:
        shown = {k: str(printed[k][q]) for k in IDENTIFIER_KINDS if printed[k][q]}
        words = {k: " ".join(raw[k][q].split()) or v for k, v in shown.items()}
        owners: set[str] = set()
        for kind, value in shown.items():
            owners |= holders[kind].get(value, set())
        best = ref_id[best_pos[q]]
        if best not in owners:
            owner = sorted(owners)[0]
            kind = next(k for k, v in shown.items() if owner in holders[k].get(v, set()))
            out.conflict[q] = True
            out.notes[q] = (
                f"the printed {_KIND_WORDS[kind]} {words[kind]} is on record for vendor"
                f" {'s ' + ', '.join(sorted(owners)) if len(owners) > 1 else owner}, not for"
                f" {best}"
            )
        if len(owners) != 1:
            continue  # branches sharing an identifier: the margin decides
        x = next(iter(owners))
        rows = rows_of[q]
        at = rows[ref_id[rows] == x]
        if len(at) == 0:
            continue
        pos = int(at[0])
        contradicted = any(
            on_record[k].get(x) and v not in on_record[k][x] for k, v in shown.items()
        )
        if (
            contradicted
            or not profile.auto_enabled
            or held[pos]
            or score[pos] < profile.auto_threshold
        ):
            continue
        explained: list[str] = []
        ok = True
        for other in rows:
            if other == pos or score[other] <= score[pos] - profile.margin:
                continue
            y = ref_id[other]
            if name_only[other] - name_only[pos] >= profile.margin:
                ok = False  # the name points at y more than at x: a conflict, not a tie
                break
            other_ids = [k for k in shown if on_record[k].get(y)]
            row_x, row_y = ri[pos], ri[other]
            same_name = bool(keys[row_x]) and (
                keys[row_x] == keys[row_y] or flats[row_x] == flats[row_y]
            )
            if other_ids:
                explained.append(f"{y} has another {_KIND_WORDS[other_ids[0]]} on record")
            elif same_name:
                explained.append(f"{y} has the same name and no {_KIND_WORDS[next(iter(shown))]}")
            else:
                ok = False
                break
        if not ok:
            continue
        kind = next(k for k, v in shown.items() if x in holders[k].get(v, set()))
        value = shown[kind]
        note = (
            f"identified by the printed {_KIND_WORDS[kind]} {words[kind]}"
            f" ({sources.get((kind, value, x), 'vendor master')})"
        )
        if explained:
            note += "; the name alone does not tell it apart: " + ", ".join(explained)
        out.pick[q] = pos
        out.notes[q] = note
    return out
