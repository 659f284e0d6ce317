"""The reference-data page's "Learned per vendor" tab: aliases, extraction hints and the trust
ladder per vendor for every role; writers remove aliases and hints, owners pause a vendor."""

from __future__ import annotations

import re

import pytest

from core.db import hint_repo
from core.db.session import user_session
from core.workflow import reference, review
from core.workflow.transitions import worker_user
from tests.e2e.console.conftest import ROLES, frame_with, open_page


def _teach(workspace):
    """An alias (a vendor match override) and a hint, as the operator."""
    client = workspace.client
    operator = client.members["operator"]
    user = worker_user(operator.id, operator.email)
    services = workspace.services
    vendors, _ = reference.list_vendors(services=services, user=user, client_id=client.id)
    bakery = next(v for v in vendors if v.vendor_code == "V9")
    from core.workflow import invoices

    inv = invoices.get_invoice(services=services, user=user, invoice_id=workspace.invoice_ids[0])
    match = next(m for m in inv.matches if m.kind == "vendor")
    review.decide_match(
        services=services, user=user, match_id=match.id, decision="override", vendor_id=bakery.id
    )
    with user_session(services.engine, user.claims) as s:
        hint_repo.insert_hint(
            s,
            client_id=client.id,
            vendor_id=bakery.id,
            row={
                "field": "invoice_number",
                "anchor": "job sheet",
                "direction": "inline",
                "page": 1,
                "region": [0.1, 0.2, 0.3, 0.25],
                "token_start": 0,
                "token_count": 1,
                "day_first": None,
            },
            source_invoice_id=inv.id,
        )
    return bakery


def _learned_tab(at):
    at.selectbox(key="learned_vendor").set_value("Unrelated Bakery Ltd").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_aliases_hints_and_the_ladder_per_vendor(
    workspace, signed_in, role
) -> None:
    _teach(workspace)
    at = _learned_tab(open_page(signed_in(role), "reference_data"))
    ladder = frame_with(at, "Clean invoices in a row")
    assert len(ladder) == 1 and "Vendor" not in ladder.columns  # the picker names the vendor
    assert list(ladder["Clean invoices in a row"]) == [0]  # the override reset it (it never rose)
    assert list(ladder["Ladder"]) == ["Running"] and list(ladder["Paused since (UTC)"]) == [""]
    assert list(ladder["Last reset by"]) == ["A match was overridden"]
    assert re.fullmatch(r"\d{1,2} \w{3} \d{4}, \d\d:\d\d", ladder["Last reset on (UTC)"][0])
    aliases = frame_with(at, "Learned from")
    assert "Learned from a decision" in set(aliases["Source"])
    hints = frame_with(at, "Label next to the value")
    assert list(hints["Field"]) == ["Invoice number"]
    for frame in (ladder, aliases, hints):  # words, not column names; no "None" anywhere
        assert not [c for c in frame.columns if "_" in c]
        assert not frame.isin(["None", "nan", "NaT"]).any().any()
    labels = {b.label for b in at.button}
    assert ("Remove alias" in labels) is (role in ("owner", "operator"))
    assert ("Remove hint" in labels) is (role in ("owner", "operator"))
    assert ("Pause the ladder" in labels) is (role == "owner")


def test_an_owner_pauses_and_an_operator_removes(workspace, signed_in) -> None:
    _teach(workspace)
    at = _learned_tab(open_page(signed_in("owner"), "reference_data"))
    next(b for b in at.button if b.label == "Pause the ladder").click().run()
    assert not at.exception
    at = _learned_tab(at)
    ladder = frame_with(at, "Clean invoices in a row")
    assert list(ladder["Ladder"]) == ["Paused"] and ladder["Paused since (UTC)"][0] != ""
    assert any(b.label == "Resume the ladder" for b in at.button)

    op = _learned_tab(open_page(signed_in("operator"), "reference_data"))
    next(b for b in op.button if b.label == "Remove hint").click().run()
    assert not op.exception
    op = _learned_tab(op)
    assert frame_with(op, "Label next to the value").empty
