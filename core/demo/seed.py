"""Demo workspace seed (idempotent): a demo user, one client, a vendor master, purchase orders and
a handful of generated invoice PDFs uploaded through the normal workflow.

Everything after the user is written as the demo user (a user session under RLS), the way the
console would write it; only a password reset uses a named service task. Vendors and invoices
come from the synthetic invoice generator with fixed seeds, so the vendor master really contains
the vendors (and purchase orders) the demo invoices mention. Re-running changes nothing but
prints the same credentials (kept in ``<data_dir>/demo_credentials.json``, mode 0600).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from core.auth.models import CurrentUser
from core.config import Settings
from core.db import approval_repo, demo_repo, tenant_repo
from core.db.session import service_session, user_session
from core.errors import ConfigurationError, InvalidCredentials, RateLimited

log = logging.getLogger(__name__)

DEMO_EMAIL = "demo@invoiceflow.local"
DEMO_CLIENT = "Demo Manufacturing GmbH"
VENDOR_SEEDS = range(7000, 7030)  # 30 vendors
N_INVOICES = 6


@dataclass
class SeedResult:
    """What the seed left in place (counts are totals, not just this run's inserts)."""

    email: str
    password: str
    client_id: uuid.UUID
    vendors: int = 0
    purchase_orders: int = 0
    invoices: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            "Demo workspace ready.",
            f"  client:          {DEMO_CLIENT} ({self.client_id})",
            f"  vendors:         {self.vendors}",
            f"  purchase orders: {self.purchase_orders}",
            f"  invoices:        {len(self.invoices)} uploaded or already present",
            *(f"  note: {n}" for n in self.notes),
            "Sign in with:",
            f"  e-mail:   {self.email}",
            f"  password: {self.password}",
        ]
        return "\n".join(lines)


def _credentials_file(settings: Settings) -> Any:
    return settings.data_dir.expanduser().resolve() / "demo_credentials.json"


def _load_password(settings: Settings) -> str | None:
    path = _credentials_file(settings)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data.get("password") if data.get("email") == DEMO_EMAIL else None


def _save_password(settings: Settings, password: str) -> None:
    path = _credentials_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"email": DEMO_EMAIL, "password": password}))
    path.chmod(0o600)


def _reset_password(engine: Engine, password: str) -> None:
    import bcrypt

    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(10)).decode()
    with service_session(engine, "seed.demo.reset_password") as s:
        demo_repo.reset_password(s, email=DEMO_EMAIL, password_hash=hashed)


def ensure_demo_user(engine: Engine, settings: Settings) -> tuple[CurrentUser, str]:
    """Sign the demo user in (creating it, or resetting a forgotten password); (user, password)."""
    if settings.auth_backend != "local":
        raise ConfigurationError(
            "the demo seed is for the local auth backend (the embedded default)"
        )
    from core.auth.local_auth import LocalAuthProvider

    auth = LocalAuthProvider(engine, settings)
    password = _load_password(settings)
    if password:
        try:
            return auth.sign_in(DEMO_EMAIL, password).user, password
        except (InvalidCredentials, RateLimited):
            log.info("stored demo password no longer works; resetting it")
    password = secrets.token_urlsafe(12)
    # Sign-up does not say whether the demo user existed (it never does), so set the password
    # either way: a no-op for a user just created, a reset for an existing one.
    auth.sign_up(DEMO_EMAIL, password, user_metadata={"name": "Demo User"})
    _reset_password(engine, password)
    session = auth.sign_in(DEMO_EMAIL, password)
    _save_password(settings, password)
    return session.user, password


def ensure_demo_client(engine: Engine, claims: dict[str, Any]) -> uuid.UUID:
    """The demo client owned by the demo user (created on first run)."""
    user_id = uuid.UUID(str(claims["sub"]))
    with user_session(engine, claims) as s:
        existing = demo_repo.owned_client(s, name=DEMO_CLIENT, owner=user_id)
        if existing:
            return existing
        return tenant_repo.insert_client(s, name=DEMO_CLIENT).id


DEMO_LADDER = {
    "enabled": True,
    "clean_invoices": 3,
    "max_total": "10000.00",
    "max_total_currency": "EUR",
    "require_po": True,
}


def ensure_demo_ladder(engine: Engine, claims: dict[str, Any], client_id: uuid.UUID) -> int:
    """The demo client runs an approval policy with the trust ladder on (issue 14; new clients
    start with it off). Saved and activated once, as the demo owner; returns its version."""
    with user_session(engine, claims) as s:
        version, policy = approval_repo.policy_of(s, client_id)
        if version is not None and (policy.get("trust_ladder") or {}).get("enabled"):
            return version
        ladder_on = {**policy, "trust_ladder": DEMO_LADDER}
        new_version = approval_repo.insert_policy(
            s,
            client_id=client_id,
            name="demo: trust ladder on",
            policy=ladder_on,
            notes="straight-through approval after 3 clean invoices of a vendor, up to 10,000",
        )
        approval_repo.activate_policy(s, client_id, new_version)
        return new_version


def _specs() -> list[Any]:
    from core.demo.synthetic_content import make_spec

    return [make_spec(seed) for seed in VENDOR_SEEDS]


def _invoice_seeds(specs: list[Any]) -> list[int]:
    """Short, non-credit invoices, at least half of them quoting a purchase order."""
    fitting = [s for s in specs if s.doc_type == "invoice" and len(s.items) <= 8]
    with_po = [s.seed for s in fitting if s.po_number][: N_INVOICES // 2]
    rest = [s.seed for s in fitting if s.seed not in with_po]
    return sorted(with_po + rest[: N_INVOICES - len(with_po)])


def seed_reference_data(
    engine: Engine, claims: dict[str, Any], client_id: uuid.UUID
) -> tuple[int, int]:
    """Upsert the vendor master and purchase orders; returns (vendors, purchase orders)."""
    specs = _specs()
    with user_session(engine, claims) as s:
        demo_repo.insert_vendors(
            s,
            [
                {
                    "client_id": client_id,
                    "external_id": f"V{spec.seed}",
                    # One vendor stored the way ERPs often do (upper case): fuzzy matching's work.
                    "name": spec.vendor.name.upper() if i == 1 else spec.vendor.name,
                    "vat_id": spec.vendor.vat_id,
                    "iban": spec.vendor.iban,
                    "address": spec.vendor.street,
                    "city": spec.vendor.city_line,
                    "country": spec.vendor.country,
                    "default_currency": spec.loc.currency,
                }
                for i, spec in enumerate(specs)
            ],
        )
        vendor_ids = demo_repo.vendor_ids_by_external_id(s, client_id)
        for spec in specs:
            if not spec.po_number and spec.seed % 3:
                continue
            po_id = demo_repo.insert_purchase_order(
                s,
                {
                    "client_id": client_id,
                    "vendor_id": vendor_ids[f"V{spec.seed}"],
                    "po_number": spec.po_number or f"PO-{spec.seed}",
                    "status": "closed" if spec.seed % 7 == 0 else "open",
                    "order_date": spec.invoice_date - dt.timedelta(days=14),
                    "currency": spec.loc.currency,
                    "total": spec.total,
                },
            )
            if po_id is None:
                continue  # already seeded
            demo_repo.insert_purchase_order_lines(
                s,
                [
                    {
                        "client_id": client_id,
                        "purchase_order_id": po_id,
                        "line_no": n,
                        "description": item.description,
                        "product_code": item.code,
                        "quantity": item.quantity,
                        "unit": item.unit,
                        "unit_price": item.unit_price,
                        "amount": item.amount,
                    }
                    for n, item in enumerate(spec.items, start=1)
                ],
            )
        vendors = len(vendor_ids)
        pos = demo_repo.count_purchase_orders(s, client_id)
    return vendors, pos


def upload_demo_invoices(
    settings: Settings, engine: Engine, user: CurrentUser, client_id: uuid.UUID
) -> tuple[list[str], list[str]]:
    """Upload the generated PDFs through the upload workflow; (file names, notes)."""
    from core.bootstrap import build_services
    from core.workflow.uploads import UploadFile, upload_files

    try:
        from core.demo.synthetic_invoices import generate_invoice
    except ModuleNotFoundError as exc:  # reportlab is a demo requirement, not a runtime one
        raise ConfigurationError(
            f"the demo seed draws its invoices with {exc.name}: install the demo requirements"
            " (pip install -r requirements-demo.txt, or the invoiceflow[demo] extra)"
        ) from exc

    docs = [generate_invoice(seed, kind="pdf") for seed in _invoice_seeds(_specs())]
    services = build_services(settings, engine=engine)
    try:
        result = upload_files(
            services=services,
            user=user,
            client_id=client_id,
            files=[UploadFile(d.filename, d.data) for d in docs],
            batch_name="Demo invoices",
        )
    finally:
        services.close()
    notes = [
        f"{f.filename}: {f.status} ({f.error})" for f in result.files if f.status == "rejected"
    ]
    names = [f.filename for f in result.files if f.status in ("accepted", "duplicate")]
    return names, notes


def seed_demo(settings: Settings, *, engine: Engine | None = None) -> SeedResult:
    """Create (or find) the whole demo workspace and return its credentials and counts."""
    from core.db.engine import make_engine

    own_engine = engine is None
    engine = engine or make_engine(settings)
    try:
        user, password = ensure_demo_user(engine, settings)
        client_id = ensure_demo_client(engine, user.claims)
        vendors, pos = seed_reference_data(engine, user.claims, client_id)
        ensure_demo_ladder(engine, user.claims, client_id)
        invoices, notes = upload_demo_invoices(settings, engine, user, client_id)
        return SeedResult(DEMO_EMAIL, password, client_id, vendors, pos, invoices, notes)
    finally:
        if own_engine:
            engine.dispose()


__all__ = ["DEMO_CLIENT", "DEMO_EMAIL", "SeedResult", "seed_demo"]
