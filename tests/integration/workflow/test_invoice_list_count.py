"""The invoice list's capped count: exact up to the cap, a flagged lower bound above it."""

from __future__ import annotations

from core.db import invoice_query
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


def _set_vendor(engine, invoice_ids, name):
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(
            text("update public.invoices set vendor_name = :n where id = any(:ids)"),
            {"n": name, "ids": list(invoice_ids)},
        )


def test_vendor_search_finds_substrings_in_the_callers_clients_only(
    services, engine, make_user, make_client
):
    alice, bob = make_user(), make_user()
    mine, theirs = make_client(alice), make_client(bob)
    a_up = _upload(
        services,
        as_user(alice),
        mine.id,
        *[(f"v-{n}.pdf", invoice_pdf(f"VEN-A-{n}")) for n in range(3)],
    )
    b_up = _upload(services, as_user(bob), theirs.id, ("v.pdf", invoice_pdf("VEN-B-1")))
    a_ids = [f.invoice_id for f in a_up.files]
    _set_vendor(engine, a_ids[:2], "Müller 100% Anlagenbau GmbH")
    _set_vendor(engine, a_ids[2:], "Other Trading Ltd")
    _set_vendor(engine, [b_up.files[0].invoice_id], "Müller 100% Anlagenbau GmbH")

    def found(user, **kw):
        rows, count = invoices.list_invoices(
            services=services, user=as_user(user), filters=InvoiceFilter(**kw)
        )
        assert count == len(rows)
        return {r.id for r in rows}

    # Case-insensitive substring, in one client or across all of the caller's clients.
    assert found(alice, client_id=mine.id, vendor="anlagenBAU") == set(a_ids[:2])
    assert found(alice, vendor="müller") == set(a_ids[:2])  # never bob's invoice
    assert found(bob, vendor="müller") == {b_up.files[0].invoice_id}
    # % and _ are literal characters, not wildcards.
    assert found(alice, vendor="100%") == set(a_ids[:2])
    assert found(alice, vendor="1_0") == set()
    # Another client's id as a filter: not found, not a way in.
    import pytest

    from core.errors import NotFound

    with pytest.raises(NotFound):
        found(alice, client_id=theirs.id, vendor="müller")


def test_vendor_search_with_many_matches_uses_the_subquery_and_agrees(
    services, engine, role_users, monkeypatch
):
    operator = as_user(role_users.members["operator"])
    up = _upload(
        services,
        operator,
        role_users.id,
        *[(f"m-{n}.pdf", invoice_pdf(f"MANY-{n}")) for n in range(3)],
    )
    ids = {f.invoice_id for f in up.files}
    _set_vendor(engine, ids, "Many Matches AG")
    flt = InvoiceFilter(client_id=role_users.id, vendor="many matches")
    inline_rows, inline_count = invoices.list_invoices(
        services=services, user=operator, filters=flt
    )
    monkeypatch.setattr(invoice_query, "VENDOR_IDS_INLINE", 2)  # 3 matches: too many to pass inline
    sub_rows, sub_count = invoices.list_invoices(services=services, user=operator, filters=flt)
    assert inline_count == sub_count == 3
    assert [r.id for r in inline_rows] == [r.id for r in sub_rows]
    assert {r.id for r in sub_rows} == ids
    # Paging agrees too: the vendor-only list pages a newest-first id list, the other path SQL.
    monkeypatch.setattr(invoice_query, "VENDOR_IDS_INLINE", 20_000)
    fast = [
        invoices.list_invoices(services=services, user=operator, filters=flt, limit=1, offset=k)
        for k in range(3)
    ]
    assert [rows[0].id for rows, _ in fast] == [r.id for r in sub_rows]
    assert {count for _, count in fast} == {3}
    # With another filter the generic query runs (and still finds them).
    received = InvoiceFilter(
        client_id=role_users.id, vendor="many matches", status=(InvoiceStatus.received,)
    )
    rows, count = invoices.list_invoices(services=services, user=operator, filters=received)
    assert count == 3 and {r.id for r in rows} == ids
