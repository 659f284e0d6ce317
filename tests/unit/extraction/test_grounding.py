"""Grounding: values an LLM returns are checked against the document text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.extraction.grounding import FOUND, GROUNDED, NO_TEXT, UNGROUNDED, DocumentText, ground

PAGE = DocumentText(
    "Müller Bürotechnik GmbH\nHauptstraße 5   Rechnungsnummer: RE-2024-0042\n"
    "80331 München   Datum: 14. März 2025\nGesamtbetrag 1.234,56 €\n"
    "Order date 03/14/2025\nIBAN: DE89 3704 0044 0532 0130 00\nTotal USD 9,876.50"
)


@pytest.mark.parametrize(
    ("kind", "value", "evidence", "expected"),
    [
        ("amount", Decimal("1234.56"), "Gesamtbetrag 1.234,56 €", GROUNDED),
        ("amount", Decimal("9876.50"), "Total USD 9,876.50", GROUNDED),
        ("amount", Decimal("-1234.56"), "1.234,56", GROUNDED),  # sign is the model's reading
        ("amount", Decimal("1234.56"), "total due", FOUND),  # on the page, evidence vague
        ("amount", Decimal("4321.00"), "Gesamtbetrag 4.321,00 €", UNGROUNDED),
        ("date", dt.date(2025, 3, 14), "Datum: 14. März 2025", GROUNDED),
        ("date", dt.date(2025, 3, 14), "Order date 03/14/2025", GROUNDED),
        ("date", dt.date(2025, 4, 1), "Datum: 1. April 2025", UNGROUNDED),
        ("text", "RE-2024-0042", "Rechnungsnummer: RE-2024-0042", GROUNDED),
        ("text", "re 2024 0042", "rechnungsnummer re2024-0042", GROUNDED),
        ("text", "DE89370400440532013000", "IBAN: DE89 3704 0044 0532 0130 00", GROUNDED),
        ("text", "Müller Bürotechnik GmbH", None, FOUND),
        ("text", "Phantom Supplies Ltd", "Phantom Supplies Ltd", UNGROUNDED),
        ("text", "Hauptstraße 5, 80331 München", "Hauptstraße 5\n80331 München", GROUNDED),
        ("text", "5", None, UNGROUNDED),  # too short to trust without evidence
        ("currency", "EUR", "1.234,56 €", GROUNDED),
        ("currency", "USD", "somewhere", FOUND),
        ("currency", "GBP", "£", UNGROUNDED),
        ("enum", "invoice", "Rechnungsnummer", GROUNDED),
    ],
)
def test_grounding_outcomes(kind: str, value: object, evidence: str | None, expected: str) -> None:
    assert ground(kind, value, evidence, PAGE) == expected


def test_nothing_claimed_needs_no_grounding() -> None:
    assert ground("text", None, None, PAGE) == GROUNDED


def test_without_document_text_grounding_is_unavailable() -> None:
    assert ground("amount", Decimal("1"), "1.00", DocumentText("  \f ")) == NO_TEXT
