"""The console in a real browser: the operator's whole day, one screenshot per step."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.e2e.browser import ui
from tests.e2e.browser.stack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]


def test_operator_signs_in_uploads_reviews_matches_and_downloads_xlsx(
    stack: Stack, page: Any, two_pdfs: list[Path], tmp_path: Path
) -> None:
    page.goto(stack.url)
    page.get_by_role("button", name="Sign in").wait_for()
    ui.shot(page, "00_sign_in")
    ui.sign_in(page, stack.url, stack.email, stack.password)
    ui.shot(page, "01_signed_in_inbox")

    ui.upload(page, two_pdfs)
    page.get_by_text(re.compile(r"2 of 2 files accepted")).wait_for()
    ui.shot(page, "02_uploaded")
    # The progress fragment refreshes itself while the worker processes the batch.
    page.get_by_text(re.compile(r"2/2 processed")).wait_for(timeout=180_000)
    ui.shot(page, "03_processed")

    ui.go(page, "Review queue")
    page.get_by_role("button", name="Save corrections").wait_for()
    page.get_by_role("img").first.wait_for()  # the rendered page of the document
    ui.wait_idle(page)
    ui.shot(page, "04_review_queue")
    field = page.get_by_role("textbox", name=re.compile(r"^Invoice number")).first
    field.fill("BROWSER-TEST-0001")
    page.get_by_role("button", name="Save corrections").click()
    ui.wait_idle(page)
    ui.said(page, re.compile(r"Saved Invoice number"))
    ui.shot(page, "05_corrected")

    ui.go(page, "Match preview")
    slider = page.get_by_role("slider", name="Auto-accept threshold")
    before = float(slider.get_attribute("aria-valuetext"))
    slider.focus()
    for _ in range(10):
        page.keyboard.press("ArrowLeft")
    ui.wait_idle(page)
    after = float(
        page.get_by_role("slider", name="Auto-accept threshold").get_attribute("aria-valuetext")
    )
    assert after == before - 5.0, "the auto-accept slider did not move by ten 0.5 steps"
    ui.shot(page, "06_threshold_moved")
    # a match with a candidate (one with none cannot be confirmed: the button is disabled)
    combo = page.locator("[data-testid='stSelectbox']").filter(has_text="Match").first
    combo.locator("input").first.click()
    combo.locator("input").first.fill("auto)")
    page.wait_for_timeout(400)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    ui.wait_idle(page)
    if page.get_by_role("listbox").count():
        page.keyboard.press("Escape")
        ui.wait_idle(page)
    page.get_by_role("button", name="Confirm best candidate").click()
    ui.wait_idle(page)
    ui.said(page, re.compile(r"^Confirmed .* for invoice "))
    ui.shot(page, "07_match_confirmed")

    ui.go(page, "Review queue")
    assert ui.approve_queue(page, limit=1) == 1

    ui.go(page, "Downloads")
    page.get_by_role("button", name="Prepare export").click()
    ui.wait_idle(page)
    ui.shot(page, "08_downloads")
    with page.expect_download() as info:
        page.get_by_role("button", name=re.compile(r"Download .*\.xlsx")).click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    book = load_workbook(target, read_only=True)
    invoices = book.worksheets[0]
    values = [str(c) for row in invoices.iter_rows(values_only=True) for c in row if c]
    assert "BROWSER-TEST-0001" in values, "the corrected invoice number is not in the export"

    ui.go(page, "Dashboard")
    page.get_by_text("Invoices per day and status").wait_for()
    ui.shot(page, "09_dashboard")
    ui.go(page, "Reference data")
    page.get_by_text("vendors", exact=False).first.wait_for()
    ui.shot(page, "10_reference_data")
