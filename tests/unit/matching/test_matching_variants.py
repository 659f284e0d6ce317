"""Each name-variant signal: what it catches, its value, and the reason it puts in a decision."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rapidfuzz import fuzz

from core.matching.features import prepare_frame
from core.matching.index import VendorIndex
from core.matching.matcher import match_vendors, score_candidates
from core.matching.normalize import normalize_name
from core.matching.profile import MatchProfile

MASTER = pd.DataFrame(
    {
        "id": ["V1", "V2", "V3", "V4", "V5", "V6", "V7", "V8", "V9"],
        "name": [
            "International Business Machines Corp.",
            "Müller Logistik GmbH",
            "Rheinland Spedition GmbH",
            "Alphatec Bau AG",
            "Vexor Holding International AG",
            "Korvan Europe Holding B.V.",
            "Schmidt Elektrotechnik KG",
            "Nordwind Trading Group Ltd",
            "Baltic Capital Partners Holding SE",
        ],
    }
)


def _signals(query: str, vendor_id: str, master: pd.DataFrame = MASTER) -> pd.Series:
    """Every signal of the (query, vendor) pair, as the model scores it."""
    index = VendorIndex(master)
    prepared = prepare_frame(pd.DataFrame({"id": ["q"], "name": [query]}))
    pairs = score_candidates(prepared, index, MatchProfile(), k=len(master))
    found = pairs[pairs["ref_id"] == vendor_id]
    return found.iloc[0] if len(found) else pd.Series(dtype=float)


def _decide(query: str, master: pd.DataFrame = MASTER) -> pd.Series:
    return match_vendors(pd.DataFrame({"id": ["q"], "name": [query]}), master).iloc[0]


def test_acronym_of_the_words_and_of_the_first_word_both_count() -> None:
    assert _signals("IBM", "V1")["acronym"] == 1.0
    assert _signals("IBM Services GmbH", "V1")["acronym"] == 1.0  # first word is the acronym
    assert _signals("Nordwind Trading Group Ltd", "V1").get("acronym", 0.0) == 0.0
    out = _decide("I.B.M.")
    assert out["match_id"] == "V1" and "acronym agrees" in out["reason"]


def test_initials_of_the_distinctive_words_skip_generic_ones() -> None:
    name = normalize_name("Baltic Capital Partners Holding SE")
    assert (name.acronym, name.acronym2) == ("bcph", "")  # one distinctive word: no acronym
    name = normalize_name("Nordic Rail Freight Holding AB")
    assert (name.acronym, name.acronym2) == ("nrfh", "nrf")


def test_other_scripts_are_transliterated_and_sound_alike() -> None:
    assert normalize_name("Мюллер Логистик ООО").key == "myuller logistik"
    assert normalize_name("Мюллер Логистик ООО").legal_family == "ooo"
    signals = _signals("Мюллер Логистик", "V2")
    assert signals["phonetic"] > 0.8
    out = _decide("Мюллер Логистик")
    assert out["match_id"] == "V2"


def test_phonetic_similarity_scores_spelling_variants_of_a_sound() -> None:
    alike = _signals("Schmitt Elektrotechnik", "V7")["phonetic"]
    other = _signals("Schmitt Elektrotechnik", "V2")["phonetic"]
    assert alike > 0.85 > other


def test_spaced_and_glued_letters_compare_without_spaces() -> None:
    assert normalize_name("A B B Ltd").key == "abb"
    assert normalize_name("A.B.B. Ltd").key == "abb"
    glued = _signals("Alpha Tec Bau AG", "V4")
    assert glued["flat_ratio"] == 1.0 and glued["exact_key"] == 0.0
    assert _decide("Alpha Tec Bau AG")["match_id"] == "V4"


@pytest.mark.parametrize(
    ("spelled", "short"),
    [
        ("Philips Naamloze Vennootschap", "Philips N.V."),
        ("Shell Besloten Vennootschap", "Shell B.V."),
        ("Siemens Gesellschaft mit beschraenkter Haftung", "Siemens GmbH"),
        ("Siemens Gesellschaft mit beschränkter Haftung", "Siemens GmbH"),
        ("Telefonica Sociedad Anonima", "Telefonica S.A."),
        ("Renault Société Anonyme", "Renault SA"),
        ("Fiat Società per Azioni", "Fiat S.p.A."),
        ("Zara Sociedad Limitada", "Zara S.L."),
        ("Volvo Aktiebolag", "Volvo AB"),
        ("Nokia Osakeyhtiö", "Nokia Oy"),
        ("Orlen Spółka z ograniczoną odpowiedzialnością", "Orlen Sp. z o.o."),
        ("Skoda společnost s ručením omezeným", "Skoda s.r.o."),
        ("Tesco Public Limited Company", "Tesco PLC"),
        ("Acme Limited Liability Company", "Acme LLC"),
    ],
)
def test_legal_forms_spelled_out_equal_their_abbreviation(spelled: str, short: str) -> None:
    a, b = normalize_name(spelled), normalize_name(short)
    assert (a.key, a.legal_family) == (b.key, b.legal_family)
    assert a.legal_family


def test_place_tails_are_stripped_but_kept_as_a_signal() -> None:
    name = normalize_name("Rheinland Spedition Köln")
    assert (name.key, name.tail) == ("rheinland spedition", "koln")
    assert normalize_name("Acme (Deutschland) GmbH").tail == "deutschland"
    assert normalize_name("Spago (Los Angeles)").tail == "los angeles"
    assert normalize_name("Bank of America").key == "bank america"  # one word would be left
    master = MASTER.assign(
        name=MASTER["name"].str.replace("Rheinland Spedition GmbH", "Rheinland Spedition GmbH Köln")
    )
    assert _signals("Rheinland Spedition GmbH (Köln)", "V3", master)["tail"] == 1.0
    assert _signals("Rheinland Spedition GmbH (Wien)", "V3", master)["tail"] == -1.0
    assert _decide("Rheinland Spedition GmbH - Deutschland")["match_id"] == "V3"


def test_word_weights_are_learned_from_the_vendor_master() -> None:
    brands = ("Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Theta", "Iota", "Kappa")
    many = pd.DataFrame(
        {
            "id": [f"V{i}" for i in range(len(brands))],
            "name": [f"{w} Holding International GmbH" for w in brands],
        }
    )
    index = VendorIndex(many)
    weight = {code: index.code_weight[col] for code, col in index._code_vocab.items()}
    holding = weight[normalize_name("Holding").codes[0]]
    international = weight[normalize_name("International").codes[0]]
    alpha = weight[normalize_name("Alpha").codes[0]]
    assert alpha > 3 * holding and alpha > 3 * international
    assert index.code_distinct[index._code_vocab[normalize_name("Alpha").codes[0]]] == 1.0


def test_only_generic_words_in_common_is_its_own_signal_and_does_not_match() -> None:
    signals = _signals("Zentrix Holding International AG", "V5")
    assert signals["generic_only"] == 1.0
    assert signals["cover_query"] < 0.3
    out = _decide("Zentrix Holding International AG")
    assert out["decision"] != "auto"
    assert out["match_id"] is None or out["decision"] == "review"


def test_a_family_name_alone_in_common_is_weak_evidence() -> None:
    signals = _signals("Müller Bau GmbH", "V2")
    assert signals["lone_shared"] == 1.0
    assert signals["worst_word_query"] < 0.5  # "bau" is nothing like "logistik"
    typo = _signals("Müller Logistk GmbH", "V2")
    assert typo["lone_shared"] == 0.0 or typo["worst_word_query"] > 0.8
    assert typo["worst_word_query"] > 0.8 > signals["worst_word_query"]
    assert _decide("Müller Bau GmbH")["decision"] != "auto"


def test_every_decision_says_why_in_plain_words() -> None:
    queries = ["IBM", "Мюллер Логистик", "Zentrix Holding International AG", "Alpha Tec Bau AG"]
    out = match_vendors(pd.DataFrame({"id": list("abcd"), "name": queries}), MASTER)
    for reason in out["reason"]:
        assert reason.split(":")[0] in {"auto-accepted", "needs review", "unknown vendor"}
        assert "profile default@1" in reason and "[" in reason
    assert np.isfinite(out["score"]).all()


def test_a_differing_address_is_weak_evidence_and_the_same_address_strong() -> None:
    """Vendors move and have several sites: an unrelated address only costs a quarter of what
    an agreeing one gains (features.ADDRESS_DIFFERS): it cannot sink an otherwise identical
    name."""
    master = pd.DataFrame(
        {"id": ["A1"], "name": ["Smith & Wollensky"], "address": ["797 Third Ave."]}
    )
    index = VendorIndex(master)
    queries = prepare_frame(
        pd.DataFrame(
            {
                "id": ["same", "moved"],
                "name": ["Smith & Wollensky", "Smith & Wollensky"],
                "address": ["797 third ave", "201 E. 49th St."],
            }
        )
    )
    pairs = score_candidates(queries, index, MatchProfile(), k=1).set_index("qi")
    assert pairs.loc[0, "address"] == 1.0
    moved = fuzz.token_set_ratio("201 e 49th saint", "797 third ave") / 100 * 2 - 1
    assert moved < -0.2  # unrelated addresses
    assert pairs.loc[1, "address"] == pytest.approx(0.25 * moved)
