"""Upload -> reviewed-and-exported for N demo invoices through the console in a real browser.

Starts the stack as ``make run`` does (own embedded database on free ports, demo seed, console,
worker(s)), signs in as the demo user, first clears the seeded review queue (not timed), then
times: upload N generated demo PDFs in one drop, wait until the batch is processed, approve each
invoice on the Review page (over the approval policy's blocks, with a reason, where it blocks),
export the XLSX on Downloads, download it and mark the invoices exported. Prints the figures.

``--before REF`` first runs the same bench on REF (default: where this branch left main) in a
temporary git worktree, with this virtualenv, then this tree, and prints both: before and after
on the same machine in one run.

    python -m bench.console_browser_bench [--invoices 10] [--workers 1] [--before [REF]]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from openpyxl import load_workbook  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from core.demo.synthetic_invoices import generate_invoice  # noqa: E402
from tests.e2e.browser import ui  # noqa: E402
from tests.e2e.browser.stack import CHROMIUM, running_stack, wait_until_idle  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--before", nargs="?", const="merge-base", default=None, metavar="REF",
        help="also run the bench on REF (default: the merge base with main) first",
    )  # fmt: skip
    args = parser.parse_args()
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium", file=sys.stderr)
        return 2
    if args.before:
        before = run_before(args.before, args.invoices, args.workers)
        print(before, flush=True)
        print("after (this tree):", flush=True)
    with tempfile.TemporaryDirectory(prefix="console_bench_") as tmp:
        work = Path(tmp)
        files = []
        for i in range(args.invoices):
            doc = generate_invoice(90_000 + i, kind="pdf")
            files.append(work / doc.filename)
            files[-1].write_bytes(doc.data)
        with running_stack(work / "stack", workers=args.workers) as stack, sync_playwright() as pw:
            browser = ui.launch(pw)
            context = browser.new_context(
                viewport={"width": 1440, "height": 1000}, accept_downloads=True
            )
            context.set_default_timeout(120_000)
            page = context.new_page()
            wait_until_idle(stack)  # the demo seed's invoices are processed by the worker first
            ui.sign_in(page, stack.url, stack.email, stack.password)
            ui.go(page, "Review queue")
            seeded = ui.approve_queue(page)  # the demo seed's invoices: setup, not timed
            ui.go(page, "Inbox")

            started = time.perf_counter()
            ui.upload(page, files)
            page.get_by_text(re.compile(rf"{args.invoices}/{args.invoices} processed")).wait_for(
                timeout=600_000
            )
            processed = time.perf_counter()
            ui.go(page, "Review queue")
            reviewed = ui.approve_queue(page)
            approved = time.perf_counter()
            ui.go(page, "Downloads")
            page.get_by_role("button", name="Prepare export").click()
            ui.wait_idle(page)
            with page.expect_download() as info:
                page.get_by_role("button", name=re.compile(r"Download .*\.xlsx")).click()
            target = work / info.value.suggested_filename
            info.value.save_as(target)
            mark = page.get_by_role("button", name=re.compile(r"^Mark \d+ approved invoices?"))
            if mark.count():  # exporting is a read; marking them exported is its own click
                mark.click()
                ui.wait_idle(page)
                page.get_by_text(re.compile(r"Marked \d+ invoices? as exported")).wait_for()
            finished = time.perf_counter()
            rows = load_workbook(target, read_only=True).worksheets[0].max_row - 1
            browser.close()
    print(f"console browser bench: {args.invoices} demo invoices, {args.workers} worker(s)")
    print(f"  seeded invoices approved first (untimed): {seeded}")
    print(f"  upload -> batch processed:          {processed - started:7.1f} s")
    print(f"  review (approve {reviewed:>3} in the UI):     {approved - processed:7.1f} s")
    print(f"  export XLSX + download:             {finished - approved:7.1f} s")
    print(
        f"  upload -> reviewed-and-exported:    {finished - started:7.1f} s"
        f"  ({rows} invoice rows in the XLSX)"
    )
    return 0


def run_before(ref: str, invoices: int, workers: int) -> str:
    """Run this bench as it was at ``ref`` (a temporary git worktree, this virtualenv)."""
    if ref == "merge-base":
        ref = subprocess.run(
            ["git", "merge-base", "HEAD", "main"], cwd=ROOT, capture_output=True, text=True,
            check=True,
        ).stdout.strip()  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="console_bench_before_") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), ref], cwd=ROOT, check=True,
            capture_output=True,
        )  # fmt: skip
        try:
            env = {**os.environ, "PYTHONPATH": str(tree)}
            done = subprocess.run(
                [sys.executable, "-m", "bench.console_browser_bench", "--invoices", str(invoices),
                 "--workers", str(workers)],
                cwd=tree, env=env, capture_output=True, text=True, timeout=3600, check=False,
            )  # fmt: skip
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False,
                capture_output=True,
            )  # fmt: skip
    if done.returncode != 0:
        return f"before ({ref[:10]}): the bench failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
    return f"before ({ref[:10]}):\n{done.stdout}"


if __name__ == "__main__":
    sys.exit(main())
