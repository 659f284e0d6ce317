"""Review: correct fields, decide matches, approve, reject, reopen, retry a failed invoice.

Every write names the version the reviewer saw; if someone else changed the invoice since, the
write is refused with ``Conflict`` (HTTP 409) instead of silently overwriting their work.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from core.auth.models import CurrentUser
from core.db import approval_repo, invoice_repo
from core.db.records import CORRECTABLE_FIELDS, Invoice, Match
from core.db.session import user_session
from core.errors import (
    ApprovalBlocked,
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from core.workflow import learning
from core.workflow.access import WRITERS, require_role
from core.workflow.rematch import rematch_after_correction
from core.workflow.services import Services
from core.workflow.states import EDITABLE, ensure_action
from core.workflow.states import InvoiceStatus as S
from core.workflow.transitions import apply_change, load_editable, load_invoice

CORRECTABLE = frozenset(CORRECTABLE_FIELDS) | {"vendor_id", "purchase_order_id"}
_AMOUNTS = {"subtotal", "tax", "total", "amount_due"}
_DATES = {"invoice_date", "due_date"}


def _clean(name: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    if name in _AMOUNTS:
        try:
            number = Decimal(str(value))
        except InvalidOperation as exc:
            raise ValidationFailed(f"{name} must be a number", field=name) from exc
        if not number.is_finite() or abs(number) >= Decimal("1e14"):
            raise ValidationFailed(f"{name} is out of range", field=name)
        return number
    if name in _DATES:
        try:
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        except ValueError as exc:
            raise ValidationFailed(f"{name} must be a date (YYYY-MM-DD)", field=name) from exc
    if name == "currency":
        text = str(value).strip().upper()
        if len(text) != 3 or not text.isalpha():
            raise ValidationFailed("currency must be a 3-letter ISO code", field=name)
        return text
    if name in ("vendor_id", "purchase_order_id"):
        try:
            return uuid.UUID(str(value))
        except ValueError as exc:
            raise ValidationFailed(f"{name} must be a UUID", field=name) from exc
    text = str(value).strip()
    if len(text) > 500:
        raise ValidationFailed(f"{name} is longer than 500 characters", field=name)
    return text


def correct_fields(
    *,
    services: Services,
    user: CurrentUser,
    invoice_id: uuid.UUID,
    changes: Mapping[str, Any],
    expected_version: int,
) -> Invoice:
    """Change header fields of an invoice under review; moves auto-approved back to review."""
    unknown = sorted(set(changes) - CORRECTABLE)
    if unknown:
        raise ValidationFailed(f"these fields cannot be corrected: {', '.join(unknown)}")
    if not changes:
        raise ValidationFailed("no changes were sent")
    clean = {k: _clean(k, v) for k, v in changes.items()}
    with user_session(services.engine, user.claims) as s:
        invoice = load_editable(s, invoice_id, what="an invoice")
        updates: dict[str, Any] = {k: v for k, v in clean.items() if getattr(invoice, k) != v}
        if not updates and invoice.status != S.auto_approved.value:
            return invoice
        # The vendor's extraction hints learn where the corrected values are printed (issue 14).
        learned = (
            learning.learn_hints_from_correction(s, invoice, updates)
            if services.settings.learning_enabled
            else {}
        )
        meta: dict[str, Any] = {"fields": sorted(clean)}
        if learned:
            meta["hints"] = learned
        # Even with nothing new, a person looked at an auto-approved invoice: it is reviewed now.
        apply_change(
            s,
            invoice,
            action="invoice.corrected",
            changes=updates,
            expected_version=expected_version,
            meta=meta,
        )
        # Matching reads some of these fields: it runs again now, in this same transaction.
        rematch_after_correction(s, invoice_id, updates)
        return load_invoice(s, invoice_id, for_update=False)


def _decide(
    services: Services,
    user: CurrentUser,
    invoice_id: uuid.UUID,
    expected_version: int | None,
    action: str,
    extra: Mapping[str, Any] | None = None,
) -> Invoice:
    with user_session(services.engine, user.claims) as s:
        invoice = load_invoice(s, invoice_id)
        require_role(s, invoice.client_id, WRITERS)
        # The reviewer (reviewed_by/at) is stamped by the database door, as the caller.
        apply_change(
            s,
            invoice,
            action=action,
            changes=dict(extra or {}),
            expected_version=expected_version,
        )
        return load_invoice(s, invoice_id, for_update=False)


def _stale(invoice: Invoice, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != invoice.version:
        raise Conflict(
            "the invoice was changed by someone else; reload and try again",
            expected_version=expected_version,
            current_version=invoice.version,
        )


def blocked_error(reasons: list[dict[str, Any]]) -> ApprovalBlocked:
    """The typed refusal of a blocked approval, listing each reason (code, words, fields)."""
    return ApprovalBlocked(
        "the approval policy blocks this approval: " + "; ".join(r["message"] for r in reasons),
        errors=reasons,
    )


def approve_invoice(
    *,
    services: Services,
    user: CurrentUser,
    invoice_id: uuid.UUID,
    expected_version: int | None = None,
    override_reason: str | None = None,
) -> Invoice:
    """Approve an invoice in review (or confirm an auto-approval).

    The client's approval policy decides: while a blocking reason stands the approval is refused
    with ``ApprovalBlocked`` listing them, unless ``override_reason`` is given by a role the
    policy allows to override (``approval.overridden``, audited with the reasons it overrode).
    The database door applies the same policy to every caller."""
    with user_session(services.engine, user.claims) as s:
        invoice = load_invoice(s, invoice_id)
        role = require_role(s, invoice.client_id, WRITERS)
        _stale(invoice, expected_version)
        ensure_action_allowed(invoice)
        blocking = [
            {"code": r.code, "message": r.message, "fields": list(r.fields)}
            for r in approval_repo.reasons(s, invoice_id)
            if r.blocking
        ]
        if not blocking:
            meta = {"note": override_reason.strip()[:500]} if override_reason else {}
            apply_change(
                s, invoice, action="status.approved", expected_version=expected_version, meta=meta
            )
            approved = load_invoice(s, invoice_id, for_update=False)
            if services.settings.learning_enabled:
                # A person kept the values a hint read: the hint gains weight (issue 14).
                learning.confirm_hints_on_approval(s, approved)
            return approved
        if override_reason is None:
            raise blocked_error(blocking)
        reason = override_reason.strip()
        if len(reason) < 3:
            raise ValidationFailed("an override needs a reason (at least 3 characters)")
        _version, policy = approval_repo.policy_of(s, invoice.client_id)
        allowed = tuple(policy.get("override_roles") or ())
        if role not in allowed:
            raise Forbidden(
                f"your role ({role}) may not approve over the approval policy's blocks; "
                f"it needs: {', '.join(allowed) or 'nobody may'}",
                role=role,
            )
        apply_change(
            s,
            invoice,
            action="approval.overridden",
            expected_version=expected_version,
            meta={"reason": reason[:500]},
        )
        return load_invoice(s, invoice_id, for_update=False)


def ensure_action_allowed(invoice: Invoice) -> None:
    """``InvalidTransition`` when the invoice is not in a status an approval starts from."""
    ensure_action(invoice.status, "status.approved")


def reject_invoice(
    *,
    services: Services,
    user: CurrentUser,
    invoice_id: uuid.UUID,
    reason: str,
    expected_version: int | None = None,
) -> Invoice:
    """Reject an invoice with a reason the audit log keeps."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("a rejection needs a reason")
    return _decide(
        services,
        user,
        invoice_id,
        expected_version,
        "status.rejected",
        {"failure_reason": reason[:500]},
    )


def reopen_invoice(
    *,
    services: Services,
    user: CurrentUser,
    invoice_id: uuid.UUID,
    expected_version: int | None = None,
) -> Invoice:
    """Send an approved, auto-approved or rejected invoice back to review."""
    return _decide(services, user, invoice_id, expected_version, "status.reopened")


def retry_invoice(*, services: Services, user: CurrentUser, invoice_id: uuid.UUID) -> Invoice:
    """Re-queue a failed invoice for processing (the status and its job commit together)."""
    with user_session(services.engine, user.claims) as s:
        invoice = load_invoice(s, invoice_id)
        require_role(s, invoice.client_id, WRITERS)
        apply_change(s, invoice, action="status.retry", changes={"failure_reason": None})
        services.jobs.enqueue_invoice(s, invoice_id)
        return load_invoice(s, invoice_id, for_update=False)


def decide_match(
    *,
    services: Services,
    user: CurrentUser,
    match_id: uuid.UUID,
    decision: str,
    vendor_id: uuid.UUID | None = None,
    purchase_order_id: uuid.UUID | None = None,
) -> Match:
    """Confirm, override (with another vendor/PO) or reject a proposed match."""
    if decision not in ("confirm", "override", "reject"):
        raise ValidationFailed("decision must be confirm, override or reject")
    with user_session(services.engine, user.claims) as s:
        match = invoice_repo.get_match(s, match_id)
        if match is None:
            raise NotFound("match not found")
        invoice = load_invoice(s, match.invoice_id)
        require_role(s, invoice.client_id, WRITERS)
        if S(invoice.status) not in EDITABLE:
            raise InvalidTransition(
                f"matches of an invoice in status {invoice.status} are final",
                current=invoice.status,
            )
        if decision == "confirm" and (
            (match.kind == "vendor" and match.vendor_id is None)
            or (match.kind == "purchase_order" and match.purchase_order_id is None)
        ):
            what = "vendor" if match.kind == "vendor" else "purchase order"
            raise InvalidTransition(
                f"this match proposes no {what}, so there is nothing to confirm: "
                f"choose the {what} (override) or reject the match",
                current=match.status,
            )
        if decision == "override":
            if match.kind == "vendor" and vendor_id is None:
                raise ValidationFailed("overriding a vendor match needs vendor_id")
            if match.kind == "purchase_order" and purchase_order_id is None:
                raise ValidationFailed("overriding a PO match needs purchase_order_id")
        status = {"confirm": "confirmed", "override": "overridden", "reject": "rejected"}[decision]
        # The door applies the decision to the match row and the invoice's vendor/PO itself.
        apply_change(
            s,
            invoice,
            action=f"match.{status}",
            changes={
                "match": {
                    "id": match_id,
                    "vendor_id": vendor_id if decision == "override" else None,
                    "purchase_order_id": purchase_order_id if decision == "override" else None,
                }
            },
        )
        learn = services.settings.learning_enabled
        if learn and match.kind == "vendor" and decision in ("confirm", "override"):
            # The operator said which vendor this spelling is: the alias store learns it.
            decided = load_invoice(s, match.invoice_id, for_update=False)
            if decided.vendor_id is not None:
                learning.learn_vendor_aliases(s, decided, decided.vendor_id)
        updated = invoice_repo.get_match(s, match_id)
        assert updated is not None
        return updated
