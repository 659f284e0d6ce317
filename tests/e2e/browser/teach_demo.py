"""Teach the running demo stack something to show (run with the stack's environment): the
demo user overrides one invoice's vendor match (an alias is learned) and corrects a field of it
(a hint where the value is printed). Prints the vendor's name."""

from __future__ import annotations

import sys


def main(email: str, password: str) -> int:
    from core.auth.local_auth import LocalAuthProvider
    from core.bootstrap import build_services
    from core.config import Settings
    from core.db import hint_repo
    from core.db.session import user_session
    from core.workflow import clients, invoices, reference, review
    from core.workflow.invoices import InvoiceFilter

    settings = Settings()
    services = build_services(settings)
    user = LocalAuthProvider(services.engine, settings).sign_in(email, password).user
    client = clients.list_clients(services=services, user=user)[0]
    import time

    deadline = time.monotonic() + 240
    while True:  # the stack's worker processes the seeded invoices
        rows, _ = invoices.list_invoices(
            services=services,
            user=user,
            filters=InvoiceFilter(client_id=client.id, status=("needs_review",)),
            limit=10,
        )
        if rows or time.monotonic() > deadline:
            break
        time.sleep(1)
    vendors, _ = reference.list_vendors(
        services=services, user=user, client_id=client.id, limit=200
    )
    target = sorted(vendors, key=lambda v: v.name)[0]
    invoice = invoices.get_invoice(services=services, user=user, invoice_id=rows[0].id)
    match = next(m for m in invoice.matches if m.kind == "vendor")
    review.decide_match(
        services=services, user=user, match_id=match.id, decision="override",
        vendor_id=target.id,
    )  # fmt: skip
    with user_session(services.engine, user.claims) as s:
        hint_repo.insert_hint(
            s,
            client_id=client.id,
            vendor_id=target.id,
            row={"field": "invoice_number", "anchor": "invoice no", "direction": "inline",
                 "page": 1, "region": [0.1, 0.15, 0.3, 0.17], "token_start": 0,
                 "token_count": 1, "day_first": None},
            source_invoice_id=invoice.id,
        )  # fmt: skip
    print(target.name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
