"""Dev-set accuracy through the extraction contract, before and after.

Every figure here comes from ``python -m core extract --extractor offline`` (the command the
unseen sets are measured with), run on the dev sets under ``../shared/benchmarks`` and scored
with ``core.extraction.evaluation``. "Before" is the same command on another git ref (a
temporary worktree of ``--baseline-ref``, run with this checkout's virtualenv); its per-field
hits are recorded in ``bench/baselines/extraction_dev.json`` (hits only: no document text is
stored) so later runs print them without re-running the old code.

    python -m bench.dev_sets [--baseline-ref main] [--sets zugferd,multilingual]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from core.extraction.evaluation import Tally, score_fields, score_lines

ROOT = Path(__file__).resolve().parents[1]
BASELINE_FILE = ROOT / "bench" / "baselines" / "extraction_dev.json"
# The zugferd set is scored on its visual path: embedded XML off (see the data README).
SETS = {"zugferd": ["--no-einvoice"], "multilingual": []}


def benchmarks_dir() -> Path | None:
    """``../shared/benchmarks`` of this checkout or of any folder above it (worktrees)."""
    for parent in ROOT.parents:
        candidate = parent / "shared" / "benchmarks"
        if candidate.is_dir():
            return candidate
    return None


def load_truth(folder: Path) -> list[dict[str, Any]]:
    lines = (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(x) for x in lines if x.strip()]


def run_contract(root: Path, files: list[Path], extra: list[str]) -> dict[str, dict[str, Any]]:
    """``{file: JSON line}`` from the extract command of the code at ``root``."""
    cmd = [sys.executable, "-m", "core", "extract", "--extractor", "offline", "--no-progress",
           "--no-cache", *extra, *map(str, files)]  # fmt: skip
    env = dict(os.environ)  # ``-m`` from cwd=root imports that checkout's core first
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=False)
    out = {}
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            out[row["file"]] = row
    if proc.returncode != 0:
        print(f"  (extract at {root} exited {proc.returncode}: {proc.stderr.strip()[-300:]})")
    return out


def hits_of(rows: list[dict[str, Any]], folder: Path, results: dict[str, dict[str, Any]]) -> dict:
    """Per file: field -> hit, and line-item attribute -> [hits, annotated]."""
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        result = results.get(str(folder / row["file"]), {})
        fields = result.get("fields", {}) if result.get("status") == "ok" else {}
        doc: dict[str, Any] = dict(score_fields(fields, row))
        lines = score_lines(fields.get("line_items") or [], row["fields"].get("line_items") or [])
        doc.update({f"line_items.{k}": list(v) for k, v in lines.items() if v[1]})
        out[row["file"]] = doc
    return out


def tally(rows: list[dict[str, Any]], hits: dict[str, dict[str, Any]], key: str | None = None):
    """Tallies per group (``key`` of the truth row, e.g. 'lang'), or one for all under ''."""
    groups: dict[str, Tally] = {}
    for row in rows:
        group = str(row.get(key, "-")) if key else ""
        t = groups.setdefault(group, Tally())
        for name, value in hits.get(row["file"], {}).items():
            if isinstance(value, list):
                t.counts[name] = t.counts.get(name, 0) + value[1]
                t.hits[name] = t.hits.get(name, 0) + value[0]
            else:
                t.counts[name] = t.counts.get(name, 0) + 1
                t.hits[name] = t.hits.get(name, 0) + int(value)
    return groups


def baseline_hits(ref: str, data: Path) -> dict[str, Any]:
    """Run the contract on a temporary worktree of ``ref``; record and return its hits."""
    sha = subprocess.run(["git", "rev-parse", ref], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()  # fmt: skip
    record: dict[str, Any] = {"ref": ref, "commit": sha, "sets": {}}
    with tempfile.TemporaryDirectory(prefix="extract-baseline-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), sha], cwd=ROOT,
                       capture_output=True, check=True)  # fmt: skip
        try:
            for name, extra in SETS.items():
                folder = data / "extraction-dev" / name
                if not (folder / "truth.jsonl").is_file():
                    continue
                rows = load_truth(folder)
                results = run_contract(tree, [folder / r["file"] for r in rows], extra)
                record["sets"][name] = hits_of(rows, folder, results)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                           capture_output=True, check=False)  # fmt: skip
    BASELINE_FILE.parent.mkdir(parents=True, exist_ok=True)
    BASELINE_FILE.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return record


def _fmt(t: Tally | None, name: str) -> str:
    if t is None or name not in t.counts:
        return "      -     "
    return f"{t.hits[name]:>3}/{t.counts[name]:<3} {t.hits[name] / t.counts[name]:.3f}"


def print_comparison(title: str, rows, after: dict, before: dict | None) -> None:
    a, b = tally(rows, after)[""], (tally(rows, before)[""] if before else None)
    head_b = f"{b.header_accuracy():.3f}" if b else "  -  "
    print(f"\n== {title}: {len(rows)} documents; header fields exact: before {head_b}"
          f"  after {a.header_accuracy():.3f}")  # fmt: skip
    print(f"  {'field':<24} {'before':>13}  {'after':>13}")
    for name in sorted(a.counts):
        print(f"  {name:<24} {_fmt(b, name):>13}  {_fmt(a, name):>13}")
    for key in ("lang", "input", "kind"):
        if not any(key in r for r in rows):
            continue
        ga, gb = tally(rows, after, key), (tally(rows, before, key) if before else {})
        print(f"  by {key} (header fields exact, before -> after):")
        for group in sorted(ga):
            prev = gb.get(group)
            n = sum(1 for r in rows if str(r.get(key)) == group)
            was = f"{prev.header_accuracy():.3f}" if prev else "  -  "
            print(f"    {group:<40} n={n:<3} {was} -> {ga[group].header_accuracy():.3f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="dev-set accuracy via the extract contract")
    parser.add_argument("--baseline-ref", help="git ref to measure as 'before' (e.g. main)")
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated dev sets")
    args = parser.parse_args(argv)
    data = benchmarks_dir()
    if data is None:
        print("(dev sets not found: no ../shared/benchmarks above this checkout; skipped)")
        return
    before: dict[str, Any] | None = None
    if args.baseline_ref:
        started = time.perf_counter()
        before = baseline_hits(args.baseline_ref, data)
        took = time.perf_counter() - started
        print(f"(baseline {args.baseline_ref} @ {before['commit'][:10]} measured in"
              f" {took:.0f} s; recorded in {BASELINE_FILE.name})")  # fmt: skip
    elif BASELINE_FILE.is_file():
        before = json.loads(BASELINE_FILE.read_text(encoding="utf-8"))
        print(
            f"(before = recorded run of {before['ref']} @ {before['commit'][:10]};"
            " --baseline-ref REF measures it again)"
        )
    for name in args.sets.split(","):
        folder = data / "extraction-dev" / name
        if not (folder / "truth.jsonl").is_file():
            print(f"\n(dev set {name} not found at {folder}; skipped)")
            continue
        rows = load_truth(folder)
        started = time.perf_counter()
        results = run_contract(ROOT, [folder / r["file"] for r in rows], SETS.get(name, []))
        seconds = time.perf_counter() - started
        after = hits_of(rows, folder, results)
        errors = sum(1 for r in results.values() if r.get("status") != "ok")
        title = f"{name} ({'visual path, embedded XML off' if name == 'zugferd' else 'offline'})"
        prev = (before or {}).get("sets", {}).get(name)
        print_comparison(title, rows, after, prev)
        print(
            f"  ({seconds:.0f} s through the extract command, {errors} error lines;"
            f" load average {os.getloadavg()[0]:.1f})"
        )


if __name__ == "__main__":
    main()
