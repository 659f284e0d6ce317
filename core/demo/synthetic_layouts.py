"""Draw an ``InvoiceSpec`` as a PDF with reportlab: four header layouts, four table styles.

The canvas is created with ``invariant=1`` so the same spec always gives the same bytes. Tables
paginate (header row repeated, "continued" marker, page x of n) and the totals move to a new page
when they do not fit under the last row.
"""

from __future__ import annotations

import io

from reportlab.lib.colors import Color, black, white
from reportlab.lib.pagesizes import A4, letter
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from core.demo.synthetic_content import InvoiceSpec
from core.demo.synthetic_formats import (
    format_date,
    format_money,
    format_number,
    format_quantity,
    group4,
)

BOLD = {"Helvetica": "Helvetica-Bold", "Times-Roman": "Times-Bold", "Courier": "Courier-Bold"}
ACCENTS = (Color(0.12, 0.23, 0.40), Color(0.05, 0.42, 0.42), Color(0.30, 0.30, 0.30))
MARGIN = 50.0
FOOTER_H = 42.0
NUMERIC = {"qty", "price", "rate", "amount"}


class _Pen:
    """Small text helpers over a canvas with the document's fonts."""

    def __init__(self, c: Canvas, spec: InvoiceSpec) -> None:
        self.c, self.spec = c, spec
        self.font, self.bold = spec.font, BOLD[spec.font]
        self.size = spec.font_size

    def text(
        self,
        x: float,
        y: float,
        s: str,
        *,
        bold: bool = False,
        size: float | None = None,
        align: str = "left",
        color: Color = black,
    ) -> None:
        font, sz = (self.bold if bold else self.font), size or self.size
        self.c.setFillColor(color)
        self.c.setFont(font, sz)
        if align == "right":
            self.c.drawRightString(x, y, s)
        elif align == "center":
            self.c.drawCentredString(x, y, s)
        else:
            self.c.drawString(x, y, s)
        self.c.setFillColor(black)

    def width(self, s: str, *, bold: bool = False, size: float | None = None) -> float:
        return stringWidth(s, self.bold if bold else self.font, size or self.size)

    def lines(
        self, x: float, y: float, rows: list[str], *, first_bold: bool = False, align: str = "left"
    ) -> float:
        for i, row in enumerate(rows):
            self.text(x, y, row, bold=first_bold and i == 0, align=align)
            y -= self.size * 1.35
        return y


def _money(spec: InvoiceSpec, value: object) -> str:
    return format_money(value, spec.loc, spec.money_style)  # type: ignore[arg-type]


def _rate(spec: InvoiceSpec, rate: object) -> str:
    sep = " " if spec.loc.lang == "fr" else ""
    return f"{format_quantity(rate, spec.loc)}{sep}%"  # type: ignore[arg-type]


def meta_pairs(spec: InvoiceSpec) -> list[tuple[str, str]]:
    """Label/value pairs of the document header in print order."""
    lab = spec.labels
    credit = spec.doc_type == "credit_note"
    pairs = [
        (lab["credit_number"] if credit else lab["number"], spec.number),
        (lab["date"], format_date(spec.invoice_date, spec.date_format, spec.loc.lang)),
    ]
    if spec.due_date:
        pairs.append((lab["due"], format_date(spec.due_date, spec.date_format, spec.loc.lang)))
    if spec.po_number:
        pairs.append((lab["po"], spec.po_number))
    if spec.ref_invoice:
        pairs.append((lab["ref_invoice"], spec.ref_invoice))
    if spec.money_style == "none":
        pairs.append((lab["currency"], spec.loc.currency))
    return pairs


def _vendor_lines(spec: InvoiceSpec) -> list[str]:
    v = spec.vendor
    rows = [v.name, v.street, v.city_line]
    if v.vat_id:
        rows.append(f"{spec.labels['vat']}: {v.vat_id}")
    return rows


def _customer_lines(spec: InvoiceSpec) -> list[str]:
    c = spec.customer
    rows = [c.name, c.street, c.city_line]
    if spec.show_customer_vat and c.vat_id:
        rows.append(f"{spec.labels['customer_vat']}: {c.vat_id}")
    return rows


def _kv(
    pen: _Pen,
    x_label: float,
    x_value: float,
    y: float,
    pairs: list[tuple[str, str]],
    *,
    right: bool = True,
    colon: str = ":",
) -> float:
    if not right:  # left-aligned values start after the widest label, whatever the font
        x_value = max(x_value, x_label + max(pen.width(f"{lab}{colon}") for lab, _ in pairs) + 10)
    for label, value in pairs:
        pen.text(x_label, y, f"{label}{colon}")
        pen.text(x_value, y, value, align="right" if right else "left")
        y -= pen.size * 1.45
    return y


def _header(pen: _Pen, spec: InvoiceSpec, w: float, h: float) -> float:
    """Draw page one's header in the spec's template; returns the y where the table starts."""
    c, top, lab = pen.c, h - MARGIN, spec.labels
    title = lab["credit_note"] if spec.doc_type == "credit_note" else lab["invoice"]
    pairs = meta_pairs(spec)
    if spec.template == "classic":
        y1 = pen.lines(MARGIN, top, _vendor_lines(spec), first_bold=True)
        pen.text(w - MARGIN, top - 6, title, bold=True, size=20, align="right")
        y2 = _kv(pen, w - MARGIN - 210, w - MARGIN, top - 40, pairs)
        y = min(y1, y2) - 18
        pen.text(MARGIN, y, lab["bill_to"], bold=True)
        y = pen.lines(MARGIN, y - pen.size * 1.4, _customer_lines(spec))
        return min(y, y2) - 20
    if spec.template == "band":
        accent = ACCENTS[spec.seed % len(ACCENTS)]
        c.setFillColor(accent)
        c.rect(0, h - 90, w, 90, stroke=0, fill=1)
        pen.text(MARGIN, h - 52, spec.vendor.name, bold=True, size=16, color=white)
        pen.text(w - MARGIN, h - 52, title, bold=True, size=18, align="right", color=white)
        v = spec.vendor
        pen.text(MARGIN, h - 108, f"{v.street} · {v.city_line}", size=pen.size - 0.5)
        x, y = MARGIN, h - 140
        step = (w - 2 * MARGIN) / max(len(pairs), 3)
        for label, value in pairs:
            need = max(pen.width(label, size=pen.size - 1), pen.width(value, bold=True)) + 14
            if x > MARGIN and x + need > w - MARGIN:
                x, y = MARGIN, y - pen.size * 3.2
            pen.text(x, y, label, size=pen.size - 1, color=Color(0.4, 0.4, 0.4))
            pen.text(x, y - pen.size * 1.3, value, bold=True)
            x += max(step, need)
        y -= 40
        pen.text(MARGIN, y, lab["bill_to"], bold=True)
        return pen.lines(MARGIN, y - pen.size * 1.4, _customer_lines(spec)) - 20
    if spec.template == "letter":
        y1 = pen.lines(w - MARGIN, top, _vendor_lines(spec), first_bold=True, align="right")
        v = spec.vendor
        sender = f"{v.name} · {v.street} · {v.city_line}"
        pen.text(MARGIN, top - 70, sender, size=6.5)
        c.line(MARGIN, top - 72, MARGIN + pen.width(sender, size=6.5), top - 72)
        y2 = pen.lines(MARGIN, top - 90, _customer_lines(spec))
        y3 = _kv(
            pen, w - MARGIN - 200, w - MARGIN - 105, min(y1, top - 90) - 10, pairs, right=False
        )
        y = min(y2, y3) - 16
        pen.text(MARGIN, y, f"{title} {spec.number}", bold=True, size=14)
        return y - 26
    # minimal
    pen.text(w / 2, top - 4, title, bold=True, size=18, align="center")
    y1 = _kv(pen, MARGIN, MARGIN + 120, top - 40, pairs, right=False)
    y2 = pen.lines(w - MARGIN, top - 40, _vendor_lines(spec)[:3], first_bold=True, align="right")
    y = min(y1, y2) - 14
    pen.text(MARGIN, y, f"{lab['bill_to']}:", bold=True)
    return pen.lines(MARGIN, y - pen.size * 1.4, _customer_lines(spec)) - 20


def _footer(pen: _Pen, spec: InvoiceSpec, w: float, page: int, pages: int) -> None:
    v = spec.vendor
    bits = [v.name]
    if spec.template in ("band", "minimal"):
        bits.append(f"{v.street}, {v.city_line}")
        if v.vat_id:
            bits.append(f"{spec.labels['vat']}: {v.vat_id}")
    if v.iban and spec.template in ("band", "minimal", "letter"):
        bits.append(f"IBAN: {group4(v.iban)}")
    pen.c.setStrokeColor(Color(0.6, 0.6, 0.6))
    pen.c.line(MARGIN, MARGIN + 14, w - MARGIN, MARGIN + 14)
    pen.c.setStrokeColor(black)
    pen.text(MARGIN, MARGIN + 3, "  ·  ".join(bits), size=6.5)
    page_label = spec.labels["page"].format(i=page, n=pages)
    pen.text(w - MARGIN, MARGIN - 8, page_label, size=7, align="right")


def _cells(spec: InvoiceSpec, index: int) -> dict[str, str]:
    item = spec.items[index]
    return {
        "pos": str(index + 1),
        "code": item.code,
        "desc": item.description,
        "qty": format_quantity(item.quantity, spec.loc),
        "unit": item.unit,
        "price": format_number(item.unit_price, spec.loc),
        "rate": _rate(spec, item.tax_rate),
        "amount": format_number(item.amount, spec.loc),
    }


def _column_layout(pen: _Pen, spec: InvoiceSpec, width: float) -> tuple[float, list[float]]:
    """Table font size and column widths: numbers sized to fit, description takes the rest."""
    rows = [_cells(spec, i) for i in range(len(spec.items))]
    size = pen.size
    while True:
        widths = []
        for col in spec.columns:
            texts = [spec.labels[col]] + [r[col] for r in rows]
            widths.append(max(pen.width(t, bold=True, size=size) for t in texts) + 10)
        slack = width - sum(widths)
        if slack >= 0 or size <= 6.0:
            widths[spec.columns.index("desc")] += max(slack, 0)
            return size, widths
        size -= 0.5


def _table_rows(
    pen: _Pen,
    spec: InvoiceSpec,
    idx: list[int],
    y: float,
    w: float,
    size: float,
    widths: list[float],
) -> float:
    c, row_h = pen.c, size * 1.8
    x0, x1 = MARGIN, w - MARGIN
    accent = ACCENTS[spec.seed % len(ACCENTS)]
    if spec.table_style == "zebra":
        c.setFillColor(accent)
        c.rect(x0, y - row_h + size * 0.6, x1 - x0, row_h, stroke=0, fill=1)
    header_color = white if spec.table_style == "zebra" else black
    lines = [[spec.labels[col] for col in spec.columns]] + [
        [_cells(spec, i)[col] for col in spec.columns] for i in idx
    ]
    top = y + row_h - size * 0.6
    for r, row in enumerate(lines):
        if spec.table_style == "zebra" and r and r % 2 == 0:
            c.setFillColor(Color(0.93, 0.93, 0.93))
            c.rect(x0, y - size * 0.6 + 0, x1 - x0, row_h, stroke=0, fill=1)
        x = x0
        for col, cell, cw in zip(spec.columns, row, widths, strict=True):
            if col in NUMERIC:
                pen.text(
                    x + cw - 5,
                    y,
                    cell,
                    bold=r == 0,
                    size=size,
                    align="right",
                    color=header_color if r == 0 else black,
                )
            else:
                pen.text(
                    x + 5, y, cell, bold=r == 0, size=size, color=header_color if r == 0 else black
                )
            x += cw
        if spec.table_style == "rules" and r == 0:
            c.line(x0, y - size * 0.6, x1, y - size * 0.6)
        y -= row_h
    bottom = y + row_h - size * 0.6
    if spec.table_style == "grid":
        c.rect(x0, bottom, x1 - x0, top - bottom, stroke=1, fill=0)
        x = x0
        for cw in widths[:-1]:
            x += cw
            c.line(x, bottom, x, top)
        for k in range(1, len(lines)):
            c.line(x0, top - k * row_h, x1, top - k * row_h)
    elif spec.table_style in ("rules", "plain"):
        c.line(x0, bottom, x1, bottom)
    return bottom - 16


def _totals_rows(spec: InvoiceSpec) -> list[tuple[str, str, bool]]:
    lab = spec.labels
    rows = [(lab["subtotal"], _money(spec, spec.subtotal), False)]
    for rate, base, amount in spec.tax_lines:
        label = f"{lab['tax']} {_rate(spec, rate)}"
        if len(spec.tax_lines) > 1:
            label += f" ({format_number(base, spec.loc)})"
        rows.append((label, _money(spec, amount), False))
    rows.append((lab["total"], _money(spec, spec.total), True))
    if spec.prepaid:
        rows.append((lab["paid"], _money(spec, spec.prepaid), False))
    if spec.show_amount_due:
        rows.append((lab["amount_due"], _money(spec, spec.amount_due), True))
    return rows


def _payment_lines(spec: InvoiceSpec, width: float, pen: _Pen) -> list[str]:
    rows = []
    if spec.payment_terms:
        rows.append(f"{spec.labels['terms']}: {spec.payment_terms}")
    if spec.vendor.iban and spec.template == "classic":
        rows.append(f"IBAN: {group4(spec.vendor.iban)}")
    if spec.note:
        rows.extend(simpleSplit(spec.note, pen.font, pen.size - 0.5, width))
    return rows


def render_pdf(spec: InvoiceSpec) -> bytes:
    """The spec as PDF bytes (text layer included)."""
    buf = io.BytesIO()
    size = letter if spec.loc.page == "letter" else A4
    w, h = size
    c = Canvas(buf, pagesize=size, invariant=1)
    c.setTitle(f"{spec.labels['invoice']} {spec.number}")
    pen = _Pen(c, spec)
    tsize, widths = _column_layout(pen, spec, w - 2 * MARGIN)
    row_h = tsize * 1.8
    totals = _totals_rows(spec)
    payment = _payment_lines(spec, w - 2 * MARGIN, pen)
    totals_h = len(totals) * pen.size * 1.6 + len(payment) * pen.size * 1.4 + 30
    bottom = MARGIN + FOOTER_H
    # Paginate on a scratch canvas-free simulation: first page starts under the header.
    first_y = _measure_header(spec, w, h)
    pages: list[list[int]] = []
    current: list[int] = []
    y, i = first_y, 0
    while i < len(spec.items):
        if y - row_h * 2 < bottom:
            pages.append(current)
            current, y = [], h - MARGIN - 40
            continue
        if not current:
            y -= row_h  # header row
        current.append(i)
        y -= row_h
        i += 1
    pages.append(current)
    needs_extra = y - 16 - totals_h < bottom
    n_pages = len(pages) + (1 if needs_extra else 0)
    for p, idx in enumerate(pages, start=1):
        if p == 1:
            ty = _header(pen, spec, w, h)
        else:
            ty = h - MARGIN
            head = f"{spec.number} · {spec.labels['continued']}"
            pen.text(MARGIN, ty, head, bold=True)
            ty -= 40
        y_end = _table_rows(pen, spec, idx, ty, w, tsize, widths) if idx else ty
        if p == len(pages) and not needs_extra:
            _draw_totals(pen, spec, totals, payment, y_end, w)
        _footer(pen, spec, w, p, n_pages)
        c.showPage()
    if needs_extra:
        _draw_totals(pen, spec, totals, payment, h - MARGIN - 20, w)
        _footer(pen, spec, w, n_pages, n_pages)
        c.showPage()
    c.save()
    return buf.getvalue()


def _measure_header(spec: InvoiceSpec, w: float, h: float) -> float:
    scratch = Canvas(io.BytesIO(), pagesize=(w, h), invariant=1)
    return _header(_Pen(scratch, spec), spec, w, h)


def _draw_totals(
    pen: _Pen,
    spec: InvoiceSpec,
    totals: list[tuple[str, str, bool]],
    payment: list[str],
    y: float,
    w: float,
) -> None:
    x_label, x_value = w - MARGIN - 230, w - MARGIN
    for label, value, bold in totals:
        pen.text(x_label, y, label, bold=bold)
        pen.text(x_value, y, value, bold=bold, align="right")
        y -= pen.size * 1.6
    y -= 10
    for row in payment:
        pen.text(MARGIN, y, row, size=pen.size - 0.5)
        y -= pen.size * 1.4
