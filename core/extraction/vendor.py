"""The vendor's name as a scored choice among candidate lines, with the signals that decided it.

Candidates are the names under seller labels, the sender line, and the lines of the top and the
foot of the document; each earns points for what invoices and receipts do with a seller's name
(it heads the page, carries a legal form of its country, stands next to the seller's tax id,
agrees with the e-mail/web domain, is printed large, matches the client's vendor master) and
loses them for what a seller's name is not (a title or label, an address, a phone or web line,
the customer's block). The winning signals are named in the evidence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from core.extraction.blocks import POSTCODE_LINE
from core.extraction.header_fields import Candidate, Context
from core.extraction.label_lexicon import all_languages
from core.extraction.labels import LabelHit, Segment, fold, is_label_text, tokens
from core.extraction.language_packs import canonical_forms, languages, legal_form_regex

# Mail and hosting domains that say nothing about who sent the document.
GENERIC_DOMAINS = frozenset(
    {"gmail", "googlemail", "hotmail", "outlook", "live", "yahoo", "gmx", "web", "t-online",
     "icloud", "me", "aol", "mail", "protonmail", "wp", "o2", "onet", "interia", "libero",
     "orange", "free", "wanadoo", "laposte", "sfr", "bluewin", "seznam", "yandex", "qq", "163",
     "uol", "bol", "terra", "ziggo", "kpn", "planet", "home", "msn", "example"}
)  # fmt: skip
_DOMAIN = re.compile(
    r"(?i)(?:@|www\.|https?://)([a-z0-9][a-z0-9-]{1,40})\.(?:[a-z]{2,6})(?:\.[a-z]{2})?"
)
_STREET = re.compile(
    r"(?i)^(?:ul\.?|ulica|calle|c/|avda\.?|av\.?|avenida|via|viale|piazza|rua|travessa|rue|"
    r"boulevard|bd|chemin|all[ée]e|jalan|jl\.?|p\.?o\.?\s?box|postfach|apartado|no\.?\s?\d)\b|"
    r"\b(?:stra(?:ss|ß)e|str\.|weg|laan|straat|plein|gracht|road|rd\.?|street|st\.|avenue|"
    r"ave\.?|blvd|lane|drive|dr\.|way|suite|floor|platz|allee|gasse|ring)\s*\d|"
    r"\b\d{1,5}\s*[a-zA-Z]?\s*$|^\d{1,5}\s+\w+"
)
_CONTACT = re.compile(r"(?i)(?:@|www\.|https?:|\btel\b|\bphone\b|\bfax\b|\bmail\b|\+\d{2})")
_SENTENCE = re.compile(r"(?i)\b(?:the|you|your|please|we|our|thank|bitte|sie|vous|nous|por|para)\b")


_DEBUG = False


@dataclass
class _Scored:
    name: str
    seg: Segment | None
    page: int
    text: str
    score: float = 0.0
    signals: list[str] = field(default_factory=list)

    def add(self, points: float, signal: str) -> None:
        self.score += points
        if points > 0:
            self.signals.append(signal)


class _Memo:
    """A big pattern's search/finditer answers kept per text for one document (the legal-form
    alternation runs over the same candidate names several times)."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self._found: dict[str, list[re.Match[str]]] = {}

    def finditer(self, text: str) -> list[re.Match[str]]:
        found = self._found.get(text)
        if found is None:
            found = self._found[text] = list(self.pattern.finditer(text))
        return found

    def search(self, text: str) -> re.Match[str] | None:
        found = self.finditer(text)
        return found[0] if found else None


@lru_cache(maxsize=1)
def _titles() -> frozenset[str]:
    return frozenset(t for pack in languages().values() for t in pack.titles)


def _clean(text: str) -> str | None:
    """The text as a possible name, or None for what can never be one."""
    text = re.sub(r"\s{2,}", " ", text).strip(" :,;-–*•·|")
    if len(text) < 2 or len(text) > 80 or not re.search(r"[^\W\d_]{2}", text):
        return None
    if len(text) < 3 and not text.isupper():
        return None
    if _CONTACT.search(text) or re.fullmatch(r"[\W\d_]+", text):
        return None
    folded = " ".join(tokens(text))
    if folded in _titles() or is_label_text(text):
        return None
    if re.match(r"(?i)^(?:nr|no|n[°º]|#)\s*\d", text):
        return None  # a receipt or register number line
    return text


def _customer_zone(ctx: Context, hits: list[LabelHit], customers: list[Candidate]) -> set[tuple]:
    """(page, line) keys of the customer's block: the lines a customer label heads, up to a
    line that carries another field's label or an amount (the block has ended)."""
    zone: set[tuple[int, int]] = set()
    field_lines = {
        (h.segment.page, h.segment.line)
        for h in hits
        if h.field not in ("customer", "vendor", "vat_id", "delivery")
    }
    for hit in hits:
        if hit.field != "customer":
            continue
        head = hit.segment
        zone.add((head.page, head.line))
        lines = ctx.pages[head.page - 1]
        height = max(head.y1 - head.y0, 1.0)
        last_y = head.y1
        depth = 3 if hit.rest else 6  # "Bill to: ACME" names the customer on its own line
        for li in range(head.line + 1, min(len(lines), head.line + 1 + depth)):
            inside = [s for s in lines[li] if s.x0 < head.x1 + 60 and s.x1 > head.x0 - 30]
            if not inside or inside[0].y0 - last_y > 2 * height:
                break
            if (head.page, li) in field_lines or any(_AMOUNT.search(s.text) for s in inside):
                break
            zone.add((head.page, li))
            last_y = inside[0].y1
    for cand in customers:
        if cand.anchor is not None:
            zone.add((cand.anchor.page, cand.anchor.line))
    return zone


_AMOUNT = re.compile(r"\d[.,]\d{2}(?!\d)")


def _domains(text: str) -> list[str]:
    found = []
    for m in _DOMAIN.finditer(text):
        name = m.group(1).lower()
        if name not in GENERIC_DOMAINS and name not in found and len(name) >= 3:
            found.append(name)
    return found


def _compact(text: str) -> str:
    return "".join(tokens(text))


def choose_vendor(
    ctx: Context,
    hits: list[LabelHit],
    named: list[Candidate],
    customers: list[Candidate],
    vendor_ids: list[Candidate],
    known_vendors: Sequence[str] | None = None,
    all_ids: list[Candidate] | None = None,
) -> Candidate | None:
    """The best vendor candidate, its evidence naming the signals that won."""
    if not ctx.pages or not ctx.pages[0]:
        return None
    country = ctx.locale.country if ctx.locale is not None else None
    home_forms, any_forms = legal_form_regex(country), _Memo(legal_form_regex(None))
    zone = _customer_zone(ctx, hits, customers)
    own = invoice_pages(ctx)
    text_own = "\n".join(s.text for p in own for segs in ctx.pages[p - 1] for s in segs)
    domains = _domains(text_own)
    first_text = "\n".join(s.text for segs in ctx.pages[0] for s in segs)
    pool: dict[str, _Scored] = {}

    def consider(text: str, seg: Segment | None, page: int, why: str, points: float) -> None:
        name = _clean(text)
        if name is None:
            return
        name = _trim_after_form(name, any_forms)
        if seg is not None and _only_form(name, any_forms):
            above = _line_above(ctx, seg)
            if above is None:
                return
            name = f"{above} {name}"
        key = _compact(name)
        if not key:
            return
        item = pool.get(key)
        if item is None:
            item = pool[key] = _Scored(name, seg, page, seg.text if seg else text)
        if why not in item.signals:
            item.add(points, why)

    # Names read under seller labels and from sender lines keep their rule's strength; names
    # whose legal form wrapped to a second line come whole from the party rules.
    for cand in named:
        why = {"sender": "sender-line"}.get(cand.label, "vendor-label" if cand.score >= 0.8 else "")
        if why:
            consider(cand.value, cand.anchor, cand.page, why, 0.6 if why == "vendor-label" else 0.5)
        elif cand.anchor is not None and len(cand.value) > len(cand.anchor.text.strip()) + 2:
            consider(cand.value, cand.anchor, cand.page, "name-over-two-lines", 0.33)
    first = ctx.pages[0]
    sizes = sorted(max(w.size for w in s.words) for segs in first for s in segs)
    median = sizes[len(sizes) // 2] if sizes else 0.0
    top_lines = [(li, segs) for li, segs in enumerate(first[:12])]
    for rank, (_li, segs) in enumerate(top_lines):
        for seg in segs:
            consider(seg.text, seg, 1, f"top-line-{rank + 1}", max(0.05, 0.3 - rank * 0.03))
    # A short name printed over two lines ("LINDEN" / "APOTHEKE").
    for rank in range(min(5, len(first) - 1)):
        a, b = first[rank], first[rank + 1]
        if len(a) == 1 and len(b) == 1 and _short_word_line(a[0]) and _short_word_line(b[0]):
            if min(len(a[0].text.strip()), len(b[0].text.strip())) < 3:
                continue
            joined = f"{a[0].text.strip()} {b[0].text.strip()}"
            consider(joined, a[0], 1, f"top-line-{rank + 1}", max(0.05, 0.3 - rank * 0.03))
    last = ctx.pages[-1]
    for page_no, lines in ((1, first), (len(ctx.pages), last)):
        for segs in lines[-6:]:
            for seg in segs:
                consider(seg.text, seg, page_no, "footer", 0.08)
                for part in re.split(r"\s*[,|·•]\s*|\s{3,}", seg.text):
                    if part != seg.text:
                        consider(part, seg, page_no, "footer", 0.08)
    # Lines with a legal form anywhere on the first two pages and the last one.
    for page_no, lines in enumerate(ctx.pages, start=1):
        if page_no > 2 and page_no != len(ctx.pages):
            continue
        for segs in lines:
            for seg in segs:
                if any_forms.search(seg.text):
                    consider(seg.text, seg, page_no, "legal-form-line", 0.05)
                    for part in re.split(r"\s*[,|·•]\s+|\s{3,}", seg.text):
                        if part != seg.text and any_forms.search(part):
                            consider(part, seg, page_no, "legal-form-line", 0.05)
    # "provided by ACME Ltd", "cheques payable to ...": the seller named in running text.
    intros = {p for pack in languages().values() for p in pack.vendor_intro}
    for lines in ctx.pages:
        for segs in lines:
            for seg in segs:
                folded = " ".join(tokens(seg.text))
                for phrase in intros:
                    idx = folded.find(phrase)
                    if idx >= 0:
                        words = seg.text.split()
                        skip = len(phrase.split())
                        rest = " ".join(words[skip + len(folded[:idx].split()) :])
                        consider(rest.strip(" :\"'“”"), seg, seg.page, "named-as-seller", 0.45)
    for rank, d in enumerate(domains[:3]):
        points = 0.2 - 0.05 * rank + (0.1 if d in first_text.lower() else 0.0)
        consider(d.replace("-", " ").title(), None, 1, "web-domain-name", points)
        for p in own:
            for segs in ctx.pages[p - 1]:
                for seg in segs:
                    key = _compact(seg.text)
                    if len(key) >= 4 and (key == d.replace("-", "") or key == d):
                        consider(seg.text, seg, p, "name-equals-domain", 0.3)

    id_lines = {(c.page, c.anchor.line if c.anchor else -99) for c in vendor_ids[:1]}
    vendor_id = vendor_ids[0].value if vendor_ids else None
    id_values: dict[tuple[int, int], list[str]] = {}
    for c in all_ids if all_ids is not None else vendor_ids:
        if c.anchor is not None:
            id_values.setdefault((c.page, c.anchor.line), []).append(str(c.value))
    known = [k for k in (known_vendors or []) if k and k.strip()]
    for item in pool.values():
        name = item.name
        anchor = item.seg
        form = any_forms.search(name)
        if form:
            local = country is not None and home_forms.search(name) is not None
            item.add(0.35 if local else 0.25, f"legal-form-{country}" if local else "legal-form")
        if anchor is not None and (anchor.page, anchor.line) in zone:
            item.add(-0.9, "customer-block")
        if _STREET.search(name) or POSTCODE_LINE.search(name):
            item.add(-0.6 if not form else -0.2, "address")
        if re.search(r"\d", name) and not form:
            item.add(-0.15 * min(3, len(re.findall(r"\d+", name))), "digits")
        if re.match(r"^[^:]{1,25}:\s*\S", name) or _has_field_label(name):
            item.add(-0.4, "label-value")
        if _sentence(name):
            item.add(-0.35, "sentence")
        if anchor is not None and not form and len(ctx.pages[anchor.page - 1][anchor.line]) >= 4:
            item.add(-0.3, "table-row")  # a line of four columns or more: a table's header or row
        if anchor is not None:
            size = max(w.size for w in anchor.words)
            if median and size >= 1.3 * median and anchor.page == 1:
                item.add(0.15, "large-print")
            if any(abs(anchor.line - ln) <= 2 and anchor.page == pg for pg, ln in id_lines):
                item.add(0.15, "next-to-tax-id")
            others = [v for v in id_values.get((anchor.page, anchor.line), []) if v != vendor_id]
            if others and vendor_id is not None:
                item.add(-0.5, "other-party-tax-id")
        key = _compact(name)
        if domains and any(
            d.replace("-", "") in key or (len(key) >= 4 and key in d) for d in domains
        ):
            item.add(0.25, "matches-domain")
        if known:
            from rapidfuzz import fuzz

            similarity = max(fuzz.token_set_ratio(fold(name), fold(k)) for k in known)
            if similarity >= 90:
                item.add(0.6, "vendor-master")
        if name.isupper() or name[:1].isupper():
            item.add(0.02, "capitalised")
    if not pool:
        return None
    if _DEBUG:
        for it in sorted(pool.values(), key=lambda s: -s.score)[:8]:
            print(f"   VENDOR? {it.score:.2f} {it.name[:50]!r} {it.signals}")
    ranked = sorted(pool.values(), key=lambda s: (round(s.score, 3), -s.page, len(s.name)))
    best = ranked[-1]
    runner_up = next((s.score for s in reversed(ranked[:-1]) if s.name not in best.name), 0.0)
    margin = best.score - max(0.0, runner_up)
    if best.score < 0.2:
        return None
    name = best.name
    if best.seg is not None and best.seg.page == 1:
        name = _with_wrapped_form(ctx, best.seg, name, any_forms)
    name = canonical_forms(name, country)
    # Confidence grows with the winner's evidence and with its lead over the next candidate.
    conf = 0.3 + 0.4 * min(best.score, 1.0) + 0.5 * min(max(margin, 0.0), 0.4)
    cand = Candidate(
        name,
        round(max(0.3, min(0.95, conf)), 3),
        best.page,
        best.text,
        (best.seg.x0, best.seg.y0, best.seg.x1, best.seg.y1) if best.seg else None,
        "vendor",
        anchor=best.seg,
    )
    cand.signals = tuple(best.signals)
    return cand


@lru_cache(maxsize=1)
def _function_words() -> frozenset[str]:
    """Short frequent words of every language: names seldom hold several of them."""
    return frozenset(w for p in languages().values() for w in p.detect if len(w) <= 4)


def _sentence(name: str) -> bool:
    words = name.split()
    if len(words) > 7 or _SENTENCE.search(name):
        return True
    small = sum(1 for t in tokens(name) if t in _function_words())
    return small >= 3 or (len(words) >= 5 and re.search(r"[a-zà-ÿ]{3,}[.!?]$", name) is not None)


def invoice_pages(ctx: Context) -> list[int]:
    """Page numbers that belong to the invoice itself: an OCR page after text-layer pages is
    an attachment (a scanned work order, an e-mail), and so are the pages after it."""
    sources = [_page_source(lines) for lines in ctx.pages]
    out = [1]
    for number, source in enumerate(sources[1:], start=2):
        if sources[0] == "text" and source == "ocr":
            break
        out.append(number)
    return out


def _page_source(lines: list[list[Segment]]) -> str:
    words = [w for segs in lines for s in segs for w in s.words]
    # OCR words carry their box height as their size; text-layer words the font size.
    if words and all(abs(w.size - (w.y1 - w.y0)) < 1e-6 for w in words[:20]):
        return "ocr"
    return "text"


_FIELD_LABELS = ("invoice_number", "invoice_date", "due_date", "total", "subtotal", "amount_due")


@lru_cache(maxsize=1)
def _field_label_tuples() -> frozenset[tuple[str, ...]]:
    labels = all_languages().labels
    return frozenset(tuple(lb.split()) for f in _FIELD_LABELS for lb in labels.get(f, ()))


def _has_field_label(name: str) -> bool:
    """A short line that starts or ends with a field label ("A NUMERO", "Fecha: ...")."""
    toks = tokens(name)
    if not toks or len(toks) > 3:
        return False
    known = _field_label_tuples()
    return any(tuple(toks[:n]) in known or tuple(toks[-n:]) in known for n in range(1, len(toks)))


def _short_word_line(seg: Segment) -> bool:
    words = seg.text.split()
    return 1 <= len(words) <= 2 and not re.search(r"\d|[:@]", seg.text) and len(seg.text) <= 24


def _trim_after_form(name: str, forms: re.Pattern[str] | _Memo) -> str:
    """'ALMACENES SOL, S.A. A-123' -> 'ALMACENES SOL, S.A.': a name ends with its legal forms."""
    found = [m for m in forms.finditer(name) if m.group(0).strip()]
    if not found or found[0].start() == 0:
        return name
    end = found[0].end()
    for m in found[1:]:
        if m.start() - end <= 2:
            end = m.end()
    rest = name[end:]
    # Only an id or a second field follows the legal form: "S.A. A-46103834", "LTDA 0 - SAIDA".
    if re.search(r"\d", rest) or re.match(r"\s*(?:[-|–]|\s{2})", rest):
        return name[:end].rstrip(" ,")
    return name


def _only_form(name: str, forms: re.Pattern[str] | _Memo) -> bool:
    m = forms.search(name)
    return m is not None and len(name.strip(" .,")) - len(m.group(0).strip(" .,")) <= 1


def _line_above(ctx: Context, seg: Segment) -> str | None:
    lines = ctx.pages[seg.page - 1]
    if seg.line == 0:
        return None
    above = next((s for s in lines[seg.line - 1] if abs(s.x0 - seg.x0) < 30), None)
    if above is None or re.search(r"\d", above.text):
        return None
    return above.text.strip()


def _with_wrapped_form(
    ctx: Context, seg: Segment, name: str, forms: re.Pattern[str] | _Memo
) -> str:
    """'Moebelhaus Nord' + 'GmbH & Co. KG' on the next line: a name whose legal form wrapped."""
    if forms.search(name):
        return name
    lines = ctx.pages[seg.page - 1]
    if seg.line + 1 >= len(lines):
        return name
    nxt = next((s for s in lines[seg.line + 1] if abs(s.x0 - seg.x0) < 6), None)
    if nxt is None or re.search(r"\d", nxt.text):
        return name
    m = forms.search(nxt.text)
    if m is not None and m.start() == 0 and len(nxt.text) <= 30:
        return f"{name} {nxt.text.strip()}"
    return name
