"""Creating a vendor from an invoice: "did you mean ..." first, then the vendor and its match.

Vendors normally come from the master's import. When an invoice names a vendor the master does
not hold, an owner or operator creates it from the invoice's vendor fields. The matcher is asked
first: if the master already has a vendor like it (review band or better), the caller gets
``VendorExists`` listing the candidates, and creates the new vendor only when asked to anyway
(``force``). The database door (``public.create_vendor_from_invoice``) adds the vendor, audits
``vendor.created``, and moves the invoice's vendor match to it in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from core.auth.models import CurrentUser
from core.db import reference_repo, review_repo
from core.db.records import Invoice, Vendor
from core.db.session import user_session
from core.errors import Conflict, ValidationFailed, VendorExists
from core.workflow.access import WRITERS, require_role
from core.workflow.matching_step import vendor_candidates
from core.workflow.services import Services
from core.workflow.transitions import load_editable, load_invoice

_LIMITS = {"name": 300, "vat_id": 40, "iban": 40, "address": 500, "country": 2}


@dataclass(frozen=True)
class VendorSuggestion:
    """A vendor of the master the matcher finds for the invoice's vendor fields."""

    vendor_id: uuid.UUID
    name: str
    score: float  # 0-100


@dataclass(frozen=True)
class CreatedVendor:
    """The new vendor and the invoice now matched to it."""

    vendor: Vendor
    invoice: Invoice


def _stored_text(extraction: dict[str, Any], name: str) -> str:
    item = extraction.get(name)
    value = item.get("value") if isinstance(item, dict) else None
    return str(value).strip() if value else ""


def proposed_vendor(
    invoice: Invoice, extraction: dict[str, Any], **given: str | None
) -> dict[str, str]:
    """The vendor fields to create: what the caller gave, else the invoice's (corrected) values,
    else what the extraction read (address, country)."""
    defaults = {
        "name": invoice.vendor_name or "",
        "vat_id": invoice.vendor_vat_id or "",
        "iban": invoice.vendor_iban or "",
        "address": _stored_text(extraction, "vendor_address"),
        "country": _stored_text(extraction, "country"),
    }
    out: dict[str, str] = {}
    for key, limit in _LIMITS.items():
        value = given.get(key)
        text = (defaults[key] if value is None else value).strip()
        if len(text) > limit:
            raise ValidationFailed(f"the vendor's {key} is longer than {limit} characters")
        if text:
            out[key] = text
    if "country" in out and not (len(out["country"]) == 2 and out["country"].isalpha()):
        out.pop("country")  # only ISO codes are stored; the extraction may say otherwise
    if not out.get("name"):
        raise ValidationFailed("a vendor needs a name: type it or correct the vendor name first")
    return out


def suggest_vendors(
    *, services: Services, user: CurrentUser, invoice_id: uuid.UUID, name: str | None = None
) -> list[VendorSuggestion]:
    """The master's vendors the matcher finds for the invoice's vendor fields ("did you mean")."""
    with user_session(services.engine, user.claims) as s:
        invoice = load_invoice(s, invoice_id, for_update=False)
        fields = proposed_vendor(
            invoice, review_repo.invoice_extraction(s, invoice_id) or {}, name=name
        )
        found = vendor_candidates(s, invoice.client_id, _query(fields))
    return [VendorSuggestion(uuid.UUID(c["vendor_id"]), c["name"], c["score"]) for c in found]


def _query(fields: dict[str, str]) -> dict[str, Any]:
    return {
        "name": fields.get("name", ""),
        "vat_id": fields.get("vat_id", ""),
        "iban": fields.get("iban", ""),
        "address": fields.get("address", ""),
        "city": "",
    }


def create_vendor_from_invoice(
    *,
    services: Services,
    user: CurrentUser,
    invoice_id: uuid.UUID,
    expected_version: int,
    name: str | None = None,
    vat_id: str | None = None,
    iban: str | None = None,
    address: str | None = None,
    country: str | None = None,
    force: bool = False,
) -> CreatedVendor:
    """Create a vendor from the invoice's vendor fields (owners, operators) and match the invoice
    to it; ``VendorExists`` with the candidates when the master seems to hold it (unless
    ``force``), ``Conflict`` when the invoice changed since ``expected_version``."""
    with user_session(services.engine, user.claims) as s:
        invoice = load_editable(s, invoice_id, what="an invoice")
        require_role(s, invoice.client_id, WRITERS)
        fields = proposed_vendor(
            invoice,
            review_repo.invoice_extraction(s, invoice_id) or {},
            name=name,
            vat_id=vat_id,
            iban=iban,
            address=address,
            country=country,
        )
        if expected_version != invoice.version:
            raise Conflict(
                "the invoice was changed by someone else; reload and try again",
                expected_version=expected_version,
                current_version=invoice.version,
            )
        if not force:
            found = vendor_candidates(s, invoice.client_id, _query(fields))
            if found:
                shown = ", ".join(f"{c['name']} ({c['score']:.0f})" for c in found[:3])
                raise VendorExists(
                    f"the vendor master may already have this vendor: did you mean {shown}?",
                    errors=[
                        {"vendor_id": c["vendor_id"], "name": c["name"], "score": c["score"]}
                        for c in found
                    ],
                )
        created = reference_repo.create_vendor_from_invoice(
            s,
            invoice_id=invoice_id,
            expected_version=expected_version,
            vendor=fields,
            meta={"forced": force},
        )
        if created is None:
            raise Conflict("the invoice was changed by someone else; reload and try again")
        vendor = reference_repo.get_vendor(s, created[0])
        assert vendor is not None
        return CreatedVendor(vendor=vendor, invoice=load_invoice(s, invoice_id, for_update=False))
