"""Multi-invoice PDF split: boundary precision and recall on generated stacks.

Run with ``make bench-split`` (or ``python -m bench.split_bench [--stacks N] [--ocr]`` from the
repository root, with the project installed). Each stack holds 2-8 synthetic
invoices (1-3 pages each, several layouts and languages), some with blank separator sheets. It is
scored three ways: as rendered (printed "Page i of n"), with the page numbers removed from the
text (invoice numbers, vendors and blanks alone), and, with ``--ocr``, as 150 dpi scans read by
OCR (slow). A boundary is a page where an invoice starts; a stack is exact when every range
matches. Speed figures depend on machine load; accuracy figures do not. Nothing here asserts.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import time

from core.demo.synthetic_scans import make_scan
from core.demo.synthetic_stacks import make_stack
from core.extraction.document import load_document
from core.extraction.splitting import _PAGE_OF, plan_split


def _score(rows: list[tuple[set[int], set[int], bool]]) -> str:
    tp = sum(len(truth & found) for truth, found, _ in rows)
    fp = sum(len(found - truth) for truth, found, _ in rows)
    fn = sum(len(truth - found) for truth, found, _ in rows)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    exact = sum(ok for *_, ok in rows)
    return (
        f"boundary precision {precision:.3f}, recall {recall:.3f} "
        f"(tp {tp}, fp {fp}, fn {fn}); exact stacks {exact}/{len(rows)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stacks", type=int, default=40)
    parser.add_argument("--ocr", action="store_true", help="also score OCR'd scans (slow)")
    args = parser.parse_args()
    rng = random.Random(17)
    modes = ["printed", "no_page_numbers"] + (["ocr_scan"] if args.ocr else [])
    results: dict[str, list[tuple[set[int], set[int], bool]]] = {m: [] for m in modes}
    seconds: dict[str, float] = dict.fromkeys(modes, 0.0)
    pages_total = 0
    for k in range(args.stacks):
        n = rng.randint(2, 8)
        seeds = [10_000 + 100 * k + i for i in range(n)]
        items = [rng.choice([None, None, 30, 55]) for _ in range(n)]
        stack = make_stack(seeds, n_items=items, blank_between=rng.random() < 0.3)
        truth = {first for first, _ in stack.ranges}
        doc = load_document(stack.data, max_bytes=10**9, max_pages=500, ocr=False)
        pages_total += doc.page_count
        variants = {
            "printed": doc.pages,
            "no_page_numbers": [
                dataclasses.replace(p, text=_PAGE_OF.sub("", p.text)) for p in doc.pages
            ],
        }
        if args.ocr:
            scan = make_scan(stack.data, "scan_pdf", seed=k)
            variants["ocr_scan"] = load_document(
                scan, max_bytes=10**9, max_pages=500, ocr=True
            ).pages
        for mode, pages in variants.items():
            t0 = time.perf_counter()
            plan = plan_split(pages)
            seconds[mode] += time.perf_counter() - t0
            found = {p.first_page for p in plan.parts}
            results[mode].append((truth, found, plan.ranges == list(stack.ranges)))
    print(f"{args.stacks} stacks, {pages_total} pages")
    for mode in modes:
        per_page = 1000 * seconds[mode] / max(pages_total, 1)
        print(f"{mode:16s} {_score(results[mode])}; {per_page:.1f} ms/page (load-dependent)")


if __name__ == "__main__":
    main()
