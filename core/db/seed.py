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

from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql import insert

from core.config import Settings
from core.db import tenant_repo
from core.db.models import (
    Client,
    ClientMember,
    MemberRole,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
)
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
    from sqlalchemy import text

    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(10)).decode()
    with service_session(engine, "seed.demo.reset_password") as s:
        s.execute(
            text(
                "update auth.users set encrypted_password = :h, updated_at = now() where email = :e"
            ),
            {"h": hashed, "e": DEMO_EMAIL},
        )


def ensure_demo_user(engine: Engine, settings: Settings) -> tuple[Any, str]:
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
        existing = s.scalar(
            select(Client.id)
            .join(ClientMember, ClientMember.client_id == Client.id)
            .where(
                Client.name == DEMO_CLIENT,
                ClientMember.user_id == user_id,
                ClientMember.role == MemberRole.owner,
            )
        )
        if existing:
            return existing
        created: uuid.UUID = tenant_repo.insert_client(s, name=DEMO_CLIENT)["id"]
        return created


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
        for i, spec in enumerate(specs):
            v = spec.vendor
            # One vendor stored the way ERPs often do (upper case) so fuzzy matching has work.
            name = v.name.upper() if i == 1 else v.name
            row = {
                "client_id": client_id,
                "external_id": f"V{spec.seed}",
                "name": name,
                "vat_id": v.vat_id,
                "iban": v.iban,
                "address": v.street,
                "city": v.city_line,
                "country": v.country,
                "default_currency": spec.loc.currency,
            }
            s.execute(insert(Vendor).values(row).on_conflict_do_nothing())
        rows = s.execute(
            select(Vendor.external_id, Vendor.id).where(Vendor.client_id == client_id)
        ).tuples()
        vendor_ids = {external_id: vendor_id for external_id, vendor_id in rows}
        for spec in specs:
            if not spec.po_number and spec.seed % 3:
                continue
            number = spec.po_number or f"PO-{spec.seed}"
            po_id = s.scalar(
                insert(PurchaseOrder)
                .values(
                    client_id=client_id,
                    vendor_id=vendor_ids[f"V{spec.seed}"],
                    po_number=number,
                    status="closed" if spec.seed % 7 == 0 else "open",
                    order_date=spec.invoice_date - dt.timedelta(days=14),
                    currency=spec.loc.currency,
                    total=spec.total,
                )
                .on_conflict_do_nothing()
                .returning(PurchaseOrder.id)
            )
            if po_id is None:
                continue  # already seeded
            for n, item in enumerate(spec.items, start=1):
                s.add(
                    PurchaseOrderLine(
                        client_id=client_id,
                        purchase_order_id=po_id,
                        line_no=n,
                        description=item.description,
                        product_code=item.code,
                        quantity=item.quantity,
                        unit=item.unit,
                        unit_price=item.unit_price,
                        amount=item.amount,
                    )
                )
        vendors = len(vendor_ids)
        pos = len(
            s.scalars(select(PurchaseOrder.id).where(PurchaseOrder.client_id == client_id)).all()
        )
    return vendors, pos


def upload_demo_invoices(
    settings: Settings, engine: Engine, user: Any, client_id: uuid.UUID
) -> tuple[list[str], list[str]]:
    """Upload the generated PDFs through the upload workflow; (file names, notes)."""
    from core.demo.synthetic_invoices import generate_invoice

    try:
        from core.bootstrap import build_services
        from core.workflow.uploads import UploadFile, upload_files
    except ImportError as exc:
        return [], [
            f"invoice upload skipped: the upload workflow is not available yet ({exc.name})"
        ]
    docs = [generate_invoice(seed, kind="pdf") for seed in _invoice_seeds(_specs())]
    services = build_services(settings, engine=engine)
    try:
        queued = services.jobs is not None
        result = upload_files(
            services=services,
            user=user,
            client_id=client_id,
            files=[UploadFile(d.filename, d.data) for d in docs],
            batch_name="Demo invoices",
            process=queued,
        )
    finally:
        services.close()
    notes = [
        f"{f.filename}: {f.status} ({f.error})" for f in result.files if f.status == "rejected"
    ]
    if not queued and result.accepted:
        notes.append("invoices stored but not queued: the job queue is not wired in yet")
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
        invoices, notes = upload_demo_invoices(settings, engine, user, client_id)
        return SeedResult(DEMO_EMAIL, password, client_id, vendors, pos, invoices, notes)
    finally:
        if own_engine:
            engine.dispose()


__all__ = ["DEMO_CLIENT", "DEMO_EMAIL", "SeedResult", "seed_demo"]
