"""Small hand-written vendor masters shared by the matching unit tests."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture()
def vendors() -> pd.DataFrame:
    """A vendor master with look-alikes (legal-form siblings, shared words)."""
    return pd.DataFrame(
        {
            "id": ["V1", "V2", "V3", "V4", "V5", "V6", "V7"],
            "name": [
                "Müller Logistik GmbH",
                "Deutsche Bank AG",
                "Deutsche Bank GmbH",
                "International Business Machines Corp.",
                "Société Générale S.A.",
                "Schneider Elektrotechnik KG",
                "Acme Trading Services Ltd",
            ],
            "vat_id": ["DE111111111", "DE222222222", "DE333333333", "", "FR44444444444", "", ""],
            "iban": ["", "", "", "", "", "DE89370400440532013000", ""],
            "city": ["Hamburg", "Frankfurt", "Berlin", "Armonk", "Paris", "München", "London"],
        }
    )
