"""Match preview: candidates with scores/bands/reasons, live re-banding, decisions, profiles."""

from __future__ import annotations

import pytest

from core.workflow import invoices, profiles, reference
from core.workflow.transitions import worker_user
from tests.e2e.console.conftest import ROLES, frame_with, open_page, texts


def _owner(workspace):
    owner = workspace.client.members["owner"]
    return worker_user(owner.id, owner.email)


def _metric(at, label):
    return int(next(m for m in at.metric if m.label == label).value)


@pytest.mark.parametrize("role", ROLES)
def test_match_preview_renders_for_each_role_with_role_appropriate_actions(
    workspace, signed_in, role
) -> None:
    at = open_page(signed_in(role), "matches")
    table = frame_with(at, "explanation")
    assert {"candidate", "score", "band", "explanation"} <= set(table.columns)
    assert "reason" not in table.columns  # the matcher's own terms stay out of the screen
    assert (table["kind"] == "vendor").sum() == 2
    assert at.get("plotly_chart"), "the score histogram is drawn"
    labels = [b.label for b in at.button]
    assert ("Confirm best candidate" in labels) is (role in ("owner", "operator"))
    assert ("Save thresholds as a new profile version" in labels) is (role in ("owner", "analyst"))


def _undecided(at, band):
    table = frame_with(at, "explanation")
    return int(((table["decision"] == "proposed") & (table["band"] == band)).sum())


def test_sliders_reband_the_preview_live(workspace, signed_in) -> None:
    at = open_page(signed_in("analyst"), "matches")
    at.slider(key="matches_review_threshold").set_value(0.0).run()
    at.slider(key="matches_margin").set_value(0.0).run()
    at.slider(key="matches_auto_threshold").set_value(0.0).run()
    vendors = frame_with(at, "explanation").query("kind == 'vendor'")
    assert (vendors["band"] == "auto").sum() == 2
    for band in ("auto", "review", "reject"):
        assert _metric(at, f"{band.capitalize()} (undecided)") == _undecided(at, band)
    at.slider(key="matches_auto_threshold").set_value(100.0).run()
    at.slider(key="matches_review_threshold").set_value(100.0).run()
    at.slider(key="matches_margin").set_value(50.0).run()
    vendors = frame_with(at, "explanation").query("kind == 'vendor'")
    strict_auto = int(((vendors["score"] >= 100) & (vendors["margin"] >= 50)).sum())
    assert (vendors["band"] == "auto").sum() == strict_auto < 2
    for band in ("auto", "review", "reject"):
        assert _metric(at, f"{band.capitalize()} (undecided)") == _undecided(at, band)


def test_review_above_auto_is_an_inline_error_and_the_page_stays(workspace, signed_in) -> None:
    at = open_page(signed_in("owner"), "matches")
    at.slider(key="matches_auto_threshold").set_value(40.0).run()
    at.slider(key="matches_review_threshold").set_value(60.0).run()
    assert any("must not exceed" in e.value for e in at.error)
    assert frame_with(at, "explanation") is not None  # the table is still there
    assert any(b.key == "matches_confirm" for b in at.button)


def test_confirming_a_match_is_stored(workspace, signed_in) -> None:
    at = open_page(signed_in("operator"), "matches")
    match_id = at.selectbox(key="matches_pick").value
    next(b for b in at.button if b.label == "Confirm best candidate").click().run()
    assert not at.exception
    assert "Confirmed " in texts(at) and " for invoice " in texts(at)
    stored = [
        m
        for i in workspace.invoice_ids
        for m in invoices.list_matches(
            services=workspace.services, user=_owner(workspace), invoice_id=i
        )
        if m.id == match_id
    ]
    assert stored[0].status == "confirmed"


def test_override_with_a_vendor_from_the_searchable_list(workspace, signed_in) -> None:
    at = open_page(signed_in("owner"), "matches")
    assert at.selectbox(key="matches_pick").value  # the first open match is picked
    picker = at.selectbox(key="matches_override_target")
    names = {str(o) for o in picker.options}
    assert "Unrelated Bakery Ltd" in names  # every vendor is offered, candidates first
    rows, _ = reference.list_vendors(
        services=workspace.services, user=_owner(workspace), client_id=workspace.client.id
    )
    bakery = next(str(v.id) for v in rows if v.name == "Unrelated Bakery Ltd")
    picker.set_value(bakery)
    next(b for b in at.button if b.label == "Override").click().run()
    assert not at.exception
    assert "Vendor set to Unrelated Bakery Ltd." in texts(at)
    stored = [
        m
        for i in workspace.invoice_ids
        for m in invoices.list_matches(
            services=workspace.services, user=_owner(workspace), invoice_id=i
        )
        if m.status == "overridden"
    ]
    assert [str(m.vendor_id) for m in stored] == [bakery]


def test_saving_thresholds_creates_an_active_profile_version(workspace, signed_in) -> None:
    at = open_page(signed_in("analyst"), "matches")
    at.slider(key="matches_auto_threshold").set_value(95.0).run()
    at.text_input(key="matches_notes").input("stricter auto band")
    next(b for b in at.button if b.label == "Save thresholds as a new profile version").click()
    at.run()
    assert not at.exception
    assert "Saved profile version 1 and made it active." in texts(at)
    stored = profiles.list_profiles(
        services=workspace.services, user=_owner(workspace), client_id=workspace.client.id
    )
    assert stored[0].is_active and stored[0].profile["auto_threshold"] == 95.0
    assert "Active profile: **default v1**" in texts(at)
    assert at.slider(key="matches_auto_threshold").value == 95.0


def test_bulk_confirm_confirms_every_open_match_in_the_auto_band(workspace, signed_in) -> None:
    at = open_page(signed_in("owner"), "matches")
    at.slider(key="matches_review_threshold").set_value(0.0).run()
    at.slider(key="matches_margin").set_value(0.0).run()
    at.slider(key="matches_auto_threshold").set_value(0.0).run()
    bulk = next(b for b in at.button if b.key == "matches_bulk")
    auto = next(m for m in at.metric if m.label == "Auto (undecided)")
    assert f"Confirm all {auto.value} " in bulk.label  # the button counts what the metric shows
    n = int(auto.value)
    bulk.click().run()
    assert f"Confirmed {n} matches of the auto band." in texts(at)
    vendors = frame_with(at, "explanation").query("kind == 'vendor'")
    assert set(vendors["decision"]) == {"confirmed"}
    assert not frame_with(at, "explanation")["explanation"].str.contains("profile default").any()
