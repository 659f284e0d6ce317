"""Dates as the unseen sets print them: glued to a time, compact, long with stray spaces, inside
billing periods, and in the day/month order of the document's country."""

from __future__ import annotations

import datetime as dt

import pytest

from core.extraction.parsing import compact_dates, find_dates
from tests.unit.extraction.docgen import extract, text_pdf


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("22/12/201714:03", dt.date(2017, 12, 22)),  # OCR glued the time to the year
        ("August 3 , 2014", dt.date(2014, 8, 3)),  # stray space before the comma
        ("3 de agosto de 2014", dt.date(2014, 8, 3)),
        ("10 de novembro de 2025", dt.date(2025, 11, 10)),
        ("12 maart 2024", dt.date(2024, 3, 12)),
        ("19 września 2023", dt.date(2023, 9, 19)),
        ("5 Ağustos 2022", dt.date(2022, 8, 5)),
        ("7. března 2021", dt.date(2021, 3, 7)),
        ("09-01-16", dt.date(2016, 1, 9)),
    ],
)
def test_printed_dates_are_read(text: str, expected: dt.date) -> None:
    found = find_dates(text, day_first=True)
    assert found and found[0].value == expected


def test_compact_dates_read_day_first_or_year_first() -> None:
    assert [d.value for d in compact_dates("25032018")] == [dt.date(2018, 3, 25)]
    assert [d.value for d in compact_dates("20180325", year_first=True)] == [dt.date(2018, 3, 25)]
    assert compact_dates("99999999") == []


def test_a_receipt_date_glued_to_its_time_is_the_invoice_date() -> None:
    rows = [
        [(20, "MINI MARKET JAYA SDN BHD")],
        [(20, "22/12/201714:03"), (120, "Cashier: 02")],
        [(20, "Roti"), (150, "3.20")],
        [(20, "TOTAL"), (150, "RM 3.20")],
    ]
    assert extract(text_pdf([rows])).invoice_date.value == dt.date(2017, 12, 22)


def test_a_compact_receipt_date_beside_its_time_is_the_invoice_date() -> None:
    rows = [
        [(20, "MINI MARKET JAYA SDN BHD")],
        [(20, "25032018 14:03"), (120, "Cashier: 02")],
        [(20, "Roti"), (150, "3.20")],
        [(20, "TOTAL"), (150, "RM 3.20")],
    ]
    assert extract(text_pdf([rows])).invoice_date.value == dt.date(2018, 3, 25)


def test_a_billing_period_is_not_the_invoice_date() -> None:
    rows = [
        [(20, "Northern Power Ltd")],
        [(20, "Your electricity statement")],
        [(20, "Billing period 01/01/2031 - 31/01/2031")],
        [(120, "15 February 2031")],
        [(20, "Total to pay"), (150, "£ 88.10")],
    ]
    ex = extract(text_pdf([rows]))
    assert ex.invoice_date.value == dt.date(2031, 2, 15)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            [[(20, "Acme Supplies Inc.")], [(20, "Phone +1 (555) 201-3344")],
             [(20, "Invoice # 4711"), (120, "03/04/2024")], [(20, "Total"), (150, "$ 42.00")]],
            dt.date(2024, 3, 4),
        ),
        (
            [[(20, "Hawker Foods Pte Ltd")], [(20, "1 Orchard Road, Singapore 238801")],
             [(20, "Tel +65 6123 4567")], [(20, "03/04/2024 12:01")],
             [(20, "Total"), (150, "$ 5.35")]],
            dt.date(2024, 4, 3),
        ),
        (
            [[(20, "Harbour Cafe Pty Ltd")], [(20, "ABN 83 914 571 673")],
             [(20, "03/04/2024 12:01")], [(20, "Total"), (150, "$ 5.35")]],
            dt.date(2024, 4, 3),
        ),
    ],
    ids=["us-month-first", "singapore-dollar-day-first", "australia-dollar-day-first"],
)  # fmt: skip
def test_day_and_month_follow_the_documents_country(rows: list, expected: dt.date) -> None:
    assert extract(text_pdf([rows])).invoice_date.value == expected
