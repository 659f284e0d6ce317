"""Line allowances and charges count in the line arithmetic (issue 13, defect 13): a valid CII
e-invoice with a 10% line allowance reads back with the allowance and passes line_arithmetic."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from core.extraction.einvoice_extractor import extract_xml
from core.extraction.schema import Extraction, LineItem
from core.extraction.validation import validate
from core.workflow.einvoice_export import to_cii
from core.workflow.einvoice_model import from_invoice
from tests.einvoice_xsd import schema_errors
from tests.unit.workflow.test_einvoice_export import full_invoice

RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"


def _cii_with_line_allowance() -> bytes:
    """Line 1: 100 x 1.00 less a 10% allowance = 90.00; line 2: 2 x 25.00 = 50.00."""
    lines = [
        {"line_no": 1, "description": "Schrauben", "quantity": Decimal("100"), "unit": "C62",
         "unit_price": Decimal("1.00"), "amount": Decimal("90.00"), "tax_rate": Decimal("19")},
        {"line_no": 2, "description": "Montage", "quantity": Decimal("2"), "unit": "HUR",
         "unit_price": Decimal("25.00"), "amount": Decimal("50.00"), "tax_rate": Decimal("19")},
    ]  # fmt: skip
    invoice = full_invoice(
        subtotal=Decimal("140.00"),
        tax=Decimal("26.60"),
        total=Decimal("166.60"),
        amount_due=Decimal("166.60"),
    )
    root = etree.fromstring(to_cii(from_invoice(invoice, lines)))
    settle = root.find(
        f".//{{{RAM}}}IncludedSupplyChainTradeLineItem/{{{RAM}}}SpecifiedLineTradeSettlement"
    )
    summation = settle.find(f"{{{RAM}}}SpecifiedTradeSettlementLineMonetarySummation")
    allowance = etree.Element(f"{{{RAM}}}SpecifiedTradeAllowanceCharge")
    indicator = etree.SubElement(allowance, f"{{{RAM}}}ChargeIndicator")
    etree.SubElement(indicator, f"{{{UDT}}}Indicator").text = "false"
    etree.SubElement(allowance, f"{{{RAM}}}CalculationPercent").text = "10"
    etree.SubElement(allowance, f"{{{RAM}}}BasisAmount").text = "100.00"
    etree.SubElement(allowance, f"{{{RAM}}}ActualAmount").text = "10.00"
    etree.SubElement(allowance, f"{{{RAM}}}Reason").text = "Mengenrabatt"
    summation.addprevious(allowance)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_a_valid_cii_invoice_with_a_line_allowance_passes_line_arithmetic() -> None:
    data = _cii_with_line_allowance()
    assert schema_errors(data) == []  # a valid EN 16931 CII document
    ex = extract_xml(data)
    first, second = ex.line_items
    assert (first.allowance, first.charge, first.amount) == (
        Decimal("10.00"),
        None,
        Decimal("90.00"),
    )
    assert second.allowance is None
    checked = validate(ex, "", copy=True)
    assert not [w for w in checked.warnings if w.startswith("line_arithmetic")], checked.warnings


def test_a_line_that_does_not_add_up_still_fails_and_names_the_allowance() -> None:
    ex = Extraction(
        line_items=[
            LineItem(quantity=Decimal("10"), unit_price=Decimal("5"), allowance=Decimal("5"),
                     charge=Decimal("2"), amount=Decimal("40"), confidence=1.0),
            LineItem(quantity=Decimal("1"), unit_price=Decimal("10"), charge=Decimal("1.50"),
                     amount=Decimal("11.50"), confidence=1.0),
        ]
    )  # fmt: skip
    warnings = [w for w in validate(ex, "").warnings if w.startswith("line_arithmetic")]
    assert warnings == ["line_arithmetic: line 1: 10 x 5 - 3 != 40"]
