"""A part of a multi-invoice PDF is read from its own pages, but the review page shows the whole
file: where a value was read must be given as a page of the file (part 2's invoice number stands
on part 2's page, not on page 1 of the file, which is part 1's)."""

from __future__ import annotations

import pypdfium2 as pdfium
from sqlalchemy import text

from core.demo.synthetic_stacks import make_stack
from core.workflow import processing, review_queue, uploads
from core.workflow.uploads import UploadFile
from tests.integration.workflow.conftest import as_user


def _page_text(data: bytes, page: int) -> str:
    pdf = pdfium.PdfDocument(data)
    try:
        return pdf[page - 1].get_textpage().get_text_range()
    finally:
        pdf.close()


def test_evidence_of_a_later_part_names_the_page_of_the_file(real_services, role_users, engine):
    services = real_services
    operator = as_user(role_users.members["operator"])
    stack = make_stack([71, 72, 73], blank_between=True)
    result = uploads.upload_files(
        services=services, user=operator, client_id=role_users.id,
        files=[UploadFile("stack.pdf", stack.data)], process=False,
    )  # fmt: skip
    first = result.files[0].invoice_id
    processing.process_invoice(services=services, invoice_id=first, user_id=operator.id)
    with engine.connect() as conn:
        parts = conn.execute(
            text("select id, page_from, page_to from public.invoices where file_id ="
                 " (select file_id from public.invoices where id = :i) order by page_from"),
            {"i": first},
        ).all()  # fmt: skip
    assert [(p.page_from, p.page_to) for p in parts] == list(stack.ranges)
    for part in parts[1:]:  # the worker would pick these up; run them here
        processing.process_invoice(services=services, invoice_id=part.id, user_id=operator.id)

    for part, number in zip(parts, stack.invoice_numbers, strict=True):
        fields = review_queue.field_evidence(services=services, user=operator, invoice_id=part.id)[
            "fields"
        ]
        evidence = fields["invoice_number"]["evidence"]
        assert part.page_from <= evidence["page"] <= part.page_to, (part, evidence)
        assert number.lstrip("#") in _page_text(stack.data, evidence["page"])
        # every field read from a page points into the part's pages
        pages = {
            f["evidence"]["page"] for f in fields.values() if (f["evidence"] or {}).get("page")
        }
        assert pages and all(part.page_from <= p <= part.page_to for p in pages), (part, pages)
