"""Playwright helpers that know how Streamlit renders (shared by the browser test and bench)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from tests.e2e.browser.stack import CHROMIUM, CHROMIUM_ARGS

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
    """Click a page in the sidebar navigation."""
    page.get_by_role("link", name=re.compile(title)).first.click()
    wait_idle(page)


def upload(page: Any, files: list[Path]) -> None:
    """Drop files on the inbox uploader and submit the form."""
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
        [str(f) for f in files]
    )
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Upload and process").click()
    wait_idle(page)
