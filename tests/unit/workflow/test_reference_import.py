import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from core.errors import TooLarge, UnsupportedType, ValidationFailed
from core.workflow.reference_import import parse_decimal, parse_reference_table


def test_vendor_csv_keeps_valid_rows_and_reports_bad_ones_with_row_numbers():
    data = (
        b"Vendor Name,VAT ID,IBAN,Country\n"
        b"ACME GmbH,DE 123 456 789,DE89370400440532013000,de\n"
        b",DE999,,\n"  # row 3: no name
        b"Beta SARL,FR12345678901,NOTANIBAN,FR\n"  # row 4: bad IBAN
        b"\n"
        b"Gamma Ltd,,,\n"
    )
    result = parse_reference_table(data, kind="vendors")
    assert [r.name for r in result.rows] == ["ACME GmbH", "Gamma Ltd"]
    assert result.rows[0].vat_id == "DE123456789" and result.rows[0].country == "DE"
    assert [(e.row, e.field) for e in result.errors] == [(3, "name"), (4, "iban")]
    assert result.row_numbers == [2, 6]
    assert result.total_rows == 4


def test_semicolon_cp1252_with_european_numbers_and_dates():
    data = (
        "PO Number;Vendor;Date;Currency;Line;Description;Qty;Price;Amount\n"
        "PO-1;V001;31.03.2024;eur;1;Schrauben \u20ac;10;1,50;15,00\n"
        "PO-1;V001;31.03.2024;EUR;2;Muttern;1.000,5;0,10;100,05\n"
    ).encode("cp1252")
    result = parse_reference_table(data, kind="purchase_orders")
    assert not result.errors
    first, second = result.rows
    assert first.order_date == dt.date(2024, 3, 31) and first.currency == "EUR"
    assert first.unit_price == Decimal("1.50") and "\u20ac" in first.description
    assert second.quantity == Decimal("1000.5")


def test_po_lines_disagreeing_with_their_header_are_rejected():
    data = (
        b"po_number,vendor,currency,line_no,amount\n"
        b"PO-1,V1,EUR,1,10\nPO-1,V2,EUR,2,5\nPO-2,V1,USD,1,7\n"
    )
    result = parse_reference_table(data, kind="purchase_orders")
    assert [r.line_no for r in result.rows] == [1, 1]
    assert [(e.row, e.field) for e in result.errors] == [(3, "vendor")]


def test_utf8_bom_and_tab_delimiter():
    data = "\ufeffname\tvat_id\nÖl AG\tATU123\n".encode()
    result = parse_reference_table(data, kind="vendors")
    assert result.rows[0].name == "Öl AG"


def test_goods_receipts_from_xlsx_with_real_dates_and_numbers():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Receipt No", "PO", "Receipt Date", "Line", "Qty received"])
    ws.append(["GR-1", "PO-1", dt.datetime(2024, 4, 2), 1, 10])
    ws.append(["GR-2", "PO-1", "yesterday", 2, 1])
    ws.append(["GR-3", "PO-2", None, None, "abc"])
    buf = io.BytesIO()
    wb.save(buf)
    result = parse_reference_table(buf.getvalue(), kind="goods_receipts")
    assert [r.receipt_number for r in result.rows] == ["GR-1"]
    assert result.rows[0].received_date == dt.date(2024, 4, 2) and result.rows[0].quantity == 10
    assert [(e.row, e.field) for e in result.errors] == [(3, "received_date"), (4, "quantity")]


def test_numeric_vendor_codes_from_xlsx_become_text():
    wb = openpyxl.Workbook()
    wb.active.append(["name", "vendor_code"])
    wb.active.append(["ACME", 10042])
    buf = io.BytesIO()
    wb.save(buf)
    assert parse_reference_table(buf.getvalue(), kind="vendors").rows[0].vendor_code == "10042"


def test_missing_required_column_is_a_file_level_error():
    with pytest.raises(ValidationFailed) as info:
        parse_reference_table(b"vat_id,iban\nX,Y\n", kind="vendors")
    assert info.value.details["missing"] == ["name"]


def test_limits_and_types():
    with pytest.raises(TooLarge):
        parse_reference_table(b"name\n" + b"a\n" * 20, kind="vendors", max_rows=5)
    with pytest.raises(TooLarge):
        parse_reference_table(b"name\n" + b"a" * 100, kind="vendors", max_bytes=50)
    with pytest.raises(UnsupportedType):
        parse_reference_table(b"%PDF-1.7 ...", kind="vendors")
    with pytest.raises(ValidationFailed):
        parse_reference_table(b"PK\x03\x04garbage", kind="vendors")
    with pytest.raises(ValidationFailed):
        parse_reference_table(b"   \n", kind="vendors")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1,234.50", "1234.50"),
        ("1.234,50", "1234.50"),
        ("12,5", "12.5"),
        ("-3", "-3"),
        ("1,000", "1000"),
    ],
)
def test_parse_decimal_accepts_both_conventions(text, value):
    assert parse_decimal(text) == Decimal(value)


def test_parse_decimal_rejects_nan_and_words():
    for bad in ("NaN", "abc", "Infinity"):
        with pytest.raises(ValueError):
            parse_decimal(bad)
