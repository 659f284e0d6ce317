"""Typed purchase-order match exceptions: stable codes and their plain words.

A code names one thing a reviewer (or an approval policy) can act on. Codes are stable: the
database stores them (``public.match_exceptions.code``, checked against this list), the API and
the exports show them next to ``WORDS``, and an approval policy names them as blocks
(``line.over_billed_quantity``). ``po.*`` codes concern the purchase order as a whole (no line),
``line.*`` codes one invoice line. Add a code here and in the table's check constraint together.
"""

from __future__ import annotations

from enum import Enum


class ExceptionCode(str, Enum):
    """What a 2-way or 3-way match found wrong (the value is the stable code)."""

    po_not_found = "po.not_found"
    vendor_mismatch = "po.vendor_mismatch"
    currency_mismatch = "po.currency_mismatch"
    amount_variance = "po.amount_variance"
    po_closed = "po.closed"
    po_exhausted = "po.exhausted"
    no_po_line = "line.no_po_line"
    price_variance = "line.price_variance"
    over_billed_quantity = "line.over_billed_quantity"
    not_received = "line.not_received"
    quantity_missing = "line.quantity_missing"
    price_missing = "line.price_missing"

    @property
    def scope(self) -> str:
        """``po`` (the purchase order as a whole) or ``line`` (one invoice line)."""
        return self.value.split(".", 1)[0]

    @property
    def words(self) -> str:
        """The code in plain words, for people (reviewers, export readers)."""
        return WORDS[self]


WORDS: dict[ExceptionCode, str] = {
    ExceptionCode.po_not_found: "the purchase order is not in the purchase order list",
    ExceptionCode.vendor_mismatch: "the purchase order belongs to another vendor",
    ExceptionCode.currency_mismatch: "the invoice currency differs from the purchase order's",
    ExceptionCode.amount_variance: "the invoice total does not fit the purchase order's amount",
    ExceptionCode.po_closed: "the purchase order is closed",
    ExceptionCode.po_exhausted: "the purchase order is already fully invoiced",
    ExceptionCode.no_po_line: "no purchase order line matches this line",
    ExceptionCode.price_variance: "the unit price differs from the purchase order",
    ExceptionCode.over_billed_quantity: "more is billed than was ordered",
    ExceptionCode.not_received: "more is billed than has been received",
    ExceptionCode.quantity_missing: "the line has no quantity to check",
    ExceptionCode.price_missing: "the line has no unit price to check",
}

CODES: tuple[str, ...] = tuple(c.value for c in ExceptionCode)


def words(code: str) -> str:
    """Plain words of a stored code (the code itself when it is not one of ours)."""
    try:
        return ExceptionCode(code).words
    except ValueError:
        return code
