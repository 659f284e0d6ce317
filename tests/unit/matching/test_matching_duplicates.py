"""Duplicate detection: each tier, its reason, and the tier order."""

from __future__ import annotations

import pandas as pd
import pytest

from core.errors import ValidationFailed
from core.matching.duplicates import find_duplicates
from core.matching.profile import MatchProfile

TEXT = "Invoice 4711 from Acme GmbH for 12 pallets of bolts, total 1,234.50 EUR, due 2026-02-28"


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def test_same_bytes_is_tier_one_even_when_fields_agree_too() -> None:
    base = {
        "sha256": "ab" * 32,
        "vendor_id": "V1",
        "invoice_number": "4711",
        "total": 10.0,
        "date": "2026-01-01",
    }
    out = find_duplicates(_frame([{"invoice_id": "a", **base}, {"invoice_id": "b", **base}]))
    assert out[["invoice_id", "duplicate_of", "tier"]].values.tolist() == [["b", "a", "same_file"]]
    assert "identical file bytes" in out.iloc[0]["reason"]


def test_same_vendor_number_amount_and_date_window() -> None:
    profile = MatchProfile(amount_tolerance_pct=0.0, amount_tolerance_abs=0.5, date_window_days=7)
    rows = [
        {
            "invoice_id": "a",
            "vendor_name": "Müller GmbH",
            "invoice_number": "INV-0042",
            "total": 100.0,
            "date": "2026-01-01",
        },
        {
            "invoice_id": "b",
            "vendor_name": "Mueller",
            "invoice_number": "inv 42",
            "total": 100.5,
            "date": "2026-01-08",
        },  # both edges: 0.5 and 7 days
        {
            "invoice_id": "c",
            "vendor_name": "Müller GmbH",
            "invoice_number": "INV-0042",
            "total": 100.51,
            "date": "2026-01-01",
        },  # amount just out
        {
            "invoice_id": "d",
            "vendor_name": "Müller GmbH",
            "invoice_number": "INV-0042",
            "total": 100.0,
            "date": "2026-01-09",
        },  # 8 days from a
    ]
    out = find_duplicates(_frame(rows), profile)
    pairs = {(r.invoice_id, r.duplicate_of): r.tier for r in out.itertuples()}
    assert pairs[("b", "a")] == "same_invoice"
    assert ("c", "a") not in pairs
    assert ("d", "a") not in pairs
    assert pairs[("d", "b")] == "same_invoice"  # 1 day and 0.5 apart
    assert "invoice number inv42" in out[out["invoice_id"] == "b"].iloc[0]["reason"]


def test_invoice_number_agreement_beats_amount_only_agreement() -> None:
    rows = [
        {
            "invoice_id": "a",
            "vendor_id": "V1",
            "invoice_number": "1",
            "total": 50.0,
            "currency": "EUR",
            "date": "2026-03-01",
        },
        {
            "invoice_id": "b",
            "vendor_id": "V1",
            "invoice_number": "2",
            "total": 50.0,
            "currency": "EUR",
            "date": "2026-03-02",
        },
        {
            "invoice_id": "c",
            "vendor_id": "V1",
            "invoice_number": "001",
            "total": 50.0,
            "currency": "EUR",
            "date": "2026-03-03",
        },
    ]
    out = find_duplicates(_frame(rows))
    tiers = {(r.invoice_id, r.duplicate_of): r.tier for r in out.itertuples()}
    assert tiers[("c", "a")] == "same_invoice"
    assert tiers[("b", "a")] == "same_amount"
    assert tiers[("c", "b")] == "same_amount"
    assert out.iloc[0]["tier"] in {"same_invoice", "same_amount"}


def test_other_vendor_is_never_a_field_duplicate() -> None:
    rows = [
        {"invoice_id": "a", "vendor_id": "V1", "invoice_number": "9", "total": 5.0},
        {"invoice_id": "b", "vendor_id": "V2", "invoice_number": "9", "total": 5.0},
    ]
    assert find_duplicates(_frame(rows)).empty


def test_near_identical_text_is_tier_three() -> None:
    rows = [
        {"invoice_id": "a", "text": TEXT},
        {"invoice_id": "b", "text": TEXT + " "},
        {"invoice_id": "c", "text": "Credit note 17 from Other Ltd for services rendered in May"},
    ]
    out = find_duplicates(_frame(rows))
    assert out[["invoice_id", "duplicate_of", "tier"]].values.tolist() == [
        ["b", "a", "near_identical"]
    ]
    assert out.iloc[0]["score"] >= 0.95


def test_invoice_id_is_required() -> None:
    with pytest.raises(ValidationFailed):
        find_duplicates(pd.DataFrame({"total": [1.0]}))
