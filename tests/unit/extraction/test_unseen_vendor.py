"""Vendor name on documents like the unseen sets' misses: titles, addresses, the customer's block,
brands, footers and "provided by" lines; legal forms by country. Documents are drawn here."""

from __future__ import annotations

import pytest

from core.extraction.language_packs import canonical_forms, legal_form_regex
from tests.unit.extraction.docgen import extract, text_pdf


def test_title_and_receipt_number_lines_are_not_the_vendor() -> None:
    rows = [
        [(70, "TAX INVOICE", 13)],
        [(80, "Cash Sale")],
        [(20, "Receipt No: 10234")],
        [(20, "KEDAI RUNCIT MAJU SDN BHD")],
        [(20, "No. 12, Jalan Besar, 43000 Kajang")],
        [(20, "Date: 22/12/2017 14:03")],
        [(20, "Milo 1kg"), (150, "8.35")],
        [(20, "Total Amount Payable"), (150, "RM8.35")],
    ]
    ex = extract(text_pdf([rows]))
    assert ex.vendor_name.value == "KEDAI RUNCIT MAJU SDN BHD"
    assert ex.vendor_name.evidence is not None
    assert any(s.startswith("legal-form") for s in ex.vendor_name.evidence.signals)


@pytest.mark.parametrize("title", ["FACTUUR", "Summary", "FACTURA", "PARAGON FISKALNY"])
def test_a_title_at_the_top_never_wins(title: str) -> None:
    rows = [
        [(80, title, 14)],
        [(20, "Northwind Traders Ltd")],
        [(20, "4 Harbour Road, Leeds LS1 4AB")],
        [(20, "Invoice number: NW-2211"), (120, "Date: 02/05/2024")],
        [(20, "Total"), (150, "£ 120.00")],
    ]
    ex = extract(text_pdf([rows]))
    assert ex.vendor_name.value == "Northwind Traders Ltd"


def test_an_address_or_registration_line_is_not_the_vendor() -> None:
    rows = [
        [(20, "Lot 5, Jalan Perdana 2")],
        [(20, "Co. Reg. No. 1234567-K")],
        [(20, "PERDANA MART SDN BHD")],
        [(20, "Tel: 03-5566 7788")],
        [(20, "Invoice No: PM-0091"), (120, "Date: 05/06/2019")],
        [(20, "TOTAL"), (150, "RM 45.20")],
    ]
    assert extract(text_pdf([rows])).vendor_name.value == "PERDANA MART SDN BHD"


def test_the_customer_block_at_the_top_is_not_the_vendor_and_the_footer_names_the_seller() -> None:
    rows = [
        [(20, "R. de Vries Installatietechniek")],
        [(20, "Dorpsstraat 12")],
        [(20, "3851 SL ERMELO")],
        [(20, "Debiteurnummer: 120855"), (120, "Factuurdatum: 14-08-2024")],
        [(20, "Btw-nummer: NL004495445B01"), (120, "Factuurnummer: 600627")],
        [(20, "Omschrijving"), (150, "Bedrag")],
        [(20, "Montageband 10 m"), (150, "30,40")],
        [(20, "Subtotaal"), (130, "Eur"), (150, "30,40")],
        [(20, "BTW 21,00 % over 30,40"), (130, "Eur"), (150, "6,38")],
        [(20, "Factuurtotaal"), (130, "Eur"), (150, "36,78")],
        [],
        [(20, "Bouwmaat Techniek B.V., Meeboerserf 6, 3851 SR Ermelo, www.bouwmaat-techniek.nl")],
        [(20, "KVK 08113875, BTW 813941155B01, IBAN NL78 INGB 0680 0009 17")],
    ]
    ex = extract(text_pdf([rows]))
    assert ex.vendor_name.value == "Bouwmaat Techniek B.V."
    assert ex.vendor_vat_id.value == "813941155B01"  # the footer's, not the customer's
    assert ex.customer_vat_id.value == "NL004495445B01"
    assert ex.total.value is not None and str(ex.total.value) == "36.78"


def test_the_legal_company_beats_the_brand_printed_above_it() -> None:
    rows = [
        [(70, "CONAD", 18)],
        [(60, "SUPERMERCATO")],
        [(50, "LUCCA MODA S.R.L.")],
        [(50, "Via Roma 1 - 55100 Lucca")],
        [(50, "P.IVA 00743110157")],
        [(20, "DOCUMENTO COMMERCIALE")],
        [(20, "TOTALE COMPLESSIVO"), (150, "2,99")],
    ]
    ex = extract(text_pdf([rows]))
    assert ex.vendor_name.value == "LUCCA MODA S.R.L."
    assert ex.vendor_vat_id.value == "00743110157"


def test_a_seller_named_only_after_provided_by_is_found() -> None:
    rows = [
        [(20, "Invoice", 16)],
        [(20, "Invoice number: INV-0042"), (120, "Date: 2024-03-01")],
        [(20, "Bill to: Jane Doe")],
        [(20, "Pro plan, monthly"), (150, "$29.00")],
        [(20, "Total"), (150, "$29.00")],
        [],
        [(20, "This service is provided by Cloudy Apps Inc., 100 Market St, San Francisco")],
    ]
    ex = extract(text_pdf([rows]))
    assert ex.vendor_name.value == "Cloudy Apps Inc."
    assert ex.vendor_name.evidence is not None
    assert "named-as-seller" in ex.vendor_name.evidence.signals


def test_the_vendor_master_decides_between_two_plausible_names() -> None:
    rows = [
        [(20, "Alpha Foods GmbH")],
        [(120, "Beta Logistik GmbH")],
        [(20, "Rechnungsnummer: 2024-55"), (120, "Datum: 01.02.2024")],
        [(20, "Gesamtbetrag"), (150, "119,00 €")],
    ]
    data = text_pdf([rows])
    ex = extract(data, known_vendors=["BETA LOGISTIK GMBH", "Gamma AG"])
    assert ex.vendor_name.value == "Beta Logistik GmbH"
    assert ex.vendor_name.evidence is not None
    assert "vendor-master" in ex.vendor_name.evidence.signals


@pytest.mark.parametrize(
    ("name", "country"),
    [
        ("Kedai Maju Sdn Bhd", "MY"), ("Maju Holdings Bhd", "MY"), ("Tata Foods Pvt Ltd", "IN"),
        ("Suministros Sur S.L.", "ES"), ("Ferramenta Rossi S.p.A.", "IT"),
        ("HURTOWNIA ODRA Sp. z o.o.", "PL"), ("Padaria Sol Nascente Ltda", "BR"),
        ("Marina Noodles Pte. Ltd.", "SG"), ("Sklepy Mazur Sp.z o.o.Sp.j.", "PL"),
    ],
)  # fmt: skip
def test_legal_forms_of_asia_and_latin_countries_are_known(name: str, country: str) -> None:
    assert legal_form_regex(country).search(name), name
    assert legal_form_regex(None).search(name), name


@pytest.mark.parametrize("name", ["Royal Company", "Smith & Co.", "The Trading Co", "Sa 9-13h"])
def test_bare_generic_words_are_no_legal_form(name: str) -> None:
    assert legal_form_regex(None).search(name) is None


def test_a_legal_form_misread_by_ocr_is_written_as_the_country_writes_it() -> None:
    assert canonical_forms("Rossmann SDP SP. Z 0.0.", "PL") == "Rossmann SDP Sp. z o.o."
