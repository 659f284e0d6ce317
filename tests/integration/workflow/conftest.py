"""Workflow fixtures: a real service container on the test database, acting users, PDFs."""

from __future__ import annotations

import io

import pytest

from core.workflow.transitions import worker_user


def build_test_services(settings, engine, database_url, **overrides):
    """The app's container (core.bootstrap) on the test database, with ``overrides``."""
    import dataclasses

    from core.bootstrap import build_services
    from core.jobs.queue import make_queue

    svc = build_services(settings, engine=engine)
    if svc.jobs is None:  # until bootstrap wires the queue itself
        overrides.setdefault("jobs", make_queue(database_url, engine))
    return dataclasses.replace(svc, **overrides)


class TextLayerStubExtractor:
    """Deterministic stand-in for the extraction pipeline in workflow tests.

    The workflow's own behaviour (states, locking, audit, tenancy) is what these tests check, so
    they read the few fields they need from the PDF text layer with fixed labels; extraction
    quality has its own tests. ``fail_with`` makes it raise, for fault injection.
    """

    def __init__(self):
        self.fail_with = None
        self.calls = 0

    def extract(self, data, *, filename=None):
        import re
        from decimal import Decimal

        import pypdfium2 as pdfium

        from core.extraction.schema import Evidence, ExtractedField, Extraction

        self.calls += 1
        if self.fail_with is not None:
            raise self.fail_with
        pdf = pdfium.PdfDocument(data)
        try:
            text = "\n".join(page.get_textpage().get_text_range() for page in pdf)
        finally:
            pdf.close()
        lines = [line.strip() for line in text.splitlines() if line.strip()]

        def grab(label):
            for line in lines:
                m = re.match(rf"{label}:\s*(.+)", line)
                if m:
                    return m.group(1).strip()
            return None

        def field(value, conf=0.95):
            return ExtractedField(
                value=value,
                confidence=conf if value else 0.0,
                evidence=Evidence(page=1, text=str(value)) if value else None,
            )

        total = grab("Total")
        return Extraction(
            vendor_name=field(lines[0] if lines else None),
            vendor_vat_id=field(grab("VAT ID")),
            invoice_number=field(grab("Invoice number")),
            po_number=field(grab("PO number")),
            invoice_date=field(
                __import__("datetime").date.fromisoformat(grab("Invoice date"))
                if grab("Invoice date")
                else None
            ),
            currency=field("EUR"),
            total=field(Decimal(total.split()[0]) if total else None),
            extractor="test-stub",
            extractor_version="1",
            source="text_layer",
            page_count=1,
        )


@pytest.fixture(scope="session")
def services(test_settings, engine, database_url):
    svc = build_test_services(
        test_settings, engine, database_url, extraction=TextLayerStubExtractor()
    )
    yield svc
    svc.jobs.close()
    svc.close()


@pytest.fixture(scope="module")
def real_services(test_settings, engine, database_url):
    """The container with the real extraction pipeline (offline rules, OCR, hints)."""
    from core.extraction.pipeline import ExtractionPipeline

    svc = build_test_services(
        test_settings, engine, database_url, extraction=ExtractionPipeline(test_settings)
    )
    yield svc
    svc.jobs.close()
    svc.close()


def as_user(test_user):
    """The CurrentUser a verified token for ``test_user`` would give."""
    return worker_user(test_user.id, test_user.email)


def make_pdf(lines: list[str]) -> bytes:
    """A one-page text-layer PDF with ``lines`` (reportlab)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    y = 800
    for line in lines:
        c.drawString(60, y, line)
        y -= 18
    c.save()
    return buf.getvalue()


def invoice_pdf(number: str, vendor: str = "ACME Industrial Supplies GmbH", total: str = "119.00"):
    return make_pdf(
        [
            vendor,
            "Hauptstrasse 1, 10115 Berlin",
            "VAT ID: DE123456789",
            "INVOICE",
            f"Invoice number: {number}",
            "Invoice date: 2024-03-15",
            "Due date: 2024-04-14",
            "PO number: PO-1001",
            "Bill to: Buyer Corp Ltd",
            "Description Qty Unit price Amount",
            "Widgets 1 100.00 100.00",
            "Subtotal: 100.00 EUR",
            "VAT 19%: 19.00 EUR",
            f"Total: {total} EUR",
        ]
    )


def process_one(services, user, client_id, name: str, data: bytes):
    """Upload one file as ``user`` and run the worker's processing on it in this process; the
    invoice as the user then reads it."""
    from core.workflow import invoices, processing, uploads

    result = uploads.upload_files(
        services=services,
        user=user,
        client_id=client_id,
        files=[uploads.UploadFile(name, data)],
        process=False,
    )
    invoice_id = result.files[0].invoice_id
    processing.process_invoice(services=services, invoice_id=invoice_id, user_id=user.id)
    return invoices.get_invoice(services=services, user=user, invoice_id=invoice_id)
