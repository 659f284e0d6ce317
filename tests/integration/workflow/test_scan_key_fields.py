"""A scan whose invoice number, date or total OCR read unsure is never approved unseen, even for
a vendor the trust ladder promoted (the mean confidence hid one weak key field: a due date read
as the invoice date went straight through in the STP bench once same-name vendors were told
apart by their VAT ids)."""

from __future__ import annotations

from core.workflow import invoices, processing
from tests.integration.workflow.test_trust_ladder import (  # noqa: F401 (fixtures)
    _one,
    _pdf,
    _policy,
    _promote,
    acme,
    services,
)


def test_a_scan_with_an_unsure_key_field_goes_to_a_person(services, acme, monkeypatch) -> None:  # noqa: F811
    client, owner, operator = acme
    _policy(services, owner, client.id, n=2)
    _promote(services, operator, client.id)
    real = processing.apply_hints

    def as_scan(confidence: float):
        def read(extraction, vendor_hints, **kw):
            out, applied = real(extraction, vendor_hints, **kw)
            date = out.invoice_date.model_copy(update={"confidence": confidence})
            return out.model_copy(update={"source": "ocr", "invoice_date": date}), applied

        return read

    monkeypatch.setattr(processing, "apply_hints", as_scan(0.8))
    held = _one(services, operator, client.id, _pdf("U-1"), "u1.pdf")
    assert held.status == "needs_review"
    trail = invoices.audit_log(services=services, user=operator, invoice_id=held.id)
    event = next(e for e in trail if e.action == "status.needs_review")
    assert event.meta["unsure"] == ["invoice_date"]
    assert not any(e.action == "trust_ladder.auto_approved" for e in trail)

    monkeypatch.setattr(processing, "apply_hints", as_scan(0.95))
    passed = _one(services, operator, client.id, _pdf("U-2"), "u2.pdf")
    assert passed.status == "approved"  # the same scan read surely goes straight through
