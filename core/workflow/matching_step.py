"""The matching step of processing: vendor decision, purchase order, duplicates -> match rows.

Scoring and decisions are ``core.matching``'s (pure, explainable, profile-driven); this module
only loads the client's reference data, its alias store (``public.vendor_aliases``: former names,
learned spellings, VAT ids, IBANs, used as exact keys) and active profile under the caller's
session, turns the decisions into ``matches`` rows and says whether the invoice may be
auto-approved. The purchase order is matched line by line against its lines and goods receipts
(``po_match_step``). The match rows are stored by the ``status.matched`` action (processing),
through the database's door, and the PO match's typed exceptions right after it in the same
transaction (``public.invoice_record_exceptions``, which accepts them only then).
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd
from rapidfuzz import fuzz
from sqlalchemy.orm import Session

from core.db import invoice_repo, reference_repo
from core.db.records import DuplicateCandidate, Invoice
from core.extraction.schema import Extraction
from core.matching.index import VendorIndex
from core.matching.matcher import decide_vendor
from core.matching.normalize import normalize_name
from core.matching.profile import MatchProfile
from core.matching.purchase_orders import normalize_number, within
from core.workflow.po_match_step import match_po

log = logging.getLogger(__name__)
_BAND = {"auto": "auto", "review": "review", "reject": "reject"}
DUPLICATE_NAME_MIN = 90.0  # normalized vendor names this similar (0-100) are the same vendor
_index_cache: dict[tuple[str, int, str, int], VendorIndex] = {}
_cache_lock = threading.Lock()


@dataclass
class MatchOutcome:
    """What matching decided for one invoice."""

    invoice_changes: dict[str, Any] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)  # the proposed ``matches`` rows
    # the PO match's exceptions (``public.match_exceptions`` rows, stored after the door call)
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    auto: bool = False
    reason: str = ""
    profile_version: int | None = None


def load_profile(s: Session, client_id: uuid.UUID) -> tuple[MatchProfile, int | None]:
    """The client's active profile (and its stored version), else the default profile."""
    row = invoice_repo.active_profile(s, client_id)
    if row is None:
        return MatchProfile(), None
    profile = MatchProfile.model_validate({**row["profile"], "version": row["version"]})
    return profile, int(row["version"])


_ALIAS_SOURCES = {"import": "imported", "learned": "learned", "manual": "added by hand"}


def _alias_frame(aliases: list[dict[str, Any]]) -> pd.DataFrame:
    """The alias store's rows as ``core.matching.aliases`` wants them, with a note for reasons."""
    rows = []
    for a in aliases:
        when = str(a.get("created_at") or "")[:10]
        note = _ALIAS_SOURCES.get(str(a.get("source")), str(a.get("source")))
        if a.get("source") == "learned":
            who = a.get("learned_from") or (
                f"user {a['created_by']}" if a.get("created_by") else ""
            )
            note = f"alias learned from {who}" if who else "alias learned"
        rows.append(
            {
                "vendor_id": str(a["vendor_id"]),
                "kind": str(a["kind"]),
                "value": str(a["value"]),
                "note": f"{note}, {when}" if when else note,
            }
        )
    return pd.DataFrame(rows, columns=["vendor_id", "kind", "value", "note"])


def _vendor_index(
    client_id: Any, vendors: list[dict[str, Any]], aliases: list[dict[str, Any]] | None = None
) -> VendorIndex | None:
    if not vendors:
        return None
    aliases = aliases or []
    stamp = str(max(str(v.get("updated_at")) for v in vendors))
    alias_key = hash(tuple(sorted(str(a["id"]) for a in aliases)))
    key = (str(client_id), len(vendors), stamp, alias_key)
    with _cache_lock:
        index = _index_cache.get(key)
    if index is None:
        frame = pd.DataFrame(
            [
                {
                    "id": str(v["id"]),
                    "name": v["name"],
                    "vat_id": v.get("vat_id") or "",
                    "iban": v.get("iban") or "",
                }
                for v in vendors
            ]
        )
        index = VendorIndex(frame, aliases=_alias_frame(aliases))
        with _cache_lock:
            if len(_index_cache) > 64:
                _index_cache.clear()
            _index_cache[key] = index
    return index


def _score(value: Any) -> Decimal | None:
    """A matcher score as stored: the same 0-100 scale, four decimals."""
    if value is None:
        return None
    return Decimal(str(round(float(value), 4)))


def _decide_vendor(
    invoice: Invoice, extraction: Extraction, profile: MatchProfile, refs: dict[str, Any]
) -> tuple[VendorIndex | None, dict[str, Any] | None]:
    """The client's vendor index and the matcher's decision for ``extraction`` (None without a
    vendor master, without a vendor name read, or when the matcher failed)."""
    index = _vendor_index(invoice.client_id, refs["vendors"], refs.get("aliases"))
    if index is None or not extraction.vendor_name.present:
        return index, None
    try:
        return index, decide_vendor(extraction, index, profile)
    except Exception:
        # A matcher bug must not cost the invoice: a person decides the vendor instead.
        log.exception("vendor matching failed", extra={"invoice_id": str(invoice.id)})
        return index, None


def auto_band_vendor(s: Session, *, invoice: Invoice, extraction: Extraction) -> uuid.UUID | None:
    """The vendor ``extraction`` matches in the auto band (None otherwise): the vendor part of
    ``match_invoice`` alone, read-only (the worker asks it before reading with the vendor's
    examples in the LLM prompt)."""
    profile, _ = load_profile(s, invoice.client_id)
    refs = reference_repo.vendor_frames(s, invoice.client_id)
    _, decision = _decide_vendor(invoice, extraction, profile, refs)
    if decision is None or _BAND.get(str(decision["decision"])) != "auto":
        return None
    match_id = decision.get("match_id")
    return uuid.UUID(str(match_id)) if match_id else None


def match_invoice(s: Session, *, invoice: Invoice, extraction: Extraction) -> MatchOutcome:
    """Decide vendor, PO and duplicates for ``invoice``: the proposed match rows and outcome."""
    client_id = invoice.client_id
    profile, profile_version = load_profile(s, client_id)
    refs = reference_repo.reference_frames(s, client_id)
    rows: list[dict[str, Any]] = []
    out = MatchOutcome(profile_version=profile_version)

    index, decision = _decide_vendor(invoice, extraction, profile, refs)
    vendor_band = "reject"
    if decision is not None:
        vendor_band = _BAND.get(str(decision["decision"]), "review")
        match_id = decision.get("match_id")
        candidates = [
            {"vendor_id": str(c["id"]), "score": round(float(c["score"]), 4)}
            for c in decision.get("candidates") or []
        ]
        rows.append(
            {
                "kind": "vendor",
                "vendor_id": match_id if match_id and vendor_band != "reject" else None,
                "score": _score(decision.get("score")),
                "band": vendor_band,
                "reason": str(decision.get("reason") or ""),
                "profile_version": profile_version,
                "candidates": candidates,
            }
        )
        if vendor_band != "reject" and match_id:
            out.invoice_changes["vendor_id"] = match_id
        out.invoice_changes["match_score"] = _score(decision.get("score"))
        out.reason = str(decision.get("reason") or "")
    else:
        if index is None:
            out.reason = "no vendor master"
        elif not extraction.vendor_name.present:
            out.reason = "no vendor name was read"
        else:
            out.reason = "vendor matching failed; choose the vendor by hand"
        rows.append(
            {
                "kind": "vendor",
                "band": "review",
                "reason": out.reason,
                "profile_version": profile_version,
            }
        )
        vendor_band = "review"

    po = match_po(
        s,
        invoice=invoice,
        extraction=extraction,
        vendor_id=out.invoice_changes.get("vendor_id"),
        pos=refs["purchase_orders"],
        profile=profile,
        profile_version=profile_version,
    )
    po_band = None
    if po is not None:
        po_band = po.band
        rows.append(po.row)
        out.exceptions = po.exceptions
        if po.purchase_order_id is not None:
            out.invoice_changes["purchase_order_id"] = po.purchase_order_id
    dup_rows = _duplicates(s, invoice, extraction, profile_version, profile)
    rows.extend(dup_rows)

    bands = [vendor_band] + ([po_band] if po_band else [])
    overall = "auto" if all(b == "auto" for b in bands) and not dup_rows else "review"
    if vendor_band == "reject":
        overall = "reject"
    out.invoice_changes["match_band"] = overall
    out.auto = overall == "auto"
    out.rows = rows
    return out


def _same_vendor(invoice: Invoice, extraction: Extraction, other: DuplicateCandidate) -> str:
    """Why ``other`` has the same vendor as the invoice being matched ("" when it has not).

    Without a matched vendor the extracted values decide: the same VAT id or IBAN, else the same
    normalized name (legal form, accents, case and punctuation aside; a close spelling counts, so a
    re-sent scan that OCR read slightly differently is still the same vendor)."""
    if invoice.vendor_id and other.vendor_id:
        return "same vendor" if invoice.vendor_id == other.vendor_id else ""
    vat = compact_id(extraction.vendor_vat_id.value)
    if vat and vat == compact_id(other.vendor_vat_id):
        return "same vendor VAT id"
    iban = compact_id(extraction.vendor_iban.value)
    if iban and iban == compact_id(other.vendor_iban):
        return "same vendor IBAN"
    mine, theirs = extraction.vendor_name.value or "", other.vendor_name or ""
    if not mine or not theirs:
        return ""
    a, b = normalize_name(mine).key, normalize_name(theirs).key
    if a and b and (a == b or fuzz.ratio(a, b) >= DUPLICATE_NAME_MIN):
        return "same vendor name"
    return ""


DIGITS_MIN = 4  # an invoice number with fewer digits is not compared by its digits alone


def _digits(value: object) -> str:
    """An invoice number's digits, zeros aside ("" when it has fewer than ``DIGITS_MIN``)."""
    digits = re.sub(r"[^1-9]", "", str(value or ""))
    return digits if len(re.sub(r"\D", "", str(value or ""))) >= DIGITS_MIN else ""


def compact_id(value: object) -> str:
    """A VAT id or IBAN without spaces, dots and dashes, upper case."""
    return re.sub(r"[\s.\-]", "", str(value or "")).upper()


def _duplicates(
    s: Session,
    invoice: Invoice,
    extraction: Extraction,
    profile_version: int | None,
    profile: MatchProfile | None = None,
) -> list[dict[str, Any]]:
    """Possible duplicates: same invoice number, same amount (within the profile's tolerance)
    and the same vendor, whether or not that vendor is matched (see ``_same_vendor``)."""
    profile = profile or MatchProfile()
    number = normalize_number(extraction.invoice_number.value)
    if not number:
        return []
    total = extraction.total.value
    date = extraction.invoice_date.value
    rows = []
    key = re.sub(r"[^1-9a-z]", "", str(extraction.invoice_number.value or "").lower())
    digits = _digits(extraction.invoice_number.value)
    for d in invoice_repo.duplicate_candidates(
        s,
        client_id=invoice.client_id,
        invoice_id=invoice.id,
        number_key=key,
        digits_key=digits,
        invoice_date=date,
    ):
        misread = ""
        if normalize_number(d.invoice_number) != number:
            # the same digits, other letters, the same date: a prefix OCR dropped or glued
            if not (digits and _digits(d.invoice_number) == digits and d.invoice_date == date):
                continue
            misread = (
                f" (read here as {extraction.invoice_number.value}: the same digits and"
                " invoice date, other letters)"
            )
        if total is None or d.total is None:
            continue  # an amount never read cannot prove the same invoice
        if not within(
            float(total), float(d.total), profile.amount_tolerance_pct, profile.amount_tolerance_abs
        ):
            continue
        vendor = _same_vendor(invoice, extraction, d)
        if not vendor:
            continue
        rows.append(
            {
                "kind": "duplicate",
                "duplicate_of_invoice_id": d.id,
                "score": Decimal("100"),
                "band": "review",
                "reason": (
                    f"{vendor}, invoice number {d.invoice_number}{misread} and amount"
                    f" {Decimal(d.total):.2f} as an invoice already {d.status.replace('_', ' ')}"
                ),
                "profile_version": profile_version,
            }
        )
    return rows[:5]


def vendor_candidates(
    s: Session, client_id: uuid.UUID, query: dict[str, Any]
) -> list[dict[str, Any]]:
    """Vendors of the client's master the matcher finds for ``query`` (a query row: ``name``,
    ``vat_id``, ``iban``, ``address``), best first, down to the review band: each with
    ``vendor_id``, ``name`` and ``score`` (0-100). Used to ask "did you mean ..." before a new
    vendor is created."""
    if not str(query.get("name") or "").strip():
        return []
    profile, _version = load_profile(s, client_id)
    refs = reference_repo.vendor_frames(s, client_id)
    index = _vendor_index(client_id, refs["vendors"], refs.get("aliases"))
    if index is None:
        return []
    decision = decide_vendor({"id": "query", **query}, index, profile)
    names = {str(v["id"]): str(v["name"]) for v in refs["vendors"]}
    return [
        {
            "vendor_id": str(c["id"]),
            "name": names.get(str(c["id"]), "?"),
            "score": float(c["score"]),
        }
        for c in decision.get("candidates") or []
        if float(c["score"]) >= profile.review_threshold
    ]
