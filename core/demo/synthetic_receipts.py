"""Synthetic till receipts (narrow, gross prices, tax included) with exact ground truth.

Receipts are the hard case for layout rules: no labels for the vendor, the total printed twice
(TOTAL and the card payment), tax "included", dates with times. Ground truth lists what the slip
shows: vendor name, receipt number, date, currency, total, tax and the item lines.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from decimal import ROUND_HALF_UP, Decimal

from reportlab.pdfgen.canvas import Canvas

from core.demo.synthetic_formats import LOCALES, format_number, make_vat_id

CENT = Decimal("0.01")
WIDTH = 226.0  # 80 mm till roll

_SHOPS = {
    "en": ("Corner Deli", "Greenleaf Market", "The Coffee House", "Hilltop Hardware"),
    "de": ("Bäckerei Schmidt", "Café am Markt", "Getränke Wagner", "Eisenwaren Huber"),
    "fr": ("Boulangerie Martin", "Café de la Gare", "Épicerie du Coin", "Quincaillerie Roux"),
}
_ITEMS = {
    "en": (("Flat white", 3.4), ("Croissant", 2.2), ("Bagel", 3.1), ("Screws 4x40", 5.9)),
    "de": (("Brezel", 0.9), ("Cappuccino", 3.2), ("Mineralwasser", 1.1), ("Dübel 8mm", 4.5)),
    "fr": (("Baguette", 1.2), ("Café crème", 2.8), ("Pain au chocolat", 1.5), ("Vis 4x40", 5.4)),
}
_WORDS = {
    "en": {"no": "Receipt #", "total": "TOTAL", "tax": "incl. VAT {r}%", "card": "CARD"},
    "de": {"no": "Bon-Nr. ", "total": "SUMME", "tax": "enth. MwSt {r}%", "card": "EC-Karte"},
    "fr": {"no": "Ticket n° ", "total": "TOTAL TTC", "tax": "dont TVA {r} %", "card": "CB"},
}
_DATES = {"en": "%d/%m/%Y %H:%M", "de": "%d.%m.%Y %H:%M", "fr": "%d/%m/%Y %H:%M"}


def make_receipt(seed: int, *, locale: str | None = None) -> tuple[bytes, dict[str, object]]:
    """A receipt PDF and its ground truth (benchmark field names)."""
    rng = random.Random(seed)
    loc = LOCALES[locale or rng.choice(("en_GB", "en_IE", "de_DE", "de_CH", "fr_FR"))]
    lang, words = loc.lang, _WORDS[loc.lang]
    shop = rng.choice(_SHOPS[lang])
    rate = loc.tax_rates[-1] if rng.random() < 0.6 else loc.tax_rates[0]
    items = []
    for _ in range(rng.randint(1, 8)):
        name, base = rng.choice(_ITEMS[lang])
        qty = Decimal(rng.choice((1, 1, 1, 2, 3)))
        price = (Decimal(str(base)) * Decimal(rng.choice(("0.9", "1", "1.1")))).quantize(CENT)
        items.append((name, qty, price, (qty * price).quantize(CENT)))
    total = sum((i[3] for i in items), Decimal("0"))
    tax = (total * rate / (100 + rate)).quantize(CENT, ROUND_HALF_UP)  # included in gross prices
    when = dt.datetime(2025, 1, 1, 7) + dt.timedelta(
        days=rng.randint(0, 360), minutes=rng.randint(0, 720)
    )
    number = str(rng.randint(1000, 99999))
    vat = make_vat_id(loc.country, rng) if rng.random() < 0.7 else None
    symbol = loc.currency if rng.random() < 0.5 else loc.symbol

    lines: list[tuple[str, str, bool]] = [(shop, "", True), (f"{rng.randint(1, 99)} Market Street"
        if lang == "en" else f"Hauptstr. {rng.randint(1, 99)}" if lang == "de"
        else f"{rng.randint(1, 99)} rue Centrale", "", False)]  # fmt: skip
    if vat:
        lines.append((vat, "", False))
    lines += [("", "", False), (when.strftime(_DATES[lang]), "", False),
              (f"{words['no']}{number}", "", False), ("", "", False)]  # fmt: skip
    for name, qty, _price, amount in items:
        label = f"{format_number(qty, loc, 0)} x {name}" if qty != 1 else name
        lines.append((label, format_number(amount, loc), False))
    lines += [("", "", False), (f"{words['total']} {symbol}", format_number(total, loc), True),
              (words["tax"].format(r=format_number(rate, loc, 1 if rate % 1 else 0)),
               format_number(tax, loc), False),
              (words["card"], format_number(total, loc), False)]  # fmt: skip

    height = 60 + 14 * len(lines)
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(WIDTH, height), invariant=1)
    font = rng.choice(("Courier", "Helvetica"))
    y = height - 30
    for left, right, bold in lines:
        c.setFont(font + ("-Bold" if bold else ""), 9)
        if right:
            c.drawString(12, y, left)
            c.drawRightString(WIDTH - 12, y, right)
        elif left:
            c.drawCentredString(WIDTH / 2, y, left)
        y -= 14
    c.showPage()
    c.save()
    truth: dict[str, object] = {
        "vendor_name": shop,
        "invoice_number": number,
        "document_type": "invoice",
        "invoice_date": when.date().isoformat(),
        "currency": loc.currency,
        "total": f"{total:.2f}",
        "tax": f"{tax:.2f}",
        "line_items": [_line(n, q, p, a) for n, q, p, a in items],
    }
    if vat:
        truth["vendor_vat_id"] = vat
    return buf.getvalue(), truth


def _line(name: str, qty: Decimal, price: Decimal, amount: Decimal) -> dict[str, str]:
    return {
        "description": name,
        "quantity": format(qty, "f"),
        "unit_price": f"{price:.2f}",
        "amount": f"{amount:.2f}",
    }
