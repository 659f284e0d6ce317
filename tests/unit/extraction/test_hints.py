"""Per-vendor extraction hints (core.extraction.hints): learned on one invoice of a vendor, they
read the vendor's next invoice (same layout, other values) exactly, from the text layer and from
OCR; a hint whose anchor is not on the page changes nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from core.demo.synthetic_content import make_spec
from core.demo.synthetic_invoices import truth_of
from core.demo.synthetic_layouts import render_pdf
from core.demo.synthetic_scans import make_scan
from core.demo.synthetic_stream import next_invoice
from core.extraction.document import load_document
from core.extraction.hints import (
    Hint,
    apply_hints,
    hinted_fields,
    layout_of,
    learn_hint,
)
from core.extraction.schema import Extraction

FIELDS = ("invoice_number", "invoice_date", "due_date", "total")


def _load(data: bytes, name: str):
    return load_document(data, filename=name, max_bytes=50_000_000, max_pages=20)


def _typed(field: str, text: str):
    if field == "total":
        return Decimal(text)
    if field.endswith("_date"):
        return dt.date.fromisoformat(text)
    return text


def _learn_all(spec) -> list[Hint]:
    layout = layout_of(_load(render_pdf(spec), "first.pdf"))
    truth = truth_of(spec)
    hints = []
    for field in FIELDS:
        if field in truth:
            hint = learn_hint(field, _typed(field, truth[field]), layout)
            assert hint is not None, (spec.seed, field)
            hints.append(dataclasses.replace(hint, id=f"id-{field}"))
    return hints


@pytest.mark.parametrize("seed", [3, 9, 12, 26, 29])
def test_hints_learned_on_one_invoice_read_the_vendors_next_one(seed) -> None:
    first = make_spec(seed)
    hints = _learn_all(first)
    second = next_invoice(first, seed + 5000)
    truth = truth_of(second)
    wrong = Extraction(layout=layout_of(_load(render_pdf(second), "second.pdf")))
    read, applied = apply_hints(wrong, hints)
    flat = read.to_flat_fields()
    printed = {h.field for h in hints if h.field in truth}  # the next one may print no due date
    assert set(applied) == printed
    for field in printed:
        assert flat[field] == truth[field], (field, flat.get(field))
        evidence = read.field(field).evidence
        assert evidence is not None and f"learned-hint:id-{field}" in evidence.signals
    stored = read.model_dump(mode="json")
    assert hinted_fields(stored) == {f: f"id-{f}" for f in printed}


def test_hints_read_a_scan_through_ocr() -> None:
    first = make_spec(41, n_items=3)
    hints = _learn_all(first)
    second = next_invoice(first, 7041, n_items=3)
    scan = _load(make_scan(render_pdf(second), "scan_png", 7), "second.png")
    assert {p.source for p in scan.pages} == {"ocr"}
    read, applied = apply_hints(Extraction(layout=layout_of(scan)), hints)
    truth = truth_of(second)
    flat = read.to_flat_fields()
    assert applied and all(flat[f] == truth[f] for f in applied)


def test_a_currency_code_before_an_amount_is_no_label() -> None:
    spec = make_spec(9)
    layout = layout_of(_load(render_pdf(spec), "a.pdf"))
    hint = learn_hint("total", Decimal(truth_of(spec)["total"]), layout)
    assert hint is not None and hint.anchor != "eur"


def test_a_hint_whose_anchor_is_missing_or_too_weak_changes_nothing() -> None:
    first = make_spec(12)
    hints = _learn_all(first)
    other = make_spec(77)  # another vendor's layout
    ex = Extraction(layout=layout_of(_load(render_pdf(other), "other.pdf")))
    stray = [dataclasses.replace(h, anchor="no such label anywhere") for h in hints]
    assert apply_hints(ex, stray)[1] == {}
    weak = [dataclasses.replace(h, weight=0.0) for h in hints]
    assert apply_hints(ex, weak)[1] == {}


def test_a_value_not_printed_teaches_nothing() -> None:
    spec = make_spec(3)
    layout = layout_of(_load(render_pdf(spec), "a.pdf"))
    assert learn_hint("invoice_number", "NOT-ON-THE-PAGE-999", layout) is None
    assert learn_hint("total", Decimal("123456789.01"), layout) is None


def test_a_date_hint_teaches_the_vendors_date_order_to_its_other_dates() -> None:
    from core.extraction.schema import Evidence, ExtractedField, LayoutSegment

    layout = [
        LayoutSegment(page=1, line=0, text="Date of issue: 02/07/2025", box=(0.1, 0.1, 0.4, 0.12)),
        LayoutSegment(page=1, line=1, text="Due Date: 12/07/2025", box=(0.1, 0.13, 0.4, 0.15)),
    ]
    # the extractor read both month first; the vendor's invoice-date hint knows it is day first
    read = Extraction(
        layout=layout,
        due_date=ExtractedField(
            value=dt.date(2025, 12, 7),
            confidence=0.67,
            evidence=Evidence(page=1, text="Due Date: 12/07/2025   Dublin 2 D02 X285"),
        ),
    )
    hint = Hint("invoice_date", "date of issue", "inline", 1, (0.1, 0.1, 0.4, 0.12),
                day_first=True, id="h1")  # fmt: skip
    out, applied = apply_hints(read, [hint])
    assert applied == {"invoice_date": "h1"}
    assert out.invoice_date.value == dt.date(2025, 7, 2)
    assert out.due_date.value == dt.date(2025, 7, 12) and out.due_date.confidence == 0.67
    assert "learned-hint-date-order:h1" in out.due_date.evidence.signals
    assert hinted_fields(out.model_dump(mode="json")) == {"invoice_date": "h1"}
    # a month-first vendor's hint leaves a month-first reading as it is
    month_first = dataclasses.replace(hint, day_first=False)
    out, _ = apply_hints(read, [month_first])
    assert out.due_date.value == dt.date(2025, 12, 7)
