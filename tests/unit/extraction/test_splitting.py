"""Invoice boundaries in multi-invoice PDFs: page-number resets, new numbers/vendors, blanks."""

from __future__ import annotations

import dataclasses

import pytest

from core.demo.synthetic_stacks import make_stack
from core.extraction.document import load_document
from core.extraction.splitting import _PAGE_OF, PageSignals, plan_split


def _pages(stack, *, strip_page_numbers: bool = False):
    doc = load_document(stack.data, max_bytes=50_000_000, max_pages=200, ocr=False)
    if not strip_page_numbers:
        return doc.pages
    return [dataclasses.replace(p, text=_PAGE_OF.sub("", p.text)) for p in doc.pages]


def test_stack_with_blank_separators_and_a_two_page_invoice() -> None:
    stack = make_stack([1, 2, 3], blank_between=True, n_items=[None, 40, None])
    assert stack.ranges == ((1, 1), (3, 4), (6, 6)) and stack.blank_pages == (2, 5)
    plan = plan_split(_pages(stack))
    assert plan.ranges == list(stack.ranges)
    assert plan.blank_pages == stack.blank_pages and plan.page_count == 6 and plan.is_multi
    assert [p.invoice_number for p in plan.parts] == list(stack.invoice_numbers)
    second = plan.parts[1]
    assert second.pages == (3, 4)
    assert {r.code for r in second.reasons} >= {
        "page_number_reset",
        "blank_separator",
        "new_invoice_number",
    }
    assert all(r.page == 3 for r in second.reasons)
    assert plan.parts[0].reasons[0].code == "document_start"
    assert all(0.9 < p.confidence <= 1 for p in plan.parts)


@pytest.mark.parametrize("strip", [False, True], ids=["page-numbers", "no-page-numbers"])
@pytest.mark.parametrize("k", range(4))
def test_generated_stacks_split_exactly(k: int, strip: bool) -> None:
    """Several layouts and languages, multi-page invoices; without printed page numbers the
    invoice numbers and vendors alone must find the same boundaries."""
    seeds = list(range(100 + 10 * k, 105 + 10 * k))
    stack = make_stack(seeds, n_items=[None, 35, None, 50, None], blank_between=k % 2 == 1)
    plan = plan_split(_pages(stack, strip_page_numbers=strip))
    assert plan.ranges == list(stack.ranges)
    assert plan.blank_pages == stack.blank_pages


def test_one_long_invoice_is_one_part() -> None:
    stack = make_stack([8], n_items=[60])
    plan = plan_split(_pages(stack))
    assert plan.ranges == [(1, 3)] and not plan.is_multi


def S(page: int, **kw) -> PageSignals:
    return PageSignals(page=page, blank=kw.pop("blank", False), **kw)


def test_explicit_continuation_numbering_wins_over_a_new_number() -> None:
    plan = plan_split(
        [
            S(1, page_of=(1, 2), invoice_number="A-1"),
            S(2, page_of=(2, 2), invoice_number="Order 77"),  # a PO number misread
        ]
    )
    assert plan.ranges == [(1, 2)]


def test_same_invoice_number_keeps_pages_together_despite_a_vendor_misread() -> None:
    plan = plan_split(
        [
            S(1, invoice_number="INV-9", vendor_name="ACME Supplies Ltd"),
            S(2, invoice_number="inv 9", vendor_name="Delivery Address Ltd"),
        ]
    )
    assert plan.ranges == [(1, 2)]
    assert plan.parts[0].confidence < 1.0  # the vendor misread left a doubt


def test_duplex_back_sides_stay_inside_a_numbered_invoice() -> None:
    plan = plan_split(
        [
            S(1, page_of=(1, 2), invoice_number="A-1"),
            S(2, blank=True),
            S(3, page_of=(2, 2)),
            S(4, blank=True),
            S(5, page_of=(1, 1), invoice_number="B-2"),
        ]
    )
    assert plan.ranges == [(1, 3), (5, 5)]
    assert plan.parts[0].pages == (1, 3) and plan.blank_pages == (2, 4)
    assert {r.code for r in plan.parts[1].reasons} == {
        "page_number_reset",
        "blank_separator",
        "new_invoice_number",
    }


def test_a_blank_separator_alone_starts_a_new_invoice() -> None:
    plan = plan_split([S(1), S(2, blank=True), S(3)])
    assert plan.ranges == [(1, 1), (3, 3)]
    assert [r.code for r in plan.parts[1].reasons] == ["blank_separator"]


def test_leading_trailing_and_all_blank_pages() -> None:
    plan = plan_split([S(1, blank=True), S(2, invoice_number="X"), S(3, blank=True)])
    assert plan.ranges == [(2, 2)] and plan.blank_pages == (1, 3)
    empty = plan_split([S(1, blank=True), S(2, blank=True)])
    assert empty.parts == () and not empty.is_multi


def test_a_new_vat_id_outweighs_a_similar_name() -> None:
    plan = plan_split(
        [
            S(1, vendor_name="Müller GmbH", vendor_vat_id="DE111111111"),
            S(2, vendor_name="Müller GmbH", vendor_vat_id="DE222222222"),
        ]
    )
    assert plan.ranges == [(1, 1), (2, 2)]
    assert plan.parts[1].reasons[0].code == "new_vendor"
