"""Per-vendor extraction hints: where a vendor prints a field, learned from a correction.

Issue 14, item 2. When an operator corrects a field of an invoice whose vendor is known, the
page layout the extraction kept (``Extraction.layout``: the page's segments, i.e. runs of words on
a line between column gaps, with boxes normalised to the page, from the text layer or OCR alike)
is searched for the corrected value. What stood next to it becomes the vendor's *hint* for that
field:

* ``anchor``: the folded text of the label that introduces the value (the start of the same
  segment, the segment to its left on the line, or the segment just above);
* ``direction``: ``inline`` (value after the anchor in one segment), ``right`` or ``below``;
  ``region`` when no label stands next to it (the value's box is the only clue);
* ``region``: the value's box on the page (0-1 of the page's width and height) and its ``page``;
* ``token_start``/``token_count``: which words of the value segment are the value;
* ``day_first``: how a numeric date is to be read there.

On that vendor's next invoice ``apply_hints`` tries each hint first: it finds the anchor (the
nearest one to the learned region), reads the value where the hint says, parses it as the field's
type and, when it parses, puts it in the extraction with the signal ``learned-hint:<id>``. A
hint's ``weight`` (kept by the workflow: up on agreement, down on a contrary correction) sets the
confidence. Pure functions: no database, no document loading.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from core.extraction.document import Document
from core.extraction.labels import page_segments
from core.extraction.language_packs import tokens
from core.extraction.line_items import ROW_UNVERIFIED
from core.extraction.parsing import (
    DATE_RE,
    ISO_CURRENCIES,
    MONTHS,
    find_amounts,
    find_dates,
    normalise_id,
)
from core.extraction.schema import Evidence, ExtractedField, Extraction, LayoutSegment

AMOUNT_HINT_FIELDS = ("total", "subtotal", "tax", "amount_due", "line_total")
DATE_HINT_FIELDS = ("invoice_date", "due_date")
TEXT_HINT_FIELDS = ("invoice_number", "po_number")
HINT_FIELDS = (*TEXT_HINT_FIELDS, *DATE_HINT_FIELDS, *AMOUNT_HINT_FIELDS)
HINT_SIGNAL = "learned-hint"
LAST_AMOUNT = -1  # a candidate's "first value word": the last amount of the words
REPAIR_SIGNAL = "ocr-digit-repaired"
# Digits a scan's OCR takes for one another ("8" for "3", "1" for "7", ...).
OCR_DIGIT_PAIRS = frozenset(
    frozenset(p)
    for p in ("06", "08", "09", "14", "17", "27", "35", "38", "49", "56", "58", "68", "89")
)
REPAIRED_CONFIDENCE = 0.8  # shown as unsure; the worker never approves a repaired amount unseen
MAX_LAYOUT_SEGMENTS = 4000  # a layout is kept for hints; a huge document keeps its first ones


@dataclass(frozen=True)
class Hint:
    """Where one vendor prints one field (see the module docstring)."""

    field: str
    anchor: str
    direction: str
    page: int
    region: tuple[float, float, float, float]
    token_start: int = 0
    token_count: int = 1
    day_first: bool | None = None
    weight: float = 1.0
    id: str = ""

    def as_row(self) -> dict[str, Any]:
        """The columns of ``public.vendor_extraction_hints`` this hint fills."""
        return {
            "field": self.field,
            "anchor": self.anchor,
            "direction": self.direction,
            "page": self.page,
            "region": list(self.region),
            "token_start": self.token_start,
            "token_count": self.token_count,
            "day_first": self.day_first,
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Hint:
        region = tuple(float(v) for v in row["region"])
        return cls(
            field=str(row["field"]),
            anchor=str(row["anchor"] or ""),
            direction=str(row["direction"]),
            page=int(row["page"]),
            region=(region[0], region[1], region[2], region[3]),
            token_start=int(row.get("token_start") or 0),
            token_count=int(row.get("token_count") or 1),
            day_first=row.get("day_first"),
            weight=float(row.get("weight") or 1.0),
            id=str(row.get("id") or ""),
        )


def layout_of(document: Document) -> list[LayoutSegment]:
    """The document's segments with boxes as shares of their page (what hints are learned on)."""
    out: list[LayoutSegment] = []
    sizes = {p.number: (p.width or 1.0, p.height or 1.0) for p in document.pages}
    for page in page_segments(document):
        for line in page:
            for seg in line:
                w, h = sizes.get(seg.page, (1.0, 1.0))
                out.append(
                    LayoutSegment(
                        page=seg.page,
                        line=seg.line,
                        box=(
                            round(seg.x0 / w, 4),
                            round(seg.y0 / h, 4),
                            round(seg.x1 / w, 4),
                            round(seg.y1 / h, 4),
                        ),
                        text=seg.text[:300],
                    )
                )
                if len(out) >= MAX_LAYOUT_SEGMENTS:
                    return out
    return out


def _anchor_text(text: str) -> str:
    """A label as compared: its folded letter tokens (digits and punctuation dropped)."""
    return " ".join(t for t in tokens(text) if not t.isdigit())[:120]


def _compact(text: str) -> str:
    return normalise_id(text).upper()


def _value_tokens(field: str, words: list[str], value: Any) -> tuple[int, int, bool | None] | None:
    """Where ``value`` is among ``words`` (start, count, day_first), or None."""
    n = len(words)
    for count in range(1, min(n, 6) + 1):
        for start in range(0, n - count + 1):
            chunk = " ".join(words[start : start + count])
            if field in AMOUNT_HINT_FIELDS:
                if any(abs(v) == abs(Decimal(value)) for _, _, v in find_amounts(chunk)):
                    return start, count, None
                if any(
                    abs(v) == abs(Decimal(value)) for sep in (",", ".") for _, _, v in
                    find_amounts(chunk, sep)
                ):  # fmt: skip
                    return start, count, None
            elif field in DATE_HINT_FIELDS:
                for day_first in (True, False):
                    found = find_dates(chunk, day_first)
                    if found and found[0].value == value:
                        return start, count, _day_first(chunk, value)
            elif _compact(chunk) == _compact(str(value)):
                return start, count, None
    return None


def _day_first(chunk: str, value: dt.date) -> bool | None:
    """Whether a numeric date prints the day before the month (None: ISO or a month name)."""
    numbers = [int(n) for n in re.findall(r"\d+", chunk)]
    if len(numbers) < 3 or numbers[0] > 31:
        return None
    if (numbers[0], numbers[1]) == (value.day, value.month):
        return True
    if (numbers[0], numbers[1]) == (value.month, value.day):
        return False
    return None


def _same_line(a: LayoutSegment, b: LayoutSegment) -> bool:
    """Same line, or side by side: OCR may put a label and its value on two "lines" when one
    stands a little lower (their heights overlap by at least half the smaller one)."""
    if a.page != b.page:
        return False
    if a.line == b.line:
        return True
    overlap = min(a.box[3], b.box[3]) - max(a.box[1], b.box[1])
    return overlap >= 0.5 * min(a.box[3] - a.box[1], b.box[3] - b.box[1]) > 0


def _left_neighbour(seg: LayoutSegment, layout: Sequence[LayoutSegment]) -> LayoutSegment | None:
    left = [o for o in layout if _same_line(o, seg) and o.box[2] <= seg.box[0] + 1e-4]
    return max(left, key=lambda o: o.box[2]) if left else None


def _stacked(upper: tuple[float, ...], lower: tuple[float, ...]) -> bool:
    """``lower`` is the next line under ``upper``, in the same column.

    OCR boxes hug the ink: a value's box may start a pixel or two above the bottom of its
    column title's box ("Vorgang" over "RE-72703" on a scan). A line may reach up into the one
    above it by a third of that line's height and still be the line below; more is the same
    line."""
    reach = 0.35 * (upper[3] - upper[1])
    return (
        lower[1] >= upper[3] - reach
        and lower[1] - upper[3] < 0.05
        and min(upper[2], lower[2]) - max(upper[0], lower[0]) > 0
    )


def _above(seg: LayoutSegment, layout: Sequence[LayoutSegment]) -> LayoutSegment | None:
    over = [o for o in layout if o.page == seg.page and _stacked(o.box, seg.box)]
    return max(over, key=lambda o: o.box[3]) if over else None


def _has_letters(text: str) -> bool:
    """Whether ``text`` is label-like: words beyond currency codes and month names ("EUR 1,00"
    and "14 July 2023" are values, not labels)."""
    return any(
        t.upper() not in ISO_CURRENCIES and t not in MONTHS for t in _anchor_text(text).split()
    )


def _is_field_label(field: str, anchor: str) -> bool:
    """Whether ``anchor`` is one of the field's known labels (any language pack); a table header
    that holds one ("Qty Price Line total") is not: it heads a column of other values."""
    from core.extraction.label_lexicon import all_languages

    return anchor in all_languages().labels.get(field, ())


def learn_hint(field: str, value: Any, layout: Sequence[LayoutSegment]) -> Hint | None:
    """The hint for ``field`` = ``value`` on this layout, or None when the value is not printed.

    Among several places that print the value, a labelled one wins, then the one highest up."""
    if field not in HINT_FIELDS or value is None or value == "":
        return None
    best: tuple[int, float, Hint] | None = None
    for seg in layout:
        words = seg.text.split()
        found = _value_tokens(field, words, value)
        if found is None:
            continue
        start, count, day_first = found
        before = " ".join(words[:start])
        # Where a label can stand, in this order: before the value in its own run of words, to
        # its left, above it (a column title over a header row of values). The first one that
        # is no value itself anchors: left of a date in a header row stands the invoice number
        # ("RE-2023-8810"), whose letters are no label; the column title above it is.
        options: list[tuple[int, str, str]] = []  # (rank, direction, label)
        if start > 0 and _has_letters(before):
            options.append((0, "inline", before))
        if (left := _left_neighbour(seg, layout)) is not None and _has_letters(left.text):
            options.append((1, "right", left.text))
        if (up := _above(seg, layout)) is not None and _has_letters(up.text):
            options.append((2, "below", up.text))
        rank, direction, label = next(
            (o for o in options if not re.search(r"\d", o[2])),
            options[0] if options else (6, "region", ""),
        )
        anchor = _anchor_text(label)
        if re.search(r"\d", label):
            rank += 3  # a table row ("Repair work 1 250.00 250.00") is no label
        if anchor and _is_field_label(field, anchor):
            rank -= 3  # "Subtotal" above the value beats an item description to its left
        hint = Hint(
            field=field,
            anchor=anchor,
            direction=direction,
            page=seg.page,
            region=seg.box,
            token_start=start if direction != "inline" else 0,
            token_count=count,
            day_first=day_first,
        )
        key = (rank, seg.box[1] + seg.page)
        if best is None or key < (best[0], best[1]):
            best = (rank, key[1], hint)
    return best[2] if best else None


def _distance(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """How far a value's box is from the learned one: its top, and its nearer side (a value that
    got longer or shorter keeps one edge where it was: amounts are right-aligned, ids left)."""
    return min(abs(a[0] - b[0]), abs(a[2] - b[2])) + abs(a[1] - b[1])


# what stands between a label and its value ("No.:", " - ", "#: "), not the "#" of "#12"
_LEAD_RE = re.compile(r"(?:[\s:;.,\-–—=|/]|[#°º](?=[\s:;.,\-–—=|/]|$))*")


@lru_cache(maxsize=4096)
def _label_words(text: str) -> tuple[tuple[str, int, int], ...]:
    """The label-like words of ``text`` (folded letter runs) with their character span: a label
    glued to its value ("Total1,234.00", "No.000123") ends where the digits begin. Cached: every
    hint of a vendor looks through the same segments."""
    out: list[tuple[str, int, int]] = []
    for m in re.finditer(r"[^\W\d_]+", text):
        for tok in tokens(m.group()):
            if not tok.isdigit():
                out.append((tok, m.start(), m.end()))
    return tuple(out)


# The tier of an anchor found glued to letters of the value (``_find_anchor``): tried last, and
# a text value read after it is unsure (``GLUED_CONFIDENCE``): where the label ends and the value
# begins is a guess. Read as part of the label, "RE-" of "RECHNUNGRE-375077" was lost, and the
# number "375077" went straight through.
GLUED = 4
GLUED_CONFIDENCE = 0.6


def _anchor_edits(anchor: str) -> int:
    """How many character edits an OCR reading of the anchor may carry ("T0tal", "Subtota1")."""
    n = len(anchor.replace(" ", ""))
    return 0 if n <= 3 else max(1, n // 4)


def _find_anchor(seg: LayoutSegment, anchor: str) -> list[tuple[int, int, int]]:
    """Where the anchor stands in the segment: (start, end) character span and its tier.

    Tiers, the first that reads a value wins (so that an OCR-tolerant match never overrides the
    plain one, e.g. "Total" inside "Total excl. VAT" while "Total" stands on its own):

    0. the segment's label words are exactly the anchor (for ``inline``: they start with it);
    1. the anchor is a run of the segment's words (a scan's OCR merges neighbouring labels into
       one segment, or glues the value to its label: "No.INV-0042");
    2. the same with a few OCR misreadings of its letters ("Subtota1");
    3. the segment is part of an anchor that merged two stacked labels.

    Spaces and punctuation between the anchor's words do not count."""
    from rapidfuzz.distance import Levenshtein

    want = anchor.split()
    target = "".join(want)
    if not target:
        return []
    words = _label_words(seg.text)
    allowed = _anchor_edits(anchor)
    out: list[tuple[int, int, int]] = []
    for size in {len(want), len(want) - 1, len(want) + 1} - {0}:
        for i in range(0, len(words) - size + 1):
            run = words[i : i + size]
            edits = Levenshtein.distance("".join(w for w, _, _ in run), target,
                                         score_cutoff=allowed)  # fmt: skip
            if edits > allowed:
                continue
            whole = i == 0 and size == len(words)
            if not whole and re.search(r"\d", seg.text[: run[0][1]]):
                continue  # words after a number are a table row ("12 pcs 557.40"), not a label
            joined = "".join(w for w, _, _ in run)
            if len(joined) > len(target):
                # OCR glued the value's own letters to the label ("RECHNUNGRE-375077"): the value
                # starts where the anchor's letters end, which is a guess (GLUED)
                last, start, end = run[-1]
                if not joined.startswith(target) or len(seg.text[start:end]) != len(last):
                    continue
                out.append((run[0][1], end - (len(joined) - len(target)), GLUED))
                continue
            tier = 2 if edits else (0 if whole else 1)
            out.append((run[0][1], run[-1][2], tier))
    if not out and len(words) >= 2:
        # a text layer may interleave two stacked labels into one anchor ("AMOUNT SUBJECT GROSS
        # TO DISCOUNT AMOUNT") that OCR reads as two lines: a segment made only of the anchor's
        # words, and enough of them, is one of those labels
        mine = [w for w, _, _ in words]
        if set(mine) <= set(want) and len("".join(mine)) >= 0.4 * len(target):
            out.append((words[0][1], words[-1][2], 3))
    return out


def _sub_box(seg: LayoutSegment, start: int, end: int) -> tuple[float, float, float, float]:
    """The box of characters ``start:end`` of the segment (shares of its width by characters)."""
    x0, y0, x1, y1 = seg.box
    n = max(len(seg.text), 1)
    return (x0 + (x1 - x0) * start / n, y0, x0 + (x1 - x0) * end / n, y1)


def _rest(seg: LayoutSegment, end: int) -> tuple[LayoutSegment, list[str]] | None:
    """What follows the anchor in its segment, as a segment of its own (None when nothing)."""
    text = seg.text[end:]
    lead = _LEAD_RE.match(text)
    stripped = text[lead.end() if lead else 0 :]
    if not stripped.strip():
        return None
    start = end + len(text) - len(stripped)
    box = _sub_box(seg, start, len(seg.text))
    return seg.model_copy(update={"box": box}), stripped.split()


def _candidates(
    hint: Hint, layout: Sequence[LayoutSegment]
) -> list[tuple[int, float, LayoutSegment, list[str], int]]:
    """Where the hint's value may stand: (tier, distance, segment, its words, first value word)."""
    out: list[tuple[int, float, LayoutSegment, list[str], int]] = []
    if hint.direction == "region":
        for seg in layout:
            if seg.page == hint.page and _distance(seg.box, hint.region) < 0.08:
                out.append((0, _distance(seg.box, hint.region), seg, seg.text.split(), 0))
        return out
    for seg in layout:
        for start, end, tier in _find_anchor(seg, hint.anchor):
            if hint.direction == "inline" and tier == 1 and seg.text[:start].strip() == "":
                tier = 0  # the label words start with the anchor: the value follows it
            rest = _rest(seg, end)
            target = _right_neighbour(seg, layout) if hint.direction == "right" else None
            if rest is not None and (
                hint.direction == "inline"
                or (hint.direction == "right" and (tier > 0 or target is None))
            ):
                # the value after its label in one segment (OCR may merge a "right" pair: then
                # the amount at the end is the one that stood apart, not a quantity or a rate)
                part, words = rest
                first = LAST_AMOUNT if hint.direction == "right" else 0
                out.append((tier, _distance(part.box, hint.region), seg, words, first))
            if target is not None:
                # for "right", the next segment ("VAT 8.875%" | "201.48"); the nearer wins
                words = target.text.split()
                out.append((tier, _distance(target.box, hint.region), target, words,
                            hint.token_start))  # fmt: skip
            elif hint.direction == "below":
                label = seg.model_copy(update={"box": _sub_box(seg, start, end)})
                below = _below(label, layout)
                if below is not None:
                    words = below.text.split()
                    out.append((tier, _distance(below.box, hint.region), below, words,
                                hint.token_start))  # fmt: skip
    return out


def _read(hint: Hint, layout: Sequence[LayoutSegment]) -> tuple[Any, LayoutSegment, int] | None:
    """The value the hint points at on this layout (parsed), with its segment and the tier its
    anchor was found at (``_find_anchor``)."""
    candidates = _candidates(hint, layout)
    candidates.sort(key=lambda c: (c[0], c[2].page != hint.page, c[1]))
    for tier, _, seg, words, start in candidates:
        last = start == LAST_AMOUNT
        start = 0 if last else start
        # an amount or a date may print in more words than the learned one ("4 384,79")
        end = len(words) if hint.field not in TEXT_HINT_FIELDS else start + hint.token_count
        chunk = " ".join(words[start:end])
        value = _parse(hint, chunk, last=last)
        if value is not None:
            return value, seg, tier
    return None


def _right_neighbour(seg: LayoutSegment, layout: Sequence[LayoutSegment]) -> LayoutSegment | None:
    right = [o for o in layout if _same_line(o, seg) and o.box[0] >= seg.box[2] - 1e-4]
    return min(right, key=lambda o: o.box[0]) if right else None


def _below(seg: LayoutSegment, layout: Sequence[LayoutSegment]) -> LayoutSegment | None:
    under = [o for o in layout if o.page == seg.page and _stacked(seg.box, o.box)]
    return min(under, key=lambda o: o.box[1]) if under else None


def _parse(hint: Hint, chunk: str, *, last: bool = False) -> Any:
    if not chunk.strip():
        return None
    if hint.field in AMOUNT_HINT_FIELDS:
        # a rate ("8.875%") is no amount
        found = [a for a in find_amounts(chunk) if not chunk[a[1] :].lstrip().startswith("%")]
        return found[-1 if last else 0][2] if found else None
    if hint.field in DATE_HINT_FIELDS:
        dates = find_dates(chunk, hint.day_first)
        return dates[0].value if dates else None
    value = chunk.strip().strip(":").strip()
    return value if re.search(r"\d", value) else None


def hint_confidence(weight: float) -> float:
    """A hint's confidence from its weight: 0.9 when just learned, up to 0.99 as it agrees."""
    return round(min(0.99, 0.85 + 0.05 * max(weight, 0.0)), 3)


def apply_hints(
    extraction: Extraction, hints: Sequence[Hint], *, min_weight: float = 0.5
) -> tuple[Extraction, dict[str, str]]:
    """``extraction`` with each hint's field read from the layout where the hint says.

    Returns a copy and the fields it set (field -> hint id). A hint below ``min_weight``, or one
    whose anchor or value is not on this layout, leaves its field as the extractor read it. On a
    scan, a hinted amount misread by OCR is checked against the other amounts
    (``_repair_ocr_digits``)."""
    layout = extraction.layout
    if not layout or not hints:
        return extraction, {}
    out = extraction.model_copy(deep=True)
    applied: dict[str, str] = {}
    for hint in hints:
        if hint.weight < min_weight or hint.field not in HINT_FIELDS:
            continue
        found = _read(hint, layout)
        if found is None:
            continue
        value, seg, tier = found
        if isinstance(value, dt.date | Decimal | str):
            confidence = hint_confidence(hint.weight)
            if tier == GLUED and hint.field in TEXT_HINT_FIELDS:
                confidence = min(confidence, GLUED_CONFIDENCE)
            setattr(
                out,
                hint.field,
                ExtractedField[Any](
                    value=value,
                    confidence=confidence,
                    evidence=Evidence(
                        page=seg.page,
                        text=seg.text,  # the box is in page shares here: no PDF-point bbox
                        signals=(HINT_SIGNAL, f"{HINT_SIGNAL}:{hint.id}", hint.anchor),
                    ),
                ),
            )
            applied[hint.field] = hint.id
    _date_order(out, hints, applied, min_weight)
    _repair_ocr_digits(out, applied)
    return out, applied


def _date_order(
    out: Extraction, hints: Sequence[Hint], applied: dict[str, str], min_weight: float
) -> None:
    """The vendor's learned date order for its other numeric dates (in place).

    A date hint knows whether this vendor prints numeric dates day or month first. A date field
    no hint read (the due date, when only the invoice date was corrected) and read the other way
    round ("12/07/2025" as 7 December for an Irish vendor) is read again in the vendor's order,
    from the same printed date; its confidence stays the extractor's."""
    order = next(
        (
            h
            for h in hints
            if h.field in DATE_HINT_FIELDS and h.day_first is not None and h.weight >= min_weight
        ),
        None,
    )
    if order is None:
        return
    for name in DATE_HINT_FIELDS:
        read = getattr(out, name)
        if name in applied or read.value is None or read.evidence is None:
            continue
        for m in DATE_RE.finditer(read.evidence.text or ""):
            other = find_dates(m.group(0), not order.day_first)
            if not other or other[0].value != read.value:
                continue
            mine = find_dates(m.group(0), order.day_first)
            if mine and mine[0].value != read.value:
                setattr(
                    out,
                    name,
                    read.model_copy(
                        update={
                            "value": mine[0].value,
                            "evidence": read.evidence.model_copy(
                                update={
                                    "signals": (
                                        *read.evidence.signals,
                                        f"{HINT_SIGNAL}-date-order:{order.id}",
                                    )
                                }
                            ),
                        }
                    ),
                )
            break


def _confusable(read: Decimal, implied: Decimal) -> bool:
    """Whether ``read`` is ``implied`` with one or two digits misread as OCR misreads them, or
    with one digit of it lost ("458.51" for "4458.51")."""
    a, b = f"{abs(read):.2f}", f"{abs(implied):.2f}"
    if (read < 0) != (implied < 0):
        return False
    if len(b) == len(a) + 1 and a[-3:] == b[-3:] and abs(read) >= 1:
        # the cents kept, and a non-zero amount: dropping one digit of the whole part gives it
        whole = b[:-3]
        return any(whole[:i] + whole[i + 1 :] == a[:-3] for i in range(len(whole)))
    if len(a) != len(b):
        return False
    diffs = [frozenset((x, y)) for x, y in zip(a, b, strict=True) if x != y]
    return 0 < len(diffs) <= 2 and all(d in OCR_DIGIT_PAIRS for d in diffs)


def _sum_broken(ex: Extraction) -> bool:
    """Whether subtotal, tax and total are all read and subtotal + tax misses the total."""
    sub, tax, total = ex.subtotal.value, ex.tax.value, ex.total.value
    if isinstance(sub, Decimal) and isinstance(tax, Decimal) and isinstance(total, Decimal):
        return abs(sub + tax - total) >= Decimal("0.005")
    return False


def _repair_ocr_digits(out: Extraction, applied: Collection[str]) -> None:
    """On a scan, an amount of ``applied`` (the hinted ones, or all three: ``repair_scan_amounts``)
    that breaks subtotal + tax = total, where the value the other two imply differs from it only
    by OCR digit confusions or one lost digit, is that implied value (with a lower confidence and
    the signal ``ocr-digit-repaired``). Only one such amount may fit (one the
    page prints twice counts as read right): two would be a guess. A text layer's figures are
    what is printed: an arithmetic error there stays for the checks to flag."""
    if out.source != "ocr":
        return
    if not _sum_broken(out):
        return
    values = {f: getattr(out, f).value for f in ("subtotal", "tax", "total")}
    sub, tax, total = values["subtotal"], values["tax"], values["total"]
    implied = {"subtotal": total - tax, "tax": total - sub, "total": sub + tax}
    fits = [f for f in applied if f in implied and _confusable(values[f], implied[f])]
    if len(fits) > 1:
        # one misread digit makes the other amounts look misread too; an amount the page prints
        # twice (a total and the amount due, a one-line subtotal) was read right both times
        printed = Counter(
            abs(v) for seg in out.layout for _, _, v in find_amounts(seg.text) if v is not None
        )
        fits = [f for f in fits if printed[abs(values[f])] < 2]
    if len(fits) != 1:
        return
    name = fits[0]
    field = getattr(out, name)
    evidence = field.evidence or Evidence()
    setattr(
        out,
        name,
        ExtractedField[Any](
            value=implied[name],
            confidence=min(field.confidence, REPAIRED_CONFIDENCE),
            evidence=evidence.model_copy(update={"signals": (*evidence.signals, REPAIR_SIGNAL)}),
        ),
    )


def repair_scan_amounts(extraction: Extraction) -> Extraction:
    """A scan whose subtotal + tax breaks the total, where exactly one of the three is what the
    other two imply with an OCR digit confusion or a lost digit ("458.51" read for "4458.51"),
    gets that amount repaired, as a hinted one is (``_repair_ocr_digits``: unsure, never approved
    unseen), whether or not a hint read it. Before, such a scan failed the totals check, and the
    person who approved it over that check reset the vendor's trust ladder although every key
    field was right."""
    if extraction.source != "ocr" or not _sum_broken(extraction):
        return extraction  # nothing to repair: no copy of the layout on the worker's path
    out = extraction.model_copy(deep=True)
    _repair_ocr_digits(out, ("subtotal", "tax", "total"))
    return out


def repaired_fields(extraction: Extraction) -> list[str]:
    """The amounts repaired from OCR digit confusions (``ocr-digit-repaired``), and
    ``line_items`` when a scanned row's amount could not be checked against its quantity and
    unit price (``ocr-row-unverified``). Money read by inference, however likely, is confirmed
    by a person: such an invoice never goes straight through (the worker's gate in
    ``core.workflow.processing``)."""
    out = []
    for name in ("subtotal", "tax", "total"):
        evidence = extraction.field(name).evidence
        if evidence is not None and REPAIR_SIGNAL in evidence.signals:
            out.append(name)
    # A scanned row read by its amount alone, its quantity x unit price unchecked (see
    # core.extraction.line_items._amount_only_rows): the same rule, a person confirms it.
    if any(
        li.evidence is not None and ROW_UNVERIFIED in li.evidence.signals
        for li in extraction.line_items
    ):
        out.append("line_items")
    return out


def hinted_fields(extraction: dict[str, Any] | None) -> dict[str, str]:
    """Fields of a stored extraction (JSON) that a hint set, with the hint's id."""
    out: dict[str, str] = {}
    for name in HINT_FIELDS:
        evidence = ((extraction or {}).get(name) or {}).get("evidence") or {}
        for signal in evidence.get("signals") or ():
            if str(signal).startswith(f"{HINT_SIGNAL}:"):
                out[name] = str(signal).split(":", 1)[1]
    return out
