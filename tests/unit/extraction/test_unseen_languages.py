"""Languages, countries, currencies, tax ids and invoice-number labels beyond en/de/fr, on
documents drawn here in each country's conventions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.extraction.language_packs import LANGUAGE_CODES, countries, detect_locale, languages
from core.extraction.parsing import find_currencies
from tests.unit.extraction.docgen import extract, text_pdf


def _money(value: object) -> str | None:
    return None if value is None else f"{Decimal(str(value)):.2f}"


def test_every_language_pack_has_the_labels_and_months_the_rules_need() -> None:
    needed = {"invoice_number", "invoice_date", "due_date", "subtotal", "tax", "total",
              "customer", "vat_id", "tendered", "change", "tax_included"}  # fmt: skip
    for code in LANGUAGE_CODES:
        pack = languages()[code]
        assert needed <= pack.labels.keys(), (code, needed - pack.labels.keys())
        assert len(pack.months) == 12, code
        assert pack.default_country in countries(), code


def test_every_tax_id_checker_named_in_the_country_packs_exists() -> None:
    import importlib

    for pack in countries().values():
        for rule in pack.tax_ids:
            if rule.stdnum:
                importlib.import_module(f"stdnum.{rule.stdnum}")


def test_dutch_labels_month_names_and_vat_are_read() -> None:
    rows = [
        [(20, "Bakkerij De Molen B.V.", 14)],
        [(20, "Molenweg 3, 3851 AB Ermelo")],
        [(20, "FACTUUR")],
        [(20, "Factuurnummer: 2024-118"), (120, "Factuurdatum: 12 maart 2024")],
        [(20, "Vervaldatum: 11 april 2024")],
        [(20, "Omschrijving"), (150, "Bedrag")],
        [(20, "Broodjes"), (150, "€ 100,00")],
        [(20, "Subtotaal"), (150, "€ 100,00")],
        [(20, "BTW 21%"), (150, "€ 21,00")],
        [(20, "Totaal"), (150, "€ 121,00")],
        [(20, "KvK 12345678  BTW NL004495445B01")],
    ]
    ex = extract(text_pdf([rows]))
    assert ex.invoice_number.value == "2024-118"
    assert ex.invoice_date.value == dt.date(2024, 3, 12)
    assert ex.due_date.value == dt.date(2024, 4, 11)
    assert (_money(ex.subtotal.value), _money(ex.tax.value), _money(ex.total.value)) == (
        "100.00", "21.00", "121.00"
    )  # fmt: skip
    assert ex.vendor_vat_id.value == "NL004495445B01"
    assert (ex.language.value, ex.country.value) == ("nl", "NL")


def test_an_argentine_factura_reads_cuit_point_of_sale_and_pesos() -> None:
    rows = [
        [(20, "FACTURA", 14), (120, "ORIGINAL")],
        [(20, "Punto de Venta: 00003"), (120, "Comp. Nro: 00001475")],
        [(20, "Razón Social: TALLER MECANICO SUR S.R.L."), (120, "Fecha de Emisión: 11/02/2023")],
        [(20, "CUIT: 20267565393")],
        [(20, "Apellido y Nombre / Razón Social: FERNANDEZ ADRIANA")],
        [(20, "Subtotal: $"), (150, "44000,00")],
        [(20, "Importe Total: $"), (150, "44000,00")],
        [(20, "SON PESOS: CUARENTA Y CUATRO MIL")],
    ]
    ex = extract(text_pdf([rows]))
    assert ex.invoice_number.value == "00003-00001475"
    assert ex.vendor_vat_id.value == "20267565393"
    assert ex.currency.value == "ARS"
    assert _money(ex.total.value) == "44000.00"
    assert ex.customer_name.value == "FERNANDEZ ADRIANA"
    assert (ex.language.value, ex.country.value) == ("es", "AR")


def test_a_polish_receipt_reads_nip_ptu_and_suma() -> None:
    rows = [
        [(20, "SKLEP MAREK Sp. z o.o.")],
        [(20, "ul. Długa 5, 00-238 Warszawa")],
        [(20, "NIP 856-734-62-15")],
        [(20, "PARAGON FISKALNY")],
        [(20, "CHLEB ZWYKŁY"), (120, "1 x5,00"), (150, "5,00A")],
        [(20, "MLEKO 2%"), (120, "1 x28,00"), (150, "28,00A")],
        [(20, "SPRZEDAŻ OPODATKOWANA A"), (150, "33,00")],
        [(20, "PTU A 23,00%"), (150, "6,17")],
        [(20, "SUMA PTU"), (150, "6,17")],
        [(20, "SUMA PLN"), (150, "33,00")],
        [(20, "2026-02-19 15:17")],
    ]
    ex = extract(text_pdf([rows]))
    assert _money(ex.total.value) == "33.00"
    assert _money(ex.tax.value) == "6.17"
    assert ex.currency.value == "PLN"
    assert ex.vendor_vat_id.value == "856-734-62-15"
    assert ex.vendor_name.value == "SKLEP MAREK Sp. z o.o."
    assert ex.invoice_date.value == dt.date(2026, 2, 19)


def test_a_brazilian_danfe_reads_cnpj_and_reais() -> None:
    rows = [
        [(20, "DOCES EXEMPLO DISTRIBUIDORA LTDA")],
        [(20, "DANFE"), (120, "Nº 000.114.427")],
        [(20, "CNPJ 16.727.230/0001-97")],
        [(20, "DATA DA EMISSÃO 10/11/2025")],
        [(20, "VALOR TOTAL DA NOTA"), (150, "R$ 3.954,42")],
    ]
    ex = extract(text_pdf([rows]))
    assert ex.vendor_vat_id.value == "16.727.230/0001-97"
    assert ex.currency.value == "BRL"
    assert _money(ex.total.value) == "3954.42"
    assert ex.invoice_number.value == "000.114.427"
    assert ex.country.value == "BR"


@pytest.mark.parametrize(
    ("rows", "vat", "currency"),
    [
        ([[(20, "Spice Route Foods Pvt Ltd")], [(20, "GSTIN: 27AAPFU0939F1ZV")],
          [(20, "Invoice No: SR/24/118"), (120, "Date: 05/06/2024")],
          [(20, "Total"), (150, "₹ 1,180.00")]], "27AAPFU0939F1ZV", "INR"),
        ([[(20, "Harbour Cafe Pty Ltd")], [(20, "ABN 83 914 571 673")],
          [(20, "Tax Invoice 8812"), (120, "Date: 05/06/2024")],
          [(20, "Total"), (150, "$ 45.10")]], "83 914 571 673", "AUD"),
        ([[(20, "Ferramenta Rossi S.p.A.")], [(20, "P.IVA 00743110157")],
          [(20, "Fattura n. 118"), (120, "Data: 05/06/2024")],
          [(20, "Totale"), (150, "€ 45,10")]], "00743110157", "EUR"),
    ],
    ids=["india", "australia", "italy"],
)  # fmt: skip
def test_national_tax_ids_and_local_currencies(rows: list, vat: str, currency: str) -> None:
    ex = extract(text_pdf([rows]))
    assert ex.vendor_vat_id.value == vat
    assert ex.currency.value == currency
    assert not any(w.startswith("vat_id_shape") for w in ex.warnings)


@pytest.mark.parametrize(
    ("text", "country", "code"),
    [
        ("Total Rs. 1,180.00", "IN", "INR"), ("Total ₹ 1,180.00", None, "INR"),
        ("TOTAL RM8.35", "MY", "MYR"), ("Suma 12,50 zł", "PL", "PLN"),
        ("Valor R$ 10,00", "BR", "BRL"), ("Totalt 120,00 kr", "SE", "SEK"),
        ("Total $ 1.200,00", "AR", "ARS"), ("Total $ 12.00", None, "USD"),
        ("Total $ 5.35", "SG", "SGD"), ("Celkem 250 Kč", "CZ", "CZK"),
    ],
)  # fmt: skip
def test_local_currency_symbols_mean_the_countrys_currency(
    text: str, country: str | None, code: str
) -> None:
    found = find_currencies(text, country)
    assert max(found, key=lambda c: found[c]) == code


def test_a_number_printed_with_and_without_its_prefix_keeps_the_prefix() -> None:
    rows = [
        [(20, "Verkehrsbetriebe Musterstadt GmbH")],
        [(20, "Handelsrechnung (380) Nr. E2018092011804 vom 20.09.2018", 12)],
        [(20, "Währung: EUR")],
        [(20, "Rechnungsnummer:"), (80, "2018092011804")],
        [(20, "Gesamtbetrag"), (150, "2,50 €")],
    ]
    assert extract(text_pdf([rows])).invoice_number.value == "E2018092011804"


@pytest.mark.parametrize(
    ("label_row", "expected"),
    [
        ([(20, "Booking ID: BKG-48213")], "BKG-48213"),
        ([(20, "Facture n° F-2024-0042")], "F-2024-0042"),
        ([(20, "Invoice No. E2018092011804")], "E2018092011804"),
        ([(20, "A NUMERO: 00003 - 00003668")], "00003-00003668"),
    ],
)
def test_invoice_number_labels_beyond_invoice_no_keep_their_prefix(
    label_row: list, expected: str
) -> None:
    rows = [
        [(20, "Example Trading Ltd")],
        label_row,
        [(20, "Date: 05/06/2024")],
        [(20, "Total"), (150, "£ 45.10")],
    ]
    assert extract(text_pdf([rows])).invoice_number.value == expected


@pytest.mark.parametrize(
    ("text", "language", "country"),
    [
        ("FACTUUR Factuurnummer 12 Totaal te betalen BTW 21% bedankt voor uw order", "nl", "NL"),
        ("FACTURA Fecha de emisión CUIT 20-26756539-3 Importe total SON PESOS", "es", "AR"),
        ("Factura simplificada total IVA incluido gracias por su visita", "es", "ES"),
        ("PARAGON FISKALNY SUMA PLN PTU A NIP 856-734-62-15 dziękujemy", "pl", "PL"),
        ("Nota fiscal eletrônica valor total da nota CNPJ 16.727.230/0001-97", "pt", "BR"),
        ("Scontrino documento commerciale totale complessivo di cui IVA grazie", "it", "IT"),
        ("Fatura toplam KDV tutarı nakit para üstü teşekkür ederiz", "tr", "TR"),
        ("Účtenka celkem k úhradě DPH děkujeme za nákup Kč", "cs", "CZ"),
        ("Struk belanja total bayar tunai kembali terima kasih", "id", "ID"),
    ],
)  # fmt: skip
def test_language_and_country_are_detected_from_the_text(
    text: str, language: str, country: str
) -> None:
    locale = detect_locale(text)
    assert (locale.language, locale.country) == (language, country)


def test_country_detection_is_the_same_in_every_process() -> None:
    """Ties between countries are broken by name, not by the hash seed of the process."""
    import subprocess
    import sys

    code = (
        "from core.extraction.language_packs import detect_locale;"
        "print(detect_locale('Harbour Cafe Pty Ltd\\nABN 83 914 571 673\\nTotal $ 5.35').country)"
    )
    seen = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**__import__("os").environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in range(6)
    }
    assert seen == {"AU"}  # the labelled ABN with valid check digits decides
