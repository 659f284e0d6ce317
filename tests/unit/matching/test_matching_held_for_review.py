"""Pairs the auto band never takes, whatever the score: the invoice name has a word the vendor's
name lacks (a sibling or another company of the same family or brand name), or another legal
form (another legal entity), unless an identifier vouches for the pair."""

from __future__ import annotations

import pandas as pd
import pytest

from core.matching.evaluation import metrics_at, outcome_table
from core.matching.matcher import match_vendors
from core.matching.profile import MatchProfile

MASTER = pd.DataFrame(
    {
        "id": ["V1", "V2", "V3", "V4", "V5"],
        "name": [
            "Rodríguez Stahl SA",
            "Fali S.A.",
            "Danno Worldwide AB",
            "TCE S.A.",
            "Acme Industrial Supplies GmbH",
        ],
        "vat_id": ["ES11111111", "ES22222222", "SE333333333301", "ES44444444", "DE811907980"],
    }
)
# An auto band that takes anything close: only the rule keeps these pairs out of it.
LOOSE = MatchProfile(auto_threshold=2, margin=1, review_threshold=1)


def _decide(name: str, vat_id: str = "") -> pd.Series:
    queries = pd.DataFrame({"id": ["q"], "name": [name], "vat_id": [vat_id]})
    return match_vendors(queries, MASTER, LOOSE).iloc[0]


@pytest.mark.parametrize(
    ("name", "vendor"),
    [
        ("Rodríguez Logistik SA", "V1"),  # same family name, another trade
        ("Fali Bau S.A.", "V2"),  # the invoice adds a word
        ("Randanne Worldwide AB", "V3"),  # only a generic word in common
        ("TCE Oy", "V4"),  # the same name, another legal entity
    ],
)
def test_a_sibling_or_another_company_goes_to_review_not_auto(name: str, vendor: str) -> None:
    out = _decide(name)
    assert out["match_id"] == vendor and out["decision"] == "review" and out["held"]
    assert "held for review" in out["reason"]


@pytest.mark.parametrize(
    ("name", "vat_id"),
    [("Fali Bau S.A.", "ES22222222"), ("TCE Oy", "ES 4444 4444")],
)
def test_an_agreeing_vat_id_vouches_for_the_pair(name: str, vat_id: str) -> None:
    out = _decide(name, vat_id)
    assert out["decision"] == "auto" and not out["held"]


@pytest.mark.parametrize(
    "name",
    [
        "Acme Industrial Supplies GmbH",
        "ACME Industrail Supplies GmbH",  # a typo has a counterpart
        "Acme Industrial Supplies Gesellschaft mit beschränkter Haftung",  # spelled out
        "Acme Industrial Supplies GmbH - Deutschland",  # a place tail is not a word
        "AcmeIndustrial Supplies GmbH",  # glued
        "Acme Industrial Supplies tGmbH",  # a legal form damaged by OCR is no extra word
        "Acme Industrial Supplies GmbH (Deutscland)",  # nor is a misspelt place
    ],
)
def test_spellings_of_the_same_vendor_stay_in_the_auto_band(name: str) -> None:
    out = _decide(name)
    assert out["match_id"] == "V5" and out["decision"] == "auto" and not out["held"]


def test_the_evaluation_counts_a_held_pair_outside_the_auto_band() -> None:
    decisions = match_vendors(
        pd.DataFrame({"id": ["a", "b"], "name": ["Fali Bau S.A.", "Acme Industrial Supplies"]}),
        MASTER,
        LOOSE,
    )
    table = outcome_table(decisions, pd.Series({"a": None, "b": "V5"}))
    figures = metrics_at(table, LOOSE.auto_threshold, LOOSE.margin, LOOSE.review_threshold)
    assert figures["auto_count"] == 1 and figures["auto_precision"] == 1.0


GLUED_MASTER = pd.DataFrame(
    {
        "id": ["G1", "G2"],
        "name": ["Obdanfeld Holding Limited", "Schmidt Logistik GmbH"],
        "vat_id": ["GB123456789", "DE123456789"],
    }
)


def _decide_glued(name: str, vat_id: str = "") -> pd.Series:
    queries = pd.DataFrame({"id": ["q"], "name": [name], "vat_id": [vat_id]})
    return match_vendors(queries, GLUED_MASTER, LOOSE).iloc[0]


@pytest.mark.parametrize(
    ("name", "vendor"),
    [
        ("ObdanfeldBau Limited", "G1"),  # a trade word glued to the family name
        ("BauObdanfeld Limited", "G1"),  # glued in front
        ("SchmidtElektro Logistik GmbH", "G2"),
    ],
)
def test_a_trade_word_glued_to_the_name_keeps_the_sibling_rule(name: str, vendor: str) -> None:
    out = _decide_glued(name)
    assert out["match_id"] == vendor and out["decision"] == "review" and out["held"]
    assert "held for review" in out["reason"]


def test_an_agreeing_vat_id_vouches_for_a_glued_name() -> None:
    out = _decide_glued("ObdanfeldBau Limited", "GB 123 456 789")
    assert out["match_id"] == "G1" and out["decision"] == "auto" and not out["held"]


@pytest.mark.parametrize(
    "name",
    [
        "ObdanfeldHolding Limited",  # the vendor's own words glued: the same letters
        "Obdanfeld Holdings Ltd",  # a plural is no glued word
        "SchmidtLogistik GmbH",
        "Schmidt LogistikGmbH",  # a legal form glued on is no word
        "Schmidt Logistik GmbH Hamburg",  # a place tail neither
    ],
)
def test_glued_spellings_of_the_vendors_own_words_stay_in_the_auto_band(name: str) -> None:
    out = _decide_glued(name)
    assert out["decision"] == "auto" and not out["held"], out["reason"]
