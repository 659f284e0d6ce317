"""Template-free candidates for header fields: label/value pairs by geometry, then arithmetic.

Each segment of each page is claimed by the most specific label it contains (so "Rechnungssumme
ohne USt." is a subtotal label, not a tax label). The value is read from the rest of the
segment, the segments to its right, or the segment below. Amount fields are then chosen
together: the subtotal/tax/total triple that adds up beats individually likely values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.extraction.label_lexicon import Lexicon
from core.extraction.labels import LabelHit, Segment, below, fold, right_of, segment_labels, tokens
from core.extraction.language_packs import Locale
from core.extraction.layout import Word, join_words
from core.extraction.parsing import (
    ISO_CURRENCIES,
    find_amounts,
    find_currencies,
    find_dates,
)

AMOUNTS = ("line_total", "subtotal", "tax", "total", "amount_due")
# Amounts that are not the document's totals but help choose them (see core.extraction.amounts).
ROLE_AMOUNTS = ("tax_included", "tendered", "change", "rounding", "discount", "gross_sales")
_STOP = {"no", "nr", "n", "number", "num", "numero", "vom", "du", "de", "of", "the", "is", "id"}


@dataclass
class Candidate:
    """A possible value with a score and where it was read."""

    value: Any
    score: float
    page: int
    text: str
    bbox: tuple[float, float, float, float] | None = None
    label: str = ""
    anchor: Segment | None = None  # the segment a name was read from (addresses follow it)
    signals: tuple[str, ...] = ()  # what made a scored choice win (vendor name)


@dataclass
class Context:
    """What the rules need: segments per page/line and document-wide parsing hints."""

    pages: list[list[list[Segment]]]
    decimal_sep: str | None
    day_first: bool | None
    lexicon: Lexicon | None = None  # the document's languages (None: every language)
    locale: Locale | None = None


def claim_labels(ctx: Context) -> list[LabelHit]:
    """Labels of every segment: longest first, no two sharing a word; each hit's ``rest``
    stops where the next label of the segment begins."""
    hits = []
    for lines in ctx.pages:
        for segs in lines:
            for seg in segs:
                found = sorted(
                    segment_labels(seg, ctx.lexicon).values(), key=lambda h: -h.specificity
                )
                taken: list[LabelHit] = []
                for hit in found:
                    if hit.field in PARTY_FIELDS and not _heading(hit):
                        continue
                    if hit.label in WEAK_NUMBER_LABELS and hit.start != 0:
                        continue  # "HRB Nr. 1234", "§4 Nr. 10a UStG"
                    if any(hit.start <= t.end and t.start <= hit.end for t in taken):
                        continue
                    taken.append(hit)
                taken.sort(key=lambda h: h.start)
                for i, hit in enumerate(taken):
                    stop = taken[i + 1].start if i + 1 < len(taken) else len(seg.words)
                    hit.rest = seg.words[hit.end + 1 : stop]
                hits.extend(taken)
    return hits


WEAK_NUMBER_LABELS = frozenset({"nr", "no", "number"})
DOCUMENT_WORDS = frozenset(
    {"invoice", "rechnung", "facture", "avoir", "gutschrift", "credit note", "handelsrechnung",
     "rechnungskorrektur", "beitragsrechnung"}
)  # fmt: skip


PARTY_FIELDS = frozenset({"vendor", "customer"})


def _heading(hit: LabelHit) -> bool:
    """A party label opens a block: it starts its segment and ends it, or is followed by ':'."""
    words = hit.segment.words
    first = tokens(words[0].text)
    if not first or first[0] != hit.label.split()[0]:
        return False
    if not hit.rest:
        return True
    label_end = words[len(words) - len(hit.rest) - 1].text
    return label_end.endswith(":") or hit.rest[0].text.startswith(":")


_MARKERS = {"nr", "no", "n", "number", "nummer", "num", "numero", "#"}


# Argentine, Mexican... numbering: point of sale, dash, number ("00003 - 00003668").
_POS_NUMBER = re.compile(r"(?<![\w-])(\d{4,5})\s*-\s*(\d{8})(?![\w-])")


def _id_value(text: str) -> str | None:
    joined = _POS_NUMBER.search(text[:40])
    if joined is not None:
        return f"{joined.group(1)}-{joined.group(2)}"
    words = text.split()
    # "Rechnung des Versicherers (575) Nr. 01.234" : the id follows the number marker.
    for i, raw in enumerate(words[:8]):
        if fold(raw).strip(".:°º#") in _MARKERS or raw.strip(".:") in ("#", "N°", "Nº", "n°"):
            value = _first_id(words[i + 1 :])
            if value:
                return value
    return _first_id(words)


def _first_id(words: list[str]) -> str | None:
    for raw in words:
        word = raw.strip(":;,#()[]")
        if not word or raw.startswith("(") or fold(word).strip(".°º") in _STOP:
            continue
        if word in ("-", "/", "°", "º") or re.fullmatch(r"[.:#°º\-]+", word):
            continue
        if find_dates(word) or word.endswith("%"):
            return None
        # An id has a digit: "DOCUMENTO COMMERCIALE", "INVOICE EXAMPLE" name no number.
        if any(c.isdigit() for c in word) and len(word) >= 2:
            return word.rstrip(".")
        return None
    return None


_GLUED_UNIT = re.compile(r"(?<=\d)(?=[A-Za-z€$£¥])|(?<=[€$£¥₹₺₱฿])(?=\d)")
# A currency abbreviation printed against its amount: "RM8.35", "Rs.120", "Rp15.000", "R$10".
_GLUED_ABBREVIATION = re.compile(r"(?<![A-Za-z])((?:[A-Z][A-Za-z]{0,2}|[RS]\$)\.?)(?=\d)")


def _amount_value(text: str, ctx: Context) -> Decimal | None:
    # "-£17,129.70": the sign belongs to the number, not to the currency.
    text = re.sub(r"([-−–])\s*(?:[€$£¥]|[A-Z]{3})\s*(?=\d)", r"\1", text)
    # OCR glues currency and digits ("701,22EUR", "€12.00", "RM8.35"): split them first.
    text = _GLUED_UNIT.sub(" ", text)
    text = _GLUED_ABBREVIATION.sub(r"\1 ", text)
    # A later "Other label:" starts another label's value ("MwSt 19,0, Rabattbetrag: -5,60").
    text = re.split(r"\s[^\W\d_][\w.\-/]{2,}:\s", " " + text, maxsplit=1)[0]
    # Percentages and dates are not amounts; keep the last amount written after the label.
    masked = re.sub(r"\d+(?:[.,]\d+)?\s?%", " ", text)
    for d in reversed(find_dates(masked)):
        masked = masked[: d.start] + " " * (d.end - d.start) + masked[d.end :]
    found = find_amounts(masked, ctx.decimal_sep)
    return found[-1][2] if found else None


def _currency_value(text: str) -> str | None:
    counts = find_currencies(text)
    codes = [c for c in counts if c in ISO_CURRENCIES]
    return codes[0] if codes else None


def parser_for(field: str, ctx: Context) -> Callable[[str], Any]:
    """The value parser of ``field``; returns None when the text holds no such value."""
    if field in ("invoice_number", "po_number", "pos_number"):
        return _id_value
    if field in ("invoice_date", "due_date"):

        def date_value(text: str) -> dt.date | None:
            found = find_dates(text, ctx.day_first)
            return found[0].value if found else None

        return date_value
    if field in AMOUNTS or field in ROLE_AMOUNTS:
        return lambda text: _amount_value(text, ctx)
    if field == "currency":
        return _currency_value
    if field == "payment_terms":
        return _terms_value
    raise KeyError(field)


def _terms_value(text: str) -> str | None:
    text = text.strip(" :;-")
    # Terms are words ("Net 30 days", "Zahlbar innerhalb 14 Tagen"), not a bare date or code.
    if len(text) < 4 or not re.search(r"[^\W\d_]{3,}", text) or len(text) > 160:
        return None
    return text


def _bbox(words: list[Word]) -> tuple[float, float, float, float]:
    return (
        min(w.x0 for w in words),
        min(w.y0 for w in words),
        max(w.x1 for w in words),
        max(w.y1 for w in words),
    )


def candidates(ctx: Context, hits: list[LabelHit], field: str) -> list[Candidate]:
    """Values near every label claimed by ``field``, best first."""
    parse = parser_for(field, ctx)
    labelled = {id(h.segment) for h in hits}
    out: list[Candidate] = []
    for hit in hits:
        if hit.field != field:
            if field == "invoice_date" and hit.label in DOCUMENT_WORDS and hit.segment.page == 1:
                out.extend(_title_date(ctx, hit, labelled))  # "Rechnung 24. Januar 2014"
            continue
        lines = ctx.pages[hit.segment.page - 1]
        base = 0.55 + min(len(hit.label), 20) * 0.02
        if field == "invoice_date" and hit.label in ("vom", "du"):
            base = 0.5  # "vom" also starts periods: "Zeitraum vom 06.12.2013 bis ..."
        if field == "invoice_number":
            # An explicit "invoice number" label beats a bare title word, which beats "No.".
            tier = (
                0.6
                if hit.label in WEAK_NUMBER_LABELS
                else 0.75
                if hit.label in DOCUMENT_WORDS
                else 0.9
            )
            base = tier
        options: list[tuple[list[Word], float]] = []
        rights = []
        for seg in right_of(lines, hit.segment):
            if id(seg) in labelled:
                break
            rights.extend(seg.words)
        if (field in AMOUNTS or field in ROLE_AMOUNTS) and rights:
            # A totals row ends with its value: "VAT 19% (base 3.690,63)   701,22".
            options.append((hit.rest + rights, 1.0))
        elif hit.rest:
            options.append((hit.rest, 1.0))
        if rights and field not in AMOUNTS:
            options.append((rights, 0.95))
        span = (hit.segment.words[hit.start].x0, hit.segment.words[hit.end].x1)
        for seg in below(lines, hit.segment, max_lines=2, span=span):
            if id(seg) not in labelled:
                # a column title (the label and at most a number marker: "Your order no.")
                title = all(fold(w.text).strip(".:°º#") in _MARKERS for w in hit.rest)
                cell = _column_cell(lines, hit.segment, seg) if title else seg.words
                if cell:
                    options.append((cell, 0.7))
                break
        label_text = join_words(hit.segment.words[hit.start : hit.end + 1])
        # Earlier on the page breaks ties: titles and header blocks come first.
        offset = -hit.segment.y0 / 100000 - (hit.segment.page - 1) * 0.01
        for words, factor in options:
            value = parse(join_words(words))
            if value is not None and field in ("invoice_number", "po_number"):
                # Document numbers are seldom one to three digits (a street or page number).
                digits = sum(c.isdigit() for c in str(value))
                factor *= 0.85 if digits <= 3 else 1.03 if digits >= 6 else 1.0
            if value is not None:
                text = f"{label_text} {join_words(words)}".strip()
                out.append(
                    Candidate(
                        value,
                        base * factor + offset,
                        hit.segment.page,
                        text,
                        _bbox(words),
                        hit.label,
                    )
                )
                if factor == 0.7 and field in AMOUNTS:
                    out.extend(_column_sums(lines, hit, labelled, parse, base + offset, label_text))
                break
    out.sort(key=lambda c: c.score, reverse=True)
    return out


_TITLE_LINKS = {"vom", "von", "du", "of", "dated", "from", "le", "nr", "no", "n", "number"}


def _title_date(ctx: Context, hit: LabelHit, labelled: set[int]) -> list[Candidate]:
    """A date printed right after the document title is the document's date."""
    words = list(hit.rest)
    for seg in right_of(ctx.pages[0], hit.segment):
        if id(seg) in labelled:
            break
        words.extend(seg.words)
    head = join_words(words[:6])
    found = find_dates(head, ctx.day_first)
    if not found:
        return []
    # Only ids, markers and "of/vom/du" may stand between the title and its date:
    # "Rechnung gemäß Bestellung vom 01.03." dates the order, not the invoice.
    between = head[: found[0].start].split()
    if any(w.isalpha() and w.lower() not in _TITLE_LINKS for w in between):
        return []
    text = f"{join_words(hit.segment.words[hit.start : hit.end + 1])} {join_words(words[:6])}"
    return [Candidate(found[0].value, 0.6 - hit.segment.y0 / 100000, 1, text, None, hit.label)]


def _column_cell(lines: list[list[Segment]], head: Segment, seg: Segment) -> list[Word]:
    """The words of ``seg`` that stand in ``head``'s column of a header row.

    A header row prints one title per column ("Invoice Number   Invoice Date   Due   Your order
    no."), each value under its title; two values can sit close enough to read as one segment
    ("06 November 2024 PO-00361"). A word belongs to the title it starts under (the last title
    that begins at or before it: values are left-aligned with their title), or to a title it
    ends under, starting after the previous title's end (an amount right-aligned under a
    short title)."""
    row = lines[head.line]
    if len(row) < 2:
        return seg.words
    tol = 0.5 * (head.y1 - head.y0)
    prev_end = max((s.x1 for s in row if s.x1 <= head.x0), default=float("-inf"))

    def owner(w: Word) -> Segment:
        starts = [s for s in row if s.x0 <= w.x0 + tol]
        return max(starts, key=lambda s: s.x0) if starts else row[0]

    return [
        w
        for w in seg.words
        if owner(w) is head or (w.x0 < head.x1 and w.x1 >= head.x1 - tol and w.x0 >= prev_end)
    ]


def _column_sums(
    lines: list[list[Segment]],
    hit: LabelHit,
    labelled: set[int],
    parse: Callable[[str], Any],
    base: float,
    label_text: str,
) -> list[Candidate]:
    """A column header over one row per tax rate: the total is the sum, or the closing row."""
    values: list[Decimal] = []
    span = (hit.segment.words[hit.start].x0, hit.segment.words[hit.end].x1)
    last_y = hit.segment.y1
    for seg in below(lines, hit.segment, max_lines=6, max_gap=8, span=span):
        # Rows of one table: contiguous, and nothing but an amount in the cell.
        if id(seg) in labelled or seg.y0 - last_y > 2.5 * (seg.y1 - seg.y0):
            break
        # A row with a label of its own ("Total excl. VAT   2,320.92" under a "Line Total"
        # column) closes the table: its amount is that label's, not one more row to add. Only
        # under a line-total header: the same column under "Gesamt" or "Amount" (total labels
        # too) would offer the net, closed by "Summe netto", as the invoice total.
        if hit.field == "line_total" and any(
            id(s) in labelled for s in lines[seg.line] if s is not seg
        ):
            break
        value = parse(seg.text)
        if value is None or re.search(r"[^\W\d_]{2,}", seg.text):
            break
        values.append(value)
        last_y = seg.y1
    if len(values) < 2:
        return []
    page = hit.segment.page
    if values[-1] == sum(values[:-1], Decimal(0)):
        return [
            Candidate(values[-1], base * 0.75, page, f"{label_text} (total row)", None, hit.label)
        ]
    total = sum(values, Decimal(0))
    return [Candidate(total, base * 0.72, page, f"{label_text} (column sum)", None, hit.label)]
