"""The offline extractor: text layer or OCR words, then template-free layout rules.

No network and no model download: it is the embedded default and the fallback when the LLM
fails. Every value carries the page and the text it was read from; confidence comes from how
the value was found (explicit label, geometry, arithmetic agreement) and is adjusted later by
:mod:`core.extraction.validation`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from core.errors import UnsupportedType
from core.extraction.amounts import choose_totals, tax_tables
from core.extraction.document import XML, Document
from core.extraction.header_fields import (
    AMOUNTS,
    ROLE_AMOUNTS,
    Candidate,
    Context,
    candidates,
    claim_labels,
)
from core.extraction.identifiers import ibans, reassign_to_vendor, vat_ids
from core.extraction.label_lexicon import lexicon_for
from core.extraction.labels import fold, page_segments
from core.extraction.language_packs import Locale, detect_locale
from core.extraction.line_items import extract_line_items
from core.extraction.parsing import (
    compact_dates,
    detect_decimal_separator,
    find_currencies,
    find_dates,
)
from core.extraction.parties import party_names, vendor_address, window_customers
from core.extraction.schema import DocumentType, Evidence, ExtractedField, Extraction
from core.extraction.vendor import choose_vendor, invoice_pages

# UNTDID 1001 codes that invoices print next to their title, e.g. "Gutschrift (389)".
DOC_CODES = frozenset(
    [
        "71",
        "80",
        "82",
        "84",
        "102",
        "130",
        "202",
        "203",
        "204",
        "211",
        "218",
        "219",
        "261",
        "262",
        "295",
        "296",
        "308",
        "325",
        "326",
        "380",
        "381",
        "383",
        "384",
        "385",
        "386",
        "387",
        "388",
        "389",
        "390",
        "393",
        "394",
        "395",
        "396",
        "420",
        "456",
        "457",
        "527",
        "532",
        "553",
        "575",
        "623",
        "633",
        "751",
        "780",
        "875",
        "876",
        "877",
        "935",
    ]
)
CREDIT_CODES = frozenset({"381", "396", "261", "262", "296", "308", "532"})
_CREDIT = re.compile(r"(?i)\b(credit\s*note|gutschrift|avoir|note de cr[ée]dit|credit memo)\b")
_CORRECTION = re.compile(
    r"(?i)\b(rechnungskorrektur|korrekturrechnung|stornorechnung|corrected invoice|"
    r"facture rectificative)\b"
)
_INVOICE = re.compile(r"(?i)(rechnung|invoice|facture|bill\b|receipt|quittung|re[cç]u\b)")


def _day_first(text: str, locale: Locale) -> bool | None:
    """Whether numeric slash dates are day-first: from unambiguous dates, else the country."""
    votes = 0
    for m in re.finditer(r"\b(\d{1,2})[/-](\d{1,2})[/-](\d{2,4})\b", text):
        a, b = int(m.group(1)), int(m.group(2))
        votes += 1 if a > 12 >= b else -1 if b > 12 >= a else 0
    if votes:
        return votes > 0
    return locale.day_first


def _keep_prefix(ex: Extraction, options: list[Candidate]) -> None:
    """'E2018092011804' in the title and '2018092011804' under a label are one number: the
    document's own spelling keeps its letter prefix."""
    number = ex.invoice_number.value
    if not isinstance(number, str) or not number[:1].isdigit():
        return
    for cand in options:
        value = str(cand.value)
        if (
            value != number
            and value.endswith(number)
            and re.fullmatch(r"[A-Z]{1,4}[-/]?", value[: -len(number)])
        ):
            ex.invoice_number.value = value
            return


def _join_point_of_sale(ex: Extraction, pos: list[Candidate]) -> None:
    """'Punto de Venta: 00003' + 'Comp. Nro: 00001475' is invoice number '00003-00001475'."""
    number = ex.invoice_number.value
    if not pos or not isinstance(number, str) or not number.isdigit() or len(number) < 6:
        return
    point = str(pos[0].value)
    if point.isdigit() and 1 <= len(point) <= 5 and point != number:
        ex.invoice_number.value = f"{point}-{number}"


def _locale_field(value: str | None, score: float, why: str) -> ExtractedField[str]:
    if value is None:
        return ExtractedField()
    conf = round(min(0.95, 0.4 + score / 20), 3) if score > 1 else 0.6
    return ExtractedField(value=value, confidence=conf, evidence=Evidence(text=why[:200]))


def _field(cand: Candidate | None, confidence: float | None = None) -> ExtractedField[Any]:
    if cand is None:
        return ExtractedField()
    conf = confidence if confidence is not None else cand.score
    return ExtractedField(
        value=cand.value,
        confidence=round(max(0.05, min(0.99, conf)), 3),
        evidence=Evidence(
            page=cand.page, text=cand.text[:200], bbox=cand.bbox, signals=cand.signals
        ),
    )


def _doc_type(first_page: str) -> tuple[str | None, DocumentType | None]:
    for line in first_page.splitlines()[:40]:
        if _INVOICE.search(line) or _CREDIT.search(line) or _CORRECTION.search(line):
            for code in re.findall(r"\((\d{2,3})\)", line):
                if code in DOC_CODES:
                    kind = (
                        DocumentType.credit_note if code in CREDIT_CODES else DocumentType.invoice
                    )
                    return code, kind
    head = "\n".join(first_page.splitlines()[:40])
    if _CORRECTION.search(head):
        return "384", DocumentType.invoice
    if _CREDIT.search(head):
        return "381", DocumentType.credit_note
    if _INVOICE.search(head):
        return "380", DocumentType.invoice
    return None, None


_TERMS = re.compile(
    r"(?im)^\s*((?:payment|paiement|payable|zahlbar|zahlung|r[eè]glement|net|due)\b[^\n]{0,80}?"
    r"\b\d{1,3}\s*(?:days|jours|tagen|tage|j)\b[^\n]{0,40}?)\s*$"
)


_DUE = re.compile(
    r"(?i)\b(?:[üu]berweisen|zahlen|bezahlen|zahlbar|pay|payable|remit|payment|paiement|r[ée]gler|"
    r"r[èe]glement|[àa] payer)\b[^\n]{0,60}?\b(?:bis zum|bis|until|by|before|no later than|"
    r"avant le|au plus tard le|le)\s+(?P<date>[^\n]{6,20})"
)


# Words that open or join a period ("Zeitraum vom ... bis ...", "billing period", "desde ...").
_PERIOD_WORDS = re.compile(
    r"(?i)\b(?:period|periodo|período|zeitraum|leistungszeitraum|p[ée]riode|okres|periode|"
    r"desde|hasta|from|von|vom|bis|du|au|dal|al|van|tot|od|do|billing|abrechnung|"
    r"facturado|servicio|service|vigencia|validity|g[üu]ltig)\W*$"
)
_RANGE_AFTER = re.compile(r"^\s*(?:[-–—]|to|bis|au|al|a|hasta|tot|do|till|until)\s*\d", re.I)
_RANGE_GAP = re.compile(r"^\s*(?:[-–—]|to|bis|au|al|a|hasta|tot|do|till|until)\s*$", re.I)
_TIME_AFTER = re.compile(r"^\s{0,3}(?:\d{1,2}[:.h]\d{2}|[0-2]?\d:\d{2})")


def _unlabelled_date(text: str, locale: Locale, day_first: bool | None) -> Candidate | None:
    """An unlabelled document date (receipts print it bare): dates in ranges and periods are
    skipped; one distinct date, or a date printed with its time, is a confident reading."""
    found = list(find_dates(text, day_first))
    # Compact dates ("25032018") count only where a time follows them, as tills print them.
    found += [d for d in compact_dates(text, locale.year_first) if _TIME_AFTER.match(text[d.end :])]
    kept = []
    ordered = sorted(found, key=lambda d: d.start)
    for i, d in enumerate(ordered):
        before, after = text[max(0, d.start - 30) : d.start], text[d.end : d.end + 16]
        closes_range = i > 0 and bool(_RANGE_GAP.match(text[ordered[i - 1].end : d.start]))
        if _PERIOD_WORDS.search(before) or _RANGE_AFTER.match(after) or closes_range:
            continue
        kept.append(d)
    if not kept:
        return None
    first = kept[0]
    distinct = {d.value for d in kept}
    timed = bool(_TIME_AFTER.match(text[first.end :]))
    conf = 0.8 if len(distinct) == 1 else 0.6 if timed else 0.35
    return Candidate(first.value, conf, 1, text[first.start : first.end])


def _due_sentence(text: str, day_first: bool | None) -> Candidate | None:
    """Unlabelled due dates: "Bitte überweisen Sie bis zum 30.05.2017", "Please pay by ..."."""
    for m in _DUE.finditer(text):
        found = find_dates(m.group("date"), day_first)
        if found and found[0].start == 0:
            return Candidate(found[0].value, 0.55, 1, m.group(0)[:120])
    return None


def _terms_sentence(text: str) -> Candidate | None:
    """Unlabelled payment terms: a line like "Net 30 days" or "Paiement à 60 jours"."""
    m = _TERMS.search(text)
    if m is None:
        return None
    value = re.split(r"\s{3,}", m.group(1).strip())[0]
    return Candidate(value, 0.5, 1, value)


class OfflineExtractor:
    """Layout rules over the text layer (or OCR words) of a PDF or image."""

    name = "offline"
    version = "2.0.0"

    def extract(
        self, document: Document, *, known_vendors: Sequence[str] | None = None
    ) -> Extraction:
        """Read header fields and line items from the document's words.

        ``known_vendors`` (the client's vendor master, when the caller has one) makes a
        candidate line that agrees with one of its names the likelier vendor."""
        if document.media_type == XML:
            raise UnsupportedType("an XML file is read by the e-invoice extractor, not by layout")
        ex = Extraction(extractor=self.name, extractor_version=self.version)
        ex.page_count = document.page_count
        ex.warnings.extend(document.notes)
        sources = {p.source for p in document.pages if p.words}
        ex.source = "ocr" if sources == {"ocr"} else "text_layer"
        text = document.full_text
        if not text.strip():
            ex.warnings.append("no_text: the document has no readable text")
            return ex
        locale = detect_locale(text)
        ex.language = _locale_field(locale.language, locale.language_score, "frequent words")
        ex.country = _locale_field(locale.country, 0.8, "; ".join(locale.country_evidence[:4]))
        ctx = Context(
            page_segments(document),
            detect_decimal_separator(text),
            _day_first(text, locale),
            lexicon_for((*locale.languages, "en")),
            locale,
        )
        hits = claim_labels(ctx)
        found = {f: candidates(ctx, hits, f) for f in (
            "invoice_number", "invoice_date", "due_date", "po_number", "currency", "payment_terms",
            "pos_number", *AMOUNTS, *ROLE_AMOUNTS
        )}  # fmt: skip
        for name in ("invoice_number", "po_number", "invoice_date", "due_date", "payment_terms"):
            setattr(ex, name, _field(found[name][0] if found[name] else None))
        _join_point_of_sale(ex, found["pos_number"])
        _keep_prefix(ex, found["invoice_number"])
        if ex.due_date.value is None:
            ex.due_date = _field(_due_sentence(text, ctx.day_first))
        if ex.payment_terms.value is None:
            ex.payment_terms = _field(_terms_sentence(document.full_text))
        if ex.invoice_date.value is None:
            ex.invoice_date = _field(
                _unlabelled_date(document.pages[0].text, locale, ctx.day_first)
            )
        # Totals come from the invoice's own pages, not from an attached scan (a work order).
        own = set(invoice_pages(ctx))
        for name in (*AMOUNTS, *ROLE_AMOUNTS):
            mine = [c for c in found[name] if c.page in own]
            if mine or len(own) < len(ctx.pages):
                found[name] = mine
        tables = tax_tables(ctx)
        self._amounts(ex, found, ctx, tables)
        ex.tax_breakdown = [row for table in tables[:1] for row in table.rows]
        self._currency(ex, found["currency"], text, locale.country)
        self._parties(ex, ctx, hits, text, known_vendors)
        code, kind = _doc_type(document.pages[0].text)
        if code:
            ex.document_type_code = ExtractedField(value=code, confidence=0.6)
            ex.document_type = ExtractedField(value=kind, confidence=0.7)
        # On a scan, rows the OCR read only in part are read by their amount when the table
        # then adds up to a printed line total or net amount (see extract_line_items).
        references = [c.value for c in found["line_total"][:1] if isinstance(c.value, Decimal)]
        if ex.subtotal.value is not None:
            references.append(ex.subtotal.value)
        ex.line_items = extract_line_items(
            ctx,
            hits,
            {k for t in tables for k in t.lines},
            ocr=ex.source == "ocr",
            references=references,
        )
        self._line_total(ex, found["line_total"])
        return ex

    @staticmethod
    def _amounts(
        ex: Extraction, found: dict[str, list[Candidate]], ctx: Context, tables: list[Any]
    ) -> None:
        chosen = choose_totals(found, ctx, tables)
        agreed = (
            {"subtotal", "tax", "total"} <= chosen.keys()
            and all(chosen[k].label not in ("derived",) for k in ("subtotal", "tax", "total"))
            and chosen["subtotal"].value + chosen["tax"].value == chosen["total"].value
        )
        for name in ("subtotal", "tax", "total"):
            cand = chosen.get(name)
            if cand is not None:
                setattr(ex, name, _field(cand, min(0.97, cand.score + (0.25 if agreed else 0))))
        due = found["amount_due"][0] if found["amount_due"] else None
        if due is not None:
            ex.amount_due = _field(due)
        elif ex.total.value is not None:
            ex.amount_due = ExtractedField(
                value=ex.total.value, confidence=0.45, evidence=ex.total.evidence
            )

    @staticmethod
    def _currency(
        ex: Extraction, labelled: list[Candidate], text: str, country: str | None
    ) -> None:
        if labelled:
            ex.currency = _field(labelled[0], 0.95)
            return
        counts = find_currencies(text, country)
        if counts:
            code = max(counts, key=lambda c: counts[c])
            share = counts[code] / sum(counts.values())
            conf = 0.5 + 0.4 * share if code != "USD" or "USD" in text or "US$" in text else 0.45
            ex.currency = ExtractedField(
                value=code,
                confidence=round(conf, 3),
                evidence=Evidence(text=f"{code} x{counts[code]}"),
            )

    @staticmethod
    def _parties(
        ex: Extraction,
        ctx: Context,
        hits: list[Any],
        text: str,
        known_vendors: Sequence[str] | None = None,
    ) -> None:
        names = party_names(ctx, hits)
        windows = window_customers(ctx.pages[0] if ctx.pages else [], None)
        first_ids = vat_ids(ctx, hits, None)
        vendor = choose_vendor(
            ctx,
            hits,
            names["vendor"],
            names["customer"],
            first_ids["vendor"],
            known_vendors,
            all_ids=first_ids["vendor"] + first_ids["customer"],
        )
        vats = reassign_to_vendor(first_ids, vendor.value if vendor else None)
        pool = names["customer"] + [
            w for w in windows if vendor is None or fold(w.value) != fold(vendor.value)
        ]
        pool.sort(key=lambda c: c.score, reverse=True)
        customer = next(
            (c for c in pool if vendor is None or fold(c.value) != fold(vendor.value)), None
        )
        ex.vendor_name = _field(vendor)
        address = vendor_address(ctx, vendor) if vendor is not None else None
        if address and vendor is not None:
            ex.vendor_address = ExtractedField(
                value=address,
                confidence=round(vendor.score * 0.9, 3),
                evidence=Evidence(page=vendor.page, text=address),
            )
        ex.customer_name = _field(customer)
        vendor_vat = vats["vendor"][0] if vats["vendor"] else None
        customer_vat = next(
            (c for c in vats["customer"] if vendor_vat is None or c.value != vendor_vat.value), None
        )
        ex.vendor_vat_id = _field(vendor_vat)
        ex.customer_vat_id = _field(customer_vat)
        found = ibans(text)
        if found:
            ex.vendor_iban = ExtractedField(
                value=found[0], confidence=0.85, evidence=Evidence(text=found[0])
            )

    @staticmethod
    def _line_total(ex: Extraction, labelled: list[Candidate]) -> None:
        amounts = [li.amount for li in ex.line_items if li.amount is not None]
        whole = len(amounts) == len(ex.line_items)
        if labelled:
            # Of the printed readings, the one the rows add up to; a "Line total" column header
            # read as a label gives its first row's amount, which is no line total of a table
            # with more rows (OCR joins a row's cells into one segment, so the column's total
            # row is not found below the header).
            lines_sum = sum(amounts, Decimal(0)) if amounts and whole else None
            agreeing = [c for c in labelled if lines_sum is not None and c.value == lines_sum]
            pick = agreeing[0] if agreeing else labelled[0]
            # A column's sum is computed, not printed: one the rows read disagree with is no
            # better reading than the rows' own sum.
            computed = pick.text.endswith("(column sum)") and lines_sum == ex.subtotal.value
            if agreeing or ((len(amounts) < 2 or pick.value not in amounts) and not computed):
                ex.line_total = _field(pick)
                return
        if amounts and whole:
            s = sum(amounts, Decimal(0))
            conf = 0.8 if s == ex.subtotal.value else 0.5
            ex.line_total = ExtractedField(
                value=s, confidence=conf, evidence=Evidence(text="sum of lines")
            )
        elif ex.subtotal.value is not None:
            ex.line_total = ExtractedField(
                value=ex.subtotal.value, confidence=0.35, evidence=ex.subtotal.evidence
            )
