"""The database's checks (public.invoice_checks, recomputed from current values) name the same
failures as core/extraction/validation.py on the same invoice (issue 13)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import text

from core.extraction.schema import ExtractedField, Extraction, LineItem
from core.extraction.validation import validate

D = Decimal
CASES = {
    "clean": ({"subtotal": D("100"), "tax": D("19"), "total": D("119")}, []),
    "totals": ({"subtotal": D("100"), "tax": D("19"), "total": D("120")}, []),
    "dates": (
        {"invoice_date": dt.date(2024, 3, 15), "due_date": dt.date(2024, 3, 1), "total": D("5")},
        [],
    ),
    "iban": ({"vendor_iban": "DE89370400440532013001", "total": D("5")}, []),
    "lines": (
        {"subtotal": D("56"), "tax": D("0"), "total": D("56")},
        [(D("10"), D("5"), D("5"), D("2"), D("47")), (D("2"), D("5"), None, None, D("9"))],
    ),
    "line_sum": (
        {"subtotal": D("60"), "tax": D("0"), "total": D("60")},
        [(D("1"), D("50"), None, None, D("50"))],
    ),
}


def _extraction(fields, lines) -> Extraction:
    ex = Extraction(currency=ExtractedField(value="EUR", confidence=1.0))
    for name, value in fields.items():
        setattr(ex, name, ExtractedField(value=value, confidence=1.0))
    ex.line_items = [
        LineItem(quantity=q, unit_price=p, allowance=a, charge=c, amount=amt, confidence=1.0)
        for q, p, a, c, amt in lines
    ]
    return ex


@pytest.mark.parametrize("case", sorted(CASES))
def test_sql_checks_and_python_validation_agree(engine, role_users, case) -> None:
    fields, lines = CASES[case]
    python = sorted({w.split(":")[0] for w in validate(_extraction(fields, lines), "EUR").warnings})
    invoice = uuid.uuid4()
    with engine.begin() as conn:
        cols = {"id": invoice, "client_id": role_users.id, "status": "needs_review",
                "currency": "EUR", **fields}  # fmt: skip
        conn.execute(
            text(
                f"insert into public.invoices ({', '.join(cols)})"
                f" values ({', '.join(':' + k for k in cols)})"
            ),
            cols,
        )
        for n, (q, p, a, c, amt) in enumerate(lines, start=1):
            conn.execute(
                text(
                    "insert into public.invoice_lines (client_id, invoice_id, line_no, quantity,"
                    " unit_price, allowance, charge, amount) values (:c, :i, :n, :q, :p, :a, :ch,"
                    " :amt)"
                ),
                {"c": role_users.id, "i": invoice, "n": n, "q": q, "p": p, "a": a, "ch": c,
                 "amt": amt},
            )  # fmt: skip
        sql = sorted(
            {r[0] for r in conn.execute(text("select code from public.invoice_checks(:i)"),
                                        {"i": invoice})}
        )  # fmt: skip
    assert sql == python, (case, sql, python)
