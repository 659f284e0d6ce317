"""``python -m core extract`` as a user runs it: one JSON line per file, never a crash."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.demo.synthetic_invoices import generate_invoice

REPO = Path(__file__).resolve().parents[3]
KEYS = {"file", "status", "fields", "confidence", "extractor", "error"}


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "INVOICEFLOW_"))}
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "core", "extract", *args],
        cwd=REPO,
        env=base,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cli")
    inv = generate_invoice(3, kind="pdf", locale="de_DE")
    out = {
        "good": root / inv.filename,
        "empty": root / "empty.pdf",
        "text": root / "notes.pdf",
        "missing": root / "missing.pdf",
    }
    out["good"].write_bytes(inv.data)
    out["empty"].write_bytes(b"")
    out["text"].write_bytes(b"just some text, not a PDF")
    (root / "truth.json").write_text(json.dumps(inv.truth))
    return out


def test_one_json_line_per_file_in_order_and_bad_files_do_not_stop_the_batch(
    files: dict[str, Path],
) -> None:
    args = [str(files[k]) for k in ("empty", "good", "text", "missing")]
    proc = _run("--extractor", "offline", "--no-progress", *args)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [x["file"] for x in lines] == args
    assert all(x.keys() >= KEYS for x in lines)
    empty, good, text, missing = lines
    assert (empty["status"], empty["error_code"]) == ("error", "empty_document")
    assert (text["status"], text["error_code"]) == ("error", "unsupported_type")
    assert missing["status"] == "error" and missing["error"]
    truth = json.loads((files["good"].parent / "truth.json").read_text())
    assert good["status"] == "ok" and good["error"] is None
    assert good["extractor"].startswith("offline ")
    for name in ("invoice_number", "invoice_date", "currency", "total"):
        assert good["fields"][name] == truth[name]
        assert 0.0 <= good["confidence"][name] <= 1.0
    assert "Traceback" not in proc.stderr


def test_embedded_xml_wins_unless_switched_off(zugferd_dir: Path) -> None:
    pdf = str(zugferd_dir / "docs/EN16931_Rabatte.pdf")
    with_xml = json.loads(_run("--no-progress", pdf).stdout)
    visual = json.loads(_run("--no-progress", "--no-einvoice", pdf).stdout)
    assert with_xml["extractor"].startswith("einvoice")
    assert with_xml["confidence"]["total"] == 1.0
    assert visual["extractor"].startswith("offline")
    assert with_xml["fields"]["total"] == visual["fields"]["total"] == "215.07"


def test_progress_bar_goes_to_stderr_for_many_files(files: dict[str, Path]) -> None:
    args = [str(files["good"])] * 5
    proc = _run("--extractor", "offline", *args)
    assert proc.returncode == 0
    assert len(proc.stdout.splitlines()) == 5
    assert "5/5" in proc.stderr


def test_exit_status_is_non_zero_only_when_it_cannot_run(files: dict[str, Path]) -> None:
    proc = _run("--extractor", "openai", str(files["good"]))
    assert proc.returncode == 2
    assert proc.stdout == "" and "OPENAI_API_KEY" in proc.stderr
