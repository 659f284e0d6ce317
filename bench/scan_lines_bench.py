"""Line items and key fields read from the scans of the straight-through stream (issue 14).

Scanned invoices were the main reason the STP bench missed its goal: their line items were
misread (the lines did not add up to the printed line total, so an operator corrected it and the
vendor's trust ladder reset) or not read at all (``ladder.lines_unreconciled``). This bench
generates the scans of ``bench.stp_bench.make_stream`` (same seeds, same bytes), reads each
through the offline extraction pipeline as the worker does (``ExtractionPipeline.extract``, no
cache), and prints per scan and in total:

* lines read vs truth (count; amounts equal as multisets), and whether every truth line was read
  with the right quantity, unit price and amount;
* whether the lines read add up to the printed line total or net (what ``ladder.lines_unreconciled``
  and the check ``line_sum_mismatch`` ask);
* lines whose amount is flagged (confidence below ``LINE_TRUST``: repaired or uncertain; the ladder
  holds those invoices, see ``core/extraction/line_items.py``);
* header fields vs truth: invoice_number, invoice_date, currency, total, line_total;
* "silent wrong": lines that add up and carry no flag but differ from truth (what would become a
  wrong auto-approval; must be 0).

    python -m bench.scan_lines_bench --seeds 14,15,16 [--n 600] [--limit 40] [--json out.json]

No database, no ``../shared``. OCR time depends on the machine's load; the figures that matter
here are counts.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from decimal import Decimal
from typing import Any

from bench.stp_bench import _same, make_stream
from core.config import Settings
from core.extraction import line_items
from core.extraction.pipeline import ExtractionPipeline
from core.extraction.schema import Extraction

# Below this a line's amount counts as unsure (repaired or doubtful): the ladder holds it.
LINE_TRUST = getattr(line_items, "LINE_TRUST", 0.5)
UNVERIFIED = getattr(line_items, "ROW_UNVERIFIED", "ocr-row-unverified")
HEADER = ("invoice_number", "invoice_date", "currency", "total", "line_total")
CENT = Decimal("0.01")


def _truth_lines(truth: dict[str, Any]) -> list[tuple[Decimal, Decimal, Decimal]]:
    spec = truth["_spec"]
    return [(i.quantity, i.unit_price, i.amount) for i in spec.items]


def score(ex: Extraction, truth: dict[str, Any]) -> dict[str, Any]:
    """One scan's figures (see the module docstring)."""
    spec = truth["_spec"]
    want = _truth_lines(truth)
    got = [(li.quantity, li.unit_price, li.amount) for li in ex.line_items]
    amounts = [li.amount for li in ex.line_items]
    have_all = bool(amounts) and all(a is not None for a in amounts)
    lines_sum = sum((a for a in amounts if a is not None), Decimal(0))
    line_total = ex.line_total.value
    computed = ex.line_total.evidence is not None and ex.line_total.evidence.text == "sum of lines"
    reference = ex.subtotal.value if (computed or line_total is None) else line_total
    adds_up = have_all and reference is not None and abs(lines_sum - reference) <= CENT
    flagged = [
        i
        for i, li in enumerate(ex.line_items)
        if li.confidence < LINE_TRUST
        or (li.evidence is not None and UNVERIFIED in li.evidence.signals)
    ]
    exact = sorted(str(g) for g in got) == sorted(str(w) for w in want)
    amounts_ok = sorted(a or Decimal(-1) for a in amounts) == sorted(w[2] for w in want)
    header = {}
    for name in HEADER:
        value = ex.field(name).value
        expect = spec.subtotal if name == "line_total" else truth.get(name)
        header[name] = _same(name, value, str(expect)) if expect is not None else None
    return {
        "truth_lines": len(want),
        "read_lines": len(got),
        "lines_exact": exact,
        "amounts_ok": amounts_ok,
        "adds_up": adds_up,
        "flagged": len(flagged),
        # lines that add up, carry no flag, and are still wrong: a wrong auto-approval waiting
        "silent_wrong": adds_up and not flagged and not amounts_ok,
        "header": header,
        "got": [[str(x) for x in g] for g in got],
        "want": [[str(x) for x in w] for w in want],
        "warnings": [w.split(":")[0] for w in ex.warnings],
    }


def run_seed(pipeline: ExtractionPipeline, seed: int, n: int, limit: int | None) -> list[dict]:
    _, items = make_stream(n, 30, seed)
    scans = [it for it in items if it.kind == "scan"][:limit]
    rows = []
    for item in scans:
        started = time.perf_counter()
        ex = pipeline.extract(item.data, filename=item.filename, extractor="offline")
        row = score(ex, item.truth)
        row.update(seed=seed, file=item.filename, seconds=round(time.perf_counter() - started, 2))
        rows.append(row)
    return rows


def summarize(rows: list[dict]) -> dict[str, Any]:
    n = len(rows)
    header: Counter[str] = Counter()
    for r in rows:
        for name, ok in r["header"].items():
            header[name] += bool(ok)
    return {
        "scans": n,
        "lines_exact": sum(r["lines_exact"] for r in rows),
        "amounts_ok": sum(r["amounts_ok"] for r in rows),
        "count_ok": sum(r["read_lines"] == r["truth_lines"] for r in rows),
        "no_line": sum(r["read_lines"] == 0 for r in rows),
        "adds_up": sum(r["adds_up"] for r in rows),
        "adds_up_unflagged": sum(r["adds_up"] and not r["flagged"] for r in rows),
        "flagged_scans": sum(bool(r["flagged"]) for r in rows),
        "silent_wrong": sum(r["silent_wrong"] for r in rows),
        **{f"header_{k}": header[k] for k in HEADER},
        "seconds_mean": round(sum(r["seconds"] for r in rows) / max(n, 1), 2),
    }


def print_rows(rows: list[dict]) -> None:
    print(f"{'file':<16}{'lines':>7}{'exact':>7}{'adds':>6}{'flag':>6}  header misses / warnings")
    for r in rows:
        misses = [k for k, ok in r["header"].items() if ok is False]
        mark = "" if r["lines_exact"] else f"  got={r['got']} want={r['want']}"
        print(
            f"{r['file']:<16}{r['read_lines']:>3}/{r['truth_lines']:<3}"
            f"{'yes' if r['lines_exact'] else 'no':>7}{'yes' if r['adds_up'] else 'no':>6}"
            f"{r['flagged']:>6}  {','.join(misses) or '-'} {','.join(r['warnings'])}{mark}"
        )


def print_summary(seed: int | str, s: dict[str, Any]) -> None:
    n = s["scans"]
    print(
        f"seed {seed}: {n} scans | lines exact {s['lines_exact']}/{n} | amounts right "
        f"{s['amounts_ok']}/{n} | count right {s['count_ok']}/{n} | no line {s['no_line']} | "
        f"add up {s['adds_up']}/{n} (unflagged {s['adds_up_unflagged']}) | flagged "
        f"{s['flagged_scans']} | SILENT WRONG {s['silent_wrong']} | header: "
        + " ".join(f"{k}={s[f'header_{k}']}" for k in HEADER)
        + f" | {s['seconds_mean']} s/scan (machine load skews this)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="14,15,16", help="stream seeds (comma-separated)")
    parser.add_argument("--n", type=int, default=600, help="stream length per seed")
    parser.add_argument("--limit", type=int, default=None, help="scans per seed at most")
    parser.add_argument("--quiet", action="store_true", help="totals only, no row per scan")
    parser.add_argument("--json", help="write rows and totals here")
    args = parser.parse_args()
    pipeline = ExtractionPipeline(Settings(openai_api_key=None, extraction_backend="offline"))
    out: dict[str, Any] = {"seeds": {}}
    all_rows: list[dict] = []
    for seed in (int(s) for s in args.seeds.split(",")):
        rows = run_seed(pipeline, seed, args.n, args.limit)
        if not args.quiet:
            print_rows(rows)
        s = summarize(rows)
        print_summary(seed, s)
        out["seeds"][seed] = {"summary": s, "rows": rows}
        all_rows += rows
    total = summarize(all_rows)
    print_summary("all", total)
    out["total"] = total
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1, default=str)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
