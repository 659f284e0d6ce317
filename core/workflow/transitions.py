"""The one place that writes an invoice's status: check the table, lock optimistically, audit."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from core.auth.models import CurrentUser
from core.db import invoice_repo
from core.errors import Conflict, Forbidden, InvalidTransition, NotFound
from core.workflow.access import WRITERS, require_role
from core.workflow.states import EDITABLE, InvoiceStatus, ensure_transition


def plain(value: Any) -> Any:
    """JSON-friendly copy of a field value for audit before/after."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def worker_user(user_id: uuid.UUID, email: str | None = None) -> CurrentUser:
    """The uploader as a worker acts for them: same claims shape a verified token carries."""
    claims = {"sub": str(user_id), "role": "authenticated", "aud": "authenticated"}
    if email:
        claims["email"] = email
    return CurrentUser(
        id=user_id, email=email, role="authenticated", claims=claims, access_token=""
    )


def load_invoice(s: Session, invoice_id: uuid.UUID, *, for_update: bool = True) -> dict[str, Any]:
    """The invoice (locked for the transaction) or ``NotFound``."""
    invoice = invoice_repo.get_invoice(s, invoice_id, for_update=for_update)
    if invoice is None:
        # FOR UPDATE only returns rows the user may update: tell "read-only" from "absent".
        if for_update and invoice_repo.get_invoice(s, invoice_id) is not None:
            raise Forbidden("your role may not change invoices of this client")
        raise NotFound("invoice not found", invoice_id=str(invoice_id))
    return invoice


def load_editable(s: Session, invoice_id: uuid.UUID, *, what: str) -> dict[str, Any]:
    """The invoice, locked, for a writer of its client, while it may still be corrected."""
    invoice = load_invoice(s, invoice_id)
    require_role(s, invoice["client_id"], WRITERS)
    if InvoiceStatus(invoice["status"]) not in EDITABLE:
        raise InvalidTransition(
            f"{what} in status {invoice['status']} cannot be corrected",
            current=invoice["status"],
        )
    return invoice


def apply_change(
    s: Session,
    invoice: dict[str, Any],
    *,
    action: str,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
    meta: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write ``changes`` (status included, if any) with a version check and one audit event."""
    target = changes.get("status")
    if target is not None:
        ensure_transition(invoice["status"], target)
        changes = {**changes, "status": InvoiceStatus(target).value}
    seen = invoice["version"] if expected_version is None else expected_version
    new_version = invoice_repo.update_invoice(s, invoice["id"], changes, expected_version=seen)
    if new_version is None:
        raise Conflict(
            "the invoice was changed by someone else; reload and try again",
            expected_version=seen,
            current_version=invoice["version"],
        )
    before = {k: plain(invoice.get(k)) for k in changes if k != "extraction"}
    after = {k: plain(v) for k, v in changes.items() if k != "extraction"}
    invoice_repo.insert_audit(
        s,
        client_id=invoice["client_id"],
        invoice_id=invoice["id"],
        action=action,
        before=before,
        after=after,
        meta={"version": new_version, **dict(meta or {})},
    )
    updated = {**invoice, **changes, "version": new_version}
    return updated
