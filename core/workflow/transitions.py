"""The one place that changes an invoice: check the action, then run it through its database door.

Status, money, IBAN, matching outcome, reviewer, extraction result, lines and match decisions
change only through ``public.invoice_transition`` / ``public.invoice_correct`` (security definer,
see supabase/migrations/20261206100000_invoice_doors.sql): they check the role, the action's
source statuses, the transition table and the version, set the reviewer to the caller, and write
the audit event (before/after taken from the row). This module checks the same table first so an
illegal move is a typed ``InvalidTransition`` with both ends named.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from core.auth.models import CurrentUser
from core.db import invoice_repo
from core.db.records import Invoice, field_names
from core.errors import Conflict, Forbidden, InvalidTransition, NotFound
from core.workflow.access import WRITERS, require_role
from core.workflow.states import EDITABLE, InvoiceStatus, ensure_action


def worker_user(user_id: uuid.UUID, email: str | None = None) -> CurrentUser:
    """The uploader as a worker acts for them: same claims shape a verified token carries."""
    claims = {"sub": str(user_id), "role": "authenticated", "aud": "authenticated"}
    if email:
        claims["email"] = email
    return CurrentUser(
        id=user_id, email=email, role="authenticated", claims=claims, access_token=""
    )


def load_invoice(s: Session, invoice_id: uuid.UUID, *, for_update: bool = True) -> Invoice:
    """The invoice (locked for the transaction) or ``NotFound``."""
    invoice = invoice_repo.get_invoice(s, invoice_id, for_update=for_update)
    if invoice is None:
        # FOR UPDATE only returns rows the user may update: tell "read-only" from "absent".
        if for_update and invoice_repo.get_invoice(s, invoice_id) is not None:
            raise Forbidden("your role may not change invoices of this client")
        raise NotFound("invoice not found", invoice_id=str(invoice_id))
    return invoice


def load_editable(s: Session, invoice_id: uuid.UUID, *, what: str) -> Invoice:
    """The invoice, locked, for a writer of its client, while it may still be corrected."""
    invoice = load_invoice(s, invoice_id)
    require_role(s, invoice.client_id, WRITERS)
    if InvoiceStatus(invoice.status) not in EDITABLE:
        raise InvalidTransition(
            f"{what} in status {invoice.status} cannot be corrected",
            current=invoice.status,
        )
    return invoice


_INVOICE_FIELDS = frozenset(field_names(Invoice))


def apply_change(
    s: Session,
    invoice: Invoice,
    *,
    action: str,
    changes: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
    meta: Mapping[str, Any] | None = None,
) -> Invoice:
    """Run ``action`` (a key of ``states.ACTIONS``) on the locked ``invoice``; the new row values.

    ``changes`` holds the fields the action sets and, where the action allows it, ``lines`` (all
    line items), ``matches`` (the proposed match rows) or ``match`` (a decision on one match).
    The status follows from the action (a ``status`` key, if given, must be that target). A
    version that moved on is a ``Conflict``.
    """
    registered = ensure_action(invoice.status, action)
    fields = dict(changes or {})
    stated = fields.pop("status", None)  # optional: it must be the action's own target
    if stated is not None and InvoiceStatus(stated) is not registered.target:
        raise ValueError(f"{action} leads to {registered.target.value}, not {stated}")
    seen = invoice.version if expected_version is None else expected_version
    new_version = invoice_repo.run_action(
        s,
        door=registered.door,
        invoice_id=invoice.id,
        action=action,
        expected_version=seen,
        changes=fields,
        meta=meta or {},
    )
    if new_version is None:
        raise Conflict(
            "the invoice was changed by someone else; reload and try again",
            expected_version=seen,
            current_version=invoice.version,
        )
    # ``lines``, ``matches`` and ``match`` are not invoice columns; ``extraction`` is not read.
    written = {k: v for k, v in fields.items() if k in _INVOICE_FIELDS}
    return dataclasses.replace(
        invoice, **written, status=registered.target.value, version=new_version
    )
