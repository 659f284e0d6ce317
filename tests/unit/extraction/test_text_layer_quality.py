"""Garbage text layers are not trusted: character statistics send them to OCR, and the extraction
says so. Documents and junk layers are drawn here."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.extraction.text_quality import MIN_TEXT_QUALITY, text_quality
from tests.unit.extraction.docgen import (
    extract,
    junk_text_pdf,
    load,
    scan_with_junk_layer,
    text_pdf,
)

CLEAN = """ACME Werkzeuge GmbH · Industriestraße 4 · 70565 Stuttgart
Rechnung Nr. RE-2024-0815 vom 12.03.2024
Pos. Art.-Nr. Bezeichnung Menge Einzelpreis Gesamt
1 WZ-100 Schraubendreher-Set (12-tlg.) 2 Stk 19,90 € 39,80 €
Nettobetrag 39,80 € MwSt. 19 % 7,56 € Gesamtbetrag 47,36 €
Zahlbar bis 26.03.2024 ohne Abzug. USt-IdNr. DE123456789, IBAN DE02 1203 0000 0000 2020 51"""
MOJIBAKE = """Ã„CME WerkzeugÃ© GmbH Â· IndustriestraÃŸe 4 Â· 70565 Stuttgart
Rechnung Nr. REâ€“2024â€“0815 vom 12.03.2024 Ã¼bernommen Ã¶ffentlich
Pos. Art.-Nr. Bezeichnung Menge Einzelpreis Gesamt Ã¤nderung â€ž
NettobetrÃ¤g 39,80 â‚¬ MwSt. 19 % 7,56 â‚¬ GesamtbetrÃ¤g 47,36 â‚¬"""
APP_OCR = """Rossl'1anI1 SDP SP. Z O. O. Sklep nr •
l 69. . . ~ - 4 ~-·a . •. 11 r : 1 B 17 BOJ ~ ~ ARAGON-FISKALNY
VIGO KOMBUCHA BIO\\AX 1 x7,99 7,99A ••ty - . :-•. ? F; - • 7 ,~ . ' I
U wzg l. opust-! ~ --:Ą, 50 st __ c 19, 99~ -,,,.- : ~ " __ ~ ~ t
9 .. ... .. - • • - - - • .. ... - .... .. .. - • .. ..__a,c_~ ""· - ... ~ ~ -~~ ~"""


def test_a_born_digital_page_passes_the_check() -> None:
    assert text_quality(CLEAN) >= 0.9 > MIN_TEXT_QUALITY


@pytest.mark.parametrize("junk", [MOJIBAKE, APP_OCR], ids=["mojibake", "app-ocr-layer"])
def test_mojibake_and_noisy_ocr_layers_fail_the_check(junk: str) -> None:
    assert text_quality(junk) < MIN_TEXT_QUALITY


def test_a_page_too_short_to_judge_is_kept() -> None:
    assert text_quality("Rechnung 4711") == 1.0


def test_a_mojibake_text_layer_is_read_by_ocr_and_the_extraction_says_so() -> None:
    doc = load(junk_text_pdf(MOJIBAKE.splitlines()), ocr=True)
    assert doc.pages[0].source == "ocr"
    assert any(n.startswith("text_layer_replaced: page 1") for n in doc.notes)


def test_without_ocr_the_text_layer_is_kept_as_it_is() -> None:
    doc = load(junk_text_pdf(MOJIBAKE.splitlines()), ocr=False)
    assert doc.pages[0].source == "text_layer" and doc.notes == []


def test_a_scan_with_a_junk_ocr_layer_is_read_again_by_our_ocr() -> None:
    rows = [
        [(20, "NORTHWIND TRADERS LTD", 14)],
        [(20, "Invoice No: NW-2211"), (120, "Date: 02/05/2024")],
        [(20, "Consulting"), (150, "100.00")],
        [(20, "VAT 20%"), (150, "20.00")],
        [(20, "Total"), (150, "120.00")],
    ]
    junk = APP_OCR.splitlines() * 3
    ex = extract(scan_with_junk_layer(rows, junk), ocr=True)
    assert ex.source == "ocr"
    assert any(w.startswith("text_layer_replaced") for w in ex.warnings), ex.warnings
    assert ex.total.value == Decimal("120.00")
    assert ex.invoice_number.value == "NW-2211"


def test_a_clean_born_digital_pdf_is_never_sent_to_ocr() -> None:
    rows = [[(20, line)] for line in CLEAN.splitlines()]
    doc = load(text_pdf([rows]), ocr=True)
    assert doc.pages[0].source == "text_layer" and doc.notes == []
