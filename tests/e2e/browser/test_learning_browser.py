"""What the product learned, in a real browser: the reference-data page's "Learned per vendor"
tab shows a vendor's trust ladder, its learned aliases and extraction hints, and the owner
pauses and resumes the vendor's ladder. One screenshot per step (artifacts/screenshots)."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest

from tests.e2e.browser import ui
from tests.e2e.browser.stack import PY, ROOT, Stack

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]


def test_owner_sees_what_was_learned_per_vendor_and_pauses_its_ladder(
    stack: Stack, page: Any
) -> None:
    taught = subprocess.run(
        [PY, "-m", "tests.e2e.browser.teach_demo", stack.email, stack.password],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert taught.returncode == 0, taught.stderr[-3000:]
    vendor = taught.stdout.strip().splitlines()[-1]

    ui.sign_in(page, stack.url, stack.email, stack.password)
    ui.go(page, "Reference data")
    page.get_by_role("tab", name="Learned per vendor").click()
    ui.wait_idle(page)
    page.get_by_text("Trust ladder").first.wait_for()
    ui.shot(page, "learn_01_all_vendors")

    page.get_by_role("tab", name="Learned per vendor").click()
    box = page.get_by_label("Vendor", exact=True)
    box.click()
    page.get_by_role("option", name=vendor, exact=True).click()
    ui.wait_idle(page)
    page.get_by_text(re.compile(r"Aliases \([1-9]\d*\)")).wait_for()
    page.get_by_text(re.compile(r"Extraction hints \(1\)")).wait_for()
    ui.shot(page, "learn_02_one_vendor")
    page.get_by_text(re.compile(r"Extraction hints \(1\)")).scroll_into_view_if_needed()
    ui.shot(page, "learn_02b_aliases_and_hints")

    page.get_by_role("button", name="Pause the ladder").click()
    ui.wait_idle(page)
    page.get_by_role("tab", name="Learned per vendor").click()
    page.get_by_role("button", name="Resume the ladder").wait_for()
    ui.shot(page, "learn_03_paused")
    page.get_by_role("button", name="Resume the ladder").click()
    ui.wait_idle(page)
    page.get_by_role("tab", name="Learned per vendor").click()
    page.get_by_role("button", name="Pause the ladder").wait_for()
    ui.shot(page, "learn_04_resumed")
