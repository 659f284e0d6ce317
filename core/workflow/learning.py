"""Learning from operators' decisions (issue 14): vendor aliases and extraction hints.

A confirmed or overridden vendor match teaches the alias store (``public.vendor_aliases``,
``source = 'learned'``) the invoice's vendor spelling, and its VAT id and IBAN when printed, as
aliases of the vendor the operator chose. The insert runs in the operator's own session, so RLS
decides (owners and operators of the invoice's client only) and the database stamps who taught it
(``created_by``, ``learned_from``) and when; the matcher's reason then reads "alias learned from
<who>, <when>". A spelling whose key is the vendor's own master key teaches nothing.

A correction of a field of an invoice whose vendor is known teaches that vendor's extraction
hint for the field (``core.extraction.hints``: label/anchor and region, found on the layout the
extraction stored); an approval that keeps a hinted value raises the hint's weight, a correction
of a hinted value lowers it, and a hint whose weight falls to zero moves to where the corrected
value is printed, or is removed. All of it in the operator's session, under RLS.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from core.db import hint_repo, invoice_repo, reference_repo
from core.db.records import Invoice
from core.extraction.hints import HINT_FIELDS, Hint, hinted_fields, learn_hint
from core.extraction.language_packs import countries
from core.extraction.parsing import ISO_CURRENCIES
from core.extraction.prompts import VendorExample
from core.extraction.schema import Evidence, ExtractedField, Extraction, LayoutSegment
from core.matching.normalize import normalize_name


def alias_key(kind: str, value: str) -> str:
    """The alias store's matching key of ``value`` (the matcher's name key, or compact id)."""
    if kind == "name":
        return (normalize_name(value).key or " ".join(value.lower().split()))[:300]
    return re.sub(r"\s+", "", value).upper()[:300]


def learn_vendor_aliases(s: Session, invoice: Invoice, vendor_id: uuid.UUID) -> list[str]:
    """Record ``invoice``'s vendor name/VAT id/IBAN as learned aliases of ``vendor_id``.

    Returns the kinds of the aliases that were new. Nothing is learned for a vendor the caller
    cannot see, or for a value equal (by key) to the vendor's own master value.
    """
    master = reference_repo.vendor_keys(s, invoice.client_id, vendor_id)
    if master is None:
        return []
    learned: list[str] = []
    for kind, value, own in (
        ("name", invoice.vendor_name, master.get("name")),
        ("vat_id", invoice.vendor_vat_id, master.get("vat_id")),
        ("iban", invoice.vendor_iban, master.get("iban")),
    ):
        text = (value or "").strip()[:300]
        if not text:
            continue
        key = alias_key(kind, text)
        if not key or (own and alias_key(kind, str(own)) == key):
            continue
        if reference_repo.add_vendor_alias(
            s,
            client_id=invoice.client_id,
            vendor_id=vendor_id,
            kind=kind,
            value=text,
            normalized=key,
            source="learned",
            source_invoice_id=invoice.id,
        ):
            learned.append(kind)
    return learned


# Per-vendor extraction hints ------------------------------------------------------------------

AGREE_STEP = 1.0  # an approval that kept a hinted value
CONTRARY_STEP = 2.0  # a correction of a hinted field: a fresh hint (weight 1) goes below zero


def _layout(stored: dict[str, Any] | None) -> list[LayoutSegment]:
    return [LayoutSegment.model_validate(x) for x in (stored or {}).get("layout") or []]


def learn_hints_from_correction(
    s: Session, invoice: Invoice, updates: dict[str, Any]
) -> dict[str, str]:
    """Learn or adjust the vendor's hints from a correction of ``invoice`` (before the change).

    Per corrected hint field, what happened: ``learned`` (a new hint where the value is
    printed), ``agreed`` (the hint already points there), ``weakened`` (a contrary correction,
    the hint keeps some weight), ``moved`` (it lost its weight; it now points where the value
    was found), ``removed`` (it lost its weight and the value is not on the page), or
    ``not_on_page``. Nothing is learned for an invoice without a vendor."""
    vendor_id = updates.get("vendor_id") or invoice.vendor_id
    fields = [f for f in updates if f in HINT_FIELDS and updates[f] not in (None, "")]
    if vendor_id is None or not fields:
        return {}
    stored = hint_repo.stored_extraction(s, invoice.id)
    layout = _layout(stored)
    out: dict[str, str] = {}
    for name in fields:
        found = learn_hint(name, updates[name], layout) if layout else None
        existing = hint_repo.get_hint(s, invoice.client_id, vendor_id, name)
        if existing is None:
            if found is None:
                out[name] = "not_on_page"
                continue
            hint_repo.insert_hint(
                s,
                client_id=invoice.client_id,
                vendor_id=vendor_id,
                row=found.as_row(),
                source_invoice_id=invoice.id,
            )
            out[name] = "learned"
            continue
        if found is not None and (found.anchor, found.direction) == (
            existing.anchor,
            existing.direction,
        ):
            hint_repo.weigh_hint(s, existing.id, agreed=True, step=AGREE_STEP)
            out[name] = "agreed"
            continue
        weight = hint_repo.weigh_hint(s, existing.id, agreed=False, step=CONTRARY_STEP)
        if weight > 0:
            out[name] = "weakened"
        elif found is not None:
            hint_repo.move_hint(s, existing.id, row=found.as_row(), source_invoice_id=invoice.id)
            out[name] = "moved"
        else:
            hint_repo.delete_hint(s, invoice.client_id, existing.id)
            out[name] = "removed"
    return out


def _same(stored_value: Any, current: Any) -> bool:
    if stored_value is None or current is None:
        return False
    if isinstance(current, Decimal):
        try:
            return Decimal(str(stored_value)) == current
        except ArithmeticError:
            return False
    if isinstance(current, dt.date):
        return str(stored_value) == current.isoformat()
    return str(stored_value).strip() == str(current).strip()


def confirm_hints_on_approval(s: Session, invoice: Invoice) -> list[str]:
    """A person approved ``invoice``: each hint whose value was kept gains weight, and each key
    field the extractor read unsure (below ``CONFIRM_BELOW``) teaches a hint where the approved
    value stands (see ``learn_hints_from_approval``)."""
    stored = hint_repo.stored_extraction(s, invoice.id)
    agreed = []
    hinted = hinted_fields(stored)
    for name, hint_id in hinted.items():
        value = ((stored or {}).get(name) or {}).get("value")
        if hint_id and _same(value, getattr(invoice, name, None)):
            try:
                hint_repo.weigh_hint(s, uuid.UUID(hint_id), agreed=True, step=AGREE_STEP)
            except ValueError:
                continue
            agreed.append(name)
    learn_hints_from_approval(s, invoice, stored, hinted)
    return agreed


# The key fields of the extraction's overall confidence that hints can read.
CONFIRM_FIELDS = ("invoice_number", "invoice_date", "total")
CONFIRM_BELOW = 0.9  # a field read less sure than a fresh hint reads it


def learn_hints_from_approval(
    s: Session,
    invoice: Invoice,
    stored: dict[str, Any] | None,
    hinted: dict[str, str] | None = None,
) -> dict[str, str]:
    """A person approved ``invoice`` as it reads: for each key field the extractor read unsure
    (an ambiguous numeric date, a label the rules do not know) and no hint of the vendor covers,
    the approved value is a confirmation, learned like a correction to the same value. So the
    vendor's next invoice of that layout is read by the hint (with its confidence) instead of
    waiting for a person again. A hint of that field that read nothing here and never agreed
    with a person moves to where the approved value stands. Returns field -> ``learned`` or
    ``moved``."""
    if invoice.vendor_id is None or not stored:
        return {}
    layout = _layout(stored)
    if not layout:
        return {}
    out: dict[str, str] = {}
    for name in CONFIRM_FIELDS:
        value = getattr(invoice, name, None)
        read = stored.get(name) or {}
        if name in (hinted or {}) or value in (None, ""):
            continue
        if float(read.get("confidence") or 0.0) >= CONFIRM_BELOW:
            continue
        if not _same(read.get("value"), value):
            continue  # a corrected field: learn_hints_from_correction taught it already
        existing = hint_repo.get_hint(s, invoice.client_id, invoice.vendor_id, name)
        if existing is not None and existing.agreements > 0:
            continue  # a hint that has read this vendor right before: another layout, keep it
        found = learn_hint(name, value, layout)
        if found is None:
            continue
        if existing is not None:
            # It read nothing on this invoice and never agreed with a person: it points where
            # the vendor does not print the field (e.g. anchored on a value that changes); it
            # moves to where the approved value stands.
            hint_repo.move_hint(s, existing.id, row=found.as_row(), source_invoice_id=invoice.id)
            out[name] = "moved"
            continue
        hint_repo.insert_hint(
            s,
            client_id=invoice.client_id,
            vendor_id=invoice.vendor_id,
            row=found.as_row(),
            source_invoice_id=invoice.id,
        )
        out[name] = "learned"
    return out


CURRENCY_SIGNAL = "vendor-currency"
# Currencies written "$" in some country (core.extraction.language_packs), and the US dollar.
DOLLARS = frozenset(
    {"USD"} | {str(dict(p.symbols)["$"]) for p in countries().values() if "$" in dict(p.symbols)}
)


def _bare_dollar(extraction: Extraction) -> bool:
    """The page names its currency by a bare "$" only: no "US$"/"A$"/"C$", no ISO code."""
    text = "\n".join(seg.text for seg in extraction.layout)
    if "$" not in text or re.search(r"[A-Za-z]\$", text):
        return False
    return not any(word in ISO_CURRENCIES for word in re.findall(r"\b[A-Z]{3}\b", text))


def confirm_vendor_currency(
    s: Session, client_id: uuid.UUID, vendor_id: uuid.UUID, extraction: Extraction
) -> tuple[Extraction, str | None]:
    """The extraction with an unsure currency confirmed by what the vendor is known to bill in.

    A page that prints only "$" (or "kr", "Fr.") is read as the most likely currency with a low
    confidence. When the read currency is the vendor's master currency (``default_currency``),
    or the one currency of every invoice of the vendor a person (or the trust ladder) approved,
    the reading is confirmed: confidence ``CONFIRM_BELOW`` with the signal ``vendor-currency``.
    A different currency is changed only when the page names none but by a bare "$" and both
    are dollars (``DOLLARS``): the extractor guessed the dollar from the page's country (an
    "Oakridge Logistics Limited" in Illinois read as Australian), the vendor is known to bill
    in another one. Anything else stays as read and unsure, for a person to decide.
    Returns the extraction and where the confirmation came from (None: nothing changed)."""
    read = extraction.currency
    if not read.value:
        return extraction, None
    master, approved = hint_repo.vendor_currencies(s, client_id, vendor_id)
    known, source = (master, "vendor master") if master else (
        (approved[0], "approved invoices") if len(approved) == 1 else (None, None)
    )  # fmt: skip
    if known is None:
        return extraction, None
    value = read.value
    if known != value:
        # "$" alone is any dollar: the page's country guessed one, the vendor bills in another
        if not (value in DOLLARS and known in DOLLARS and _bare_dollar(extraction)):
            return extraction, None
        value = known
    elif read.confidence >= CONFIRM_BELOW:
        return extraction, None
    out = extraction.model_copy(deep=True)
    evidence = read.evidence or Evidence(page=1, text=str(read.value))
    out.currency = ExtractedField[Any](
        value=value,
        confidence=CONFIRM_BELOW,
        evidence=evidence.model_copy(
            update={"signals": (*evidence.signals, CURRENCY_SIGNAL, source)}
        ),
    )
    return out, source


def vendor_hints(s: Session, client_id: uuid.UUID, vendor_id: uuid.UUID) -> list[Hint]:
    """The vendor's hints as the extractor applies them."""
    return [
        Hint.from_row({**h.as_dict(), "id": str(h.id)})
        for h in hint_repo.list_hints(s, client_id, vendor_id=vendor_id)
    ]


def vendor_examples(
    s: Session, client_id: uuid.UUID, vendor_id: uuid.UUID, *, min_weight: float = 0.5
) -> list[VendorExample]:
    """The vendor's corrected fields as LLM prompt examples: each hint of this client's vendor
    (label, where it stood) with the value an operator gave on the invoice it was learned from.

    Only the client's own rows: hints and their source invoices are read under the session's
    RLS and filtered on ``client_id`` again; a hint whose invoice is gone gives no example."""
    out: list[VendorExample] = []
    sources: dict[uuid.UUID, Invoice | None] = {}  # hints learned from one invoice read it once
    for h in hint_repo.list_hints(s, client_id, vendor_id=vendor_id):
        if h.client_id != client_id or float(h.weight) < min_weight or not h.source_invoice_id:
            continue
        if h.source_invoice_id not in sources:
            sources[h.source_invoice_id] = invoice_repo.get_invoice(s, h.source_invoice_id)
        invoice = sources[h.source_invoice_id]
        value = getattr(invoice, h.field, None) if invoice is not None else None
        if invoice is None or invoice.client_id != client_id or value in (None, ""):
            continue
        region = tuple(float(v) for v in h.region)
        out.append(
            VendorExample(
                field=h.field,
                label=h.anchor,
                direction=h.direction,
                page=h.page,
                region=(region[0], region[1], region[2], region[3]),
                value=value.isoformat() if isinstance(value, dt.date) else str(value),
            )
        )
    return out
