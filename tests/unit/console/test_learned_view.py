"""The "Learned per vendor" tables in an operator's words: headings, dates, actions, blanks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from console import learned_view

AT = dt.datetime(2026, 12, 6, 21, 5, 30, tzinfo=dt.UTC)


def test_the_ladder_speaks_in_words_with_blank_empty_cells() -> None:
    frame = learned_view.ladder_frame(
        [
            {"vendor_name": "Kestrel Ltd", "clean_streak": 2, "paused": False,
             "paused_at": None, "last_reset_action": None, "last_reset_at": None},
            {"vendor_name": "Bakery Ltd", "clean_streak": 0, "paused": True,
             "paused_at": AT, "last_reset_action": "match.overridden", "last_reset_at": AT},
        ]
    )  # fmt: skip
    assert list(frame.columns) == learned_view.LADDER_HEADINGS
    assert frame.to_dict("records") == [
        {"Vendor": "Kestrel Ltd", "Clean invoices in a row": 2, "Ladder": "Running",
         "Paused since (UTC)": "", "Last reset by": "", "Last reset on (UTC)": ""},
        {"Vendor": "Bakery Ltd", "Clean invoices in a row": 0, "Ladder": "Paused",
         "Paused since (UTC)": "6 Dec 2026, 21:05", "Last reset by": "A match was overridden",
         "Last reset on (UTC)": "6 Dec 2026, 21:05"},
    ]  # fmt: skip


def test_aliases_and_hints_in_words() -> None:
    aliases = learned_view.alias_frame(
        [{"vendor_name": "Bakery Ltd", "kind": "vat_id", "value": "GB1", "source": "learned",
          "learned_from": None, "created_at": AT}]
    )  # fmt: skip
    assert aliases.to_dict("records") == [
        {"Vendor": "Bakery Ltd", "Kind": "VAT id", "Value": "GB1",
         "Source": "Learned from a decision", "Learned from": "",
         "Added on (UTC)": "6 Dec 2026, 21:05"}
    ]  # fmt: skip
    hints = learned_view.hint_frame(
        [{"vendor_name": "Bakery Ltd", "field": "invoice_number", "anchor": "",
          "direction": "region", "page": 1, "weight": Decimal("2.00"), "agreements": 1,
          "contradictions": 0,
          "learned_from": "op@example.com", "updated_at": AT.replace(tzinfo=None)}]
    )  # fmt: skip
    row = hints.to_dict("records")[0]
    assert row["Field"] == "Invoice number" and row["Where"] == "At its place (no label), page 1"
    assert row["Weight"] == 2.0 and row["Last changed (UTC)"] == "6 Dec 2026, 21:05"
    one = learned_view.hint_frame([], with_vendor=False)
    assert "Vendor" not in one.columns  # one vendor chosen: the picker names it
    assert not hints.isin(["None", "nan"]).any().any()


def test_an_unknown_action_is_still_readable() -> None:
    frame = learned_view.ladder_frame(
        [{"vendor_name": "V", "clean_streak": 0, "paused": False, "paused_at": None,
          "last_reset_action": "status.something_new", "last_reset_at": None}]
    )  # fmt: skip
    assert frame["Last reset by"][0] == "status: something new"


def test_empty_tables_keep_their_headings() -> None:
    assert list(learned_view.hint_frame([]).columns) == learned_view.HINT_HEADINGS
    assert learned_view.alias_frame([]).empty
