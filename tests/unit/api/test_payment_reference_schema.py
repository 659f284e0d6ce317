"""The API carries payment_reference: readable on an invoice, correctable up to 140 characters."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.v1.schemas import InvoicePublic, InvoiceUpdate


def test_the_update_schema_takes_a_payment_reference_of_at_most_140_characters() -> None:
    assert InvoiceUpdate(payment_reference="RF18539007547034").model_dump(exclude_unset=True) == {
        "payment_reference": "RF18539007547034"
    }
    with pytest.raises(ValidationError):
        InvoiceUpdate(payment_reference="x" * 141)


def test_the_public_invoice_shows_it() -> None:
    assert "payment_reference" in InvoicePublic.model_fields
