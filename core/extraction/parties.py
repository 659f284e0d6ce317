"""Vendor and customer: names, VAT ids and IBAN, from blocks, labels, fonts and legal forms.

Rules, strongest first: a name under an explicit party label ("Seller", "Rechnungsempfänger",
"Facturé à"...) or on its "Name:" line; the sender line above the address window ("ACME GmbH ·
Street 1 · 12345 City"); for the vendor, the largest text at the top of page one and lines that
carry a legal form. VAT ids and IBANs are found by pattern and checksum and assigned to the
party whose block they sit in.
"""

from __future__ import annotations

import re

from core.extraction.blocks import POSTCODE_LINE, SALUTATIONS, address_name, text_blocks
from core.extraction.header_fields import Candidate, Context
from core.extraction.labels import (
    LabelHit,
    Segment,
    below,
    fold,
    is_label_text,
    right_of,
    tokens,
)
from core.extraction.layout import join_words

LEGAL_FORMS = re.compile(
    r"(?<![\w])(?:(?i:gmbh|mbh|sarl|s\.a\.r\.l\.|sasu|eurl|ltd|limited|llc|llp|plc|inc|corp|"
    r"corporation|company|s\.p\.a\.|s\.r\.l\.|b\.v\.|n\.v\.|aps|a/s|verein|e\.\s?k\.|a\.g\.)|"
    r"AG|KG|OHG|GbR|UG|SE|SA|SAS|SCI|SL|BV|NV|Oy|AB|AS|Co\.)(?![\w])"
)
SENDER_SEPARATORS = re.compile(r"\s*(?:[●•·|∙◦▪]|\s-\s|,\s)\s*")
_NOT_NAMES = re.compile(
    r"(?i)^(?:name|nummer|number|no|nr|globale nummer|gln|tel|phone|fax|e-?mail|www|http|iban|"
    r"bic|ust|vat|tva|siret|adresse|address|anschrift|page|seite|datum|date)\b"
)
_TITLE_WORDS = frozenset(
    [
        "tax",
        "invoice",
        "rechnung",
        "facture",
        "receipt",
        "credit",
        "note",
        "proforma",
        "pro",
        "forma",
        "commercial",
        "original",
        "copy",
        "duplicate",
        "steuer",
        "quittung",
        "avoir",
        "gutschrift",
        "an",
        "to",
        "a",
        "sku",
        "pos",
        "item",
        "qty",
    ]
)
_TITLES = (
    "rechnung",
    "invoice",
    "facture",
    "gutschrift",
    "avoir",
    "credit note",
    "receipt",
    "quittung",
)


def _clean_name(text: str) -> str | None:
    text = text.strip(" :,-–")
    if len(text) < 2 or not re.search(r"[A-Za-zÀ-ÿ]", text) or _NOT_NAMES.match(text):
        return None
    if (
        re.match(r"^(?:\d{4,5}\s|\+\d|\(\d)", text)
        or "@" in text
        or text.lower().startswith(("www", "http"))
    ):
        return None  # a postcode line, an e-mail or a web address
    if fold(text).strip(". ") in _TITLES or set(tokens(text)) <= _TITLE_WORDS:
        return None
    if is_label_text(text):
        return None  # "Rechnungsnummer", "Art.-Nr.", "SKU": a column or field label
    return text


def _block_name(ctx: Context, hit: LabelHit) -> Candidate | None:
    """The party name in the block that a party label opens."""
    lines = ctx.pages[hit.segment.page - 1]
    rest = join_words(hit.rest).strip(" :")
    if rest:
        # "Customer: 4711" is a customer number, not the heading of an address block.
        name = _clean_name(rest)
        if name and hit.rest and hit.segment is lines[hit.segment.line][-1]:
            name = _continued_caps(lines, hit.segment, name)
        return Candidate(name, 0.9, hit.segment.page, rest) if name else None
    block = below(lines, hit.segment, max_lines=7, max_gap=9)
    for seg in block:  # an explicit "Name:" line in the block wins
        toks = tokens(seg.text)
        if toks[:1] == ["name"] or toks[:1] == ["nom"] or toks[:2] == ["raison", "sociale"]:
            inline = join_words(seg.words[1:]).strip(" :")
            if inline and (name := _clean_name(inline)):
                return Candidate(name, 0.95, seg.page, seg.text, anchor=seg)
            after = right_of(lines, seg)
            if after and (name := _clean_name(after[0].text)):
                name = _value_above(lines, after[0]) + name
                return Candidate(name, 0.95, seg.page, after[0].text, anchor=after[0])
    for i, seg in enumerate(block):
        if re.search(r":\s*\S", seg.text) or re.fullmatch(r"[\d\s./-]+", seg.text):
            continue
        if name := _clean_name(seg.text):
            nxt = block[i + 1] if i + 1 < len(block) else None
            if nxt is not None and _continues(seg, nxt, name):
                name = f"{name} {nxt.text.strip()}"
            return Candidate(
                name, 0.85, seg.page, seg.text, anchor=nxt if nxt and nxt.text in name else seg
            )
    right = right_of(lines, hit.segment)
    if right and (name := _clean_name(right[0].text)):
        return Candidate(name, 0.6, hit.segment.page, right[0].text)
    return None


def _continued_caps(lines: list[list[Segment]], seg: Segment, name: str) -> str:
    """'LA PAMPA ... DE SEGUROS' + 'GENERALES' on the next line: a capitalised name that
    wrapped at the end of its line continues on a short capitalised line of its own."""
    if seg.line + 1 >= len(lines) or not name.isupper():
        return name
    nxt = lines[seg.line + 1]
    if len(nxt) != 1:
        return name
    text = nxt[0].text.strip()
    gap = nxt[0].y0 - seg.y1
    if (
        text.isupper()
        and len(text.split()) <= 3
        and not re.search(r"[\d:]", text)
        and gap < 0.8 * (seg.y1 - seg.y0)
        and _clean_name(text) is not None
    ):
        return f"{name} {text}"
    return name


def _continues(seg: Segment, nxt: Segment, name: str) -> bool:
    """Whether the next line completes a name: after a salutation, or up to a legal form."""
    aligned = abs(nxt.x0 - seg.x0) < 3 and nxt.line == seg.line + 1
    if not aligned or re.search(r"\d", nxt.text) or _clean_name(nxt.text) is None:
        return False
    if fold(name).strip(".") in SALUTATIONS:
        return True
    return not LEGAL_FORMS.search(name) and bool(LEGAL_FORMS.search(nxt.text))


def _value_above(lines: list[list[Segment]], value: Segment) -> str:
    """The first line of a two-line value printed above its label's line ("Herrn" / "Name: ...")."""
    if value.line == 0:
        return ""
    above = lines[value.line - 1]
    if len(above) != 1 or abs(above[0].x0 - value.x0) > 3:
        return ""  # a label column entry above: another field's line
    if value.y0 - above[0].y1 > 0.8 * (value.y1 - value.y0):
        return ""
    text = above[0].text.strip()
    return f"{text} " if _clean_name(text) and not re.search(r"\d|:", text) else ""


def party_names(ctx: Context, hits: list[LabelHit]) -> dict[str, list[Candidate]]:
    """Candidates for ``vendor`` and ``customer`` names."""
    out: dict[str, list[Candidate]] = {"vendor": [], "customer": []}
    for hit in hits:
        if hit.field in out and hit.segment.page <= 2:
            cand = _block_name(ctx, hit)
            if cand is not None:
                cand.score -= hit.segment.y0 / 100000 + (hit.segment.page - 1) * 0.1
                out[hit.field].append(cand)
    first = ctx.pages[0] if ctx.pages else []
    sender = _sender_line(first)
    if sender is not None:
        out["vendor"].append(sender)
        customer = _window_recipient(first, sender)
        if customer is not None:
            out["customer"].append(customer)
    out["vendor"].extend(_prominent_names(first))
    top = _first_name_line(first)
    if top is not None:
        out["vendor"].append(top)
    for key in out:
        out[key].sort(key=lambda c: c.score, reverse=True)
    return out


def _sender_line(lines: list[list[Segment]]) -> Candidate | None:
    """'ACME GmbH · Street 1 · 12345 City' above the address window: its first part."""
    for segs in lines[:25]:
        for seg in segs:
            parts = [p for p in SENDER_SEPARATORS.split(seg.text) if p]
            if len(parts) >= 3 and any(POSTCODE_LINE.search(p) for p in parts[1:]):
                name = _clean_name(parts[0])
                if name and not re.search(r"\d", name):
                    cand = Candidate(name, 0.8, seg.page, seg.text, None, "sender", anchor=seg)
                    cand.bbox = (seg.x0, seg.y0, seg.x1, seg.y1)
                    return cand
    return None


def _window_recipient(lines: list[list[Segment]], sender: Candidate) -> Candidate | None:
    """The first line below the sender line in its column: the addressee."""
    assert sender.bbox is not None
    x0, _, x1, y1 = sender.bbox
    for segs in lines:
        for seg in segs:
            if seg.y0 > y1 and seg.x0 < x1 and seg.x1 > x0 and -60 < seg.x0 - x0 < 40:
                if seg.y0 - y1 > 80:
                    return None
                name = _clean_name(seg.text)
                if name:
                    return Candidate(name, 0.75, seg.page, seg.text, None, "window")
    return None


def _first_name_line(lines: list[list[Segment]]) -> Candidate | None:
    """The first plausible name at the top of page one: receipts print the shop there."""
    for segs in lines[:6]:
        for seg in segs:
            name = _clean_name(seg.text)
            if name and not re.search(r"\d{3}", name) and len(name) <= 60:
                return Candidate(name, 0.3, seg.page, seg.text, anchor=seg)
    return None


def _prominent_names(lines: list[list[Segment]]) -> list[Candidate]:
    """Large text near the top of page one and lines with a legal form."""
    segs = [s for line in lines for s in line]
    if not segs:
        return []
    sizes = sorted(max(w.size for w in s.words) for s in segs)
    median = sizes[len(sizes) // 2]
    out = []
    for seg in segs:
        name = _clean_name(seg.text)
        if not name or len(name) > 60:
            continue
        size = max(w.size for w in seg.words)
        has_form = bool(LEGAL_FORMS.search(name))
        top = seg.y0 < 200
        if size >= median * 1.3 and top and not re.search(r"\d", name):
            out.append(
                Candidate(name, 0.55 + (0.1 if has_form else 0), seg.page, seg.text, anchor=seg)
            )
        elif has_form:
            name = _with_first_line(lines, seg, name)
            out.append(Candidate(name, 0.4 - seg.y0 / 10000, seg.page, seg.text, anchor=seg))
    return out


def _with_first_line(lines: list[list[Segment]], seg: Segment, name: str) -> str:
    """'MVM Musterhafter' + 'Versicherungsverein a.G.': a name whose legal form wrapped."""
    if seg.line == 0:
        return name
    above = next((s for s in lines[seg.line - 1] if abs(s.x0 - seg.x0) < 3), None)
    if above is None or seg.y0 - above.y1 > 0.8 * (seg.y1 - seg.y0):
        return name
    text = above.text.strip()
    if re.search(r"\d", text) or LEGAL_FORMS.search(text) or _clean_name(text) is None:
        return name
    if above.line > 0 and any(
        abs(s.x0 - above.x0) < 3 and above.y0 - s.y1 < 0.8 * (above.y1 - above.y0)
        for s in lines[above.line - 1]
    ):
        return name  # the line above is itself inside a block: not the start of a name
    return f"{text} {name}"


def window_customers(lines: list[list[Segment]], vendor: str | None) -> list[Candidate]:
    """Addressees of address blocks in the upper half of page one, other than the vendor."""
    out = []
    for block in text_blocks(lines):
        found = address_name(block)
        if found is None:
            continue
        name, seg = found
        if vendor and fold(name) == fold(vendor):
            continue
        if seg.y0 > 450 or _clean_name(name) is None:
            continue
        out.append(Candidate(name, 0.5 - seg.y0 / 10000, seg.page, seg.text, anchor=seg))
    return out


_ADDRESS_LABEL = re.compile(r"(?i)^(?:anschrift|adresse|address|addr\.?)\s*:\s*")


def vendor_address(ctx: Context, name: Candidate) -> str | None:
    """The street and city lines under the vendor's name, up to the postcode line."""
    seg = name.anchor
    if seg is None:
        return None
    if name.label == "sender":  # "ACME GmbH · Street 1 · 12345 City · Country"
        parts = [p for p in SENDER_SEPARATORS.split(seg.text) if p]
        for i, part in enumerate(parts[1:], start=1):
            if POSTCODE_LINE.search(part):
                return ", ".join(parts[1 : i + 1])
        return None
    lines = ctx.pages[seg.page - 1]
    found: list[str] = []
    prev = seg
    for li in range(seg.line + 1, min(len(lines), seg.line + 6)):
        # Left-aligned blocks share x0; right-aligned letterheads share x1.
        below_seg = next(
            (s for s in lines[li] if abs(s.x0 - seg.x0) < 4 or abs(s.x1 - seg.x1) < 4), None
        )
        if below_seg is None or below_seg.y0 - prev.y1 > 1.8 * (prev.y1 - prev.y0):
            break
        text = _ADDRESS_LABEL.sub("", below_seg.text).strip()
        if not text or "@" in text or re.match(r"(?i)(tel|fax|phone|www|http|ust|vat|tva)", text):
            break
        found.append(text)
        prev = below_seg
        if POSTCODE_LINE.search(text):
            return ", ".join(found)
    return None
