"""Workflow rules that need no database, checked in milliseconds against the port fakes.

``fake_services`` holds an engine whose server is not there: a rule that reached the database
would fail with ``UpstreamError`` instead of the ``ValidationFailed`` asserted here, so each test
also proves the rule is decided before any SQL.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from core.errors import ValidationFailed
from core.workflow import invoices, line_items, review, review_queue, uploads
from core.workflow.invoices import InvoiceFilter
from core.workflow.transitions import worker_user
from tests.fakes.ports import fake_services

USER = worker_user(uuid.uuid4(), "reviewer@example.test")
ID = uuid.uuid4()


@pytest.fixture(scope="module")
def services():
    built = fake_services()
    yield built
    built.close()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({}, "no changes"),
        ({"status": "approved"}, "cannot be corrected: status"),
        ({"total": "twelve"}, "total must be a number"),
        ({"total": "1e15"}, "total is out of range"),
        ({"invoice_date": "15.03.2024"}, "invoice_date must be a date"),
        ({"currency": "EURO"}, "currency must be a 3-letter ISO code"),
        ({"vendor_id": "not-a-uuid"}, "vendor_id must be a UUID"),
        ({"invoice_number": "x" * 501}, "longer than 500 characters"),
    ],
)
def test_a_correction_is_checked_before_the_database(services, changes, message) -> None:
    with pytest.raises(ValidationFailed, match=message):
        review.correct_fields(
            services=services, user=USER, invoice_id=ID, changes=changes, expected_version=1
        )


def test_a_rejection_needs_a_reason(services) -> None:
    with pytest.raises(ValidationFailed, match="needs a reason"):
        review.reject_invoice(services=services, user=USER, invoice_id=ID, reason="   ")


def test_a_match_decision_is_confirm_override_or_reject(services) -> None:
    with pytest.raises(ValidationFailed, match="confirm, override or reject"):
        review.decide_match(services=services, user=USER, match_id=ID, decision="maybe")


def test_line_corrections_are_checked_before_the_database(services) -> None:
    with pytest.raises(ValidationFailed, match="at most 1000 lines"):
        line_items.correct_lines(
            services=services, user=USER, invoice_id=ID, lines=[{}] * 1001, expected_version=1
        )
    with pytest.raises(ValidationFailed, match="line 2: amount must be a number"):
        line_items.correct_lines(
            services=services,
            user=USER,
            invoice_id=ID,
            lines=[{"amount": "1"}, {"amount": "ten"}],
            expected_version=1,
        )


@pytest.mark.parametrize(
    ("filters", "kwargs", "message"),
    [
        (InvoiceFilter(), {"sort": "vendor"}, "sort must be one of"),
        (InvoiceFilter(), {"limit": 0}, "limit must be 1-200"),
        (InvoiceFilter(match_band="maybe"), {}, "match_band must be"),
        (
            InvoiceFilter(date_from=dt.date(2024, 2, 1), date_to=dt.date(2024, 1, 1)),
            {},
            "date_from is after date_to",
        ),
        (
            InvoiceFilter(amount_min=Decimal(10), amount_max=Decimal(1)),
            {},
            "amount_min is above amount_max",
        ),
    ],
)
def test_the_list_refuses_what_no_invoice_can_match(services, filters, kwargs, message) -> None:
    with pytest.raises(ValidationFailed, match=message):
        invoices.list_invoices(services=services, user=USER, filters=filters, **kwargs)


def test_an_export_names_a_known_format_and_sheet(services) -> None:
    with pytest.raises(ValidationFailed, match="format must be"):
        invoices.export_invoices(
            services=services,
            user=USER,
            filters=InvoiceFilter(),
            fmt="pdf",  # type: ignore[arg-type]
        )
    with pytest.raises(ValidationFailed, match="sheet must be"):
        invoices.export_invoices(
            services=services, user=USER, filters=InvoiceFilter(), fmt="csv", sheet="vendors"
        )


def test_the_review_queue_limit_is_bounded(services) -> None:
    with pytest.raises(ValidationFailed, match="limit must be 1-500"):
        review_queue.review_queue(services=services, user=USER, client_id=ID, limit=501)


def test_an_upload_needs_files_and_at_most_the_configured_number(services) -> None:
    with pytest.raises(ValidationFailed, match="no files"):
        uploads.upload_files(services=services, user=USER, client_id=ID, files=[])
    too_many = [uploads.UploadFile(f"{n}.pdf", b"%PDF") for n in range(101)]
    with pytest.raises(Exception, match="at most 100 files"):
        uploads.upload_files(services=services, user=USER, client_id=ID, files=too_many)
