"""Amount roles by arithmetic: subtotal, tax, total and amount due, and a receipt's tendered,
change and rounding lines.

Labels propose candidates (:mod:`core.extraction.header_fields`); this module chooses among
them with the sums that tie the roles together: subtotal + tax = total; a tax printed as
"included" ("di cui IVA", "enthaltene MwSt", "total includes GST of") sits inside the total; a
tax table's rows (rate, base, tax) add up to its closing row, which is never the document total;
cash tendered minus change is what was paid. Candidates that cannot be the role are dropped
first: tax larger than a third of the total, amounts out of scale with the others.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal

from core.extraction.header_fields import Candidate, Context
from core.extraction.labels import tokens
from core.extraction.parsing import find_amounts
from core.extraction.schema import TaxLine

# VAT and sales-tax rates stay below 28%: a "tax" above this share of the total is something else.
MAX_TAX_SHARE = Decimal("0.35")
CENT = Decimal("0.01")
_RATE = re.compile(r"(?<![\d.,])(\d{1,2}(?:[.,]\d{1,2})?)\s?%")
_TAX_WORDS = frozenset(
    {"vat", "tax", "gst", "mwst", "ust", "tva", "iva", "btw", "ptu", "kdv", "dph", "ppn", "moms",
     "alv", "mva", "sst", "igst", "cgst", "sgst", "hst", "steuer", "imposta", "impuesto"}
)  # fmt: skip
_TOTAL_WORDS = frozenset(
    {"total", "totaal", "totale", "summe", "suma", "sum", "toplam", "celkem", "razem", "gesamt",
     "totals", "tot", "totali"}
)  # fmt: skip


@dataclass
class TaxTable:
    """A tax summary: one row per rate, maybe a closing total row; its lines are not totals."""

    rows: list[TaxLine] = field(default_factory=list)
    lines: set[tuple[int, int]] = field(default_factory=set)
    page: int = 1
    tax: Decimal | None = None
    base: Decimal | None = None


def _row_amounts(text: str, ctx: Context) -> tuple[Decimal | None, list[Decimal]]:
    rate_m = _RATE.search(text)
    rate = Decimal(rate_m.group(1).replace(",", ".")) if rate_m else None
    masked = _RATE.sub(" ", text)
    return rate, [v for _, _, v in find_amounts(masked, ctx.decimal_sep)]


def _split_row(rate: Decimal, values: list[Decimal]) -> tuple[Decimal, Decimal] | None:
    """(base, tax) of a row: the pair where base x rate = tax (net base), or where
    gross x rate / (100 + rate) = tax (gross base, as tills print it)."""
    for i, a in enumerate(values):
        for b in values[i + 1 :]:
            for base, tax in ((a, b), (b, a)):
                if base <= 0 or tax < 0:
                    continue
                # (a rate of 0 taxes nothing: "1 181.44  0%  181.44" is a line item whose
                # quantity "1" is no tax of 0.2% of 1,181.44)
                tol = max(Decimal("0.02"), base * Decimal("0.002")) if rate else Decimal("0.02")
                if abs(base * rate / 100 - tax) <= tol:
                    return base, tax
                if abs(base * rate / (100 + rate) - tax) <= tol:
                    return base - tax, tax
    return None


def _is_item_row(values: list[Decimal]) -> bool:
    """Whether two of the row's numbers multiply to a third (a line item, not a tax row)."""
    for i, a in enumerate(values):
        for j, b in enumerate(values):
            if i < j and a > 0 and b > 0:
                product = a * b
                if any(abs(product - c) <= CENT for k, c in enumerate(values) if k not in (i, j)):
                    return True
    return False


def tax_tables(ctx: Context) -> list[TaxTable]:
    """Tax summary tables: consecutive rows with a rate and a base/tax pair, and their total."""
    tables: list[TaxTable] = []
    for page_no, lines in enumerate(ctx.pages, start=1):
        current: TaxTable | None = None
        for li, segs in enumerate(lines):
            text = "   ".join(s.text for s in segs)
            rate, values = _row_amounts(text, ctx)
            pair = _split_row(rate, values) if rate is not None and len(values) >= 2 else None
            if pair is not None and _is_item_row(values):
                pair = None  # quantity x price = amount: a line item with a VAT column
            if pair is not None and current is None:
                # A table starts under a tax heading or with a row that names the tax.
                above = set(tokens(" ".join(s.text for s in lines[li - 1]))) if li > 0 else set()
                if not (above | set(tokens(text))) & _TAX_WORDS:
                    pair = None
            if pair is not None:
                if current is None:
                    current = TaxTable(page=page_no)
                    tables.append(current)
                    if li > 0 and set(tokens(" ".join(s.text for s in lines[li - 1]))) & _TAX_WORDS:
                        current.lines.add((page_no, li - 1))  # the table's header row
                current.rows.append(TaxLine(rate=rate, base=pair[0], amount=pair[1]))
                current.lines.add((page_no, li))
                continue
            if current is not None:
                toks = set(tokens(text))
                if toks & _TOTAL_WORDS and len(values) >= 2:
                    # The closing row repeats the sums: base total and tax total.
                    tax_sum = sum((r.amount or Decimal(0) for r in current.rows), Decimal(0))
                    base_sum = sum((r.base or Decimal(0) for r in current.rows), Decimal(0))
                    if abs(values[-1] - tax_sum) <= CENT * len(current.rows):
                        current.tax = values[-1]
                        current.base = next((v for v in values if abs(v - base_sum) <= CENT), None)
                        current.lines.add((page_no, li))
                current = None
    for table in tables:
        if table.tax is None:
            table.tax = sum((r.amount or Decimal(0) for r in table.rows), Decimal(0))
        if table.base is None:
            table.base = sum((r.base or Decimal(0) for r in table.rows), Decimal(0))
    return tables


def _line_key(ctx: Context, cand: Candidate) -> tuple[int, int] | None:
    if cand.bbox is None or not 0 < cand.page <= len(ctx.pages):
        return None
    y = (cand.bbox[1] + cand.bbox[3]) / 2
    for li, segs in enumerate(ctx.pages[cand.page - 1]):
        if segs and min(s.y0 for s in segs) <= y <= max(s.y1 for s in segs):
            return (cand.page, li)
    return None


def choose_totals(
    c: dict[str, list[Candidate]], ctx: Context | None = None, tables: list[TaxTable] | None = None
) -> dict[str, Candidate]:
    """Pick subtotal, tax and total together by the arithmetic that ties them."""
    tables = tables or []
    table_lines = {key for t in tables for key in t.lines}

    def outside(cands: list[Candidate]) -> list[Candidate]:
        if ctx is None or not table_lines:
            return cands
        return [x for x in cands if _line_key(ctx, x) not in table_lines]

    subs = outside(c.get("subtotal", []))[:12]
    taxes = list(outside(c.get("tax", []))[:15])
    totals = outside(c.get("total", []))[:12] + [
        Candidate(x.value, x.score * 0.8, x.page, x.text, x.bbox, x.label)
        for x in outside(c.get("amount_due", []))[:3]
    ]
    included = [x for x in c.get("tax_included", [])[:5] if x.value != 0]
    for table in tables:
        if table.tax is not None and table.tax != 0:
            taxes.append(Candidate(table.tax, 0.8, table.page, "tax table", None, "tax table"))
        if table.base is not None and table.base != 0:
            subs.append(Candidate(table.base, 0.6, table.page, "tax table base", None, "tax table"))
    # Cash handed over is not the total: a "total" equal to the tendered amount when change
    # was given is the payment line.
    paid = {x.value for x in c.get("tendered", [])}
    change = [x.value for x in c.get("change", []) if x.value > 0]
    if change:
        totals = [
            g
            for g in totals
            if not (
                g.value in paid and any(g.value - ch in {t.value for t in totals} for ch in change)
            )
        ]
    top_total = max((abs(g.value) for g in totals), default=None)
    if top_total:
        taxes = [t for t in taxes if abs(t.value) <= top_total * MAX_TAX_SHARE]
    rate_lines = [
        t for t in taxes if t.label not in ("total vat", "vat total", "total tax", "tax table")
    ]
    distinct = list(dict.fromkeys(t.value for t in rate_lines))
    if len(distinct) > 1:  # one tax line per rate: the tax total is their sum
        s = sum(distinct, Decimal(0))
        taxes.append(Candidate(s, 0.7, rate_lines[0].page, "sum of tax lines", None, "sum"))
        # A tax candidate that is no tax line (a line item's unit price beside its rate:
        # "8 82.08 13.5% 656.64") spoils the sum of all: the sum of a few of them that closes
        # subtotal + tax = total is the tax total too.
        gaps = {g.value - x.value for x in subs for g in totals if g.value > x.value}
        sums = {
            v
            for k in range(2, min(4, len(distinct) - 1) + 1)
            for combo in itertools.combinations(distinct[:10], k)
            if (v := sum(combo, Decimal(0))) in gaps and v != s
        }
        taxes += [
            Candidate(v, 0.65, rate_lines[0].page, "sum of tax lines", None, "sum")
            for v in sorted(sums)
        ]

    taxes.append(Candidate(Decimal("0.00"), 0.3, 1, "no tax shown", None, "zero"))
    best: tuple[float, dict[str, Candidate]] | None = None

    def offer(score: float, chosen: dict[str, Candidate]) -> None:
        nonlocal best
        if best is None or score > best[0]:
            best = (score, chosen)

    for s in subs:
        for t in taxes:
            for g in totals:
                if s.value + t.value == g.value and s.value != g.value and t.value != 0:
                    offer(s.score + t.score + g.score + 1.5, {"subtotal": s, "tax": t, "total": g})
                elif s.value == g.value and t.value == 0:
                    # "No tax" loses to a tax the document says is included in the total.
                    bonus = 0.6 if included else 1.5
                    offer(
                        s.score + t.score + g.score + bonus, {"subtotal": s, "tax": t, "total": g}
                    )
    for t in included:
        for g in totals:
            if abs(t.value) <= abs(g.value) * MAX_TAX_SHARE:
                net = Candidate(
                    g.value - t.value, 0.45, g.page, "total - included tax", None, "derived"
                )
                offer(g.score + t.score + 1.2, {"subtotal": net, "tax": t, "total": g})
    if best is not None:
        return best[1]
    chosen: dict[str, Candidate] = {}
    for name, pool in (("subtotal", subs), ("tax", [t for t in taxes if t.label != "zero"]),
                       ("total", totals)):  # fmt: skip
        if pool:
            chosen[name] = max(pool, key=lambda x: x.score)
    s_, t_, g_ = (chosen.get(k) for k in ("subtotal", "tax", "total"))
    if s_ and t_ and not g_:
        chosen["total"] = Candidate(
            s_.value + t_.value, 0.45, s_.page, "subtotal + tax", None, "derived"
        )
    elif g_ and t_ and not s_:
        chosen["subtotal"] = Candidate(
            g_.value - t_.value, 0.45, g_.page, "total - tax", None, "derived"
        )
    elif g_ and s_ and not t_ and g_.value >= s_.value:
        chosen["tax"] = Candidate(
            g_.value - s_.value, 0.45, g_.page, "total - subtotal", None, "derived"
        )
    return chosen
