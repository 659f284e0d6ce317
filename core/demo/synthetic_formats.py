"""Locales, labels and identifiers for the synthetic invoice generator.

Everything here is deterministic given a ``random.Random``: number and date formats per locale,
label synonyms per language, and VAT ids / IBANs whose check digits are valid, so validation rules
see realistic documents rather than random strings.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class LocaleSpec:
    """How one market writes an invoice."""

    code: str  # e.g. "de_DE"
    lang: str  # "en" | "de" | "fr"
    country: str  # ISO 3166 alpha-2
    currency: str  # ISO 4217
    symbol: str
    thousands: str
    decimal: str
    date_formats: tuple[str, ...]  # strftime patterns; "{month}" means the localized month name
    tax_rates: tuple[Decimal, ...]
    page: str  # "A4" | "letter"


LOCALES: dict[str, LocaleSpec] = {
    "en_US": LocaleSpec(
        "en_US",
        "en",
        "US",
        "USD",
        "$",
        ",",
        ".",
        ("%m/%d/%Y", "{month} %d, %Y"),
        (Decimal("0"), Decimal("6.25"), Decimal("8.875")),
        "letter",
    ),
    "en_GB": LocaleSpec(
        "en_GB",
        "en",
        "GB",
        "GBP",
        "£",
        ",",
        ".",
        ("%d/%m/%Y", "%d {month} %Y", "%Y-%m-%d"),
        (Decimal("20"), Decimal("5")),
        "A4",
    ),
    "en_IE": LocaleSpec(
        "en_IE",
        "en",
        "IE",
        "EUR",
        "€",
        ",",
        ".",
        ("%d/%m/%Y", "%d {month} %Y"),
        (Decimal("23"), Decimal("13.5")),
        "A4",
    ),
    "de_DE": LocaleSpec(
        "de_DE",
        "de",
        "DE",
        "EUR",
        "€",
        ".",
        ",",
        ("%d.%m.%Y", "%d. {month} %Y"),
        (Decimal("19"), Decimal("7")),
        "A4",
    ),
    "de_CH": LocaleSpec(
        "de_CH",
        "de",
        "CH",
        "CHF",
        "CHF",
        "'",
        ".",
        ("%d.%m.%Y",),
        (Decimal("8.1"), Decimal("2.6")),
        "A4",
    ),
    "fr_FR": LocaleSpec(
        "fr_FR",
        "fr",
        "FR",
        "EUR",
        "€",
        " ",
        ",",
        ("%d/%m/%Y", "%d {month} %Y"),
        (Decimal("20"), Decimal("10"), Decimal("5.5")),
        "A4",
    ),
}

MONTHS = {
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
}

# Label synonyms per language; one variant is chosen per document.
LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "invoice": ("INVOICE", "Invoice", "Tax Invoice"),
        "credit_note": ("CREDIT NOTE", "Credit Note"),
        "number": ("Invoice No.", "Invoice Number", "Invoice #"),
        "credit_number": ("Credit Note No.", "Credit Note Number"),
        "date": ("Invoice Date", "Date", "Date of issue"),
        "due": ("Due Date", "Payment Due", "Due"),
        "po": ("PO Number", "Purchase Order", "Your order no."),
        "bill_to": ("Bill To", "Customer", "Invoice to"),
        "vat": ("VAT No.", "VAT Reg. No.", "VAT ID"),
        "customer_vat": ("Customer VAT No.", "Your VAT ID"),
        "subtotal": ("Subtotal", "Net amount", "Total excl. VAT"),
        "tax": ("VAT", "Tax", "Sales tax"),
        "total": ("Total", "Invoice Total", "Total incl. VAT"),
        "paid": ("Less amount paid", "Deposit received"),
        "amount_due": ("Amount Due", "Balance Due"),
        "terms": ("Payment terms", "Terms"),
        "currency": ("Currency",),
        "ref_invoice": ("Original invoice", "Credit for invoice"),
        "desc": ("Description", "Item"),
        "code": ("Item code", "SKU", "Code"),
        "qty": ("Qty", "Quantity"),
        "unit": ("Unit",),
        "price": ("Unit Price", "Rate", "Price"),
        "rate": ("VAT %", "Tax %"),
        "amount": ("Amount", "Line Total"),
        "pos": ("#", "No."),
        "page": ("Page {i} of {n}",),
        "continued": ("continued", "(continued)"),
    },
    "de": {
        "invoice": ("RECHNUNG", "Rechnung"),
        "credit_note": ("GUTSCHRIFT", "Gutschrift"),
        "number": ("Rechnungsnummer", "Rechnungs-Nr.", "Rechnung Nr."),
        "credit_number": ("Gutschrift-Nr.", "Gutschriftsnummer"),
        "date": ("Rechnungsdatum", "Datum"),
        "due": ("Fällig am", "Fälligkeitsdatum", "Zahlbar bis"),
        "po": ("Bestellnummer", "Ihre Bestellung", "Bestell-Nr."),
        "bill_to": ("Rechnungsempfänger", "Kunde", "An"),
        "vat": ("USt-IdNr.", "USt-ID", "UID-Nr."),
        "customer_vat": ("Ihre USt-IdNr.", "Kunden-USt-IdNr."),
        "subtotal": ("Zwischensumme", "Nettobetrag", "Summe netto"),
        "tax": ("MwSt.", "USt.", "Umsatzsteuer"),
        "total": ("Gesamtbetrag", "Rechnungsbetrag", "Summe brutto"),
        "paid": ("Bereits bezahlt", "Anzahlung"),
        "amount_due": ("Zahlbetrag", "Offener Betrag", "Zu zahlen"),
        "terms": ("Zahlungsbedingungen", "Zahlungsziel"),
        "currency": ("Währung",),
        "ref_invoice": ("Zu Rechnung", "Bezug: Rechnung"),
        "desc": ("Bezeichnung", "Beschreibung", "Artikel"),
        "code": ("Art.-Nr.", "Artikelnr."),
        "qty": ("Menge", "Anz."),
        "unit": ("Einheit", "ME"),
        "price": ("Einzelpreis", "E-Preis"),
        "rate": ("USt. %", "MwSt %"),
        "amount": ("Betrag", "Gesamt", "Gesamtpreis"),
        "pos": ("Pos.",),
        "page": ("Seite {i} von {n}",),
        "continued": ("Fortsetzung", "Übertrag"),
    },
    "fr": {
        "invoice": ("FACTURE", "Facture"),
        "credit_note": ("AVOIR", "Avoir"),
        "number": ("N° de facture", "Facture n°", "Numéro de facture"),
        "credit_number": ("N° d'avoir", "Avoir n°"),
        "date": ("Date de facture", "Date", "Date d'émission"),
        "due": ("Date d'échéance", "Échéance"),
        "po": ("N° de commande", "Votre commande", "Bon de commande"),
        "bill_to": ("Client", "Facturé à", "Destinataire"),
        "vat": ("N° TVA", "TVA intracom.", "N° TVA intracommunautaire"),
        "customer_vat": ("N° TVA client", "Votre n° TVA"),
        "subtotal": ("Total HT", "Montant HT", "Sous-total HT"),
        "tax": ("TVA", "Montant TVA"),
        "total": ("Total TTC", "Montant TTC"),
        "paid": ("Acompte versé", "Déjà réglé"),
        "amount_due": ("Net à payer", "Reste à payer", "Montant dû"),
        "terms": ("Conditions de paiement", "Règlement"),
        "currency": ("Devise",),
        "ref_invoice": ("Facture d'origine", "Réf. facture"),
        "desc": ("Désignation", "Description"),
        "code": ("Réf.", "Code article"),
        "qty": ("Qté", "Quantité"),
        "unit": ("Unité", "U."),
        "price": ("Prix unitaire HT", "P.U. HT", "Prix unit."),
        "rate": ("TVA %", "Taux TVA"),
        "amount": ("Montant HT", "Total HT"),
        "pos": ("N°",),
        "page": ("Page {i} / {n}", "Page {i} sur {n}"),
        "continued": ("suite", "(suite)"),
    },
}


def pick_labels(lang: str, rng: random.Random) -> dict[str, str]:
    """One label variant per key for one document."""
    return {key: rng.choice(variants) for key, variants in LABELS[lang].items()}


def format_number(value: Decimal, loc: LocaleSpec, places: int = 2) -> str:
    """Format a Decimal the way the locale prints it (sign kept, grouping applied)."""
    quantized = value.quantize(Decimal(1).scaleb(-places)) if places else value
    sign = "-" if quantized < 0 else ""
    text = f"{abs(quantized):,.{places}f}" if places else f"{abs(quantized):,}"
    integer, _, fraction = text.partition(".")
    integer = integer.replace(",", loc.thousands)
    return sign + integer + (loc.decimal + fraction if fraction else "")


def format_quantity(value: Decimal, loc: LocaleSpec) -> str:
    """Quantities print without trailing zeros: 3, 2,5 or 0.25."""
    text = format(value.normalize(), "f")
    return text.replace(".", loc.decimal)


def format_date(value: dt.date, pattern: str, lang: str) -> str:
    """strftime with localized month names (independent of the process locale)."""
    month = MONTHS[lang].split()[value.month - 1]
    out = value.strftime(pattern.replace("{month}", "@M@"))  # no NUL: C strftime stops there
    return out.replace("@M@", month)


def format_money(value: Decimal, loc: LocaleSpec, style: str) -> str:
    """Amount with the currency shown as the document's style says."""
    number = format_number(value, loc)
    if style == "symbol_prefix":
        return f"-{loc.symbol}{number[1:]}" if number.startswith("-") else f"{loc.symbol}{number}"
    if style == "symbol_suffix":
        return f"{number} {loc.symbol}"
    if style == "code_suffix":
        return f"{number} {loc.currency}"
    if style == "code_prefix":
        return f"{loc.currency} {number}"
    return number  # "none": the currency is printed once elsewhere


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _mod97_check(bban: str, country: str) -> str:
    rearranged = bban + country + "00"
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return f"{98 - int(numeric) % 97:02d}"


def make_iban(country: str, rng: random.Random) -> str | None:
    """A random IBAN with valid check digits (None where IBANs are not used)."""
    if country == "DE":
        bban = _digits(rng, 18)
    elif country in ("GB", "IE"):
        bban = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4)) + _digits(
            rng, 14
        )
    elif country == "FR":
        bank, branch, account = _digits(rng, 5), _digits(rng, 5), _digits(rng, 11)
        key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
        bban = f"{bank}{branch}{account}{key:02d}"
    elif country == "CH":
        bban = _digits(rng, 17)
    else:
        return None
    return country + _mod97_check(bban, country) + bban


def iban_is_valid(iban: str) -> bool:
    """ISO 13616 mod-97 check (used by the generator's own tests)."""
    compact = iban.replace(" ", "").upper()
    numeric = "".join(str(int(ch, 36)) for ch in compact[4:] + compact[:4])
    return len(compact) >= 15 and int(numeric) % 97 == 1


def group4(text: str) -> str:
    """IBANs print in groups of four."""
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def make_vat_id(country: str, rng: random.Random) -> str | None:
    """A VAT id of the country's shape with a valid check digit where one is defined."""
    if country == "DE":
        body = str(rng.randint(1, 9)) + _digits(rng, 7)
        product = 10
        for ch in body:
            total = (int(ch) + product) % 10 or 10
            product = (2 * total) % 11
        check = (11 - product) % 10
        return f"DE{body}{check}"
    if country == "FR":
        siren = str(rng.randint(100_000_000, 999_999_999))
        key = (12 + 3 * (int(siren) % 97)) % 97
        return f"FR{key:02d}{siren}"
    if country == "GB":
        body = str(rng.randint(1, 9)) + _digits(rng, 6)
        weighted = sum(int(d) * w for d, w in zip(body, range(8, 1, -1), strict=True))
        return f"GB{body}{(-weighted) % 97:02d}"
    if country == "IE":
        return f"IE{_digits(rng, 7)}{rng.choice('ABCDEFGHW')}"
    if country == "CH":
        while True:
            body = _digits(rng, 8)
            weighted = sum(int(d) * w for d, w in zip(body, (5, 4, 3, 2, 7, 6, 5, 4), strict=True))
            check = 11 - weighted % 11
            if check == 10:
                continue
            check %= 11
            return f"CHE-{body[:3]}.{body[3:6]}.{body[6:]}{check} MWST"
    return None
