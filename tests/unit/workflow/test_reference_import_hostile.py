"""Hostile reference-data files (issue 11, F3 and F9): typed errors or row errors, never a 500.

F3: an XLSX whose shared strings inflate to gigabytes is refused from the zip directory, before
anything is inflated, and the process stays small while refusing it.
F9: the CSV dialect is sniffed from a sample of rows (not the header alone), so doubled quotes
inside a quoted field survive; a field over the csv module's size limit is a row error.
"""

from __future__ import annotations

import io
import zipfile

import openpyxl
import psutil
import pytest
import xlsxwriter

from core.errors import HostileDocument, ValidationFailed
from core.workflow.reference_import import parse_reference_table

pytestmark = pytest.mark.security


def test_doubled_quotes_inside_a_quoted_field_import_exactly() -> None:
    data = b'name,vat_id,country\n"ACME ""Best"", Inc",DE123456789,DE\nPlain Vendor Ltd,,GB\n'
    result = parse_reference_table(data, kind="vendors")
    assert not result.errors
    assert [r.name for r in result.rows] == ['ACME "Best", Inc', "Plain Vendor Ltd"]
    assert result.rows[0].vat_id == "DE123456789" and result.rows[0].country == "DE"


def test_semicolon_file_with_quoted_commas_is_still_semicolon() -> None:
    data = b'name;vat_id\n"Smith, Jones & Co";DE1\n"ACME ""Best"" GmbH";DE2\n'
    result = parse_reference_table(data, kind="vendors")
    assert [r.name for r in result.rows] == ["Smith, Jones & Co", 'ACME "Best" GmbH']


def test_a_field_over_the_size_limit_is_a_row_error_and_the_other_rows_survive() -> None:
    huge = b"x" * (200 * 1024)  # over csv.field_size_limit() (128 KiB)
    data = b"name,country\nFirst Ltd,DE\n" + b'"' + huge + b'",FR\nLast Ltd,GB\n'
    result = parse_reference_table(data, kind="vendors")
    assert [r.name for r in result.rows] == ["First Ltd", "Last Ltd"]
    assert [(e.row, e.field) for e in result.errors] == [(3, None)]
    assert "too large" in result.errors[0].message


def _xlsx(rows: list[list[str]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _shared_strings_xlsx() -> bytes:
    """A workbook as Excel writes it: cells point into xl/sharedStrings.xml."""
    buf = io.BytesIO()
    with xlsxwriter.Workbook(buf) as wb:
        ws = wb.add_worksheet()
        ws.write_string(0, 0, "name")
        ws.write_string(1, 0, "ACME")
    return buf.getvalue()


def _shared_strings_bomb(inflated_mb: int) -> bytes:
    """A valid workbook whose sharedStrings.xml inflates to ``inflated_mb`` MB of one string."""
    base = zipfile.ZipFile(io.BytesIO(_shared_strings_xlsx()))
    assert "xl/sharedStrings.xml" in base.namelist()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for info in base.infolist():
            if info.filename != "xl/sharedStrings.xml":
                z.writestr(info, base.read(info.filename))
                continue
            with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
                member.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006')
                member.write(b'/main" count="2" uniqueCount="2"><si><t>name</t></si><si><t>')
                chunk = b"A" * (1024 * 1024)
                for _ in range(inflated_mb):
                    member.write(chunk)
                member.write(b"</t></si></sst>")
    return out.getvalue()


def test_an_xlsx_bomb_is_refused_before_inflating_and_memory_stays_low() -> None:
    bomb = _shared_strings_bomb(1024)  # 1 GiB of shared strings in about 1 MB
    assert len(bomb) < 3 * 1024 * 1024
    process = psutil.Process()
    before = process.memory_info().rss
    with pytest.raises(HostileDocument) as err:
        parse_reference_table(bomb, kind="vendors")
    grown = process.memory_info().rss - before
    assert err.value.code == "hostile_document"
    assert "sharedStrings" in err.value.message
    assert grown < 64 * 1024 * 1024, f"RSS grew by {grown / 2**20:.0f} MiB"


def test_a_zip_with_too_many_members_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for i in range(20_000):
            z.writestr(f"x/{i}.xml", b"")
    with pytest.raises(HostileDocument):
        parse_reference_table(out.getvalue(), kind="vendors")


def test_normal_workbooks_still_import() -> None:
    result = parse_reference_table(_xlsx([["name", "country"], ["ACME", "de"]]), kind="vendors")
    assert [(r.name, r.country) for r in result.rows] == [("ACME", "DE")]
    shared = parse_reference_table(_shared_strings_xlsx(), kind="vendors")
    assert [r.name for r in shared.rows] == ["ACME"]


def test_a_zip_that_is_no_workbook_is_a_validation_error() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", b"hi")
    with pytest.raises(ValidationFailed):
        parse_reference_table(out.getvalue(), kind="vendors")
