"""SQL of the demo workspace seed (``core.demo.seed``): its client, vendor master and orders.

Run as the demo user (a ``user_session``: RLS decides, as for any user) except the password
reset, a named service task. Every insert is idempotent (``on conflict do nothing``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.orm import Session


def owned_client(s: Session, *, name: str, owner: UUID) -> UUID | None:
    """The id of the client called ``name`` that ``owner`` owns, if there is one."""
    found: UUID | None = s.execute(
        text(
            "select c.id from public.clients c join public.client_members m"
            " on m.client_id = c.id where c.name = :n and m.user_id = :u and m.role = 'owner'"
            " order by c.created_at limit 1"
        ),
        {"n": name, "u": owner},
    ).scalar()
    return found


def insert_vendors(s: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert vendors (keyed by client and external id); existing ones are left as they are."""
    s.execute(
        text(
            "insert into public.vendors (client_id, external_id, name, vat_id, iban, address,"
            " city, country, default_currency) values (:client_id, :external_id, :name, :vat_id,"
            " :iban, :address, :city, :country, :default_currency) on conflict do nothing"
        ),
        [dict(r) for r in rows],
    )


def vendor_ids_by_external_id(s: Session, client_id: UUID) -> dict[str, UUID]:
    """External id -> vendor id of a client's vendors."""
    rows = s.execute(
        text("select external_id, id from public.vendors where client_id = :c"), {"c": client_id}
    ).all()
    return {str(external_id): vendor_id for external_id, vendor_id in rows}


def insert_purchase_order(s: Session, values: Mapping[str, Any]) -> UUID | None:
    """Insert a purchase order; its id, or None when the client already has that number."""
    created: UUID | None = s.execute(
        text(
            "insert into public.purchase_orders (client_id, vendor_id, po_number, status,"
            " order_date, currency, total) values (:client_id, :vendor_id, :po_number, :status,"
            " :order_date, :currency, :total) on conflict do nothing returning id"
        ),
        dict(values),
    ).scalar()
    return created


def insert_purchase_order_lines(s: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert the lines of a purchase order just created."""
    if rows:
        s.execute(
            text(
                "insert into public.purchase_order_lines (client_id, purchase_order_id, line_no,"
                " description, product_code, quantity, unit, unit_price, amount) values"
                " (:client_id, :purchase_order_id, :line_no, :description, :product_code,"
                " :quantity, :unit, :unit_price, :amount)"
            ),
            [dict(r) for r in rows],
        )


def count_purchase_orders(s: Session, client_id: UUID) -> int:
    """How many purchase orders the client has."""
    return int(
        s.execute(
            text("select count(*) from public.purchase_orders where client_id = :c"),
            {"c": client_id},
        ).scalar_one()
    )


def reset_password(s: Session, *, email: str, password_hash: str) -> None:
    """Set a local user's password hash (service session ``seed.demo.reset_password`` only)."""
    s.execute(
        text("update auth.users set encrypted_password = :h, updated_at = now() where email = :e"),
        {"h": password_hash, "e": email},
    )
