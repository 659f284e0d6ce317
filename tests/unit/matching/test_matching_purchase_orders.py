"""PO matching: 2-way and 3-way, tolerances at their edges, typed exceptions per line."""

from __future__ import annotations

import pandas as pd
import pytest

from core.errors import ValidationFailed
from core.matching.profile import MatchProfile
from core.matching.purchase_orders import (
    POException,
    match_purchase_orders,
    normalize_number,
    within,
)

PROFILE = MatchProfile(amount_tolerance_pct=1.0, amount_tolerance_abs=2.0)
POS = pd.DataFrame(
    {
        "po_number": ["PO-000123", "PO-777", "PO-900"],
        "vendor_id": ["V1", "V1", "V2"],
        "total": [1000.0, 500.0, 300.0],
        "currency": ["EUR", "EUR", "EUR"],
        "status": ["open", "closed", "open"],
        "invoiced": [0.0, 0.0, 300.0],
    }
)


def _invoice(
    total: float, po: str = "po 123", vendor: str = "V1", cur: str = "EUR"
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "invoice_id": ["I1"],
            "vendor_id": [vendor],
            "po_number": [po],
            "total": [total],
            "currency": [cur],
        }
    )


def test_po_numbers_ignore_case_punctuation_and_leading_zeros() -> None:
    assert normalize_number("PO-000123") == normalize_number("po 123") == "po123"
    assert normalize_number("INV/2026/0042") == "inv202642"


@pytest.mark.parametrize(
    ("total", "ok"),
    [(1010.0, True), (990.0, True), (1010.01, False), (989.99, False)],  # 1% of 1000 = 10 > 2
)
def test_total_tolerance_in_percent_is_inclusive_at_the_edge(total: float, ok: bool) -> None:
    headers, _ = match_purchase_orders(_invoice(total), POS, PROFILE)
    row = headers.iloc[0]
    assert row["match_type"] == "exact"
    assert (row["status"] == "matched") is ok
    if not ok:
        assert row["exceptions"] == [POException.amount_variance.value]


def test_absolute_tolerance_wins_when_larger_than_the_percentage() -> None:
    assert within(102.0, 100.0, pct=1.0, absolute=2.0)
    assert not within(102.01, 100.0, pct=1.0, absolute=2.0)


def test_closed_po_exhausted_po_and_currency_are_exceptions() -> None:
    closed, _ = match_purchase_orders(_invoice(500.0, po="PO777"), POS, PROFILE)
    assert closed.iloc[0]["exceptions"] == ["po.closed"]
    exhausted, _ = match_purchase_orders(_invoice(300.0, po="PO-900", vendor="V2"), POS, PROFILE)
    assert exhausted.iloc[0]["exceptions"] == ["po.exhausted"]
    usd, _ = match_purchase_orders(_invoice(1000.0, cur="USD"), POS, PROFILE)
    assert usd.iloc[0]["exceptions"] == ["po.currency_mismatch"]


def test_fuzzy_po_number_within_the_vendor_and_missing_po() -> None:
    fuzzy, _ = match_purchase_orders(_invoice(1000.0, po="PO-0001234"), POS, PROFILE)
    assert (fuzzy.iloc[0]["match_type"], fuzzy.iloc[0]["po_number"]) == ("fuzzy", "PO-000123")
    missing, _ = match_purchase_orders(_invoice(1000.0, po="XYZ-1"), POS, PROFILE)
    assert missing.iloc[0]["exceptions"] == ["po.not_found"]
    assert missing.iloc[0]["status"] == "exception"


def test_three_way_line_exceptions_are_typed() -> None:
    po_lines = pd.DataFrame(
        {
            "po_number": ["PO-000123"] * 3,
            "line_no": [1, 2, 3],
            "product_code": ["A-1", "B-2", "C-3"],
            "description": ["bolts", "nuts", "washers"],
            "quantity": [10, 5, 4],
            "unit_price": [50.0, 100.0, 0.0],
        }
    )
    inv_lines = pd.DataFrame(
        {
            "invoice_id": ["I1"] * 4,
            "line_no": [1, 2, 3, 4],
            "product_code": ["A-1", "", "C-3", "Z-9"],
            "description": ["Bolts", "nuts, hex", "washers", "cables"],
            "quantity": [10, 5, 5, 1],
            "unit_price": [50.5, 101.01, 0.0, 3.0],
        }
    )
    receipts = pd.DataFrame(
        {"po_number": ["PO-000123"] * 3, "line_no": [1, 2, 3], "quantity_received": [6, 5, 5]}
    )
    headers, lines = match_purchase_orders(
        _invoice(1000.0),
        POS,
        PROFILE,
        invoice_lines=inv_lines,
        po_lines=po_lines,
        receipts=receipts,
    )
    got = {(r.line_no, r.exception) for r in lines.itertuples()}
    assert got == {
        (1, "line.not_received"),  # 10 invoiced, 6 received; price 50.5 is exactly +1%
        (2, "line.price_variance"),  # 101.01 is just over +1% of 100
        (3, "line.over_billed_quantity"),  # 5 invoiced, 4 ordered, 5 received
        (4, "line.no_po_line"),
    }
    row = headers.iloc[0]
    assert row["mode"] == "3-way"
    assert row["status"] == "exception"
    assert set(row["exceptions"]) == {e for _, e in got}


def test_two_way_without_receipts_does_not_check_receipts() -> None:
    po_lines = pd.DataFrame(
        {"po_number": ["PO-000123"], "line_no": [1], "quantity": [10], "unit_price": [100.0]}
    )
    inv_lines = pd.DataFrame(
        {
            "invoice_id": ["I1"],
            "line_no": [1],
            "product_code": [""],
            "description": [""],
            "quantity": [10],
            "unit_price": [100.0],
        }
    )
    headers, lines = match_purchase_orders(
        _invoice(1000.0), POS, PROFILE, invoice_lines=inv_lines, po_lines=po_lines
    )
    assert headers.iloc[0]["mode"] == "2-way"
    assert lines["exception"].tolist() == ["line.no_po_line"]  # nothing to pair it by


def test_missing_columns_are_a_validation_error() -> None:
    with pytest.raises(ValidationFailed, match="total"):
        match_purchase_orders(_invoice(1.0).drop(columns=["total"]), POS)
