"""Totals on receipts and invoices like the unseen sets' misses: tax tables, "Total x% supplies",
tendered and change, amounts glued to "RM", tax registration numbers, attached documents."""

from __future__ import annotations

import io
from decimal import Decimal

import pypdfium2 as pdfium
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from tests.unit.extraction.docgen import extract, page_image, text_pdf


def _money(value: object) -> str | None:
    return None if value is None else f"{Decimal(str(value)):.2f}"


def test_the_total_is_the_amount_payable_not_a_row_of_the_tax_summary() -> None:
    rows = [
        [(20, "SUPERMERCADOS SUR, S.A. B-64717838")],
        [(20, "19/02/2024 19:19"), (90, "OP: 96938")],
        [(20, "FACTURA SIMPLIFICADA: 3893-020-160319")],
        [(20, "1 PATATAS GAJO"), (150, "1,90")],
        [(20, "1 NATILLA VAINILLA"), (150, "3,50")],
        [(20, "TOTAL (€)"), (150, "5,40")],
        [(20, "TARJETA BANCARIA"), (150, "5,40")],
        [(20, "IVA"), (60, "BASE IMPONIBLE (€)"), (130, "CUOTA (€)")],
        [(20, "10%"), (60, "4,82"), (130, "0,48")],
        [(20, "21%"), (60, "0,08"), (130, "0,02")],
        [(20, "TOTAL"), (60, "4,90"), (130, "0,50")],
    ]
    ex = extract(text_pdf([rows]))
    assert _money(ex.total.value) == "5.40"
    assert _money(ex.subtotal.value) == "4.90"
    assert _money(ex.tax.value) == "0.50"
    assert [(r.rate, r.base, r.amount) for r in ex.tax_breakdown] == [
        (Decimal("10"), Decimal("4.82"), Decimal("0.48")),
        (Decimal("21"), Decimal("0.08"), Decimal("0.02")),
    ]
    assert ex.vendor_vat_id.value == "B-64717838"
    assert ex.invoice_number.value == "3893-020-160319"


def test_total_supplies_cash_and_change_are_not_the_amount_payable() -> None:
    rows = [
        [(20, "KEDAI RUNCIT MAJU SDN BHD")],
        [(20, "GST Reg No: 001234567890")],
        [(20, "Invoice No: CS-55120"), (120, "22/12/2017 14:03")],
        [(20, "Milo 1kg"), (150, "7.88")],
        [(20, "Total 6% supplies (excl GST)"), (150, "7.88")],
        [(20, "GST 6%"), (150, "0.47")],
        [(20, "Total Amount Payable"), (150, "8.35")],
        [(20, "Cash"), (150, "10.00")],
        [(20, "Change"), (150, "1.65")],
    ]
    ex = extract(text_pdf([rows]))
    assert _money(ex.total.value) == "8.35"
    assert _money(ex.tax.value) == "0.47"  # never the GST registration number
    assert _money(ex.subtotal.value) == "7.88"
    assert ex.vendor_vat_id.value == "001234567890"


def test_cash_tendered_is_not_the_total_when_change_was_given() -> None:
    rows = [
        [(20, "Corner Deli LLC")],
        [(20, "05/14/2022 12:31")],
        [(20, "Sandwich"), (150, "$7.50")],
        [(20, "Sales tax"), (150, "$0.63")],
        [(20, "Amount due"), (150, "$8.13")],
        [(20, "Total tendered"), (150, "$10.00")],
        [(20, "Change"), (150, "$1.87")],
    ]
    ex = extract(text_pdf([rows]))
    assert _money(ex.total.value) == "8.13"
    assert ex.currency.value == "USD"


def test_amounts_glued_to_a_currency_abbreviation_are_read() -> None:
    rows = [
        [(20, "KEDAI BUKU ILMU SDN BHD")],
        [(20, "Tarikh: 03/04/2018 10:15")],
        [(20, "Buku nota A5"), (150, "RM3.50")],
        [(20, "Pen biru"), (150, "RM4.85")],
        [(20, "TOTAL"), (150, "RM8.35")],
    ]
    ex = extract(text_pdf([rows]))
    assert _money(ex.total.value) == "8.35"
    assert ex.currency.value == "MYR"


def test_a_tax_registration_number_is_never_a_tax_amount() -> None:
    rows = [
        [(20, "Lucky Mart Sdn Bhd")],
        [(20, "GST ID: 000512345678")],
        [(20, "Date 12/01/2018")],
        [(20, "Bread"), (150, "4.20")],
        [(20, "Total"), (150, "4.20")],
    ]
    ex = extract(text_pdf([rows]))
    assert _money(ex.total.value) == "4.20"
    assert ex.tax.value is None or ex.tax.value <= Decimal("4.20") * Decimal("0.35")


def test_tax_included_in_a_receipt_total_is_the_tax() -> None:
    rows = [
        [(20, "FERRAMENTA ROSSI S.R.L.")],
        [(20, "P.IVA 00743110157")],
        [(20, "19-09-2024 18:02")],
        [(20, "VITI 4X30"), (150, "2,99")],
        [(20, "SUBTOTALE"), (150, "2,99")],
        [(20, "TOTALE COMPLESSIVO"), (150, "2,99")],
        [(20, "di cui IVA"), (150, "0,54")],
    ]
    ex = extract(text_pdf([rows]))
    assert _money(ex.total.value) == "2.99"
    assert _money(ex.tax.value) == "0.54"
    assert ex.currency.value is None or ex.currency.value == "EUR"


def test_totals_come_from_the_invoice_not_from_an_attached_scanned_work_order() -> None:
    invoice = [
        [(20, "TALLER MECANICO SUR S.R.L.")],
        [(20, "Factura A"), (120, "Fecha: 14/02/2023")],
        [(20, "CUIT: 20-26756539-3")],
        [(20, "Mano de obra"), (150, "$ 1.000,00")],
        [(20, "Subtotal"), (150, "$ 1.000,00")],
        [(20, "IVA 21%"), (150, "$ 210,00")],
        [(20, "Total"), (150, "$ 1.210,00")],
    ]
    order = [
        [(20, "ORDEN DE TRABAJO", 14)],
        [(20, "Repuestos autorizados")],
        [(20, "Total"), (150, "$ 99.999,00")],
    ]
    first = text_pdf([invoice])
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=A4)
    image = page_image(order)
    sheet = Image.new("RGB", (image.width, round(image.width * A4[1] / A4[0])), "white")
    sheet.paste(image, (0, 0))
    canvas.drawImage(ImageReader(sheet), 0, 0, width=A4[0], height=A4[1])
    canvas.showPage()
    canvas.save()
    merged = _concat(first, buf.getvalue())
    ex = extract(merged, ocr=True)
    assert _money(ex.total.value) == "1210.00"
    assert ex.currency.value == "ARS"  # "$" on an Argentine invoice


def _concat(*pdfs: bytes) -> bytes:
    out = pdfium.PdfDocument.new()
    for data in pdfs:
        out.import_pages(pdfium.PdfDocument(data))
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()
