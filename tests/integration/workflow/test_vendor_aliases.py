"""Alternate vendor names from the vendor-master import go to the alias store, and matching uses
them: a CSV ``aliases`` column and a workbook's second sheet, re-imports without duplicates,
rows naming unknown vendors reported, and the matching step's index built with the store."""

from __future__ import annotations

import io

import openpyxl
from sqlalchemy import text

from core.db import reference_repo
from core.db.session import user_session
from core.matching.matcher import decide_vendor
from core.workflow import matching_step, reference
from tests.integration.workflow.conftest import as_user

VENDORS_CSV = (
    "vendor_code,name,vat_id,former_names\n"
    "V1,Accenture plc,IE6388047V,Andersen Consulting | Accenture Ltd\n"
    "V2,Altria Group Inc.,,Philip Morris Companies Inc.\n"
    "V3,Müller Logistik GmbH,,\n"
).encode()


def _xlsx() -> bytes:
    wb = openpyxl.Workbook()
    vendors = wb.active
    vendors.title = "Vendors"
    vendors.append(["vendor_code", "name", "aliases"])
    vendors.append(["V1", "Accenture plc", "Andersen Consulting"])
    vendors.append(["V3", "Müller Logistik GmbH", None])
    sheet = wb.create_sheet("Aliases")
    sheet.append(["vendor", "alias", "kind"])
    sheet.append(["V3", "Mueller Spedition", "name"])
    sheet.append(["Accenture plc", "IE 6388047 V", "VAT id"])
    sheet.append(["V9", "Nobody GmbH", "name"])  # no such vendor: reported, not stored
    sheet.append(["V3", "", "name"])  # empty alias: reported
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _aliases(engine, client_id) -> list[tuple[str, str, str, str, str]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "select v.external_id, a.kind, a.value, a.normalized, a.source"
                    " from public.vendor_aliases a join public.vendors v on v.id = a.vendor_id"
                    " where a.client_id = :c order by v.external_id, a.kind, a.value"
                ),
                {"c": client_id},
            ).all()
        ]


def test_csv_alias_column_fills_the_alias_store_once(services, role_users, engine) -> None:
    client = role_users
    operator = as_user(client.members["operator"])
    report = reference.import_reference(
        services=services, user=operator, client_id=client.id, kind="vendors", data=VENDORS_CSV
    )
    assert not report.errors and report.aliases_added == 3
    assert _aliases(engine, client.id) == [
        ("V1", "name", "Accenture Ltd", "accenture", "import"),
        ("V1", "name", "Andersen Consulting", "andersen consulting", "import"),
        ("V2", "name", "Philip Morris Companies Inc.", "philip morris companies", "import"),
    ]
    with engine.connect() as conn:
        creators = set(
            conn.execute(
                text("select created_by from public.vendor_aliases where client_id = :c"),
                {"c": client.id},
            ).scalars()
        )
    assert creators == {client.members["operator"].id}
    again = reference.import_reference(
        services=services, user=operator, client_id=client.id, kind="vendors", data=VENDORS_CSV
    )
    assert again.aliases_added == 0 and len(_aliases(engine, client.id)) == 3


def test_xlsx_second_sheet_adds_names_and_vat_ids_and_reports_bad_rows(
    services, role_users, engine
) -> None:
    client = role_users
    owner = as_user(client.members["owner"])
    report = reference.import_reference(
        services=services,
        user=owner,
        client_id=client.id,
        kind="vendors",
        data=_xlsx(),
        filename="vendors.xlsx",
    )
    assert report.created == 2 and report.aliases_added == 3
    assert sorted((e.row, e.field) for e in report.errors) == [
        (4, "aliases sheet: vendor"),
        (5, "aliases sheet: alias"),
    ]
    assert _aliases(engine, client.id) == [
        ("V1", "name", "Andersen Consulting", "andersen consulting", "import"),
        ("V1", "vat_id", "IE 6388047 V", "IE6388047V", "import"),
        ("V3", "name", "Mueller Spedition", "muller spedition", "import"),
    ]


def test_the_matching_step_uses_the_alias_store_as_exact_keys(services, role_users) -> None:
    client = role_users
    operator = as_user(client.members["operator"])
    reference.import_reference(
        services=services, user=operator, client_id=client.id, kind="vendors", data=VENDORS_CSV
    )
    viewer = as_user(client.members["viewer"])
    with user_session(services.engine, viewer.claims) as s:
        refs = reference_repo.reference_frames(s, client.id)
    index = matching_step._vendor_index(client.id, refs["vendors"], refs["aliases"])
    assert index is not None
    decision = decide_vendor({"name": "ANDERSEN CONSULTING LLP"}, index)
    vendor_ids = {v["external_id"]: str(v["id"]) for v in refs["vendors"]}
    assert decision["match_id"] == vendor_ids["V1"] and decision["decision"] == "auto"
    assert "via alias 'Andersen Consulting' (imported, " in decision["reason"]
    # without the store, the former name finds nothing
    bare = matching_step._vendor_index(client.id, refs["vendors"], [])
    assert decide_vendor({"name": "ANDERSEN CONSULTING LLP"}, bare)["match_id"] != vendor_ids["V1"]
