"""The LLM answer schema and its conversion to the canonical Extraction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from core.extraction.grounding import DocumentText
from core.extraction.llm_schema import NOT_ASKED, LLMInvoice, to_extraction
from core.extraction.schema import HEADER_FIELDS, DocumentType

TEXT = (
    "Gutschrift GS-77\nDatum 02.01.2025\nMüller GmbH\nNettobetrag -100,00 EUR\n"
    "MwSt 19% -19,00 EUR\nGesamt -119,00 EUR\nBeratung 1 -100,00 -100,00"
)


def _answer(**fields: Any) -> LLMInvoice:
    empty = {"value": None, "evidence": None, "page": None}
    data: dict[str, Any] = {
        name: empty
        for name in LLMInvoice.model_fields
        if name not in ("tax_breakdown", "line_items")
    }
    data["tax_breakdown"], data["line_items"] = [], []
    data.update(fields)
    return LLMInvoice.model_validate(data)


def _f(value: str | None, evidence: str | None = None) -> dict[str, Any]:
    return {"value": value, "evidence": evidence, "page": 1}


def test_the_llm_schema_asks_for_every_canonical_header_field() -> None:
    asked = set(LLMInvoice.model_fields) - {"tax_breakdown", "line_items"}
    assert asked == set(HEADER_FIELDS) - NOT_ASKED


def test_values_are_parsed_to_canonical_types() -> None:
    answer = _answer(
        invoice_number=_f("GS-77", "Gutschrift GS-77"),
        document_type=_f("Credit Note", "Gutschrift"),
        invoice_date=_f("2025-01-02", "Datum 02.01.2025"),
        currency=_f("eur", "-119,00 EUR"),
        total=_f("-119,00", "Gesamt -119,00 EUR"),  # not a plain decimal: locale parse
        subtotal=_f("-100.00", "Nettobetrag -100,00 EUR"),
        tax_breakdown=[{"rate": "19", "base": "-100.00", "amount": "-19.00"}],
        line_items=[
            {
                "description": "Beratung", "product_code": None, "quantity": "1", "unit": None,
                "unit_price": "-100.00", "tax_rate": "19", "amount": "-100.00",
                "evidence": "Beratung 1 -100,00 -100,00", "page": 1,
            }
        ],
    )  # fmt: skip
    ex = to_extraction(answer, DocumentText(TEXT))
    assert ex.invoice_number.value == "GS-77"
    assert ex.document_type.value is DocumentType.credit_note
    assert ex.invoice_date.value == dt.date(2025, 1, 2)
    assert ex.currency.value == "EUR"
    assert ex.total.value == Decimal("-119.00")
    assert ex.subtotal.value == Decimal("-100.00")
    assert ex.subtotal.evidence is not None and ex.subtotal.evidence.page == 1
    assert ex.tax_breakdown[0].amount == Decimal("-19.00")
    item = ex.line_items[0]
    assert (item.quantity, item.amount, item.tax_rate) == (Decimal(1), Decimal("-100.00"), 19)
    assert item.confidence > 0.5
    assert ex.vendor_name.value is None and ex.vendor_name.confidence == 0.0


def test_unparseable_values_are_dropped_with_a_warning() -> None:
    ex = to_extraction(_answer(invoice_date=_f("the second of never")), DocumentText(TEXT))
    assert ex.invoice_date.value is None
    assert "unparseable:invoice_date" in ex.warnings


def test_invented_line_items_are_flagged() -> None:
    row = {
        "description": "Gold bars", "product_code": None, "quantity": "3", "unit": None,
        "unit_price": "5000", "tax_rate": None, "amount": "15000", "evidence": "Gold bars",
        "page": 1,
    }  # fmt: skip
    ex = to_extraction(_answer(line_items=[row]), DocumentText(TEXT))
    assert ex.line_items[0].confidence < 0.3
    assert "ungrounded:line_items:1" in ex.warnings


MULTI_RATE = (
    "Zwischensumme 300,00 EUR\nMwSt. 19% (200,00) 38,00 EUR\nMwSt. 7% (100,00) 7,00 EUR\n"
    "Gesamtbetrag 345,00 EUR"
)


def test_an_unprinted_tax_total_that_follows_from_printed_amounts_is_accepted() -> None:
    answer = _answer(
        subtotal=_f("300.00", "Zwischensumme 300,00 EUR"),
        total=_f("345.00", "Gesamtbetrag 345,00 EUR"),
        tax=_f("45.00", "MwSt. 45,00"),  # the model's sum: printed nowhere
    )
    ex = to_extraction(answer, DocumentText(MULTI_RATE))
    assert ex.tax.value == Decimal("45.00")
    assert ex.tax.confidence == 0.7
    assert "derived:tax" in ex.warnings and "ungrounded:tax" not in ex.warnings


def test_an_unprinted_tax_that_does_not_add_up_stays_ungrounded() -> None:
    answer = _answer(
        subtotal=_f("300.00", "Zwischensumme 300,00 EUR"),
        total=_f("345.00", "Gesamtbetrag 345,00 EUR"),
        tax=_f("57.00", "MwSt. 57,00"),
    )
    ex = to_extraction(answer, DocumentText(MULTI_RATE))
    assert ex.tax.confidence < 0.3
    assert "ungrounded:tax" in ex.warnings


def test_per_rate_tax_amounts_on_the_page_ground_their_sum() -> None:
    answer = _answer(
        tax=_f("45.00", None),
        tax_breakdown=[
            {"rate": "19", "base": "200.00", "amount": "38.00"},
            {"rate": "7", "base": "100.00", "amount": "7.00"},
        ],
    )
    ex = to_extraction(answer, DocumentText(MULTI_RATE))
    assert "derived:tax" in ex.warnings and ex.tax.confidence == 0.7
