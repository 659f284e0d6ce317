"""Aliases (former names, learned spellings, VAT ids, IBANs) as exact keys with a named reason."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from core.errors import ValidationFailed
from core.matching.aliases import alias_frame_from_columns, expand_aliases, split_names
from core.matching.matcher import match_vendors

ROOT = Path(__file__).resolve().parents[3]
MASTER = pd.DataFrame(
    {
        "id": ["V1", "V2", "V3"],
        "name": ["Accenture plc", "Altria Group Inc.", "Müller Logistik GmbH"],
        "vat_id": ["IE6388047V", "", "DE111111111"],
    }
)


def _decide(name: str, master: pd.DataFrame, aliases: pd.DataFrame | None = None, **extra: str):
    query = pd.DataFrame([{"id": "q", "name": name, **extra}])
    return match_vendors(query, master, aliases=aliases).iloc[0]


def test_alias_cells_split_on_pipes_semicolons_and_lines() -> None:
    assert split_names("Andersen Consulting | Accenture Ltd;  Old  Name\n") == [
        "Andersen Consulting",
        "Accenture Ltd",
        "Old Name",
    ]
    assert split_names(["A", "A", " "]) == ["A"]
    assert split_names(float("nan")) == [] and split_names(None) == []


def test_a_former_name_in_the_master_is_an_exact_key_named_in_the_reason() -> None:
    master = MASTER.assign(former_names=["Andersen Consulting", "Philip Morris Companies", ""])
    without = _decide("Andersen Consulting LLP", MASTER)
    assert without["match_id"] != "V1"
    out = _decide("Andersen Consulting LLP", master)
    assert (out["match_id"], out["decision"]) == ("V1", "auto")
    assert "via alias 'Andersen Consulting' (former name from the vendor master)" in out["reason"]
    assert "exact alias" in out["reason"]
    # the vendor's own name still works, and the alias never competes with its vendor
    own = _decide("Accenture plc", master)
    assert own["match_id"] == "V1" and own["runner_up_id"] != "V1"


def test_alias_frame_names_where_an_alias_comes_from() -> None:
    aliases = pd.DataFrame(
        {
            "vendor_id": ["V2", "V3"],
            "kind": ["name", "iban"],
            "value": ["Philip Morris Companies Inc.", "DE89 3704 0044 0532 0130 00"],
            "note": ["learned from ana@example.com, 2026-12-06", "imported, 2026-12-01"],
        }
    )
    out = _decide("PHILIP MORRIS COMPANIES", MASTER, aliases)
    assert out["match_id"] == "V2"
    assert "learned from ana@example.com, 2026-12-06" in out["reason"]
    by_iban = _decide("M. Logistics", MASTER, aliases, iban="DE89370400440532013000")
    assert by_iban["match_id"] == "V3"
    assert "alias" in by_iban["reason"]


def test_expanded_rows_keep_the_vendor_and_say_which_alias_they_are() -> None:
    master = MASTER.assign(aliases=["Andersen Consulting; Accenture Ltd", "", ""])
    frame = expand_aliases(master)
    assert len(frame) == 5
    extra = frame[frame["alias"] != ""]
    assert set(extra["id"]) == {"V1"} and set(extra["vendor_name"]) == {"Accenture plc"}
    assert set(extra["alias_kind"]) == {"name"}
    assert list(alias_frame_from_columns(master)["value"]) == [
        "Andersen Consulting",
        "Accenture Ltd",
    ]
    with pytest.raises(ValidationFailed):
        expand_aliases(
            MASTER, pd.DataFrame({"vendor_id": ["V1"], "kind": ["email"], "value": ["x"]})
        )
    with pytest.raises(ValidationFailed):
        expand_aliases(MASTER, pd.DataFrame({"vendor_id": ["V1"], "value": ["x"]}))


def test_the_cli_reads_an_aliases_column_of_the_reference(tmp_path: Path) -> None:
    ref = tmp_path / "ref.csv"
    MASTER.assign(aliases=["Andersen Consulting", "", ""]).to_csv(ref, index=False)
    queries = tmp_path / "q.csv"
    pd.DataFrame({"id": ["a"], "name": ["ANDERSEN CONSULTING"]}).to_csv(queries, index=False)
    done = subprocess.run(
        [sys.executable, "-m", "core", "match", "--reference", str(ref), "--queries", str(queries)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    row = json.loads(done.stdout.splitlines()[0])
    assert row["match_id"] == "V1" and "alias 'Andersen Consulting'" in row["reason"]
