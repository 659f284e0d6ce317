"""Learning from operators' decisions (issue 14): vendor spellings become aliases.

A confirmed or overridden vendor match teaches the alias store (``public.vendor_aliases``,
``source = 'learned'``) the invoice's vendor spelling, and its VAT id and IBAN when printed, as
aliases of the vendor the operator chose. The insert runs in the operator's own session, so RLS
decides (owners and operators of the invoice's client only) and the database stamps who taught it
(``created_by``, ``learned_from``) and when; the matcher's reason then reads "alias learned from
<who>, <when>". A spelling whose key is the vendor's own master key teaches nothing.
"""

from __future__ import annotations

import re
import uuid

from sqlalchemy.orm import Session

from core.db import reference_repo
from core.db.records import Invoice
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
