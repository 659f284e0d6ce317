"""``python -m core match`` and ``python -m core tune``: score any labelled CSVs the same way.

Both CSVs have ``id,name`` and optionally ``vat_id,iban,address,city,po_number,amount,currency,
date``; values are read as text, exactly as written. The reference may also have alias columns
(``aliases``, ``former_names``, ``alternate_names``, ``other_names``, ``aka``, or singular:
names separated by ``|`` or ``;``), which the matcher uses as exact keys
(``core.matching.aliases``). ``match`` prints one JSON line per query:
``{"query_id", "match_id" (or null), "score", "decision", "reason", "candidates": [{"id",
"score"}...]}``. ``tune`` reads the true reference id from ``--truth-col`` (empty or ``-1`` = not
in the reference), writes the chosen profile to ``--out`` and prints its figures as JSON, with
``answer``: the recommendation in words (interval, proof at ``--confidence``, examples still
needed). ``--rule estimate|proven`` picks how the auto band is chosen (``core.matching.certainty``).
Bad input ends with a one-line error on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from core.errors import InvoiceFlowError, ValidationFailed
from core.matching.certainty import RULES
from core.matching.matcher import match_vendors
from core.matching.profile import MatchProfile
from core.matching.tuning import DEFAULT_SCORERS, tune_profile


def _read_csv(path: str, what: str) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise ValidationFailed(f"{what} file not found: {path}") from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValidationFailed(f"{what} file is not a readable CSV: {path} ({exc})") from exc


def _read_profile(path: str | None) -> MatchProfile:
    if not path:
        return MatchProfile()
    try:
        return MatchProfile.from_json(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValidationFailed(f"profile file not readable: {path}") from exc


def run_match(args: argparse.Namespace) -> int:
    """Print one decision per query as a JSON line."""
    reference = _read_csv(args.reference, "reference")
    queries = _read_csv(args.queries, "queries")
    profile = _read_profile(args.profile)
    decisions = match_vendors(queries, reference, profile, top=args.top)
    out = sys.stdout
    for row in decisions.to_dict("records"):
        record: dict[str, Any] = {
            "query_id": row["query_id"],
            "match_id": row["match_id"],
            "score": row["score"],
            "decision": row["decision"],
            "reason": row["reason"],
            "candidates": row["candidates"],
        }
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


def run_tune(args: argparse.Namespace) -> int:
    """Tune a profile on labelled queries, write it, print its figures."""
    reference = _read_csv(args.reference, "reference")
    queries = _read_csv(args.queries, "queries")
    base = _read_profile(args.profile)
    scorers = tuple(s.strip() for s in args.scorers.split(",") if s.strip())
    profile, report = tune_profile(
        reference,
        queries,
        args.truth_col,
        target_precision=args.target_precision,
        base=base,
        scorers=scorers,
        rule=args.rule,
        confidence=args.confidence,
    )
    if args.name:
        profile = profile.model_copy(update={"name": args.name})
    Path(args.out).write_text(profile.to_json(), encoding="utf-8")
    summary: dict[str, Any] = {
        "profile": args.out,
        "scorer": profile.scorer,
        "chosen": profile.metrics,
        "answer": report[profile.scorer]["answer"],
    }
    summary["by_scorer"] = report
    print(json.dumps(summary, indent=2))
    return 0


def _guarded(func: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            return int(func(args))
        except InvoiceFlowError as exc:
            print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
            return 2

    return run


def add_parser(subparsers: Any) -> None:
    """Register ``match`` and ``tune`` on the ``python -m core`` dispatcher."""
    match = subparsers.add_parser("match", help="match queries to a reference (vendor master)")
    match.add_argument("--reference", required=True, help="CSV with id,name[,vat_id,iban,...]")
    match.add_argument("--queries", required=True, help="CSV with id,name[,vat_id,iban,...]")
    match.add_argument("--profile", help="MatchProfile JSON (default profile if omitted)")
    match.add_argument("--top", type=int, default=5, help="candidates listed per query")
    match.set_defaults(func=_guarded(run_match))

    tune = subparsers.add_parser("tune", help="choose a MatchProfile from labelled queries")
    tune.add_argument("--reference", required=True)
    tune.add_argument("--queries", required=True)
    tune.add_argument("--truth-col", required=True, help="true reference id; empty or -1 = none")
    tune.add_argument("--target-precision", type=float, default=0.99)
    tune.add_argument("--out", required=True, help="where to write the profile JSON")
    tune.add_argument("--profile", help="base profile (weights, tolerances) to start from")
    tune.add_argument("--name", help="profile name to record")
    tune.add_argument("--scorers", default=",".join(DEFAULT_SCORERS), help="scorers to try")
    tune.add_argument(
        "--rule",
        choices=RULES,
        default="estimate",
        help="how the auto band is chosen: 'estimate' (precision estimate reaches the target; "
        "the interval and proof status are reported) or 'proven' (its lower bound at "
        "--confidence reaches the target)",
    )
    tune.add_argument(
        "--confidence", type=float, default=0.95, help="confidence of intervals and proof"
    )
    tune.set_defaults(func=_guarded(run_tune))
