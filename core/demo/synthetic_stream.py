"""A vendor's next invoice: the same layout, party and labels with other values.

Learning per vendor (aliases, extraction hints, the trust ladder) is about a vendor's *next*
invoice, so tests and the straight-through benchmark need documents that share a vendor's layout
while their values change. ``next_invoice(spec, seed)`` draws new content from ``seed`` and keeps
everything that makes the layout the vendor's own.
"""

from __future__ import annotations

import dataclasses

from core.demo.synthetic_content import InvoiceSpec, make_spec

_KEPT = (
    "loc",
    "labels",
    "template",
    "font",
    "font_size",
    "table_style",
    "columns",
    "money_style",
    "date_format",
    "vendor",
    "customer",
    "show_customer_vat",
)


def next_invoice(spec: InvoiceSpec, seed: int, *, n_items: int | None = None) -> InvoiceSpec:
    """Another invoice of ``spec``'s vendor: its layout and parties, new number/date/items."""
    fresh = make_spec(seed, locale=spec.loc.code, credit_note=False, n_items=n_items)
    kept = {name: getattr(spec, name) for name in _KEPT}
    return dataclasses.replace(fresh, **kept)
