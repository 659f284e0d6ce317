"""The printed VAT id / IBAN decides between vendors the name cannot tell apart
(``core.matching.identified``), and never loses to another vendor's name alias.

Vendors are generated (seeded): a family or brand word, a trade word, a legal form, a VAT id of
the country; each case builds its own small master around a pair of same-name vendors."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from core.matching.features import vat_key
from core.matching.matcher import match_vendors

_BRANDS = ["Nordlicht", "Alpen", "Rheintal", "Bergmann", "Cedar", "Oakridge", "Silverline"]
_TRADES = ["Werkzeuge", "Software", "Druckerei", "Logistik", "Consulting", "Handels", "Labs"]
_FILLER = ["Atlas Holdings", "Vertex Partners", "Kappa Trading", "Helix Partners", "Orbit Group"]
SEEDS = range(5)


def _vat(rng: random.Random, country: str = "DE") -> str:
    return f"{country}{rng.randrange(100_000_000, 999_999_999)}"


def _swiss_uid(rng: random.Random) -> str:
    d = f"{rng.randrange(100_000_000, 999_999_999)}"
    return f"CHE-{d[:3]}.{d[3:6]}.{d[6:]} MWST"


def _world(seed: int) -> dict[str, str]:
    """A same-name pair (X with its VAT id in the master, Y a sibling without one) and fillers."""
    rng = random.Random(seed)
    brand, trade = rng.choice(_BRANDS), rng.choice(_TRADES)
    return {
        "name": f"{brand} {trade}",
        "x_vat": _vat(rng),
        "y_vat": _vat(rng),
        "other_vat": _vat(rng, "FR"),
        "uid": _swiss_uid(rng),
        "iban_x": f"DE{rng.randrange(10, 99)}{rng.randrange(10**17, 10**18)}",
        "iban_y": f"DE{rng.randrange(10, 99)}{rng.randrange(10**17, 10**18)}",
        "filler": f"{rng.choice(_FILLER)} {rng.randrange(10, 99)}",
    }


def _master(rows: list[dict[str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for col in ("vat_id", "iban"):
        if col not in frame.columns:
            frame[col] = ""
    return frame.fillna("")


def _aliases(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"vendor_id": v, "kind": k, "value": val, "note": "alias learned from op, 2026-12-06"}
            for v, k, val in rows
        ],
        columns=["vendor_id", "kind", "value", "note"],
    )


def _decide(name: str, master: pd.DataFrame, aliases: pd.DataFrame, **printed: str) -> pd.Series:
    query = pd.DataFrame([{"id": "q", "name": name, **printed}])
    return match_vendors(query, master, aliases=aliases).iloc[0]


@pytest.mark.parametrize("seed", SEEDS)
def test_a_same_name_sibling_with_a_learned_vat_id_no_longer_holds_the_vendor_its_vat_names(
    seed: int,
) -> None:
    """The stream's V008/V014: X prints its own name and VAT id; the sibling Y (master without a
    VAT id) learned the same spelling (another legal form) and its own VAT id as aliases."""
    w = _world(seed)
    master = _master(
        [
            {"id": "X", "name": f"{w['name']} GmbH & Co. KG", "vat_id": w["x_vat"]},
            {"id": "Y", "name": w["name"].upper()},
            {"id": "F", "name": w["filler"], "vat_id": w["other_vat"]},
        ]
    )
    aliases = _aliases([("Y", "name", f"{w['name']} e.K."), ("Y", "vat_id", w["y_vat"])])
    out = _decide(f"{w['name']} GmbH & Co. KG", master, aliases, vat_id=w["x_vat"])
    assert (out["match_id"], out["decision"]) == ("X", "auto"), out["reason"]
    assert f"identified by the printed VAT id {w['x_vat']} (vendor master)" in out["reason"]
    assert "Y has another VAT id on record" in out["reason"]
    # Y's own invoices still go to Y (its learned VAT id)
    own = _decide(f"{w['name']} e.K.", master, aliases, vat_id=w["y_vat"])
    assert (own["match_id"], own["decision"]) == ("Y", "auto"), own["reason"]


@pytest.mark.parametrize("seed", SEEDS)
def test_a_same_name_sibling_without_any_identifier_is_told_apart_by_the_vat_id(seed: int) -> None:
    w = _world(seed)
    master = _master(
        [
            {"id": "X", "name": f"{w['name']} AG", "vat_id": w["x_vat"]},
            {"id": "Y", "name": f"{w['name']} AG Schweiz"},
        ]
    )
    aliases = _aliases([("Y", "name", f"{w['name']} AG")])
    out = _decide(f"{w['name']} AG", master, aliases, vat_id=w["x_vat"])
    assert (out["match_id"], out["decision"]) == ("X", "auto"), out["reason"]
    assert "Y has the same name and no VAT id" in out["reason"]


@pytest.mark.parametrize("seed", SEEDS)
def test_a_trading_name_vendor_that_learned_the_name_loses_to_the_vat_id_holder(seed: int) -> None:
    """The stream's V018/V022, with the Swiss UID printed with or without its MWST suffix."""
    w = _world(seed)
    name = f"{w['name']} AG"
    master = _master(
        [
            {"id": "X", "name": name, "vat_id": w["uid"]},
            {"id": "Y", "name": w["filler"]},
        ]
    )
    aliases = _aliases([("Y", "name", name), ("Y", "vat_id", w["y_vat"])])
    for printed in (w["uid"], w["uid"].removesuffix(" MWST"), w["uid"].replace("MWST", "TVA")):
        out = _decide(name, master, aliases, vat_id=printed)
        assert (out["match_id"], out["decision"]) == ("X", "auto"), (printed, out["reason"])
        assert f"identified by the printed VAT id {printed}" in out["reason"]
    own = _decide(name, master, aliases, vat_id=w["y_vat"])
    assert (own["match_id"], own["decision"]) == ("Y", "auto"), own["reason"]


def test_a_swiss_uid_is_one_key_with_or_without_its_language_suffix() -> None:
    keys = {vat_key(v) for v in ("CHE-770.359.036 MWST", "CHE770359036", "che 770 359 036 TVA")}
    assert keys == {"che770359036"}
    assert vat_key("DE 593 506 417") == "de593506417"


@pytest.mark.parametrize("seed", SEEDS)
def test_an_iban_decides_like_a_vat_id(seed: int) -> None:
    w = _world(seed)
    master = _master(
        [
            {"id": "X", "name": f"{w['name']} GmbH", "iban": w["iban_x"]},
            {"id": "Y", "name": w["filler"], "iban": w["iban_y"]},
        ]
    )
    aliases = _aliases([("Y", "name", f"{w['name']} GmbH")])
    out = _decide(f"{w['name']} GmbH", master, aliases, iban=w["iban_x"])
    assert (out["match_id"], out["decision"]) == ("X", "auto"), out["reason"]
    assert "identified by the printed IBAN" in out["reason"]


# Conflicts and ties: these must stay in review -------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_a_name_alias_never_silently_overrides_another_vendors_exact_vat_id(seed: int) -> None:
    """The name and Y's learned alias point at Y, the printed VAT id is X's (another name): a
    conflict. Y has no VAT id on record, so nothing contradicts Y's pair: the old matcher put it
    in the auto band."""
    w = _world(seed)
    name = f"{w['name']} AG"
    master = _master(
        [
            {"id": "X", "name": w["filler"], "vat_id": w["other_vat"]},
            {"id": "Y", "name": "Zeta Consolidated Ltd"},
        ]
    )
    aliases = _aliases([("Y", "name", name)])
    out = _decide(name, master, aliases, vat_id=w["other_vat"])
    assert out["decision"] == "review" and out["held"], out["reason"]
    conflict = f"the printed VAT id {w['other_vat']} is on record for vendor X, not for Y"
    assert conflict in out["reason"]


@pytest.mark.parametrize("seed", SEEDS)
def test_a_vat_id_of_a_vendor_the_name_does_not_point_at_stays_in_review(seed: int) -> None:
    """X holds the printed VAT id and has a similar name, but the printed name is exactly Y's
    learned alias (Y has no identifier on record): the name prefers Y, this is no tie."""
    w = _world(seed)
    master = _master(
        [
            {"id": "X", "name": f"{w['name']} Systems International GmbH", "vat_id": w["x_vat"]},
            {"id": "Y", "name": w["filler"]},
        ]
    )
    aliases = _aliases([("Y", "name", f"{w['name']} AG")])
    out = _decide(f"{w['name']} AG", master, aliases, vat_id=w["x_vat"])
    assert out["decision"] == "review", out["reason"]
    assert "identified by" not in out["reason"]


@pytest.mark.parametrize("seed", SEEDS)
def test_two_vendors_sharing_one_vat_id_still_need_the_margin(seed: int) -> None:
    w = _world(seed)
    master = _master(
        [
            {"id": "X1", "name": f"{w['name']} GmbH", "vat_id": w["x_vat"]},
            {"id": "X2", "name": f"{w['name']} GmbH", "vat_id": w["x_vat"]},  # a branch
        ]
    )
    out = _decide(f"{w['name']} GmbH", master, _aliases([]), vat_id=w["x_vat"])
    assert out["decision"] == "review", out["reason"]
    assert "leads runner-up" in out["reason"]


@pytest.mark.parametrize("seed", SEEDS)
def test_a_name_only_tie_stays_in_review(seed: int) -> None:
    w = _world(seed)
    master = _master(
        [
            {"id": "X", "name": f"{w['name']} GmbH", "vat_id": w["x_vat"]},
            {"id": "Y", "name": f"{w['name']} GmbH", "vat_id": w["y_vat"]},
        ]
    )
    out = _decide(f"{w['name']} GmbH", master, _aliases([]))
    assert out["decision"] == "review", out["reason"]
    # a VAT id on record for nobody contradicts both: never auto (the matcher rejects it)
    out = _decide(f"{w['name']} GmbH", master, _aliases([]), vat_id=w["other_vat"])
    assert out["decision"] != "auto" and "identified by" not in out["reason"], out["reason"]


@pytest.mark.parametrize("seed", SEEDS)
def test_a_vendor_without_identifier_under_another_name_is_no_sibling(seed: int) -> None:
    """Y has no identifier on record and learned a spelling of the invoice name that is not
    X's name (X is known under its long form): Y may be X recorded twice; the VAT id does not
    explain the tie, a person decides."""
    w = _world(seed)
    master = _master(
        [
            {"id": "X", "name": f"{w['name']} und Partner GmbH", "vat_id": w["x_vat"]},
            {"id": "Y", "name": w["filler"]},
        ]
    )
    aliases = _aliases([("Y", "name", f"{w['name']} GmbH")])
    out = _decide(f"{w['name']} GmbH", master, aliases, vat_id=w["x_vat"])
    assert out["decision"] == "review", out["reason"]
    assert "identified by" not in out["reason"]


@pytest.mark.parametrize("seed", SEEDS)
def test_an_identifier_the_invoice_contradicts_decides_nothing(seed: int) -> None:
    """The printed VAT id is X's, but the printed IBAN is not the one X has on record."""
    w = _world(seed)
    master = _master(
        [
            {"id": "X", "name": f"{w['name']} GmbH", "vat_id": w["x_vat"], "iban": w["iban_x"]},
            {"id": "Y", "name": w["filler"], "vat_id": w["y_vat"]},
        ]
    )
    aliases = _aliases([("Y", "name", f"{w['name']} GmbH")])
    out = _decide(f"{w['name']} GmbH", master, aliases, vat_id=w["x_vat"], iban=w["iban_y"])
    assert out["decision"] == "review", out["reason"]


@pytest.mark.parametrize("seed", SEEDS)
def test_a_learned_spelling_does_not_vouch_for_another_legal_form(seed: int) -> None:
    """Y learned "<name> e.K." (its own legal form); X is "<name> GmbH & Co. KG". An invoice
    printing "<name> GmbH" and no VAT id is a name-only tie between two entities: the alias
    (same key, legal form aside) must not carry it into the auto band for Y. Y's own spelling,
    legal form included, still does."""
    w = _world(seed)
    master = _master(
        [
            {"id": "X", "name": f"{w['name']} GmbH & Co. KG", "vat_id": w["x_vat"]},
            {"id": "Y", "name": w["name"].upper()},
        ]
    )
    aliases = _aliases([("Y", "name", f"{w['name']} e.K."), ("Y", "vat_id", w["y_vat"])])
    out = _decide(f"{w['name']} GmbH", master, aliases)
    assert out["decision"] == "review", out["reason"]
    own = _decide(f"{w['name']} e.K.", master, aliases)
    assert (own["match_id"], own["decision"]) == ("Y", "auto"), own["reason"]
