"""Browser fixtures: the running stack and a Chromium page.

Without Chromium the browser tests skip locally but FAIL in CI (``CI`` set): CI installs Debian's
``chromium`` in ``.ci/run``, so a missing browser there is a broken pipeline, not a reason to skip.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser.stack import CHROMIUM, Stack, running_stack
from tests.e2e.browser.ui import launch


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing but CI is set: .ci/run must install Debian's chromium")
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium); runs in CI")


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """Embedded DB + demo seed + console + one worker, as `make run` starts them.

    The data dir is deliberately outside pytest's basetemp: another pytest session starting on
    the same machine resets /tmp/pytest-of-<user> to mode 0700, which would lock the embedded
    server's unprivileged system user (used when running as root) out of its own files.
    """
    _require_chromium()
    workdir = Path(tempfile.mkdtemp(prefix="invoiceflow-browser-"))
    try:
        with running_stack(workdir) as running:
            yield running
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def page(stack: Stack) -> Iterator[Any]:
    """A fresh browser context (own cookies, own Streamlit session) on the console."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch(pw)
        context = browser.new_context(
            viewport={"width": 1440, "height": 1000}, accept_downloads=True
        )
        context.set_default_timeout(60_000)
        pg = context.new_page()
        try:
            yield pg
        finally:
            context.close()
            browser.close()


@pytest.fixture
def two_pdfs(tmp_path: Path) -> list[Path]:
    """Two generated demo invoices (text-layer PDFs)."""
    from core.demo.synthetic_invoices import generate_invoice

    paths = []
    for seed in (101, 202):
        invoice = generate_invoice(seed, kind="pdf")
        path = tmp_path / invoice.filename
        path.write_bytes(invoice.data)
        paths.append(path)
    return paths
