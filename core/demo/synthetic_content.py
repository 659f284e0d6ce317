"""What a synthetic invoice says: parties, lines, amounts and dates, drawn from one seed.

The arithmetic is exact (``Decimal``, half-up to cents) so the ground truth is what the page shows.
Credit notes print negative unit prices, line amounts and totals; quantities stay positive.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from core.demo.synthetic_formats import LOCALES, LocaleSpec, make_iban, make_vat_id, pick_labels

CENT = Decimal("0.01")

_NAME_PARTS = {
    "en": (
        ("Northwind", "Bluepeak", "Silverline", "Oakridge", "Brightwater", "Redstone", "Kestrel"),
        ("Traders", "Software", "Supplies", "Logistics", "Consulting", "Office Solutions", "Labs"),
        ("Ltd", "Inc.", "LLC", "Limited", "plc", "Co."),
    ),
    "de": (
        ("Müller", "Schneider", "Bergmann", "Alpen", "Rheintal", "Nordlicht", "Weißdorn"),
        ("Bürotechnik", "Software", "Logistik", "Handels", "Druckerei", "IT-Service", "Werkzeuge"),
        ("GmbH", "AG", "GmbH & Co. KG", "KG", "e.K."),
    ),
    "fr": (
        ("Atelier Lefèvre", "Dupont", "Boréal", "Cèdre", "Lumière", "Garnier", "Rivière"),
        ("Informatique", "Fournitures", "Transports", "Conseil", "Bureautique", "Services"),
        ("SARL", "SAS", "SA", "EURL"),
    ),
}
_STREETS = {
    "en": ("High Street", "Market Road", "Station Avenue", "Mill Lane", "Park Way", "Elm Street"),
    "de": ("Hauptstraße", "Bahnhofstr.", "Industrieweg", "Am Markt", "Lindenallee", "Gartenstraße"),
    "fr": ("rue de la Paix", "avenue Victor Hugo", "boulevard Voltaire", "rue du Commerce"),
}
_CITIES = {
    "US": (("Springfield, IL", "62701"), ("Austin, TX", "78701"), ("Denver, CO", "80202")),
    "GB": (("London", "EC1A 1BB"), ("Manchester", "M1 2AB"), ("Leeds", "LS1 4AP")),
    "IE": (("Dublin 2", "D02 X285"), ("Cork", "T12 RX00")),
    "DE": (("Berlin", "10115"), ("München", "80331"), ("Köln", "50667"), ("Hamburg", "20095")),
    "CH": (("Zürich", "8001"), ("Bern", "3011"), ("Basel", "4051")),
    "FR": (("Paris", "75002"), ("Lyon", "69002"), ("Marseille", "13001"), ("Lille", "59000")),
}
# (description, unit, price range) per language; units are per language too.
_CATALOG = {
    "en": (
        ("Consulting services", "h", (80, 180)),
        ("Laptop stand, aluminium", "pcs", (25, 60)),
        ("Printer paper A4 80g (box)", "box", (18, 40)),
        ("Software licence, annual", "pcs", (150, 900)),
        ("Cloud hosting, monthly", "month", (40, 400)),
        ("USB-C docking station", "pcs", (90, 250)),
        ("Office chair, ergonomic", "pcs", (180, 520)),
        ("On-site support", "h", (60, 140)),
        ("Toner cartridge black", "pcs", (35, 120)),
        ("Freight charges", "pcs", (15, 90)),
        ("Training workshop", "day", (600, 1800)),
        ("Monitor 27 inch", "pcs", (160, 420)),
    ),
    "de": (
        ("Beratungsleistung", "Std.", (80, 180)),
        ("Druckerpapier A4 80g", "Karton", (18, 40)),
        ("Softwarelizenz, jährlich", "Stk.", (150, 900)),
        ("Wartungspauschale", "Monat", (40, 400)),
        ("Bürostuhl ergonomisch", "Stk.", (180, 520)),
        ("Vor-Ort-Service", "Std.", (60, 140)),
        ("Tonerkartusche schwarz", "Stk.", (35, 120)),
        ("Versandkosten", "Stk.", (8, 40)),
        ("Schulung Tagessatz", "Tag", (600, 1800)),
        ("Netzwerkkabel Cat6 5m", "Stk.", (4, 15)),
        ("Monitor 27 Zoll", "Stk.", (160, 420)),
        ("Dockingstation USB-C", "Stk.", (90, 250)),
    ),
    "fr": (
        ("Prestation de conseil", "h", (80, 180)),
        ("Papier A4 80g (carton)", "carton", (18, 40)),
        ("Licence logicielle annuelle", "u.", (150, 900)),
        ("Hébergement mensuel", "mois", (40, 400)),
        ("Fauteuil de bureau", "u.", (180, 520)),
        ("Intervention sur site", "h", (60, 140)),
        ("Cartouche de toner noir", "u.", (35, 120)),
        ("Frais de port", "u.", (8, 40)),
        ("Formation (journée)", "jour", (600, 1800)),
        ("Écran 27 pouces", "u.", (160, 420)),
    ),
}


@dataclass
class Party:
    name: str
    street: str
    city_line: str
    country: str
    vat_id: str | None = None
    iban: str | None = None

    @property
    def address(self) -> str:
        return f"{self.street}, {self.city_line}"


@dataclass
class Item:
    description: str
    code: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    tax_rate: Decimal
    amount: Decimal


@dataclass
class InvoiceSpec:
    """Everything one synthetic document prints, plus how it prints it."""

    seed: int
    loc: LocaleSpec
    labels: dict[str, str]
    template: str
    font: str
    font_size: float
    table_style: str
    columns: tuple[str, ...]
    money_style: str
    date_format: str
    doc_type: str
    number: str
    invoice_date: dt.date
    vendor: Party
    customer: Party
    items: list[Item]
    due_date: dt.date | None = None
    po_number: str | None = None
    ref_invoice: str | None = None
    payment_terms: str | None = None
    show_customer_vat: bool = False
    prepaid: Decimal = Decimal("0")
    show_amount_due: bool = True
    note: str | None = None
    tax_lines: list[tuple[Decimal, Decimal, Decimal]] = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        return sum((i.amount for i in self.items), Decimal("0"))

    @property
    def tax(self) -> Decimal:
        return sum((t[2] for t in self.tax_lines), Decimal("0"))

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax

    @property
    def amount_due(self) -> Decimal:
        return self.total - self.prepaid


def _party(lang: str, country: str, rng: random.Random, *, with_ids: bool) -> Party:
    first, second, suffix = _NAME_PARTS[lang]
    name = f"{rng.choice(first)} {rng.choice(second)} {rng.choice(suffix)}"
    city, postcode = rng.choice(_CITIES[country])
    number = rng.randint(1, 180)
    street = rng.choice(_STREETS[lang])
    street = f"{number} {street}" if lang in ("en", "fr") else f"{street} {number}"
    city_line = f"{city} {postcode}" if country in ("US", "GB", "IE") else f"{postcode} {city}"
    if country == "CH":
        city_line = f"CH-{postcode} {city}"
    party = Party(name=name, street=street, city_line=city_line, country=country)
    if with_ids:
        party.vat_id = make_vat_id(country, rng)
        party.iban = make_iban(country, rng)
    return party


def _terms(lang: str, days: int) -> str:
    return {
        "en": f"Net {days} days",
        "de": f"Zahlbar innerhalb von {days} Tagen ohne Abzug",
        "fr": f"Paiement à {days} jours",
    }[lang]


def make_spec(
    seed: int,
    *,
    locale: str | None = None,
    template: str | None = None,
    credit_note: bool | None = None,
    n_items: int | None = None,
    note: str | None = None,
) -> InvoiceSpec:
    """Draw one invoice's content and presentation from ``seed`` (overrides fix a choice)."""
    rng = random.Random(seed)
    loc = LOCALES[locale or rng.choice(sorted(LOCALES))]
    lang = loc.lang
    labels = pick_labels(lang, rng)
    is_credit = credit_note if credit_note is not None else rng.random() < 0.12
    sign = Decimal(-1) if is_credit else Decimal(1)
    vendor = _party(lang, loc.country, rng, with_ids=True)
    customer = _party(lang, loc.country, rng, with_ids=rng.random() < 0.5)
    customer.iban = None
    while customer.name == vendor.name:
        customer.name += " " + rng.choice(("Group", "Holding", "Europe"))
    count = n_items if n_items is not None else rng.choice((1, 2, 3, 4, 5, 6, 8, 12, 18, 30, 45))
    catalog = _CATALOG[lang]
    multi_rate = len(loc.tax_rates) > 1 and loc.country != "US" and rng.random() < 0.35
    base_rate = loc.tax_rates[0] if loc.country != "US" else rng.choice(loc.tax_rates)
    items: list[Item] = []
    for _ in range(count):
        desc, unit, (low, high) = rng.choice(catalog)
        if unit in ("h", "Std."):
            qty = Decimal(rng.choice(("0.5", "1", "1.5", "2", "4", "7.5", "8", "12")))
        else:
            qty = Decimal(rng.choice((1, 1, 1, 2, 3, 4, 5, 10, 12, 20, 25)))
        price = (Decimal(rng.randint(low * 100, high * 100)) / 100 * sign).quantize(CENT)
        rate = rng.choice(loc.tax_rates[1:]) if multi_rate and rng.random() < 0.3 else base_rate
        amount = (qty * price).quantize(CENT, ROUND_HALF_UP)
        letters = "".join(rng.choice("ABCDEFGHKMPRST") for _ in range(2))
        code = f"{letters}-{rng.randint(1000, 99999)}"
        items.append(Item(desc, code, qty, unit, price, rate, amount))
    rates = sorted({i.tax_rate for i in items}, reverse=True)
    tax_lines = []
    for rate in rates:
        base = sum((i.amount for i in items if i.tax_rate == rate), Decimal("0"))
        tax_lines.append((rate, base, (base * rate / 100).quantize(CENT, ROUND_HALF_UP)))
    year = rng.choice((2023, 2024, 2025, 2026))
    invoice_date = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 360))
    days = rng.choice((7, 10, 14, 30, 30, 45, 60))
    prefix = {"en": ("INV-", "", "#"), "de": ("RE-", "R", ""), "fr": ("FA-", "F", "")}[lang]
    credit_prefix = {"en": "CN-", "de": "GS-", "fr": "AV-"}[lang]
    number = rng.choice(
        (
            f"{year}-{rng.randint(1, 9999):04d}",
            f"{rng.randint(10000, 999999)}",
            f"{year}{rng.randint(1, 12):02d}-{rng.randint(1, 999):03d}",
        )
    )
    spec = InvoiceSpec(
        seed=seed,
        loc=loc,
        labels=labels,
        template=template or rng.choice(("classic", "band", "letter", "minimal")),
        font=rng.choice(("Helvetica", "Times-Roman", "Courier", "Helvetica")),
        font_size=rng.choice((8.5, 9.0, 9.5, 10.0)),
        table_style=rng.choice(("grid", "rules", "zebra", "plain")),
        columns=rng.choice(
            (
                ("desc", "qty", "price", "amount"),
                ("code", "desc", "qty", "unit", "price", "amount"),
                ("pos", "desc", "qty", "price", "rate", "amount"),
                ("pos", "code", "desc", "qty", "unit", "price", "rate", "amount"),
            )
        ),
        money_style=rng.choice(
            ("symbol_prefix", "symbol_suffix", "code_suffix", "code_prefix", "none")
        )
        if lang == "en"
        else rng.choice(("symbol_suffix", "code_suffix", "none")),
        date_format=rng.choice(loc.date_formats),
        doc_type="credit_note" if is_credit else "invoice",
        number=(credit_prefix if is_credit else rng.choice(prefix)) + number,
        invoice_date=invoice_date,
        vendor=vendor,
        customer=customer,
        items=items,
        tax_lines=tax_lines,
        note=note,
    )
    if not is_credit or rng.random() < 0.3:
        spec.due_date = invoice_date + dt.timedelta(days=days) if rng.random() < 0.85 else None
        spec.payment_terms = _terms(lang, days) if rng.random() < 0.7 else None
    if rng.random() < 0.4:
        spec.po_number = rng.choice(("PO-", "BST-", "")) + str(rng.randint(10000, 9999999))
    if is_credit and rng.random() < 0.5:
        spec.ref_invoice = rng.choice(prefix) + f"{year}-{rng.randint(1, 9999):04d}"
    spec.show_customer_vat = customer.vat_id is not None and rng.random() < 0.6
    if not is_credit and rng.random() < 0.15:
        spec.prepaid = (spec.total * Decimal(rng.choice(("0.2", "0.3", "0.5")))).quantize(CENT)
    spec.show_amount_due = spec.prepaid != 0 or rng.random() < 0.5
    return spec
