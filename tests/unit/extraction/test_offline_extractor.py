"""Offline extraction on generated invoices: the exact values they were generated with."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from core.demo.synthetic_invoices import generate_invoice
from core.errors import UnsupportedType
from core.extraction.document import load_document
from core.extraction.evaluation import Tally, score_fields, score_lines
from core.extraction.offline_extractor import OfflineExtractor

LIMITS = {"max_bytes": 50 * 1024 * 1024, "max_pages": 200, "ocr": False}
# Fields that template-free rules must read exactly on every generated layout and locale.
CORE_FIELDS = ("invoice_number", "invoice_date", "currency", "subtotal", "total", "due_date")


def _extract(data: bytes) -> dict[str, Any]:
    return OfflineExtractor().extract(load_document(data, **LIMITS)).to_flat_fields()


@pytest.mark.parametrize(
    ("locale", "seed"),
    [
        ("de_DE", 0), ("de_DE", 1), ("de_DE", 4), ("de_CH", 0), ("de_CH", 2),
        ("en_GB", 1), ("en_GB", 3), ("en_IE", 1), ("en_IE", 3), ("en_US", 1),
        ("en_US", 2), ("en_US", 3), ("fr_FR", 2), ("fr_FR", 6),
    ],
)  # fmt: skip
def test_generated_text_pdfs_read_their_core_fields_exactly(locale: str, seed: int) -> None:
    inv = generate_invoice(seed, kind="pdf", locale=locale)
    got = _extract(inv.data)
    for name in CORE_FIELDS:
        if name in inv.truth:
            assert (name, got.get(name)) == (name, inv.truth[name]) or score_fields(
                got, {"fields": {name: inv.truth[name]}}
            )[name], (name, got.get(name), inv.truth[name])


@pytest.mark.parametrize(("locale", "seed"), [("de_DE", 12), ("en_US", 11), ("fr_FR", 11)])
def test_multi_page_line_item_tables_are_read_row_by_row(locale: str, seed: int) -> None:
    inv = generate_invoice(seed, kind="pdf", locale=locale, n_items=40)
    assert inv.meta["pages"] >= 2
    got = _extract(inv.data)
    truth_lines = inv.truth["line_items"]
    assert len(got["line_items"]) == len(truth_lines) == 40
    scores = score_lines(got["line_items"], truth_lines)
    assert scores["amount"] == (40, 40) and scores["description"] == (40, 40)
    assert scores["quantity"] == (40, 40) and scores["unit_price"] == (40, 40)


def test_synthetic_set_header_accuracy_stays_high() -> None:
    tally = Tally()
    for seed in range(24):
        inv = generate_invoice(1000 + seed, kind="pdf")
        tally.add(inv.filename, _extract(inv.data), {"fields": inv.truth})
    # A regression guard, not a target: measured 0.90 on this set when written.
    assert tally.header_accuracy() >= 0.85, tally.rows()


def _handmade_invoice() -> bytes:
    """A layout of our own: labels left, values right, totals table, English locale."""
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4)
    c.setFont("Helvetica-Bold", 18)
    c.drawString(50, 790, "Northwind Traders Ltd")
    c.setFont("Helvetica", 9)
    c.drawString(50, 775, "12 Harbour Road")
    c.drawString(50, 764, "Bristol BS1 4DJ")
    c.drawString(50, 753, "VAT No: GB123456789")
    c.setFont("Helvetica-Bold", 14)
    c.drawString(400, 790, "INVOICE")
    c.setFont("Helvetica", 9)
    rows = [("Invoice No.", "NW-2024-0042"), ("Invoice Date", "14 March 2024"),
            ("Due Date", "13/04/2024"), ("PO Number", "PO-7781")]  # fmt: skip
    for i, (label, value) in enumerate(rows):
        c.drawString(400, 770 - 12 * i, label)
        c.drawString(480, 770 - 12 * i, value)
    c.drawString(50, 700, "Bill To")
    c.drawString(50, 688, "Contoso Retail plc")
    c.drawString(50, 676, "1 High Street, London EC1A 1BB")
    y = 620
    for x, head in ((50, "Description"), (300, "Qty"), (380, "Unit Price"), (480, "Amount")):
        c.drawString(x, y, head)
    items = [
        ("Blue widgets", "3", "12.50", "37.50"),
        ("Consulting hours", "2.5", "80.00", "200.00"),
    ]
    for j, (d, q, p, a) in enumerate(items):
        yy = y - 16 * (j + 1)
        c.drawString(50, yy, d)
        c.drawRightString(320, yy, q)
        c.drawRightString(430, yy, "£" + p)
        c.drawRightString(530, yy, "£" + a)
    for k, (label, value) in enumerate((("Subtotal", "237.50"), ("VAT 20%", "47.50"),
                                        ("Total", "285.00"))):  # fmt: skip
        c.drawString(380, 540 - 14 * k, label)
        c.drawRightString(530, 540 - 14 * k, "£" + value)
    c.drawString(50, 480, "Payment terms: Net 30 days")
    c.drawString(50, 468, "IBAN: GB82 WEST 1234 5698 7654 32")
    c.save()
    return buf.getvalue()


def test_a_handmade_layout_is_read_without_any_template() -> None:
    got = _extract(_handmade_invoice())
    expected = {
        "vendor_name": "Northwind Traders Ltd",
        "vendor_address": "12 Harbour Road, Bristol BS1 4DJ",
        "vendor_vat_id": "GB123456789",
        "vendor_iban": "GB82WEST12345698765432",
        "customer_name": "Contoso Retail plc",
        "invoice_number": "NW-2024-0042",
        "po_number": "PO-7781",
        "invoice_date": "2024-03-14",
        "due_date": "2024-04-13",
        "currency": "GBP",
        "subtotal": "237.50",
        "tax": "47.50",
        "total": "285.00",
        "payment_terms": "Net 30 days",
    }
    assert {k: got.get(k) for k in expected} == expected
    lines = [(li["description"], Decimal(li["quantity"]), li["amount"]) for li in got["line_items"]]
    assert lines == [("Blue widgets", 3, "37.50"), ("Consulting hours", Decimal("2.5"), "200.00")]


def test_dev_set_visual_path_accuracy_regression(
    zugferd_dir: Path, zugferd_truth: list[dict[str, Any]]
) -> None:
    tally = Tally()
    for row in zugferd_truth:
        doc = load_document((zugferd_dir / row["file"]).read_bytes(), **LIMITS)
        doc.embedded_xml = None  # the visual path: embedded XML off
        tally.add(row["file"], OfflineExtractor().extract(doc).to_flat_fields(), row)
    # A regression guard; the figure itself is printed by bench/extraction_bench.py.
    assert tally.header_accuracy() >= 0.88, tally.misses


def test_xml_files_are_not_for_the_layout_reader() -> None:
    doc = load_document(b"<?xml version='1.0'?><Invoice/>", **LIMITS)
    with pytest.raises(UnsupportedType):
        OfflineExtractor().extract(doc)


def test_a_page_without_text_gives_an_empty_result_with_a_warning() -> None:
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4)
    c.rect(100, 100, 200, 200)
    c.save()
    ex = OfflineExtractor().extract(load_document(buf.getvalue(), **LIMITS))
    assert ex.to_flat_fields() == {} and any(w.startswith("no_text") for w in ex.warnings)


def _receipt(lines: list[tuple[str, str]], width: float = 220) -> bytes:
    """A till receipt: narrow page, left text and right-aligned amounts."""
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(width, 420))
    y = 395.0
    for left, right in lines:
        c.setFont("Helvetica-Bold" if y > 390 else "Helvetica", 12 if y > 390 else 8)
        c.drawString(12, y, left)
        if right:
            c.drawRightString(width - 12, y, right)
        y -= 14 if y > 390 else 11
    c.save()
    return buf.getvalue()


@pytest.mark.parametrize(
    ("lines", "vendor", "date", "total", "currency"),
    [
        (
            [("Baeckerei Sonnenschein", ""), ("Hauptstr. 5", ""), ("10115 Berlin", ""),
             ("12.03.2024 14:33", ""), ("Brötchen 4 x 0,45", "1,80"), ("Kaffee", "2,90"),
             ("SUMME EUR", "4,70"), ("Bar", "10,00"), ("Rückgeld", "5,30"),
             ("MwSt 7% 0,31", "")],
            "Baeckerei Sonnenschein", "2024-03-12", "4.70", "EUR",
        ),
        (
            [("BLUE BOTTLE COFFEE", ""), ("300 Webster St", ""), ("Oakland, CA 94607", ""),
             ("03/14/2024 9:41 AM", ""), ("Latte", "$5.25"), ("Croissant", "$4.00"),
             ("Subtotal", "$9.25"), ("Tax", "$0.83"), ("TOTAL", "$10.08"), ("VISA", "$10.08")],
            "BLUE BOTTLE COFFEE", "2024-03-14", "10.08", "USD",
        ),
    ],
)  # fmt: skip
def test_receipts_give_vendor_date_and_total(
    lines: list[tuple[str, str]], vendor: str, date: str, total: str, currency: str
) -> None:
    got = _extract(_receipt(lines))
    assert (got.get("vendor_name"), got.get("invoice_date")) == (vendor, date)
    assert (got.get("total"), got.get("currency")) == (total, currency)


def _stream_pdf(vendor: int, index: int, n_items: int, po: str | None, seed: int = 15):
    """Invoice ``index`` of vendor ``vendor`` of the STP bench's stream (as a text PDF)."""
    from core.demo.synthetic_layouts import render_pdf
    from tests.unit.extraction.docgen import stream_spec

    spec = stream_spec(vendor, index, n_items, po, seed=seed)
    return spec, OfflineExtractor().extract(load_document(render_pdf(spec), **LIMITS))


def test_a_price_in_thousands_is_not_read_as_its_last_group() -> None:
    """ "Formation (journée)  12  1 047,03  12 564,36": 12 x 47,03 = 564,36 multiplies out too, and
    the row was read so, leaving "1" and "12" aside (the lines added up to 610,72 of a net of
    12 610,72; STP stream, seed 15, invoice 256). The grouping that takes the thousands in is
    read."""
    spec, ex = _stream_pdf(9, 256, 2, None)
    assert [(li.quantity, li.unit_price, li.amount) for li in ex.line_items] == [
        (i.quantity, i.unit_price, i.amount) for i in spec.items
    ]
    assert ex.line_total.value == spec.subtotal


def test_a_line_item_at_a_rate_of_0_is_no_tax_row() -> None:
    """ "1  Monitor 27 inch  1 181.44  0%  181.44" under a header with "Tax %": taken for a tax
    row (base 1,181.44, tax 1: within the tolerance of 0.2% of the base), it was skipped as a
    line item (STP stream, seed 15, invoice 377). A rate of 0 taxes nothing."""
    spec, ex = _stream_pdf(13, 377, 3, None)
    assert [(li.quantity, li.unit_price, li.amount) for li in ex.line_items] == [
        (i.quantity, i.unit_price, i.amount) for i in spec.items
    ]
    assert ex.line_total.value == spec.subtotal


def test_a_line_items_unit_price_beside_its_rate_does_not_spoil_the_sum_of_tax_lines() -> None:
    """Two tax lines, one per rate ("Tax 23% (1,710.40) 393.39", "Tax 13.5% (656.64) 88.65"),
    under a table whose rows print a rate beside the unit price ("8  82.08  13.5%  656.64"): that
    price was a tax candidate too, and the sum of all of them (564.12) broke subtotal + tax =
    total; the tax was read wrong and the totals check failed on a born-digital invoice (STP
    stream, seed 15, invoice 379). The sum of the tax lines that closes the arithmetic is the
    tax."""
    spec, ex = _stream_pdf(27, 379, 2, "PO-00379")
    got = ex.to_flat_fields()
    assert len({line.tax_rate for line in spec.items}) == 2
    assert (got["subtotal"], got["tax"], got["total"]) == (
        str(spec.subtotal),
        str(spec.tax),
        str(spec.total),
    )
