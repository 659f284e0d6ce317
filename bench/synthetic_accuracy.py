"""Accuracy on the synthetic invoice set, per field and per document kind (text PDF, scans).

A hook for ``bench/extraction_bench.py`` (and anyone else):

    from bench.synthetic_accuracy import score_synthetic, print_report
    report = score_synthetic(lambda data, name: pipeline.extract(data, filename=name), n=60)
    print_report(report)

``extract`` returns an ``Extraction`` (or a dict of flat fields). Scoring is the benchmark
README's (``core.extraction.evaluation``). Run alone:
``python -m bench.synthetic_accuracy [N] [--kinds pdf,scan_png]`` scores the offline pipeline.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from core.demo.synthetic_invoices import SyntheticInvoice, generate_invoices
from core.extraction.evaluation import Tally
from core.extraction.schema import Extraction

Extract = Callable[[bytes, str], Any]


@dataclass
class SyntheticReport:
    overall: Tally = field(default_factory=Tally)
    by_kind: dict[str, Tally] = field(default_factory=dict)
    seconds_by_kind: dict[str, list[float]] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)


def _flat(result: Any) -> dict[str, Any]:
    return result.to_flat_fields() if isinstance(result, Extraction) else dict(result)


def score_synthetic(
    extract: Extract,
    n: int = 60,
    seed: int = 7,
    kinds: dict[str, float] | None = None,
    invoices: Iterable[SyntheticInvoice] | None = None,
    receipts: float = 0.0,
) -> SyntheticReport:
    """Generate ``n`` synthetic documents (or use ``invoices``), extract and score each.

    ``receipts`` is the share of till receipts; they are reported as ``receipt:<kind>``.
    """
    report = SyntheticReport()
    docs = (
        list(invoices)
        if invoices is not None
        else generate_invoices(n, seed, kinds=kinds, receipts=receipts)
    )
    for inv in docs:
        truth = {"fields": inv.truth}
        started = time.perf_counter()
        try:
            predicted = _flat(extract(inv.data, inv.filename))
        except Exception as exc:  # a failure is a miss on every field, and is listed
            report.errors.append((inv.filename, f"{type(exc).__name__}: {exc}"))
            predicted = {}
        group = f"receipt:{inv.kind}" if inv.meta.get("template") == "receipt" else inv.kind
        report.seconds_by_kind.setdefault(group, []).append(time.perf_counter() - started)
        report.overall.add(inv.filename, predicted, truth)
        report.by_kind.setdefault(group, Tally()).add(inv.filename, predicted, truth)
    return report


def print_report(report: SyntheticReport, title: str = "synthetic set") -> None:
    """Print header accuracy overall and per kind, then per field."""
    total = sum(len(v) for v in report.seconds_by_kind.values())
    print(f"== {title}: {total} documents")
    # Receipts annotate fewer fields; the overall figure mixes both when both are present.
    print(f"header fields exact, overall: {report.overall.header_accuracy():.3f}")
    for kind, tally in sorted(report.by_kind.items()):
        secs = report.seconds_by_kind[kind]
        print(
            f"  {kind:<18} n={len(secs):<4} header exact {tally.header_accuracy():.3f}"
            f"   mean {sum(secs) / len(secs):.2f} s/doc"
        )
    print("per field (hits/annotated):")
    for name, hits, count, acc in report.overall.rows():
        print(f"  {name:<24} {hits:>4}/{count:<4} {acc:.3f}")
    for name, error in report.errors[:10]:
        print(f"  error {name}: {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--kinds", default="pdf", help="comma-separated kinds, equal weights")
    parser.add_argument("--receipts", type=float, default=0.0, help="share of till receipts")
    args = parser.parse_args()
    from core.config import Settings
    from core.extraction.pipeline import ExtractionPipeline

    pipeline = ExtractionPipeline(Settings(openai_api_key=None, extraction_backend="offline"))
    kinds = {k: 1.0 for k in args.kinds.split(",")}
    report = score_synthetic(
        lambda data, name: pipeline.extract(data, filename=name, extractor="offline"),
        n=args.n,
        seed=args.seed,
        kinds=kinds,
        receipts=args.receipts,
    )
    print_report(
        report, f"synthetic set, offline pipeline, kinds={args.kinds}, receipts={args.receipts}"
    )


if __name__ == "__main__":
    main()
