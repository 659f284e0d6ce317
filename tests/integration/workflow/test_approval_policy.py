"""The approval policy (issue 13): typed blocking reasons, overrides, versions, the DB door."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.db import approval_repo
from core.db.session import user_session
from core.errors import ApprovalBlocked, Forbidden, ValidationFailed
from core.workflow import approval, approval_policy, invoices, processing, review, uploads
from core.workflow.approval_policy import ApprovalPolicy
from core.workflow.uploads import UploadFile
from tests.integration.workflow.conftest import as_user, invoice_pdf


def _processed(services, user, client_id, number, **pdf):
    result = uploads.upload_files(
        services=services,
        user=user,
        client_id=client_id,
        files=[UploadFile(f"{number}.pdf", invoice_pdf(number, **pdf))],
        process=False,
    )
    invoice_id = result.files[0].invoice_id
    processing.process_invoice(services=services, invoice_id=invoice_id, user_id=user.id)
    return invoices.get_invoice(services=services, user=user, invoice_id=invoice_id)


def test_python_defaults_equal_the_databases_default_policy(services, role_users) -> None:
    owner = as_user(role_users.members["owner"])
    with user_session(services.engine, owner.claims) as s:
        stored = approval_repo.default_policy(s)
    assert ApprovalPolicy.model_validate(stored) == ApprovalPolicy()
    assert approval_policy.policy_json(ApprovalPolicy()) == stored


def test_a_blocked_approval_lists_typed_reasons_and_changes_nothing(services, role_users) -> None:
    operator = as_user(role_users.members["operator"])
    invoice = _processed(services, operator, role_users.id, "AP-1")
    check = approval.approval_check(services=services, user=operator, invoice_id=invoice.id)
    codes = [r.code for r in check.blocking]
    assert "vendor.unknown" in codes and "match.undecided" in codes
    assert check.policy_version is None and not check.may_override  # default: owners only
    assert all(r.message and r.fields for r in check.blocking)

    with pytest.raises(ApprovalBlocked) as blocked:
        review.approve_invoice(
            services=services,
            user=operator,
            invoice_id=invoice.id,
            expected_version=invoice.version,
        )
    assert [e["code"] for e in blocked.value.details["errors"]] == codes
    assert "ACME Industrial Supplies GmbH" in str(blocked.value)
    after = invoices.get_invoice(services=services, user=operator, invoice_id=invoice.id)
    assert (after.status, after.version) == ("needs_review", invoice.version)

    with pytest.raises(Forbidden):  # the default policy lets owners override only
        review.approve_invoice(
            services=services, user=operator, invoice_id=invoice.id, override_reason="trust me"
        )


def test_an_owner_overrides_with_a_reason_and_the_override_is_audited(services, role_users) -> None:
    owner = as_user(role_users.members["owner"])
    invoice = _processed(services, owner, role_users.id, "AP-2")
    with pytest.raises(ValidationFailed):
        review.approve_invoice(
            services=services, user=owner, invoice_id=invoice.id, override_reason="  "
        )
    approved = review.approve_invoice(
        services=services,
        user=owner,
        invoice_id=invoice.id,
        expected_version=invoice.version,
        override_reason="vendor known, PO confirmed by phone",
    )
    assert approved.status == "approved" and approved.reviewed_by == owner.id
    event = next(
        e
        for e in invoices.audit_log(services=services, user=owner, invoice_id=invoice.id)
        if e.action == "approval.overridden"
    )
    assert event.meta["reason"] == "vendor known, PO confirmed by phone"
    assert {o["code"] for o in event.meta["overridden"]} >= {"vendor.unknown", "match.undecided"}
    assert event.meta["policy_version"] is None


def test_a_new_policy_version_changes_what_blocks_and_who_overrides(services, role_users) -> None:
    owner = as_user(role_users.members["owner"])
    operator = as_user(role_users.members["operator"])
    analyst = as_user(role_users.members["analyst"])
    with pytest.raises(Forbidden):
        approval_policy.save_policy(
            services=services, user=analyst, client_id=role_users.id, policy={"blocks": []}
        )
    with pytest.raises(ValidationFailed):
        approval_policy.save_policy(
            services=services, user=owner, client_id=role_users.id, policy={"blocks": ["vendor"]}
        )
    saved = approval_policy.save_policy(
        services=services,
        user=owner,
        client_id=role_users.id,
        policy={"blocks": ["vendor.unknown", "line.*"], "override_roles": ["owner", "operator"]},
        name="vendors only",
    )
    assert saved.version == 1 and not saved.is_active
    version, active = approval_policy.active_policy(
        services=services, user=operator, client_id=role_users.id
    )
    assert version is None and active == ApprovalPolicy()
    approval_policy.activate_policy(
        services=services, user=owner, client_id=role_users.id, version=1
    )

    invoice = _processed(services, operator, role_users.id, "AP-3")
    check = approval.approval_check(services=services, user=operator, invoice_id=invoice.id)
    assert check.policy_version == 1 and check.may_override
    assert [r.code for r in check.blocking] == ["vendor.unknown"]
    # The undecided PO match is still a reason the reviewer sees, but it no longer blocks.
    assert "match.undecided" in [r.code for r in check.reasons if not r.blocking]
    approved = review.approve_invoice(
        services=services, user=operator, invoice_id=invoice.id, override_reason="new supplier"
    )
    assert approved.status == "approved"
    trail = [
        e.action for e in invoices.audit_log(services=services, user=owner, invoice_id=invoice.id)
    ]
    assert "approval.overridden" in trail


def test_failed_checks_are_recomputed_from_current_values_and_block(
    services, role_users, engine
) -> None:
    owner = as_user(role_users.members["owner"])
    # A policy that blocks on a failed totals check; the invoice's total does not add up.
    approval_policy.save_policy(
        services=services,
        user=owner,
        client_id=role_users.id,
        policy={"blocks": ["check.*"]},
        activate=True,
    )
    invoice = _processed(services, owner, role_users.id, "AP-4")
    with engine.begin() as conn:  # as if extraction had read a net amount that does not add up
        conn.execute(
            text("update public.invoices set subtotal = 90, tax = 19 where id = :i"),
            {"i": invoice.id},
        )
    check = approval.approval_check(services=services, user=owner, invoice_id=invoice.id)
    assert [r.code for r in check.blocking] == ["check.totals_mismatch"]
    assert check.blocking[0].message == (
        "Net 90.00 EUR + tax 19.00 EUR makes 109.00 EUR, but the total says 119.00 EUR."
    )
    with pytest.raises(ApprovalBlocked):
        review.approve_invoice(services=services, user=owner, invoice_id=invoice.id)


def test_money_in_the_reasons_has_the_currency_grouping_and_two_decimals(
    services, role_users, engine
) -> None:
    owner = as_user(role_users.members["owner"])
    approval_policy.save_policy(
        services=services,
        user=owner,
        client_id=role_users.id,
        policy={"blocks": ["check.*"]},
        activate=True,
    )
    invoice = _processed(services, owner, role_users.id, "AP-5")
    with engine.begin() as conn:  # net and tax misread: the checks name thousands
        conn.execute(
            text(
                "update public.invoices set subtotal = 9000, tax = 1379.9, total = 10379.92,"
                " line_total = null where id = :i"
            ),
            {"i": invoice.id},
        )
        conn.execute(
            text(
                "insert into public.invoice_lines (client_id, invoice_id, line_no, quantity,"
                " unit_price, amount) values (:c, :i, 1, 2, 1500, 3000.50)"
            ),
            {"c": role_users.id, "i": invoice.id},
        )
    check = approval.approval_check(services=services, user=owner, invoice_id=invoice.id)
    by_code = {r.code: r for r in check.blocking}
    totals = by_code["check.totals_mismatch"]
    assert totals.message == (
        "Net 9,000.00 EUR + tax 1,379.90 EUR makes 10,379.90 EUR, but the total says 10,379.92 EUR."
    )
    # The raw numbers stay in the detail, for API clients.
    assert totals.detail["total"] == pytest.approx(10379.92)
    assert totals.detail["subtotal"] == 9000 and totals.detail["currency"] == "EUR"
    lines = by_code["check.line_sum_mismatch"]
    assert lines.message == (
        "The lines add up to 3,000.50 EUR, but the net amount says 9,000.00 EUR."
    )
    assert lines.detail["document"] == 9000
    line = by_code["check.line_arithmetic"]
    assert line.message == (
        "Line 1: 2 × 1,500.00 EUR makes 3,000.00 EUR, but the line amount is 3,000.50 EUR."
    )
    assert line.detail["unit_price"] == 1500 and line.detail["amount"] == pytest.approx(3000.5)
    with pytest.raises(ApprovalBlocked) as blocked:
        review.approve_invoice(services=services, user=owner, invoice_id=invoice.id)
    assert "10,379.92 EUR" in str(blocked.value)
    assert totals.message in [e["message"] for e in blocked.value.details["errors"]]


def test_the_ladders_limit_names_an_iso_currency() -> None:
    """The trust ladder's total limit carries its currency (ISO 4217); the database holds an
    invoice in any other currency for a person (pgTAP 14_ladder_limit_currency)."""
    from pydantic import ValidationError

    policy = ApprovalPolicy.model_validate(
        {"trust_ladder": {"enabled": True, "max_total": "5000.00", "max_total_currency": "EUR"}}
    )
    assert policy.trust_ladder.max_total_currency == "EUR"
    assert approval_policy.policy_json(policy)["trust_ladder"]["max_total_currency"] == "EUR"
    for bad in ("EURO", "eur", "ZZZ", ""):
        with pytest.raises(ValidationError):
            ApprovalPolicy.model_validate(
                {"trust_ladder": {"max_total": "5000.00", "max_total_currency": bad}}
            )
