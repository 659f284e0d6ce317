"""One score scale end to end: what the matcher scores (0-100) is what the database stores and
the API and console show, for the invoice, its vendor match and every candidate."""

from __future__ import annotations

from core.matching.profile import MatchProfile
from core.workflow import invoices, reference
from tests.integration.workflow.conftest import as_user, invoice_pdf
from tests.integration.workflow.test_workflow_use_cases import VENDORS_CSV, _process, _upload


def test_the_vendor_match_keeps_the_matchers_0_to_100_score(services, role_users):
    operator = as_user(role_users.members["operator"])
    reference.import_reference(
        services=services,
        user=operator,
        client_id=role_users.id,
        kind="vendors",
        data=VENDORS_CSV,
    )
    upload = _upload(services, operator, role_users.id, ("s.pdf", invoice_pdf("SCALE-1")))
    _process(services, upload.files[0], operator)

    detail = invoices.get_invoice(
        services=services, user=operator, invoice_id=upload.files[0].invoice_id
    )
    vendor = next(m for m in detail.matches if m.kind == "vendor")
    assert vendor.score is not None and detail.match_score == vendor.score
    # The exact vendor (name, VAT id and IBAN agree) scores at the top of the profile's scale,
    # above its auto threshold: on a 0-1 scale it would sit below every threshold.
    assert float(vendor.score) >= MatchProfile().auto_threshold > 1
    assert float(vendor.candidates[0]["score"]) == float(vendor.score)
    assert all(0 <= float(c["score"]) <= 100 for c in vendor.candidates)
