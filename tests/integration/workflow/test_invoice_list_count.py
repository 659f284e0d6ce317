"""The invoice list's capped count: exact up to the cap, a flagged lower bound above it."""

from __future__ import annotations

from core.workflow import invoices
from core.workflow.invoices import InvoiceFilter
from core.workflow.states import InvoiceStatus
from tests.integration.workflow.conftest import as_user, invoice_pdf
from tests.integration.workflow.test_workflow_use_cases import _upload


def _page(services, user, **kw):
    return invoices.list_invoices_page(services=services, user=user, limit=1, **kw)


def test_count_is_exact_up_to_the_cap_and_a_flagged_lower_bound_above(
    services, role_users, monkeypatch
):
    client = role_users
    operator = as_user(client.members["operator"])
    _upload(
        services,
        operator,
        client.id,
        *[(f"cap-{n}.pdf", invoice_pdf(f"CAP-{n}")) for n in range(3)],
    )
    mine = InvoiceFilter(client_id=client.id)
    _rows, exact = invoices.list_invoices(services=services, user=operator, filters=mine)
    assert exact >= 3

    monkeypatch.setattr(invoices, "COUNT_CAP", exact)
    at_cap = _page(services, operator, filters=mine)
    assert (at_cap.count, at_cap.count_is_estimate) == (exact, False)
    assert len(at_cap.rows) == 1

    monkeypatch.setattr(invoices, "COUNT_CAP", exact - 1)
    above = _page(services, operator, filters=mine)
    assert (above.count, above.count_is_estimate) == (exact - 1, True)

    approved = InvoiceFilter(client_id=client.id, status=(InvoiceStatus.approved,))
    none = _page(services, operator, filters=approved)
    assert (none.count, none.count_is_estimate, none.rows) == (0, False, [])
