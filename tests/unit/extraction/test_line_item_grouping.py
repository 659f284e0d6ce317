"""Line items whose numbers a plain space both groups (thousands: "1 015,76") and separates
(columns: a quantity "8" beside a price "126,97"): the row is read by the grouping whose numbers
multiply out, and a row that multiplies out no way is no line item."""

from __future__ import annotations

import io
from decimal import Decimal

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from core.extraction.document import load_document
from core.extraction.offline_extractor import OfflineExtractor

LIMITS = {"max_bytes": 50 * 1024 * 1024, "max_pages": 200, "ocr": False}


def _facture(rows: list[str]) -> bytes:
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4)
    c.setFont("Helvetica", 10)
    y = 790
    for line in [
        "Cèdre Bureautique EURL",
        "179 boulevard Voltaire, 69002 Lyon",
        "Facture",
        "N° de facture: FA-889436",
        "Date d'émission: 27 octobre 2025",
        "Description Qté Prix unitaire HT Total HT",
        *rows,
        "Total HT 17 078,26 EUR",
        "TVA 20 % 3 415,65 EUR",
        "Montant TTC 20 493,91 EUR",
    ]:
        c.drawString(50, y, line)
        y -= 16
    c.showPage()
    c.save()
    return buf.getvalue()


def _lines(data: bytes) -> list[tuple[Decimal | None, Decimal | None, Decimal | None]]:
    ex = OfflineExtractor().extract(load_document(data, **LIMITS))
    return [(li.quantity, li.unit_price, li.amount) for li in ex.line_items]


def test_a_quantity_beside_a_price_is_not_a_thousands_group() -> None:
    data = _facture(
        [
            "Intervention sur site 8 126,97 1 015,76",
            "Fauteuil de bureau 2 481,75 963,50",
            "Licence logicielle annuelle 25 603,96 15 099,00",
        ]
    )
    assert _lines(data) == [
        (Decimal("8"), Decimal("126.97"), Decimal("1015.76")),
        (Decimal("2"), Decimal("481.75"), Decimal("963.50")),
        (Decimal("25"), Decimal("603.96"), Decimal("15099.00")),
    ]


def test_a_row_that_multiplies_out_no_way_is_no_line_item() -> None:
    assert _lines(_facture(["Intervention sur site 8 126,97 1 115,76"])) == []
