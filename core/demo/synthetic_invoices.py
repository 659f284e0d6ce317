"""Synthetic invoices with exact ground truth, for the demo seed, tests and benchmarks.

``generate_invoice(seed)`` draws content (``synthetic_content``), draws it as a PDF with one of
several layouts (``synthetic_layouts``) and optionally turns it into a scan (``synthetic_scans``).
The ground truth uses the field names of ``shared/benchmarks/README.md`` (amounts as two-decimal
strings with sign, dates ISO) and lists only what the page actually prints. Same seed, same bytes.

``write_benchmark_folder(path, n, seed)`` writes ``docs/`` + ``truth.jsonl`` so the benchmark
scoring code applies unchanged.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from core.demo.synthetic_content import InvoiceSpec, make_spec
from core.demo.synthetic_layouts import render_pdf
from core.demo.synthetic_receipts import make_receipt
from core.demo.synthetic_scans import EXTENSIONS, MEDIA_TYPES, SINGLE_PAGE_KINDS, make_scan

KINDS = ("pdf", "scan_png", "scan_jpeg", "scan_tiff", "scan_pdf", "photo_jpeg")
# A mix where most documents have a text layer, like a real inbox.
DEFAULT_KIND_WEIGHTS = {
    "pdf": 0.6,
    "scan_png": 0.1,
    "scan_jpeg": 0.1,
    "scan_tiff": 0.1,
    "scan_pdf": 0.1,
}
MAX_SINGLE_PAGE_ITEMS = 6


@dataclass(frozen=True)
class SyntheticInvoice:
    """One generated document and what it says."""

    filename: str
    data: bytes
    media_type: str
    kind: str
    truth: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def truth_of(spec: InvoiceSpec) -> dict[str, Any]:
    """The benchmark ``fields`` for a spec: only what the rendered page shows."""
    cols = set(spec.columns)
    v, c = spec.vendor, spec.customer
    fields: dict[str, Any] = {
        "vendor_name": v.name,
        "vendor_address": v.address,
        "customer_name": c.name,
        "invoice_number": spec.number,
        "document_type": spec.doc_type,
        "invoice_date": spec.invoice_date.isoformat(),
        "currency": spec.loc.currency,
        "subtotal": _money(spec.subtotal),
        "tax": _money(spec.tax),
        "total": _money(spec.total),
    }
    if v.vat_id:
        fields["vendor_vat_id"] = v.vat_id
    if v.iban:
        fields["vendor_iban"] = v.iban
    if spec.show_customer_vat and c.vat_id:
        fields["customer_vat_id"] = c.vat_id
    if spec.po_number:
        fields["po_number"] = spec.po_number
    if spec.due_date:
        fields["due_date"] = spec.due_date.isoformat()
    if spec.payment_terms:
        fields["payment_terms"] = spec.payment_terms
    if spec.show_amount_due:
        fields["amount_due"] = _money(spec.amount_due)
    lines = []
    for item in spec.items:
        line: dict[str, Any] = {
            "description": item.description,
            "quantity": _plain(item.quantity),
            "unit_price": _money(item.unit_price),
            "amount": _money(item.amount),
        }
        if "code" in cols:
            line["product_code"] = item.code
        if "unit" in cols:
            line["unit"] = item.unit
        if "rate" in cols:
            line["tax_rate"] = _plain(item.tax_rate)
        lines.append(line)
    fields["line_items"] = lines
    return fields


def generate_invoice(
    seed: int,
    *,
    kind: str = "pdf",
    locale: str | None = None,
    template: str | None = None,
    credit_note: bool | None = None,
    n_items: int | None = None,
    note: str | None = None,
) -> SyntheticInvoice:
    """One synthetic document of ``kind`` (see ``KINDS``); overrides pin a random choice."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    spec = make_spec(
        seed, locale=locale, template=template, credit_note=credit_note, n_items=n_items, note=note
    )
    if kind in SINGLE_PAGE_KINDS and len(spec.items) > MAX_SINGLE_PAGE_ITEMS:
        # PNG/JPEG hold one page: keep the document short enough to fit it (and the truth true).
        spec = make_spec(
            seed,
            locale=locale,
            template=template,
            credit_note=credit_note,
            n_items=min(n_items or MAX_SINGLE_PAGE_ITEMS, MAX_SINGLE_PAGE_ITEMS),
            note=note,
        )
    pdf = render_pdf(spec)
    data = pdf if kind == "pdf" else make_scan(pdf, kind, seed)
    name = f"syn_{seed:06d}_{spec.loc.code}_{spec.template}_{kind}.{EXTENSIONS[kind]}"
    meta = {
        "seed": seed,
        "kind": kind,
        "locale": spec.loc.code,
        "template": spec.template,
        "font": spec.font,
        "table_style": spec.table_style,
        "columns": list(spec.columns),
        "money_style": spec.money_style,
        "date_format": spec.date_format,
        "pages": _page_count(pdf),
        "tax_breakdown": [
            {"rate": _plain(r), "base": _money(b), "amount": _money(a)}
            for r, b, a in spec.tax_lines
        ],
    }
    return SyntheticInvoice(name, data, MEDIA_TYPES[kind], kind, truth_of(spec), meta)


def generate_receipt(
    seed: int, *, kind: str = "pdf", locale: str | None = None
) -> SyntheticInvoice:
    """One till receipt (narrow, gross prices) as ``kind``, with its ground truth."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    pdf, truth = make_receipt(seed, locale=locale)
    data = pdf if kind == "pdf" else make_scan(pdf, kind, seed)
    name = f"rcpt_{seed:06d}_{kind}.{EXTENSIONS[kind]}"
    meta = {"seed": seed, "kind": kind, "template": "receipt", "pages": 1}
    return SyntheticInvoice(name, data, MEDIA_TYPES[kind], kind, truth, meta)


def _page_count(pdf: bytes) -> int:
    import pypdfium2 as pdfium  # local: only needed for this count

    from core.extraction.pdfium_lock import PDFIUM_LOCK

    with PDFIUM_LOCK:
        doc = pdfium.PdfDocument(pdf)
        try:
            return len(doc)
        finally:
            doc.close()


def generate_invoices(
    n: int,
    seed: int = 0,
    *,
    kinds: dict[str, float] | None = None,
    receipts: float = 0.0,
    **overrides: Any,
) -> list[SyntheticInvoice]:
    """``n`` documents, kinds drawn with ``kinds`` weights (default: mostly text PDFs); a
    ``receipts`` share of them are till receipts instead of invoices."""
    weights = kinds or DEFAULT_KIND_WEIGHTS
    rng = random.Random(seed)
    names, probs = zip(*sorted(weights.items()), strict=True)
    out = []
    for i in range(n):
        kind = rng.choices(names, weights=probs)[0]
        doc_seed = seed * 100_003 + i
        if receipts and rng.random() < receipts:
            out.append(generate_receipt(doc_seed, kind=kind))
        else:
            out.append(generate_invoice(doc_seed, kind=kind, **overrides))
    return out


def write_benchmark_folder(
    path: str | Path,
    n: int,
    seed: int = 0,
    *,
    kinds: dict[str, float] | None = None,
    receipts: float = 0.0,
) -> Path:
    """Write ``docs/`` and ``truth.jsonl`` (benchmarks README format) under ``path``."""
    root = Path(path)
    docs = root / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    with (root / "truth.jsonl").open("w", encoding="utf-8") as out:
        for inv in generate_invoices(n, seed, kinds=kinds, receipts=receipts):
            (docs / inv.filename).write_bytes(inv.data)
            record = {"file": f"docs/{inv.filename}", "fields": inv.truth, "meta": inv.meta}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return root
