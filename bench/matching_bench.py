"""Matching benchmark: speed at 10k x 100k, Fodors-Zagat F1, synthetic vendor-lookup figures.

Run with ``make bench-matching`` (or ``python bench/matching_bench.py [--quick]``). Every figure is
printed next to its goal; nothing here asserts. Sections:

1. speed: 10,000 invoice queries (names with typos, abbreviations, legal-form variants, unknown
   vendors; VAT id / IBAN / city on part of them) against 100,000 vendors, full decision with all
   signals; the ``thefuzz.process.extractOne`` loop on a sample of the same queries, extrapolated;
   peak memory (RSS); blocking candidate recall.
2. Fodors-Zagat (../shared/benchmarks/matching/data): F1 name-only and name + address, profile
   tuned on one half of the Fodors rows, reported on the other half (both ways).
3. Synthetic company-name vendor lookup, measured like the unseen set: split by company in
   halves five times, ``python -m core tune`` on one half, ``python -m core match`` on the other;
   auto-band precision, share of known vendors' queries auto-accepted correctly, F1; the same with
   a single thefuzz ``token_sort_ratio`` tuned the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from matching_synth import make_queries, make_vendor_master  # noqa: E402

from core.matching.evaluation import metrics_at, outcome_table  # noqa: E402
from core.matching.index import VendorIndex  # noqa: E402
from core.matching.matcher import match_vendors  # noqa: E402
from core.matching.profile import MatchProfile  # noqa: E402
from core.matching.tuning import tune_profile  # noqa: E402

FZ_DIR = ROOT / "data" / "fodors_zagat"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _with_signals(queries: pd.DataFrame, master: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Give part of the queries the vendor's VAT id, IBAN and city, as invoices would carry."""
    rng = np.random.default_rng(seed)
    by_id = master.set_index("id")
    out = queries.copy()
    for col, share in (("vat_id", 0.3), ("iban", 0.2), ("city", 0.5)):
        values = []
        for truth in out["truth"]:
            if truth and rng.random() < share:
                values.append(by_id.at[truth, col])
            elif not truth and rng.random() < share / 3:
                values.append(master[col].iloc[int(rng.integers(len(master)))])  # a wrong one
            else:
                values.append("")
        out[col] = values
    return out


def speed(n_vendors: int, n_queries: int, sample: int) -> None:
    from thefuzz import process as thefuzz_process

    print(f"== speed: {n_queries:,} queries x {n_vendors:,} vendors (2 cores)")
    master = make_vendor_master(n_vendors, seed=1)
    queries = _with_signals(make_queries(master, n_queries, seed=2), master, seed=3)
    t0, c0 = time.perf_counter(), time.process_time()
    index = VendorIndex(master)
    build, build_cpu = time.perf_counter() - t0, time.process_time() - c0
    profile = MatchProfile()  # top_k=10 candidates per query
    t0, c0 = time.perf_counter(), time.process_time()
    decisions = match_vendors(queries.drop(columns=["truth"]), index, profile, top=profile.top_k)
    match, match_cpu = time.perf_counter() - t0, time.process_time() - c0
    rss = _rss_mb()
    truth = queries.set_index("id")["truth"]
    known = truth != ""
    in_cands = [
        t in {c["id"] for c in cands}
        for t, cands in zip(truth.to_numpy(), decisions["candidates"], strict=True)
    ]
    recall = float(np.mean(np.asarray(in_cands)[known.to_numpy()]))
    names = master["name"].tolist()
    picks = queries["name"].sample(sample, random_state=4).tolist()
    t0, c0 = time.perf_counter(), time.process_time()
    for name in picks:
        thefuzz_process.extractOne(name, names)
    per_query = (time.perf_counter() - t0) / sample
    per_query_cpu = (time.process_time() - c0) / sample
    extrapolated = per_query * n_queries
    counts = decisions["decision"].value_counts().to_dict()
    load = os.getloadavg()[0]
    print(f"  machine load average at the end: {load:.1f} on {os.cpu_count()} cores")
    print(
        f"  vendor index build (once per vendor master): {build:.2f} s wall, {build_cpu:.2f} s CPU"
    )
    print(
        f"  full decision, {n_queries:,} queries, all signals: {match:.2f} s wall, "
        f"{match_cpu:.2f} s CPU (all threads)   (goal <= 5 s wall)"
    )
    print(f"  build + decision: {build + match:.2f} s")
    print(
        f"  thefuzz extractOne loop: {per_query * 1000:.0f} ms/query on {sample} queries -> "
        f"{extrapolated:.0f} s extrapolated to {n_queries:,} "
        f"({per_query_cpu * n_queries:.0f} s CPU)"
    )
    print(
        f"  speed-up: {extrapolated / match:.0f}x on the decision, "
        f"{extrapolated / (build + match):.0f}x including the index build   (goal >= 300x)"
    )
    print(f"  peak memory (max RSS of this process so far): {rss:.0f} MB   (goal <= 2048 MB)")
    print(f"  blocking candidate recall (true vendor among candidates): {recall:.4f}   (>= 0.99)")
    print(f"  decisions: {counts}")


def _fz_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    fodors = pd.read_csv(FZ_DIR / "fz_fodors.csv", dtype=str, keep_default_na=False)
    zagats = pd.read_csv(FZ_DIR / "fz_zagats.csv", dtype=str, keep_default_na=False)
    gold = pd.read_csv(FZ_DIR / "fz_gold.csv", dtype=str)
    truth = dict(zip(gold["fodors_id"], gold["zagats_id"], strict=True))
    fodors["truth"] = [truth.get(i, "") for i in fodors["id"]]
    for frame in (fodors, zagats):
        frame["address"] = frame["addr"]
    return fodors, zagats


def fodors_zagat() -> None:
    print("== Fodors-Zagat (533 x 331, 112 true pairs); tuned on one half, scored on the other")
    fodors, zagats = _fz_frames()
    rng = np.random.default_rng(0)
    half = rng.permutation(len(fodors)) < len(fodors) // 2
    for label, cols in (("name only", ["id", "name"]), ("name + address", None)):
        ref = zagats[cols] if cols else zagats[["id", "name", "address", "city"]]
        f1s = []
        for a, b in ((half, ~half), (~half, half)):
            qa, qb = fodors[a], fodors[b]
            keep = ["id", "name", "truth"] + ([] if cols else ["address", "city"])
            profile, _ = tune_profile(ref, qa[keep], "truth", target_precision=0.99)
            decisions = match_vendors(qb[keep].drop(columns=["truth"]), ref, profile)
            figures = metrics_at(
                outcome_table(decisions, qb.set_index("id")["truth"]),
                profile.auto_threshold,
                profile.margin,
                profile.review_threshold,
            )
            f1s.append(figures["f1"])
            print(
                f"  {label:15} scorer={profile.scorer:16} F1={figures['f1']:.3f} "
                f"P={figures['precision']:.3f} R={figures['recall']:.3f} "
                f"auto={figures['auto_count']} auto-precision={figures['auto_precision']:.3f}"
            )
        goal = "   (goal >= 0.97)" if cols is None else ""
        print(f"  {label:15} mean F1 over both halves: {np.mean(f1s):.3f}{goal}")


def _cli(*args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "core", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    return done.stdout


def _score_cli(out: str, truth: pd.Series) -> dict[str, float]:
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    n_auto = sum(r["decision"] == "auto" for r in rows)
    known = int((truth != "").sum())
    auto_ok = sum(r["decision"] == "auto" and r["match_id"] == truth[r["query_id"]] for r in rows)
    tp = sum(r["match_id"] is not None and r["match_id"] == truth[r["query_id"]] for r in rows)
    fp = sum(r["match_id"] is not None and r["match_id"] != truth[r["query_id"]] for r in rows)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / known if known else 1.0
    return {
        "auto_precision": auto_ok / n_auto if n_auto else 1.0,
        "auto_known": auto_ok / known if known else 0.0,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
    }


def company_lookup(n_vendors: int, n_queries: int, splits: int) -> None:
    print(
        f"== synthetic company-name vendor lookup ({n_vendors} vendors, {n_queries} queries, "
        f"~25% unknown), split by company in halves x{splits}, via the CLI"
    )
    master = make_vendor_master(n_vendors, seed=21)
    queries = make_queries(master, n_queries, seed=22, unknown_rate=0.25)
    company = np.where(queries["truth"] != "", queries["truth"], queries["id"])
    results: dict[str, list[dict[str, float]]] = {"product": [], "token_sort_ratio": []}
    with tempfile.TemporaryDirectory() as tmp:
        ref = Path(tmp) / "ref.csv"
        master[["id", "name"]].to_csv(ref, index=False)
        for split in range(splits):
            rng = np.random.default_rng(100 + split)
            groups = pd.unique(company)
            chosen = set(rng.choice(groups, len(groups) // 2, replace=False))
            in_a = np.array([c in chosen for c in company])
            qa, qb = Path(tmp) / "qa.csv", Path(tmp) / "qb.csv"
            queries[in_a].to_csv(qa, index=False)
            queries[~in_a].drop(columns=["truth"]).to_csv(qb, index=False)
            truth = queries[~in_a].set_index("id")["truth"]
            for label, scorers in (("product", None), ("token_sort_ratio", "token_sort_ratio")):
                prof = Path(tmp) / f"{label}.json"
                extra = ["--scorers", scorers] if scorers else []
                _cli(
                    "tune",
                    "--reference",
                    str(ref),
                    "--queries",
                    str(qa),
                    "--truth-col",
                    "truth",
                    "--out",
                    str(prof),
                    *extra,
                )
                out = _cli(
                    "match", "--reference", str(ref), "--queries", str(qb), "--profile", str(prof)
                )
                results[label].append(_score_cli(out, truth))
    for label, runs in results.items():
        frame = pd.DataFrame(runs)
        mean, low = frame.mean(), frame.min()
        print(
            f"  {label:17} auto precision {mean['auto_precision']:.3f} "
            f"(min {low['auto_precision']:.3f}, goal >= 0.99) | known auto-correct "
            f"{mean['auto_known']:.1%} (min "
            f"{low['auto_known']:.1%}, goal >= 85%) | F1 {mean['f1']:.3f} (min {low['f1']:.3f}, "
            "goal >= 0.95)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes for a smoke run")
    parser.add_argument(
        "--only", choices=("speed", "fz", "company"), action="append", help="run only these"
    )
    args = parser.parse_args()
    only = set(args.only or ("speed", "fz", "company"))
    if "speed" in only:
        if args.quick:
            speed(10_000, 1_000, 5)
        else:
            speed(100_000, 10_000, 20)
    if "fz" in only:
        fodors_zagat()
    if "company" in only:
        size = 1500 if args.quick else 3000
        company_lookup(size, size, 2 if args.quick else 5)


if __name__ == "__main__":
    main()
