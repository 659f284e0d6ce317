"""Synthetic invoice generator: deterministic, arithmetically exact, truth printed on the page."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from PIL import Image

from core.demo.synthetic_formats import LOCALES, format_number, iban_is_valid
from core.demo.synthetic_invoices import (
    KINDS,
    generate_invoice,
    generate_invoices,
    write_benchmark_folder,
)


def _pdf_text(data: bytes) -> str:
    doc = pdfium.PdfDocument(data)
    try:
        return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


def _squash(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_gives_same_bytes_and_truth(kind: str) -> None:
    a, b = generate_invoice(42, kind=kind), generate_invoice(42, kind=kind)
    assert a.data == b.data
    assert a.truth == b.truth
    assert a.data != generate_invoice(43, kind=kind).data


@pytest.mark.parametrize("seed", range(0, 60, 3))
def test_truth_is_arithmetically_consistent(seed: int) -> None:
    t = generate_invoice(seed).truth
    lines = t["line_items"]
    assert sum(Decimal(li["amount"]) for li in lines) == Decimal(t["subtotal"])
    assert Decimal(t["subtotal"]) + Decimal(t["tax"]) == Decimal(t["total"])
    for li in lines:
        product = Decimal(li["quantity"]) * Decimal(li["unit_price"])
        assert abs(product - Decimal(li["amount"])) <= Decimal("0.005")
    if "due_date" in t:
        assert t["due_date"] >= t["invoice_date"]
    if "vendor_iban" in t:
        assert iban_is_valid(t["vendor_iban"])
    assert t["vendor_name"] != t["customer_name"]


@pytest.mark.parametrize("seed", range(1, 80, 7))
def test_truth_values_are_printed_on_the_page(seed: int) -> None:
    inv = generate_invoice(seed)
    page = _squash(_pdf_text(inv.data))
    t = inv.truth
    for name in ("vendor_name", "customer_name", "invoice_number", "vendor_vat_id", "po_number"):
        if name in t:
            assert _squash(t[name]) in page, name
    loc = LOCALES[inv.meta["locale"]]
    assert _squash(format_number(Decimal(t["total"]), loc)) in page
    for li in t["line_items"]:
        assert _squash(li["description"]) in page
        assert _squash(format_number(Decimal(li["amount"]), loc)) in page


def test_credit_notes_carry_negative_amounts() -> None:
    inv = generate_invoice(5, credit_note=True)
    assert inv.truth["document_type"] == "credit_note"
    assert Decimal(inv.truth["total"]) < 0
    assert all(Decimal(li["amount"]) < 0 for li in inv.truth["line_items"])


def test_long_invoices_span_pages_and_keep_every_line() -> None:
    inv = generate_invoice(9, n_items=45)
    assert inv.meta["pages"] >= 2
    assert len(inv.truth["line_items"]) == 45
    text = _squash(_pdf_text(inv.data))
    loc = LOCALES[inv.meta["locale"]]
    assert _squash(format_number(Decimal(inv.truth["total"]), loc)) in text


def test_multi_page_tiff_scan_has_one_frame_per_page_and_no_text() -> None:
    inv = generate_invoice(9, n_items=45, kind="scan_tiff")
    with Image.open(io.BytesIO(inv.data)) as im:
        assert im.format == "TIFF"
        assert im.n_frames == inv.meta["pages"] >= 2
    scan_pdf = generate_invoice(9, n_items=45, kind="scan_pdf")
    assert _pdf_text(scan_pdf.data).strip() == ""


@pytest.mark.parametrize(("kind", "fmt"), [("scan_png", "PNG"), ("scan_jpeg", "JPEG")])
def test_single_image_scans_fit_on_one_page(kind: str, fmt: str) -> None:
    inv = generate_invoice(9, n_items=45, kind=kind)
    assert inv.meta["pages"] == 1
    with Image.open(io.BytesIO(inv.data)) as im:
        assert im.format == fmt
        assert im.width > 1000


def test_batches_vary_locale_template_and_currency() -> None:
    batch = generate_invoices(40, seed=1, kinds={"pdf": 1.0})
    assert len({i.meta["locale"] for i in batch}) >= 5
    assert len({i.meta["template"] for i in batch}) == 4
    assert {i.truth["currency"] for i in batch} >= {"EUR", "USD", "GBP", "CHF"}


def test_benchmark_folder_matches_the_readme_format(tmp_path) -> None:
    root = write_benchmark_folder(tmp_path / "syn", 6, seed=3)
    rows = [json.loads(line) for line in (root / "truth.jsonl").read_text().splitlines()]
    assert len(rows) == 6
    for row in rows:
        assert (root / row["file"]).is_file()
        assert row["file"].startswith("docs/")
        assert {"vendor_name", "invoice_number", "total", "currency"} <= row["fields"].keys()


@pytest.mark.parametrize("seed", range(0, 40, 5))
def test_receipts_are_consistent_and_printed(seed: int) -> None:
    from core.demo.synthetic_invoices import generate_receipt

    rcpt = generate_receipt(seed)
    t = rcpt.truth
    assert sum(Decimal(li["amount"]) for li in t["line_items"]) == Decimal(t["total"])
    assert Decimal("0") < Decimal(t["tax"]) < Decimal(t["total"])
    page = _squash(_pdf_text(rcpt.data))
    for name in ("vendor_name", "invoice_number"):
        assert _squash(t[name]) in page
    assert rcpt.meta["template"] == "receipt"


def test_a_share_of_a_batch_can_be_receipts() -> None:
    batch = generate_invoices(12, seed=4, kinds={"pdf": 1.0}, receipts=0.5)
    templates = {i.meta["template"] for i in batch}
    assert "receipt" in templates and len(templates) > 1


def test_receipt_scans_are_images() -> None:
    from core.demo.synthetic_invoices import generate_receipt

    scan = generate_receipt(3, kind="scan_jpeg")
    with Image.open(io.BytesIO(scan.data)) as im:
        assert im.format == "JPEG" and im.height > im.width


def test_phone_photos_are_colour_jpegs_without_a_text_layer() -> None:
    photo = generate_invoice(8, kind="photo_jpeg", n_items=2)
    assert photo.media_type == "image/jpeg" and photo.meta["pages"] == 1
    with Image.open(io.BytesIO(photo.data)) as im:
        assert im.format == "JPEG" and im.mode == "RGB"
