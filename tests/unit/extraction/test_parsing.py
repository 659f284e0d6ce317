"""Locale-aware parsing of printed amounts, dates and currencies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.extraction.parsing import (
    detect_decimal_separator,
    find_amounts,
    find_currencies,
    find_dates,
    parse_amount,
    parse_currency,
    parse_date,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234,56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56", "1234.56"),
        ("1\u202f234,56", "1234.56"),
        ("1'234.56", "1234.56"),
        ("1’234.56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1.234.567,89", "1234567.89"),
        ("1,234,567.89", "1234567.89"),
        ("(12.00)", "-12.00"),
        ("-12,00", "-12.00"),
        ("12,00-", "-12.00"),
        ("−7,90", "-7.90"),
        ("€ 1.234,56", "1234.56"),
        ("1.234,56 €", "1234.56"),
        ("EUR 99,90", "99.90"),
        ("CHF 1'250.00", "1250.00"),
        ("$1,000.00", "1000.00"),
        ("0,5", "0.5"),
        ("3.3333", "3.3333"),
        ("42", "42"),
    ],
)
def test_parse_amount_reads_each_locale_format(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "sep", "expected"),
    [
        ("1.234", ",", "1234"),  # German thousands
        ("1.234", ".", "1.234"),  # a three-decimal unit price
        ("1,234", ".", "1234"),
        ("1,234", ",", "1.234"),
    ],
)
def test_parse_amount_uses_the_document_decimal_separator_for_three_digit_groups(
    text: str, sep: str, expected: str
) -> None:
    assert parse_amount(text, sep) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "abc", "12 %x", "1.2.3,4,5", "1 23,00"])
def test_parse_amount_rejects_text_that_is_not_one_amount(text: str) -> None:
    assert parse_amount(text) is None


@given(
    st.decimals(min_value=Decimal("-9999999.99"), max_value=Decimal("9999999.99"), places=2),
    st.sampled_from(["de", "en", "fr", "ch"]),
)
def test_parse_amount_round_trips_every_locale_rendering(value: Decimal, style: str) -> None:
    plain = f"{abs(value):,.2f}"  # 1,234,567.89
    rendered = {
        "de": plain.replace(",", "X").replace(".", ",").replace("X", "."),
        "en": plain,
        "fr": plain.replace(",", "\u202f").replace(".", ","),
        "ch": plain.replace(",", "'"),
    }[style]
    if value < 0:
        rendered = "-" + rendered
    assert parse_amount(rendered, "," if style in ("de", "fr") else ".") == value


def test_find_amounts_masks_nothing_and_keeps_order() -> None:
    found = [v for _, _, v in find_amounts("Netto 1.234,56 EUR  MwSt 234,56  Rabatt (12,00)")]
    assert found == [Decimal("1234.56"), Decimal("234.56"), Decimal("-12.00")]


def test_detect_decimal_separator_from_two_decimal_amounts() -> None:
    assert detect_decimal_separator("Summe 12,50 und 3,99 sowie 1.000,00") == ","
    assert detect_decimal_separator("Total 12.50 and 3.99") == "."
    assert detect_decimal_separator("no amounts") is None


@pytest.mark.parametrize(
    ("text", "expected", "ambiguous"),
    [
        ("2018-06-05", dt.date(2018, 6, 5), False),
        ("05.06.2018", dt.date(2018, 6, 5), False),
        ("5.6.18", dt.date(2018, 6, 5), False),
        ("13/04/2021", dt.date(2021, 4, 13), False),
        ("04/13/2021", dt.date(2021, 4, 13), False),
        ("03/04/2021", dt.date(2021, 4, 3), True),
        ("5 March 2024", dt.date(2024, 3, 5), False),
        ("March 5, 2024", dt.date(2024, 3, 5), False),
        ("Mar 5 2024", dt.date(2024, 3, 5), False),
        ("5. März 2024", dt.date(2024, 3, 5), False),
        ("Datum: 11. August .2026", dt.date(2026, 8, 11), False),  # a dot OCR put before the year
        ("24. Januar 2014", dt.date(2014, 1, 24), False),
        ("1er mars 2024", dt.date(2024, 3, 1), False),
        ("16 nov. 2017", dt.date(2017, 11, 16), False),
        ("16 décembre 2017", dt.date(2017, 12, 16), False),
        ("05-Mar-24", dt.date(2024, 3, 5), False),
    ],
)
def test_parse_date_formats_and_ambiguity(text: str, expected: dt.date, ambiguous: bool) -> None:
    parsed = parse_date(f"Datum: {text} ")
    assert parsed is not None
    assert parsed.value == expected
    assert parsed.ambiguous is ambiguous


def test_ambiguous_numeric_dates_follow_the_document_order() -> None:
    assert find_dates("03/04/2021", day_first=False)[0].value == dt.date(2021, 3, 4)
    assert find_dates("03/04/2021", day_first=True)[0].value == dt.date(2021, 4, 3)


def test_impossible_dates_are_not_dates() -> None:
    assert find_dates("31.02.2020 and 2020-13-01") == []


@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_iso_and_german_dates_round_trip(day: dt.date) -> None:
    assert parse_date(day.isoformat()).value == day  # type: ignore[union-attr]
    assert parse_date(day.strftime("%d.%m.%Y")).value == day  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Total 12,00 €", "EUR"),
        ("Amount due: £ 40.00", "GBP"),
        ("Währung: CHF", "CHF"),
        ("Betrag 12,00 Fr.", "CHF"),
        ("US$ 10.00", "USD"),
        ("C$ 10.00", "CAD"),
        ("Total: 12.00 USD", "USD"),
        ("Montant 1 000,00 euros", "EUR"),
        ("zł 10,00", "PLN"),
        ("ÚSD Currency:", "USD"),  # OCR put an accent on a scan's capital
        ("Summe 40,00 EÜR", "EUR"),
    ],
)
def test_currency_from_codes_symbols_and_words(text: str, code: str) -> None:
    assert parse_currency(text) == code


def test_currency_is_never_defaulted() -> None:
    assert parse_currency("Total 12.00") is None
    assert find_currencies("ALL TOP CUP items") == {}
    # accented capitals that fold to no code, or words longer than a code, name no currency
    assert find_currencies("ÉTÉ CAFÉ ÚSDA RÉSUMÉ") == {}
