"""Vendor decisions: bands, margins, reasons, signals, thefuzz mode, the extraction adapter."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from thefuzz import fuzz

from core.errors import ValidationFailed
from core.extraction.schema import ExtractedField, Extraction
from core.matching.index import VendorIndex
from core.matching.matcher import decide_vendor, extraction_to_query, match_vendors
from core.matching.profile import MatchProfile


def _queries(*names: str, **columns: list[str]) -> pd.DataFrame:
    data = {"id": [f"q{i}" for i in range(len(names))], "name": list(names), **columns}
    return pd.DataFrame(data)


def test_spelling_variant_is_auto_accepted_with_a_reason_and_profile_version(
    vendors: pd.DataFrame,
) -> None:
    out = match_vendors(_queries("Mueller Logistik"), vendors).iloc[0]
    assert (out["decision"], out["match_id"]) == ("auto", "V1")
    assert out["reason"].startswith("auto-accepted: best vendor V1")
    assert "profile default@1" in out["reason"]
    assert out["profile_version"] == "default@1"
    assert out["candidates"][0] == {"id": "V1", "score": out["score"]}


def test_unknown_vendor_is_rejected_without_a_match_id(vendors: pd.DataFrame) -> None:
    out = match_vendors(_queries("Zebra Plumbing Ltd"), vendors).iloc[0]
    assert out["decision"] == "reject"
    assert out["match_id"] is None
    assert out["reason"].startswith("unknown vendor")


def test_legal_form_siblings_without_other_evidence_go_to_review(vendors: pd.DataFrame) -> None:
    out = match_vendors(_queries("Deutsche Bank"), vendors).iloc[0]
    assert out["decision"] == "review"
    assert out["match_id"] in {"V2", "V3"}
    assert out["runner_up_id"] in {"V2", "V3"}
    assert "leads runner-up" in out["reason"]


def test_legal_form_ranks_the_right_sibling_first(vendors: pd.DataFrame) -> None:
    ag = match_vendors(_queries("Deutsche Bank AG"), vendors).iloc[0]
    gmbh = match_vendors(_queries("Deutsche Bank G.m.b.H."), vendors).iloc[0]
    assert (ag["match_id"], gmbh["match_id"]) == ("V2", "V3")


def test_vat_id_settles_an_ambiguous_name(vendors: pd.DataFrame) -> None:
    out = match_vendors(_queries("Deutsche Bank", vat_id=["DE 333 333 333"]), vendors).iloc[0]
    assert (out["decision"], out["match_id"]) == ("auto", "V3")
    assert "VAT id agrees" in out["reason"]


def test_iban_is_an_exact_key_even_when_the_name_is_garbled(vendors: pd.DataFrame) -> None:
    query = _queries("Schn. Elektro", iban=["DE89 3704 0044 0532 0130 00"])
    out = match_vendors(query, vendors).iloc[0]
    assert out["match_id"] == "V6"
    assert "IBAN agrees" in out["reason"]


def test_acronym_finds_the_spelled_out_vendor_for_review(vendors: pd.DataFrame) -> None:
    out = match_vendors(_queries("IBM"), vendors).iloc[0]
    assert out["match_id"] == "V4"
    assert out["decision"] == "review"


@pytest.mark.parametrize(
    ("threshold", "margin", "review", "expected"),
    [
        (95.0, 0.0, 50.0, "auto"),  # clear winner
        (100.0, 0.0, 50.0, "review"),  # score below T
        (50.0, 100.0, 50.0, "review"),  # margin below M
        (100.0, 100.0, 100.0, "reject"),  # below R
    ],
)
def test_bands_follow_the_profile_thresholds(
    vendors: pd.DataFrame, threshold: float, margin: float, review: float, expected: str
) -> None:
    profile = MatchProfile(auto_threshold=threshold, margin=margin, review_threshold=review)
    out = match_vendors(_queries("Mueller Logistik GmbH"), vendors, profile).iloc[0]
    assert out["decision"] == expected


def test_thefuzz_mode_scores_are_thefuzz_scores(vendors: pd.DataFrame) -> None:
    profile = MatchProfile(scorer="token_sort_ratio", auto_threshold=90, review_threshold=60)
    out = match_vendors(_queries("deutsche bank a.g."), vendors, profile, top=7).iloc[0]
    expected = {
        vid: fuzz.token_sort_ratio("deutsche bank a.g.", name)
        for vid, name in zip(vendors["id"], vendors["name"], strict=True)
    }
    assert {c["id"]: c["score"] for c in out["candidates"]} == expected
    assert "thefuzz token_sort_ratio" in out["reason"]


def test_a_prebuilt_index_gives_the_same_decisions(vendors: pd.DataFrame) -> None:
    queries = _queries("Mueller Logistik", "Societe Generale", "unknown firm")
    direct = match_vendors(queries, vendors)
    indexed = match_vendors(queries, VendorIndex(vendors))
    pd.testing.assert_frame_equal(direct, indexed)


def test_frames_without_required_columns_are_refused(vendors: pd.DataFrame) -> None:
    with pytest.raises(ValidationFailed, match="name"):
        match_vendors(pd.DataFrame({"id": ["x"]}), vendors)
    with pytest.raises(ValidationFailed, match="reference"):
        match_vendors(_queries("a"), vendors.drop(columns=["id"]))


def test_an_extraction_becomes_a_query_row_and_is_decided(vendors: pd.DataFrame) -> None:
    extraction = Extraction(
        vendor_name=ExtractedField[str](value="Société Générale", confidence=0.9),
        vendor_vat_id=ExtractedField[str](value="FR44444444444", confidence=0.9),
        total=ExtractedField[Decimal](value=Decimal("12.50"), confidence=0.9),
        invoice_date=ExtractedField[dt.date](value=dt.date(2026, 1, 31), confidence=0.9),
    )
    row = extraction_to_query(extraction, "inv-1")
    assert row["name"] == "Société Générale"
    assert (row["amount"], row["date"], row["vat_id"]) == ("12.50", "2026-01-31", "FR44444444444")
    decision = decide_vendor(extraction, vendors)
    assert (decision["decision"], decision["match_id"]) == ("auto", "V5")


def test_profiles_round_trip_through_json_and_version_up() -> None:
    profile = MatchProfile(name="client-a", auto_threshold=80)
    again = MatchProfile.from_json(profile.to_json())
    assert again == profile
    newer = again.next_version(margin=5.0)
    assert (newer.version, newer.margin, newer.label) == (2, 5.0, "client-a@2")
    with pytest.raises(ValidationFailed):
        MatchProfile.from_json('{"auto_threshold": 20, "review_threshold": 50}')


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(alphabet=st.sampled_from(list("abcdeüé &.-GmbHAG")), max_size=30))
def test_model_scores_and_margins_are_bounded(vendors: pd.DataFrame, name: str) -> None:
    out = match_vendors(_queries(name), vendors).iloc[0]
    assert 0.0 <= out["margin"] <= out["score"] <= 100.0
    assert [c["score"] for c in out["candidates"]] == sorted(
        (c["score"] for c in out["candidates"]), reverse=True
    )


def test_an_empty_reference_is_a_validation_error() -> None:
    with pytest.raises(ValidationFailed, match="no rows"):
        match_vendors(_queries("Acme"), pd.DataFrame({"id": [], "name": []}))
