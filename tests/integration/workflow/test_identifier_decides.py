"""Same-name vendors told apart by the printed VAT id in processing (core.matching.identified):
a vendor whose trading-name master row learned another vendor's exact name (and its own VAT id)
from an override no longer holds that vendor's invoices in review; a VAT id on record for a third
vendor holds the name alias's vendor for review instead of approving it unseen."""

from __future__ import annotations

from core.workflow import invoices, processing, reference, review, uploads
from core.workflow.uploads import UploadFile
from tests.integration.workflow.conftest import as_user, make_pdf

NAME = "Alpen Software AG"
UID = "CHE-770.359.036 MWST"  # V1's Swiss UID (master)
OWN_VAT = "DE797700316"  # V2's, learned from the override
THIRD_VAT = "FR95932712581"  # V3's (another name)
VENDORS_CSV = (
    "vendor_code,name,vat_id\n"
    f"V1,{NAME},{UID}\n"
    "V2,Atlas Holdings 39,\n"
    f"V3,Cedar Conseil SARL,{THIRD_VAT}\n"
).encode()


def _pdf(number: str, vat_id: str) -> bytes:
    return make_pdf(
        [
            NAME,
            "Bahnhofstrasse 1, 8001 Zuerich",
            f"VAT ID: {vat_id}",
            "INVOICE",
            f"Invoice number: {number}",
            "Invoice date: 2024-03-15",
            "Bill to: Buyer Corp Ltd",
            "Subtotal: 100.00 EUR",
            "VAT 19%: 19.00 EUR",
            "Total: 119.00 EUR",
        ]
    )


def _one(services, user, client_id, number: str, vat_id: str):
    result = uploads.upload_files(
        services=services,
        user=user,
        client_id=client_id,
        files=[UploadFile(f"{number}.pdf", _pdf(number, vat_id))],
        process=False,
    )
    invoice_id = result.files[0].invoice_id
    processing.process_invoice(services=services, invoice_id=invoice_id, user_id=user.id)
    inv = invoices.get_invoice(services=services, user=user, invoice_id=invoice_id)
    return inv, next(m for m in inv.matches if m.kind == "vendor")


def test_the_printed_vat_id_decides_between_a_vendor_and_one_that_learned_its_name(
    services, role_users
) -> None:
    client = role_users
    operator = as_user(client.members["operator"])
    reference.import_reference(
        services=services, user=operator, client_id=client.id, kind="vendors", data=VENDORS_CSV
    )
    rows, _ = reference.list_vendors(services=services, user=operator, client_id=client.id)
    ids = {r.vendor_code: r.id for r in rows}

    # V2 prints V1's name under its own VAT id: the operator overrides to V2, who learns both
    _, first = _one(services, operator, client.id, "A-1", OWN_VAT)
    assert first.band != "auto"
    review.decide_match(
        services=services,
        user=operator,
        match_id=first.id,
        decision="override",
        vendor_id=ids["V2"],
    )
    learned = reference.list_vendor_aliases(
        services=services, user=operator, client_id=client.id, vendor_id=ids["V2"]
    )
    assert sorted((a.kind, a.value) for a in learned) == [("name", NAME), ("vat_id", OWN_VAT)]

    # V1's invoice: the name points at both, its VAT id at V1 alone -> auto, the reason names it
    inv, match = _one(services, operator, client.id, "A-2", UID)
    assert (inv.vendor_id, match.band) == (ids["V1"], "auto"), match.reason
    assert f"identified by the printed VAT id {UID} (vendor master)" in match.reason
    assert f"{ids['V2']} has another VAT id on record" in match.reason

    # V2's next invoice still goes to V2 (its learned VAT id)
    inv, match = _one(services, operator, client.id, "A-3", OWN_VAT)
    assert (inv.vendor_id, match.band) == (ids["V2"], "auto"), match.reason

    # the name (and V2's alias) with V3's VAT id: a conflict, never auto
    inv, match = _one(services, operator, client.id, "A-4", THIRD_VAT)
    assert match.band == "review" and inv.match_band != "auto", match.reason
    assert f"the printed VAT id {THIRD_VAT} is on record for vendor {ids['V3']}" in match.reason
