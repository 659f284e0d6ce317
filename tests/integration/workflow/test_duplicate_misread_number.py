"""A re-scan whose invoice number OCR read without its letter prefix ("2025-8266" for
"R2025-8266": a learned hint after a glued "RECHNUNGR2025-8266") is still a possible duplicate
when the digits, the invoice date, the amount and the vendor agree; another date is another
invoice."""

from __future__ import annotations

from tests.integration.workflow.conftest import as_user, make_pdf, process_one


def _pdf(number: str, date: str = "2024-03-15", total: str = "119.00") -> bytes:
    return make_pdf(
        [
            "Lieferant GmbH",
            "VAT ID: DE123456789",
            f"Invoice number: {number}",
            f"Invoice date: {date}",
            f"Total: {total} EUR",
        ]
    )


def _dups(inv):
    return [m for m in inv.matches if m.kind == "duplicate"]


def test_a_number_read_without_its_prefix_is_still_a_possible_duplicate(
    services, role_users
) -> None:
    operator = as_user(role_users.members["operator"])
    first = process_one(services, operator, role_users.id, "a.pdf", _pdf("R2025-8266"))
    rescan = process_one(services, operator, role_users.id, "b.pdf", _pdf("2025-8266"))
    (dup,) = _dups(rescan)
    assert dup.duplicate_of_invoice_id == first.id
    assert "invoice number R2025-8266 (read here as 2025-8266: the same digits" in dup.reason
    assert rescan.match_band != "auto"
    # the same digits on another date, or another amount: not the first invoice
    later = process_one(
        services, operator, role_users.id, "c.pdf", _pdf("Q2025-8266", date="2024-04-15")
    )
    assert not [d for d in _dups(later) if d.duplicate_of_invoice_id == first.id]
    other = process_one(
        services, operator, role_users.id, "d.pdf", _pdf("Q2025-8266", total="5.00")
    )
    assert not [d for d in _dups(other) if d.duplicate_of_invoice_id == first.id]
    # too few digits to say anything by digits alone
    process_one(services, operator, role_users.id, "e.pdf", _pdf("R-12"))
    short = process_one(services, operator, role_users.id, "f.pdf", _pdf("12"))
    assert not _dups(short)
