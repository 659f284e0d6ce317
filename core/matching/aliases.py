"""Alternate names, VAT ids and IBANs of vendors, as extra rows of the vendor master.

Aliases come from two places, in one contract:

* an alias frame ``vendor_id, kind, value[, note]`` (``kind`` is ``name``, ``vat_id`` or
  ``iban``; ``note`` says where the alias comes from, e.g. ``"former name, imported"`` or
  ``"learned from ana@example.com, 2026-12-06"``; the workflow builds it from the alias store);
* alias columns of the reference frame itself (``ALIAS_COLUMNS``: ``aliases``,
  ``former_names``, ``alternate_names``, ``other_names``, ``aka`` and singular forms), each cell
  one or more names separated by ``|`` or ``;`` (or a list), which is how ``python -m core
  match|tune`` read them from a CSV.

``expand_aliases`` returns the reference with one extra row per alias, under the vendor's ``id``
(the matcher keeps each vendor's best row, so an alias never competes with its own vendor). An
alias row of kind ``name`` has the alias as ``name``; one of kind ``vat_id``/``iban`` keeps the
vendor's name and carries the alias value in that column. Every row gets ``vendor_name`` (the
master name), ``alias`` (the alias value, ``""`` on master rows), ``alias_kind`` and
``alias_note``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pandas as pd

from core.errors import ValidationFailed

ALIAS_COLUMNS = (
    "aliases",
    "alias",
    "former_names",
    "former_name",
    "previous_names",
    "previous_name",
    "alternate_names",
    "alternate_name",
    "other_names",
    "aka",
)
ALIAS_KINDS = ("name", "vat_id", "iban")
_SEPARATORS = re.compile(r"\s*[|;\n]\s*")
_COLUMN_NOTES = {
    "aliases": "alias from the vendor master",
    "alias": "alias from the vendor master",
    "former_names": "former name from the vendor master",
    "former_name": "former name from the vendor master",
    "previous_names": "former name from the vendor master",
    "previous_name": "former name from the vendor master",
    "alternate_names": "alternate name from the vendor master",
    "alternate_name": "alternate name from the vendor master",
    "other_names": "other name from the vendor master",
    "aka": "alias from the vendor master",
}


def split_names(cell: Any) -> list[str]:
    """One cell of an alias column -> distinct non-empty names, in order."""
    if cell is None or (isinstance(cell, float) and cell != cell):
        return []
    parts: Iterable[Any] = cell if isinstance(cell, list | tuple) else _SEPARATORS.split(str(cell))
    out: list[str] = []
    for part in parts:
        text = " ".join(str(part).split())
        if text and text not in out:
            out.append(text)
    return out


def alias_frame_from_columns(reference: pd.DataFrame) -> pd.DataFrame:
    """The alias frame written in the reference's alias columns (empty when there are none)."""
    rows: list[dict[str, str]] = []
    for column in ALIAS_COLUMNS:
        if column not in reference.columns:
            continue
        note = _COLUMN_NOTES[column]
        for vendor_id, cell in zip(reference["id"].astype(str), reference[column], strict=True):
            for value in split_names(cell):
                rows.append({"vendor_id": vendor_id, "kind": "name", "value": value, "note": note})
    return pd.DataFrame(rows, columns=["vendor_id", "kind", "value", "note"])


def expand_aliases(reference: pd.DataFrame, aliases: pd.DataFrame | None = None) -> pd.DataFrame:
    """The reference plus one row per alias (see the module docstring); ids stay strings."""
    base = reference.drop(columns=[c for c in ALIAS_COLUMNS if c in reference.columns])
    base = base.reset_index(drop=True).copy()
    base["id"] = base["id"].astype(str)
    base["vendor_name"] = base["name"].fillna("").astype(str)
    base["alias"] = ""
    base["alias_kind"] = ""
    base["alias_note"] = ""
    frames = [alias_frame_from_columns(reference)]
    if aliases is not None and len(aliases):
        missing = [c for c in ("vendor_id", "kind", "value") if c not in aliases.columns]
        if missing:
            raise ValidationFailed(f"aliases are missing column(s): {', '.join(missing)}")
        frames.append(aliases)
    table = (
        pd.concat([f for f in frames if len(f)], ignore_index=True)
        if any(len(f) for f in frames)
        else None
    )
    if table is None:
        return base
    bad = sorted(set(table["kind"].astype(str)) - set(ALIAS_KINDS))
    if bad:
        raise ValidationFailed(f"unknown alias kind(s): {', '.join(bad)}; use {ALIAS_KINDS}")
    first = base.drop_duplicates("id").set_index("id")
    extra: list[dict[str, Any]] = []
    notes = table["note"] if "note" in table.columns else pd.Series([""] * len(table))
    for vendor_id, kind, value, note in zip(
        table["vendor_id"].astype(str),
        table["kind"].astype(str),
        table["value"],
        notes,
        strict=True,
    ):
        text = " ".join(str(value or "").split())
        if not text or vendor_id not in first.index:
            continue
        row = {**first.loc[vendor_id].to_dict(), "id": vendor_id, "alias": text}
        row["alias_note"] = str(note or "alias")
        row["alias_kind"] = kind
        if kind == "name":
            row["name"] = text
        else:
            row[kind] = text
        extra.append(row)
    if not extra:
        return base
    return pd.concat([base, pd.DataFrame(extra)], ignore_index=True).fillna("")
