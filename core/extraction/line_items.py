"""Line items without templates: rows are found by arithmetic, columns by header words.

A row is a line (or a line plus the next one, for wrapped rows) holding three numbers with
quantity x unit price = amount, allowing a percentage discount printed on the row. When a table
header is found above the rows, the description is read from the description column; otherwise
it is the text left of the numbers without the leading position number and article code.
Tables continue across pages; totals lines end nothing but are never rows.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.extraction.header_fields import AMOUNTS, ROLE_AMOUNTS, Context
from core.extraction.labels import LabelHit, Segment, fold, tokens
from core.extraction.layout import Word, join_words
from core.extraction.parsing import find_dates, parse_amount
from core.extraction.schema import Evidence, LineItem

# Units of measure printed in their own column: never a description.
UNITS = frozenset(
    {"stk", "stk.", "stuck", "st.", "pcs", "pc", "pce", "ea", "each", "std", "std.", "hrs", "hours",
     "tag", "tage", "day", "days", "monat", "month", "months", "kg", "km", "m2", "m3", "liter",
     "litre", "karton", "box", "pkt", "psch", "pauschal", "jour", "jours", "mois", "heure",
     "heures", "lot", "set", "unit", "units", "unit(s)", "piece", "pieces", "pce(s)", "kiste"}
)  # fmt: skip
_NUM_WORD = re.compile(r"^[-−(]?\d[\d.,'’ ]*\)?-?$")


@dataclass
class _Num:
    value: Decimal
    word: Word
    decimals: int


_HEAD = re.compile(r"^[-−(]?\d{1,3}$")
_GROUP = re.compile(r"^\d{3}(?:[.,]\d+)?\)?-?$")


def _merge_groups(
    words: list[Word], choose: frozenset[int] | None = None, gap: float = 0.45
) -> list[Word]:
    """Join '14' + '708,64' into '14 708,64' when a plain space groups thousands.

    ``choose``: merge exactly at these word indexes (each the group's index in ``words``) when
    they may be merged, ``gap`` (in word heights) apart at most; None: wherever they may."""
    out: list[Word] = []
    for i, w in enumerate(words):
        prev = out[-1] if out else None
        if (
            prev is not None
            and (choose is None or i in choose)
            and _HEAD.match(prev.text.replace(" ", "")[-4:] if " " in prev.text else prev.text)
            and _GROUP.match(w.text)
            and w.x0 - prev.x1 < gap * max(w.height, 1.0)
            and not re.search(r"[.,]\d+$", prev.text)
        ):
            out[-1] = Word(
                f"{prev.text} {w.text}", prev.x0, prev.y0, w.x1, max(prev.y1, w.y1), prev.size
            )
            continue
        out.append(w)
    return out


_LOOSE_GAP = 0.9  # a thousands space may print wider than a word space, never a column gap
_MAX_CHOICES = 4


def _regrouped_triple(
    words: list[Word], decimal_sep: str | None
) -> tuple[list[Word], tuple[_Num, _Num, _Num]] | None:
    """The row's quantity x price = amount when only another grouping of thousands shows it.

    A space groups thousands ("1 015,76") but also separates columns ("8 126,97" is a quantity
    and a price side by side): the default grouping may glue a quantity to a price, or miss a
    wide thousands space. Each other choice of the places that could be a thousands space is
    tried, most groups first; only a choice whose numbers multiply out (quantity x unit price =
    amount, to the cent) is taken, so a wrong grouping cannot make a line item."""
    places = [
        i
        for i in range(1, len(words))
        if len(_merge_groups(words[i - 1 : i + 1], None, _LOOSE_GAP)) == 1
    ]
    if not places or len(places) > _MAX_CHOICES:
        return None
    choices = [
        frozenset(c) for n in range(len(places), -1, -1) for c in itertools.combinations(places, n)
    ]
    for choice in choices:
        merged = _merge_groups(words, choice, _LOOSE_GAP)
        nums, rate = _numbers(merged, decimal_sep)
        found = _triple(nums, rate) if len(nums) >= 3 else None
        if found is not None:
            return merged, found
    return None


# OCR glues a tax rate to the amount beside it ("19%241,88"): two words.
_GLUED_RATE = re.compile(r"^(\d{1,2}(?:[.,]\d{1,2})?%)(\d[\d.,']*\d)$")
# ... and a unit price to its line amount ("814.3720,359.25"): two amounts with two decimals
# each, the same decimal mark twice (a single amount has one: "1.234,56" stays whole).
_GLUED_AMOUNTS = (
    re.compile(r"^(\d[\d,']*\.\d{2})(\d[\d,']*\.\d{2})$"),
    re.compile(r"^(\d[\d.']*,\d{2})(\d[\d.']*,\d{2})$"),
)


def _split_thousands(words: list[Word], nums: list[_Num], found: tuple[_Num, _Num, _Num]) -> bool:
    """Whether the row's price or amount stands right of a number the triple left out that may
    be its thousands ("12  1 047,03  12 564,36" read as 12 x 47,03 = 564,36, which multiplies
    out too): then the other groupings are tried, and the larger amount that multiplies out
    wins."""
    left_out = {id(n.word) for n in nums if n not in found and _HEAD.match(n.word.text)}
    for n in found[1:]:
        i = next((k for k, w in enumerate(words) if w is n.word), 0)
        if i and id(words[i - 1]) in left_out and _GROUP.match(n.word.text):
            return True
    return False


def _split_glued(words: list[Word]) -> list[Word]:
    out: list[Word] = []
    for w in words:
        m = _GLUED_RATE.match(w.text) or next(
            (g for r in _GLUED_AMOUNTS if (g := r.match(w.text))), None
        )
        if m is None:
            out.append(w)
            continue
        cut = w.x0 + (w.x1 - w.x0) * len(m.group(1)) / len(w.text)
        out.append(Word(m.group(1), w.x0, w.y0, cut, w.y1, w.size))
        out.append(Word(m.group(2), cut, w.y0, w.x1, w.y1, w.size))
    return out


def _numbers(words: list[Word], decimal_sep: str | None) -> tuple[list[_Num], Decimal | None]:
    nums: list[_Num] = []
    rate = None
    for i, w in enumerate(words):
        # OCR noise around numbers: a glued currency or a trailing full stop ("21,57.").
        text = re.sub(r"(?:[A-Z]{3}|[€$£])$", "", w.text.strip("€$£")).rstrip(".")
        text = re.sub(r"^(?:RM|Rs\.?|Rp\.?|[RS]\$|TL|zł|Kč)(?=\d)", "", text)
        nxt = words[i + 1].text if i + 1 < len(words) else ""
        if text.endswith("%") or nxt.startswith("%"):
            found = parse_amount(text.rstrip("%"), decimal_sep)
            # a tax rate is a percentage: "19241,88%" is OCR gluing a rate to an amount
            rate = found if found is not None and 0 <= found <= 100 else rate
            continue
        if not _NUM_WORD.match(text) or find_dates(text):
            continue
        value = parse_amount(text, decimal_sep)
        if value is None or len(text.replace(".", "").replace(",", "")) > 10:
            continue  # GTINs and account numbers are not quantities
        m = re.search(r"[.,](\d+)\)?-?$", text)
        nums.append(_Num(value, w, len(m.group(1)) if m else 0))
    return nums, rate


def _triple(nums: list[_Num], rate: Decimal | None) -> tuple[_Num, _Num, _Num] | None:
    best = None
    best_key: tuple[int, float, tuple[int, int, int]] | None = None
    for q, p, a in itertools.permutations(nums[-6:], 3):
        if a.value == 0 and p.value != 0:
            continue
        if a.decimals != 2 or (a.value == 0 and p.decimals < 2):
            continue  # phone numbers and codes multiply by chance; amounts have cents
        product = q.value * p.value
        tolerance = max(Decimal("0.011"), abs(a.value) * Decimal("0.0005"))
        ok = abs(product - a.value) <= tolerance
        if not ok and rate:
            ok = abs(product * (1 - rate / 100) - a.value) <= tolerance
        if not ok:
            continue
        # Prices are written with more decimals than quantities; then integers are quantities;
        # then the left column is the quantity.
        q_pref = (
            p.decimals - q.decimals,
            int(q.value % 1 == 0) - int(p.value % 1 == 0),
            int(q.word.x0 < p.word.x0),
        )
        key = (int(a.decimals == 2), a.word.x0, q_pref)
        if best_key is None or key > best_key:
            best, best_key = (q, p, a), key
    return best


def _runs(words: list[Word], used: set[int], stop_x: float) -> list[list[Word]]:
    """Runs of text words left of ``stop_x``, split at used numbers, rates and column gaps."""
    runs: list[list[Word]] = [[]]
    prev: Word | None = None
    for w in words:
        if w.x0 >= stop_x:
            break
        gap = prev is not None and w.x0 - prev.x1 > max(prev.height, w.height) * 1.5
        if id(w) in used or w.text.endswith("%") or w.text in ("%", "€", "$", "£") or gap:
            runs.append([])
        if id(w) not in used and not w.text.endswith("%") and w.text not in ("%", "€", "$", "£"):
            runs[-1].append(w)
        prev = w
    return [r for r in runs if r]


def _is_text(run: list[Word]) -> bool:
    """A run that reads as a description: not a code, a number or a unit of measure."""
    if not run:
        return False
    if len(run) == 1 and (
        _CODE.fullmatch(run[0].text) or len(run[0].text) <= 3 or fold(run[0].text) in UNITS
    ):
        return False
    return any(sum(c.isalpha() for c in w.text) >= 3 for w in run)


def _description(words: list[Word], used: set[int], amount: _Num) -> list[Word]:
    """The longest text run of a row, without a leading article code."""
    runs = [r for r in _runs(words, used, amount.word.x0) if _is_text(r)]
    if not runs:
        return []
    best = max(runs, key=lambda r: sum(len(w.text) for w in r))
    while len(best) > 1 and (_CODE.fullmatch(best[0].text) or best[0].text.isdigit()):
        best = best[1:]  # position number or article code before the description
    return best


def _continuation(line: list[Word], x0: float) -> list[Word] | None:
    """A following text-only line that starts under the description: its second line."""
    if not line or abs(line[0].x0 - x0) > 3 or any(_NUM_WORD.match(w.text) for w in line):
        return None
    if any(w.text.endswith(":") for w in line):
        return None  # "GTIN: ...", "Verpackung: ..." are attributes, not description
    return line if _is_text(line) else None


def _next_line_description(words: list[Word], decimal_sep: str | None) -> list[Word]:
    """A row whose text sits on the line below its numbers (code column first)."""
    if not words or any(w.text.endswith(":") for w in words):
        return []
    nums, rate = _numbers(_merge_groups(words), decimal_sep)
    if len(nums) >= 3 and _triple(nums, rate) is not None:
        return []  # that line is the next row
    while len(words) > 1 and _CODE.fullmatch(words[0].text):
        words = words[1:]
    return words if _is_text(words) else []


_CODE = re.compile(r"[A-Z0-9][A-Z0-9\-/_.]*\d[A-Z0-9\-/_.]*\.?")


def extract_line_items(
    ctx: Context,
    hits: list[LabelHit],
    skip: set[tuple[int, int]] | None = None,
    *,
    ocr: bool = False,
    references: Sequence[Decimal] = (),
) -> list[LineItem]:
    """All line items of the document, in reading order across pages; ``skip`` holds
    (page, line) keys that are no items (a tax table's rows).

    ``ocr``: the words come from OCR; rows whose quantity or unit price the OCR lost are then
    read by their amount when the table's amounts add up to one of ``references`` (the printed
    line total or net amount), see ``_amount_only_rows``."""
    totals_lines = {
        (h.segment.page, h.segment.line)
        for h in hits
        if h.field in AMOUNTS or h.field in ROLE_AMOUNTS
    } | (skip or set())
    items: list[LineItem] = []
    keys: list[tuple[int, int]] = []  # (page, line) of each item's numbers
    taken: set[tuple[int, int]] = set()  # lines a row's numbers or description used
    for page_index, lines in enumerate(ctx.pages):
        page_no = page_index + 1
        skip_next = False
        for li, segs in enumerate(lines):
            if skip_next:
                skip_next = False
                continue
            if (page_no, li) in totals_lines or not segs:
                continue
            raw = _split_glued([w for s in segs for w in s.words])
            words = _merge_groups(raw)
            nums, rate = _numbers(words, ctx.decimal_sep)
            found = _triple(nums, rate) if len(nums) >= 3 else None
            if found is None and len(nums) >= 2:
                regrouped = _regrouped_triple(raw, ctx.decimal_sep)
                if regrouped is not None:
                    words, found = regrouped
            elif found is not None and _split_thousands(words, nums, found):
                regrouped = _regrouped_triple(raw, ctx.decimal_sep)
                if regrouped is not None and regrouped[1][2].value > found[2].value:
                    words, found = regrouped
            if found is None and len(nums) >= 2 and li + 1 < len(lines):
                nxt = _merge_groups(_split_glued([w for s in lines[li + 1] for w in s.words]))
                more, rate2 = _numbers(nxt, ctx.decimal_sep)
                if (page_no, li + 1) not in totals_lines and more:
                    found = _triple(nums + more, rate or rate2)
                    if found is not None and all(n in more for n in found):
                        found = None  # the next line is a row by itself: read it on its turn
                    skip_next = found is not None and any(n in more for n in found)
            if found is None:
                continue
            q, p, a = found
            used = {id(n.word) for n in (q, p, a)}
            desc = _description(words, used, a)
            after = li + (2 if skip_next else 1)
            nxt_words = [w for s in lines[after] for w in s.words] if after < len(lines) else []
            if not desc and (page_no, after) not in totals_lines:
                desc = _next_line_description(nxt_words, ctx.decimal_sep)
            elif desc and (page_no, after) not in totals_lines:
                desc = desc + (_continuation(nxt_words, desc[0].x0) or [])
            items.append(
                LineItem(
                    description=join_words(desc) or None,
                    quantity=q.value,
                    unit_price=p.value,
                    amount=a.value,
                    tax_rate=rate,
                    confidence=0.8 if a.decimals == 2 else 0.6,
                    evidence=Evidence(page=page_no, text=join_words(words)[:200]),
                )
            )
            keys.append((page_no, li))
            taken.update({(page_no, li), (page_no, li + 1)} if skip_next else {(page_no, li)})
    if ocr and references:
        extra = _amount_only_rows(ctx, totals_lines, taken, keys, items, references)
        if extra:
            merged = sorted([*zip(keys, items, strict=True), *extra], key=lambda pair: pair[0])
            items = [item for _, item in merged]
    return items


# A line item whose amount was read but whose quantity x unit price could not be checked (the
# OCR lost a number of the row): below this confidence, and with ROW_UNVERIFIED among its
# evidence signals, it is shown as unsure and its invoice is never approved unseen (the
# worker's gate, ``core.extraction.hints.repaired_fields``).
LINE_TRUST = 0.5
ROW_UNVERIFIED = "ocr-row-unverified"
ROW_BY_AMOUNT = "ocr-row-by-amount"  # a row read by its amount, the table's sum agreeing
CENT = Decimal("0.01")


def _amount_only_rows(
    ctx: Context,
    totals_lines: set[tuple[int, int]],
    taken: set[tuple[int, int]],
    keys: list[tuple[int, int]],
    items: list[LineItem],
    references: Sequence[Decimal],
) -> list[tuple[tuple[int, int], LineItem]]:
    """Rows of a scanned table whose quantity or unit price the OCR lost, read by their amount.

    A scan's text detector misses short isolated words (a quantity "1" or "5" in its own
    column, a price next to a shaded header band) far more often than the long amount of the
    same row, so rows that do not multiply out (``_triple``) are not read at all and the lines
    no longer add up to the invoice's net. Here a line of the table (below its first row or its
    column header, above the totals) that ends with an amount (two decimals) and holds a
    description is a row read by that amount, but only when all rows together then add up to
    a printed reference (the line total or the net amount) to the cent: the table's own
    arithmetic decides, nothing is made up (quantity and unit price stay unread).

    Such a row is trusted (``ROW_BY_AMOUNT``) only when the other number it holds is a unit
    price that divides the amount into a quantity (two decimals at most); a row whose numbers
    do not fit together (a misread, or a real arithmetic error of the invoice) or that shows
    no price at all stays unverified (``ROW_UNVERIFIED``, low confidence): a person looks."""
    have = sum((i.amount for i in items if i.amount is not None), Decimal(0))
    found: list[tuple[tuple[int, int], LineItem]] = []
    used: set[tuple[int, int]] = set()  # lines whose text another line's numbers took
    for page_index, lines in enumerate(ctx.pages):
        page_no = page_index + 1
        start = _table_start(lines, page_no, keys)
        if start is None:
            continue
        for li in range(start + 1, len(lines)):
            if (page_no, li) in totals_lines:
                break  # the totals block closes the table
            if (page_no, li) in taken or (page_no, li) in used or not lines[li]:
                continue
            words = _merge_groups(_split_glued([w for seg in lines[li] for w in seg.words]))
            nums, rate = _numbers(words, ctx.decimal_sep)
            if not nums or nums[-1].decimals != 2 or nums[-1].word is not _last_number(words):
                continue
            amount = nums[-1]
            desc = _description(words, {id(amount.word)}, amount)
            others = [n for n in nums[:-1] if desc and n.word.x0 > desc[-1].x1]
            if not desc:
                # A skewed scan puts a row's numbers on a line of their own, its text just above
                # or below (a line of text alone, not used by another row).
                for near in (li + 1, li - 1):
                    if near <= start or near >= len(lines) or (page_no, near) in totals_lines:
                        continue
                    if (page_no, near) in taken or (page_no, near) in used:
                        continue
                    text = [w for seg in lines[near] for w in seg.words]
                    if any(_NUM_WORD.match(w.text) for w in text):
                        continue
                    desc = _next_line_description(text, ctx.decimal_sep)
                    while len(desc) > 1 and not any(c.isalnum() for c in desc[0].text):
                        desc = desc[1:]  # a speck read as a word
                    if desc:
                        used.add((page_no, near))
                        others = nums[:-1]
                        break
            if not desc:
                continue
            trusted = (
                len(others) == 1
                and others[0].decimals == 2
                and others[0].value > 0
                and (amount.value / others[0].value).quantize(CENT) * others[0].value
                == amount.value
            )
            signal = ROW_BY_AMOUNT if trusted else ROW_UNVERIFIED
            found.append(
                (
                    (page_no, li),
                    LineItem(
                        description=join_words(desc),
                        amount=amount.value,
                        tax_rate=rate,
                        confidence=0.6 if trusted else 0.4,
                        evidence=Evidence(
                            page=page_no, text=join_words(words)[:200], signals=(signal,)
                        ),
                    ),
                )
            )
        if found:
            break  # one table: the first page that has its missing rows
    total = have + sum((item.amount or Decimal(0) for _, item in found), Decimal(0))
    if not found or not any(abs(total - ref) < CENT for ref in references):
        return []
    return found


def _last_number(words: list[Word]) -> Word | None:
    """The right-most word of a line that holds a digit (a currency sign after it is no number)."""
    for w in reversed(words):
        if any(c.isdigit() for c in w.text):
            return w
    return None


_HEADER_WORDS = frozenset(
    {"pos", "position", "art", "artnr", "article", "sku", "item", "code", "ref", "description",
     "bezeichnung", "beschreibung", "designation", "libelle", "leistung", "artikel", "qty",
     "quantity", "menge", "anz", "anzahl", "qte", "quantite", "unit", "einheit", "unite",
     "price", "preis", "einzelpreis", "prix", "rate", "amount", "betrag", "gesamt",
     "gesamtpreis", "montant", "total", "line", "cantidad", "descripcion", "importe", "precio",
     "quantita", "descrizione", "importo", "prezzo", "hoeveelheid", "omschrijving", "prijs",
     "bedrag", "ilosc", "nazwa", "cena", "wartosc", "quantidade", "descricao", "valor", "preco"}
)  # fmt: skip


def _table_start(
    lines: list[list[Segment]], page_no: int, keys: list[tuple[int, int]]
) -> int | None:
    """The line index of the table's column header (two column words and no amount), else of
    its first row read; None: no table on this page."""
    first_row = min((li for p, li in keys if p == page_no), default=None)
    end = first_row if first_row is not None else len(lines)
    for li in range(end):
        words = [w for seg in lines[li] for w in seg.words]
        heads = {t for w in words for t in tokens(w.text)} & _HEADER_WORDS
        if len(heads) >= 2 and not any(re.search(r"\d[.,]\d\d\b", w.text) for w in words):
            return li
    return first_row
