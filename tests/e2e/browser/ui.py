"""Playwright helpers that know how Streamlit renders (shared by the browser test and bench)."""

from __future__ import annotations

import contextlib
import re
import time
from pathlib import Path
from typing import Any

from tests.e2e.browser.stack import CHROMIUM, CHROMIUM_ARGS

OVERRIDE = re.compile(r"^Approve anyway \(override\)")
SHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"


def launch(playwright: Any) -> Any:
    """Debian's Chromium, headless; Playwright never downloads a browser here."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


def wait_idle(page: Any, timeout: float = 60) -> None:
    """Wait until Streamlit finished the current script run (the 'Running…' widget is gone)."""
    page.wait_for_timeout(300)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = page.locator('[data-testid="stStatusWidget"]').count()
        if not running:
            page.wait_for_timeout(200)
            if not page.locator('[data-testid="stStatusWidget"]').count():
                return
        page.wait_for_timeout(200)
    raise TimeoutError("Streamlit kept running")


def said(page: Any, pattern: re.Pattern[str], timeout: float = 30_000) -> str:
    """Wait for the page's status message (``console.flash``) matching ``pattern``; return it.

    The review page answers each action twice, in the status at the top and in a toast: a bare
    text locator sees one or both, depending on how fast the toast comes, and so fails strict
    mode at random. The status is the one that stays.
    """
    status = page.locator("[data-testid^='stAlertContent']").filter(has_text=pattern).first
    status.wait_for(timeout=timeout)
    return str(status.inner_text())


def shot(page: Any, name: str) -> Path:
    """Full-page screenshot under artifacts/screenshots/."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Any, url: str, email: str, password: str) -> None:
    """Open the console and sign in through the form."""
    page.goto(url)
    page.get_by_role("textbox", name="Email").first.fill(email)
    page.get_by_role("textbox", name="Password").first.fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as").wait_for(timeout=60_000)
    wait_idle(page)


def go(page: Any, title: str) -> None:
    """Click a page in the sidebar navigation until its title shows (a rerun may race it)."""
    heading = page.get_by_role("heading", name=re.compile(title), level=1)
    for _ in range(5):
        wait_idle(page)
        page.get_by_role("link", name=re.compile(title)).first.click()
        wait_idle(page)
        try:
            heading.first.wait_for(timeout=5_000)
            wait_idle(page)
            return
        except Exception:  # noqa: S112 - retried; the final wait below raises
            continue
    heading.first.wait_for(timeout=5_000)


def upload(page: Any, files: list[Path]) -> None:
    """Drop files on the inbox uploader and submit the form."""
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
        [str(f) for f in files]
    )
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Upload and process").click()
    wait_idle(page)


def _queue_size(page: Any) -> int:
    """How many invoices the Review page says wait (0 when it says none)."""
    if page.get_by_text("Nothing waits for review.").count():
        return 0
    label = page.get_by_text(re.compile(r"\d+ invoices? need a look"))
    if not label.count():
        return -1  # mid-run: not rendered yet
    try:
        text = label.first.inner_text(timeout=2_000)
    except Exception:  # the element went away with a rerun
        return -1
    found = re.match(r"(\d+)", text)
    return int(found.group(1)) if found else -1


def approve_queue(page: Any, limit: int = 500) -> int:
    """On the Review page, approve the first invoice until the queue is empty; return the count.

    Progress is read from the queue size the page shows, so a click that lands during a rerun
    (and is dropped) is simply retried, and a conflict with a worker is reloaded and retried.
    """
    wait_idle(page)
    start = size = _queue_size(page)
    while size != 0 and start - size < limit:
        approve = page.get_by_role("button", name="Approve", exact=True)
        anyway = page.get_by_role("button", name=OVERRIDE)
        if approve.count() == 1:
            # a rerun may take the button away between the count and the click: re-read below
            with contextlib.suppress(Exception):
                approve.click(timeout=5_000)
        elif anyway.count() == 1:  # the policy blocks it: no Approve, a deliberate override
            with contextlib.suppress(Exception):
                override_blocks(page, "checked by the operator")
        deadline = time.monotonic() + 6  # a dropped click (landed mid-rerun) is retried
        while time.monotonic() < deadline:
            page.wait_for_timeout(200)
            if page.get_by_text("approval_blocked").count():
                override_blocks(page, "checked by the operator")
                break
            reload = page.get_by_role("button", name="Reload the latest version")
            if reload.count():
                reload.click()
                wait_idle(page)
                break
            now = _queue_size(page)
            if 0 <= now < size:
                break
        wait_idle(page)
        new = _queue_size(page)
        if new < 0:
            continue
        size = new
    return start - size


def override_blocks(page: Any, reason: str) -> None:
    """On a blocked invoice: open "Approve anyway (override)…", give the reason, approve."""
    wait_idle(page)
    why = page.get_by_role("textbox", name=re.compile(r"^Why approve over the blocks")).first
    if not why.is_visible():  # a click on an open popover would close it
        page.get_by_role("button", name=OVERRIDE).first.click()
    why.fill(reason, timeout=10_000)
    page.get_by_role("button", name="Approve over the blocks").click()
    wait_idle(page)
