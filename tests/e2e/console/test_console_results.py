"""Downloads, dashboard and reference data pages: every role, main actions, errors."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from core.workflow import invoices
from core.workflow.transitions import worker_user
from tests.approval_helpers import approve_anyway
from tests.e2e.console.conftest import ROLES, frame_with, open_page, texts


def _approve_all(workspace):
    owner = workspace.client.members["owner"]
    user = worker_user(owner.id, owner.email)
    for invoice_id in workspace.invoice_ids:
        approve_anyway(workspace.services, user, invoice_id)


@pytest.mark.parametrize("role", ROLES)
def test_downloads_export_xlsx_for_each_role(workspace, signed_in, role) -> None:
    _approve_all(workspace)
    at = open_page(signed_in(role), "downloads")
    next(b for b in at.button if b.label == "Prepare export").click().run()
    assert not at.exception
    name, data, media_type = at.session_state["downloads_export"]
    assert name.endswith(".xlsx") and "spreadsheetml" in media_type
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert len(book.sheetnames) == 4  # invoices, lines, matches, exceptions
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 3  # header + the two approved invoices
    assert any(b.label.startswith("Download invoiceflow-") for b in at.get("download_button"))


def test_json_export_of_lines_and_an_original_file(workspace, signed_in) -> None:
    _approve_all(workspace)
    at = open_page(signed_in("operator"), "downloads")
    at.radio(key="downloads_format").set_value("JSON")
    at.radio(key="downloads_sheet").set_value("Line items")
    next(b for b in at.button if b.label == "Prepare export").click().run()
    name, data, _ = at.session_state["downloads_export"]
    assert name.endswith("-lines.json")
    assert isinstance(json.loads(data), list | dict)
    next(b for b in at.button if b.label == "Fetch original file").click().run()
    file_name, content, _ = at.session_state["downloads_original"]
    assert file_name.endswith(".pdf") and content.startswith(b"%PDF-")


def test_an_impossible_date_range_is_a_warning(workspace, signed_in) -> None:
    import datetime as dt

    at = open_page(signed_in("owner"), "downloads")
    at.checkbox(key="downloads_use_dates").check()
    at.date_input(key="downloads_from").set_value(dt.date(2030, 1, 1))
    at.date_input(key="downloads_to").set_value(dt.date(2020, 1, 1))
    next(b for b in at.button if b.label == "Prepare export").click().run()
    assert not at.exception
    assert any("validation_failed" in w.value for w in at.warning)
    assert "downloads_export" not in at.session_state


@pytest.mark.parametrize("role", ROLES)
def test_dashboard_draws_every_chart_for_each_role(workspace, signed_in, role) -> None:
    at = open_page(signed_in(role), "dashboard")
    charts = [c.key for c in at.get("plotly_chart")]
    amounts = [k for k in charts if k.startswith("dashboard_amounts_")]
    currencies = {w["currency"] for w in workspace.truths}
    assert sorted(amounts) == sorted(f"dashboard_amounts_{c}" for c in currencies)  # one axis each
    assert len(charts) == 4 + len(currencies)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Invoices"] == "2"
    assert metrics["Waiting for review"] == "2"


def test_dashboard_without_invoices_says_so(console_env, signed_in, role_users) -> None:
    at = open_page(signed_in("viewer"), "dashboard")
    assert "No invoices yet" in texts(at)
    assert not at.get("plotly_chart")


@pytest.mark.parametrize("role", ROLES)
def test_reference_data_lists_vendors_and_offers_import_to_writers(
    workspace, signed_in, role
) -> None:
    at = open_page(signed_in(role), "reference_data")
    assert len(frame_with(at, "vat_id")) == 3
    assert any(b.label == "Import" for b in at.button) is (role in ("owner", "operator"))


def test_import_shows_row_errors_and_keeps_the_good_rows(workspace, signed_in) -> None:
    at = open_page(signed_in("operator"), "reference_data")
    csv = b"vendor_code,name,vat_id\nN1,Northwind Traders GmbH,DE811907980\nN2,,DE811907980\n"
    at.get("file_uploader")[0].set_value(("vendors.csv", csv, "text/csv"))
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception
    assert any("1 of 2 rows stored" in s.value for s in at.success)
    errors = frame_with(at, "error")
    assert list(errors["row"]) == [3]
    assert len(frame_with(at, "vat_id")) == 4


def test_a_file_that_is_not_a_table_is_refused_clearly(workspace, signed_in) -> None:
    at = open_page(signed_in("owner"), "reference_data")
    at.get("file_uploader")[0].set_value(("vendors.xlsx", b"%PDF-1.4 nope", "application/pdf"))
    next(b for b in at.button if b.label == "Import").click().run()
    assert not at.exception
    assert at.warning or at.error
    shown = " ".join(e.value for e in [*at.warning, *at.error])
    assert "`" in shown and "Traceback" not in shown


def test_preparing_an_export_changes_nothing_and_marking_is_its_own_click(
    workspace, signed_in
) -> None:
    _approve_all(workspace)
    at = open_page(signed_in("operator"), "downloads")
    next(b for b in at.button if b.label == "Prepare export").click().run()
    assert "Preparing it changed nothing: 2 approved invoices in it are still approved." in texts(
        at
    )
    owner = workspace.client.members["owner"]
    user = worker_user(owner.id, owner.email)
    statuses = {
        invoices.get_invoice(services=workspace.services, user=user, invoice_id=i).status
        for i in workspace.invoice_ids
    }
    assert statuses == {"approved"}
    next(b for b in at.button if b.key == "downloads_mark_exported").click().run()
    assert "Marked 2 invoices as exported." in texts(at)
    assert "2 invoices in it were marked exported." in texts(at)
    statuses = {
        invoices.get_invoice(services=workspace.services, user=user, invoice_id=i).status
        for i in workspace.invoice_ids
    }
    assert statuses == {"exported"}
