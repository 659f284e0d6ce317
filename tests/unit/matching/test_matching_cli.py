"""``python -m core match`` / ``tune``: the CSV and JSON-lines contract, through a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[3]
KEYS = {"query_id", "match_id", "score", "decision", "reason", "candidates"}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


@pytest.fixture()
def files(tmp_path: Path, vendors: pd.DataFrame) -> dict[str, Path]:
    ref = tmp_path / "ref.csv"
    vendors.to_csv(ref, index=False)
    rows = []
    variants = {
        "V1": ["Mueller Logistik", "MÜLLER LOGISTIK G.m.b.H.", "Muller Logistik GmbH (DE)"],
        "V5": ["Societe Generale", "Société Générale SA", "SOCIETE GENERALE S.A. Paris"],
        "V6": ["Schneider Elektrotechnik", "Schnieder Elektrotechnik KG"],
        "V7": ["Acme Trading Services Limited", "ACME Trading Svcs Ltd"],
    }
    for vid, names in variants.items():
        rows += [(f"{vid}-{i}", name, vid) for i, name in enumerate(names)]
    rows += [("u1", "Zebra Plumbing Ltd", "-1"), ("u2", "Nordlicht Bäckerei", "")]
    queries = pd.DataFrame(rows, columns=["id", "name", "truth"])
    labelled = tmp_path / "labelled.csv"
    queries.to_csv(labelled, index=False)
    plain = tmp_path / "queries.csv"
    queries.drop(columns=["truth"]).to_csv(plain, index=False)
    return {"ref": ref, "labelled": labelled, "queries": plain, "dir": tmp_path}


def test_match_prints_one_json_line_per_query_with_the_contract_fields(
    files: dict[str, Path],
) -> None:
    done = _run(
        "match", "--reference", str(files["ref"]), "--queries", str(files["queries"]), "--top", "3"
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == 12
    for row in rows:
        assert set(row) == KEYS
        assert row["decision"] in {"auto", "review", "reject"}
        assert len(row["candidates"]) <= 3
        assert all(set(c) == {"id", "score"} for c in row["candidates"])
        assert (row["match_id"] is None) == (row["decision"] == "reject")
    by_id = {r["query_id"]: r for r in rows}
    assert by_id["V1-0"]["match_id"] == "V1"
    assert by_id["u1"]["decision"] == "reject"


def test_tune_writes_a_profile_that_match_then_uses(files: dict[str, Path]) -> None:
    out = files["dir"] / "profile.json"
    done = _run(
        "tune",
        "--reference",
        str(files["ref"]),
        "--queries",
        str(files["labelled"]),
        "--truth-col",
        "truth",
        "--target-precision",
        "0.9",
        "--out",
        str(out),
        "--name",
        "test-client",
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["chosen"]["f1"] > 0.8
    assert set(summary["by_scorer"]) == {"model", "token_sort_ratio", "token_set_ratio", "WRatio"}
    profile = json.loads(out.read_text())
    assert profile["name"] == "test-client"
    done = _run(
        "match",
        "--reference",
        str(files["ref"]),
        "--queries",
        str(files["queries"]),
        "--profile",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    first = json.loads(done.stdout.splitlines()[0])
    assert "test-client@1" in first["reason"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["match", "--reference", "/nonexistent.csv", "--queries", "{queries}"], "not found"),
        (
            ["match", "--reference", "{ref}", "--queries", "{queries}", "--profile", "{ref}"],
            "invalid match profile",
        ),
        (
            [
                "tune",
                "--reference",
                "{ref}",
                "--queries",
                "{queries}",
                "--truth-col",
                "truth",
                "--out",
                "{dir}/p.json",
            ],
            "no truth column",
        ),
    ],
)
def test_bad_input_is_one_clear_error_line_and_exit_status_2(
    files: dict[str, Path], args: list[str], message: str
) -> None:
    filled = [a.format(**{k: str(v) for k, v in files.items()}) for a in args]
    done = _run(*filled)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
