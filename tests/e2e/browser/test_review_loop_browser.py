"""Issue 13 in a real browser: each numbered defect a browser can show, replayed on the demo
workspace (`make run`'s stack), one screenshot per step under artifacts/screenshots/13_*.png.

Defects replayed (numbers of the issue): 1 lost approval after a vendor-name correction,
2 confirming a missing candidate, 3 re-matching after a PO correction, 4 exporting without a
word, 5 approving over unknown vendors / undecided matches, 6 creating a vendor from an invoice,
9 no zoom and no source box, 10 absent optional fields flagged,
11 money with 4 decimals, 14 Deploy button, 15 200 MB upload box, 16 zero accepted shown as
success, 17 button count vs Auto count, 18 invalid thresholds hide the page, 19 internal terms,
20 empty Client column and user ids in exports. It ends by exporting and opening the file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from core.demo.synthetic_invoices import generate_invoice
from tests.e2e.browser import ui
from tests.e2e.browser.stack import Stack, wait_until_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

APPROVED = re.compile(r"Approved( over the policy's blocks)?: .* Audit log: ")


def _text(page: Any) -> str:
    return page.locator("section.main, [data-testid='stMain']").first.inner_text()


def _select(page: Any, label: str) -> Any:
    """The selectbox whose label contains ``label``."""
    return page.locator("[data-testid='stSelectbox']").filter(has_text=label).first


def _pick(page: Any, label: str, typed: str) -> None:
    """Choose the first option of the selectbox labelled ``label`` that matches ``typed``."""
    box = _select(page, label).locator("input").first
    box.click()
    box.fill(typed)
    page.wait_for_timeout(400)
    page.keyboard.press("ArrowDown")  # the list highlights nothing until the first arrow key
    page.keyboard.press("Enter")
    ui.wait_idle(page)
    if page.get_by_role("listbox").count():  # the list may stay open over the page
        page.keyboard.press("Escape")
        ui.wait_idle(page)


def _save(page: Any, field: str, value: str, expect: re.Pattern[str]) -> None:
    """Type ``value`` into the field whose label starts with ``field``, save, and wait for the
    message; a click that lands mid-rerun (dropped by Streamlit) is repeated."""
    for _ in range(3):
        ui.wait_idle(page)
        box = page.get_by_role("textbox", name=re.compile(rf"^{field}")).first
        box.fill(value)
        page.get_by_role("button", name="Save corrections").click()
        ui.wait_idle(page)
        try:
            page.get_by_text(expect).first.wait_for(timeout=15_000)
            return
        except Exception:  # noqa: S112 - retried; the last attempt raises below
            continue
    page.get_by_text(expect).first.wait_for(timeout=15_000)


def _approve(page: Any) -> str:
    """Approve; a blocked invoice offers no Approve, only a deliberate override with a reason
    (its blocks shown first). Returns the message."""
    approve = page.get_by_role("button", name="Approve", exact=True)
    anyway = page.get_by_role("button", name=ui.OVERRIDE)
    for _ in range(60):  # the decision is drawn at the end of a (re)run: wait for it
        ui.wait_idle(page)
        if approve.count() or anyway.count():
            break
        page.wait_for_timeout(500)
    if anyway.count():
        assert not approve.count()
        assert page.get_by_text("The approval policy blocks approving this invoice").count()
        page.get_by_role("button", name=ui.OVERRIDE).first.scroll_into_view_if_needed()
        ui.shot(page, "13_05_approval_blocked")
        ui.override_blocks(page, "checked with the vendor by phone")
    else:
        approve.click()
        ui.wait_idle(page)
    message = page.get_by_text(APPROVED).first
    message.wait_for(timeout=30_000)
    return message.inner_text()


def test_issue_13_review_loop_in_a_real_browser(stack: Stack, page: Any, tmp_path: Path) -> None:
    try:
        _replay(stack, page, tmp_path)
    except Exception:
        ui.shot(page, "13_failed_here")  # what the browser showed when a step failed
        raise


def _replay(stack: Stack, page: Any, tmp_path: Path) -> None:
    ui.sign_in(page, stack.url, stack.email, stack.password)

    # 14, 15: no Deploy button; the upload box says the real limit.
    ui.shot(page, "13_00_inbox")
    page.get_by_text(re.compile(r"up to 25 MB per file")).first.wait_for()
    assert page.get_by_role("button", name="Deploy").count() == 0
    assert not page.get_by_text(re.compile(r"200\s?MB")).count()
    # 16: a batch with nothing accepted is not a success.
    junk = tmp_path / "notes.pdf"
    junk.write_bytes(b"this is not a pdf")
    ui.upload(page, [junk])
    page.get_by_text(re.compile(r"0 of 1 files accepted")).wait_for()
    assert (
        page.locator('[data-testid="stAlertContentError"]')
        .filter(has_text="0 of 1 files accepted")
        .count()
    )
    assert not page.locator('[data-testid="stAlertContentSuccess"]').count()
    ui.shot(page, "13_01_nothing_accepted")

    # 7: the same invoice, once as a text PDF and once as a scan (vendor not in the master).
    files = []
    for kind, suffix in (("pdf", "pdf"), ("scan_png", "png")):
        doc = generate_invoice(35, kind=kind)
        path = tmp_path / f"resent-{kind}.{suffix}"
        path.write_bytes(doc.data)
        files.append(path)
    vendor = generate_invoice(35, kind="pdf").truth["vendor_name"]
    ui.upload(page, files[:1])
    page.get_by_text(re.compile(r"1/1 processed")).wait_for(timeout=180_000)
    ui.upload(page, files[1:])
    wait_until_idle(stack)  # the scan is OCR'd and matched (no invoice left in flight)
    page.wait_for_timeout(1500)
    ui.wait_idle(page)

    # 1: correct the vendor name, save, approve: the approval happens, says so, and is audited.
    ui.go(page, "Review queue")
    page.get_by_role("button", name="Save corrections").wait_for()
    ui.shot(page, "13_02_review_screen")
    name_box = page.get_by_role("textbox", name=re.compile(r"^Vendor name")).first
    corrected = (name_box.input_value() or "Vendor").strip() + " Corrected"
    _save(page, "Vendor name", corrected, re.compile(r"Saved Vendor name"))
    picker = _select(page, "need a look").locator("input").first
    for _ in range(30):  # the rerun after the save may still be drawing the picker
        if corrected in picker.input_value():
            break
        page.wait_for_timeout(500)
    assert corrected in picker.input_value(), "the queue label is stale after the save"
    ui.shot(page, "13_03_vendor_corrected")
    message = _approve(page)
    assert corrected in message, message
    assert "Next:" in message
    assert re.search(r"Audit log: (status\.approved|approval\.overridden) by demo@", message)
    ui.shot(page, "13_04_approved_and_moved_on")

    # 3: a PO correction re-runs matching at once: the reasons name the new number.
    page.wait_for_timeout(1000)
    # (a number no demo purchase order has: the reasons must name it, not the old one)
    _save(
        page, "PO number", "PO-4711-13", re.compile(r"Saved PO number .*matching and checks re-ran")
    )
    page.get_by_text(re.compile(r"PO-4711-13 is not in the purchase order list")).first.wait_for(
        timeout=30_000
    )
    ui.shot(page, "13_06_po_rematched")

    # 9, 10, 11: the selected field's source box on a zoomed page; no flags on absent optional
    # fields; money in two decimals with the currency.
    slider = page.get_by_role("slider", name="Zoom")
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    ui.wait_idle(page)
    caption = page.get_by_text(re.compile(r"page \d+ · Vendor name")).first
    caption.wait_for()
    ui.wait_idle(page)
    page.wait_for_timeout(1000)
    ui.shot(page, "13_07_source_box_zoomed")
    labels = [
        page.locator("[data-testid='stTextInput'] label").nth(i).inner_text()
        for i in range(page.locator("[data-testid='stTextInput'] label").count())
    ]
    assert not [lab for lab in labels if "0%" in lab], labels
    total = page.get_by_role("textbox", name=re.compile(r"^Total \(")).first
    assert re.fullmatch(r"-?\d+\.\d{2}", total.input_value()), total.input_value()

    # 5, 6: the re-sent copy's invoice: unknown vendor and a possible duplicate block.
    # 5: the re-sent invoice's vendor is unknown: the policy blocks, in words. (7, the re-sent
    # scan flagged as a possible duplicate, is replayed over HTTP: tests/e2e/api/
    # test_api_review_loop.py; picking that one invoice in the queue's list was not reliable.)
    _pick(page, "need a look", vendor[:12])
    shown = _text(page)
    assert "The approval policy blocks approving this invoice" in shown
    assert "No vendor from your vendor list is chosen" in shown
    ui.shot(page, "13_08_unknown_vendor_blocks")

    # 2, 17, 18, 19 on the match page (before the vendor exists).
    ui.go(page, "Match preview")
    _pick(page, "Match", vendor[:12])
    assert page.get_by_text("This match proposes no candidate").count()
    assert page.get_by_role("button", name="Confirm best candidate").is_disabled()
    auto = page.locator("[data-testid='stMetric']").filter(has_text="Auto (undecided)")
    count = re.search(r"(\d+)\s*$", auto.first.inner_text()).group(1)
    assert page.get_by_role("button", name=re.compile(rf"^Confirm all {count} in the auto band"))\
        .count()  # fmt: skip
    assert "profile default" not in _text(page) and "name tokens" not in _text(page)
    ui.shot(page, "13_09_no_candidate_refused")
    review = page.get_by_role("slider", name="Review threshold")
    review.focus()
    for _ in range(40):
        page.keyboard.press("ArrowRight")
    auto_slider = page.get_by_role("slider", name="Auto-accept threshold")
    auto_slider.focus()
    for _ in range(60):
        page.keyboard.press("ArrowLeft")
    ui.wait_idle(page)
    page.get_by_text(re.compile(r"must not exceed the auto-accept threshold")).wait_for()
    assert page.get_by_role("button", name="Confirm best candidate").count()  # page still there
    ui.shot(page, "13_10_invalid_thresholds_inline")

    # 6: create the vendor from the invoice; the invoice is matched to it.
    ui.go(page, "Review queue")
    _pick(page, "need a look", vendor[:12])
    page.get_by_role("button", name="Create vendor").click()
    ui.wait_idle(page)
    page.get_by_text(
        re.compile(r"Created vendor .*; the invoice is matched to it")
    ).first.wait_for()
    page.get_by_text("No vendor from your vendor list is chosen").first.wait_for(
        state="hidden", timeout=30_000
    )  # the page re-renders the invoice, now matched to the new vendor
    ui.shot(page, "13_11_vendor_created")

    # 4, 20: preparing an export changes nothing and says so; marking is its own step.
    ui.go(page, "Downloads")
    page.get_by_role("button", name="Prepare export").click()
    ui.wait_idle(page)
    ready = page.get_by_text(re.compile(r"Preparing it changed nothing")).first
    ready.wait_for()
    approved = int(re.search(r"changed nothing: (\d+) approved", ready.inner_text()).group(1))
    assert approved >= 1
    ui.shot(page, "13_12_export_ready")
    with page.expect_download() as info:
        page.get_by_role("button", name=re.compile(r"Download .*\.xlsx")).click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    page.get_by_role("button", name=re.compile(rf"Mark {approved} approved invoices? as exported"))\
        .click()  # fmt: skip
    ui.wait_idle(page)
    page.get_by_text(re.compile(rf"Marked {approved} invoices? as exported")).wait_for()
    ui.wait_idle(page)
    ui.shot(page, "13_13_marked_exported")

    # The exported file opens: client name filled, approvers by e-mail, matches in plain words.
    book = load_workbook(target, read_only=True)
    rows = list(book["invoices"].iter_rows(values_only=True))
    head = list(rows[0])
    records = [dict(zip(head, r, strict=True)) for r in rows[1:]]
    assert records and all(r["Client"] == "Demo Manufacturing GmbH" for r in records)
    assert all(str(r["Approved by"]).startswith("demo@") for r in records)
    matches = list(book["matches"].iter_rows(values_only=True))
    assert "Explanation" in matches[0]
    assert any(corrected in str(r["Vendor"] or "") for r in records)

    ui.go(page, "Dashboard")
    ui.shot(page, "13_14_dashboard")
