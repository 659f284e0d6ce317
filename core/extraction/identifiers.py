"""Tax ids and IBANs: found by pattern and check digits, assigned to the vendor or the customer.

EU VAT ids are found anywhere by shape; national ids (CUIT, CNPJ, NIP, NIF, GSTIN...) come from
the country packs: those with check digits anywhere, label-only shapes (a bare 11-digit P.IVA)
only after a tax-id label.

A VAT id belongs to the customer when its line says so ("Customer VAT No.", "Votre n° TVA",
"USt-IdNr. des Kunden") or when it sits in the block a customer label opens; to the vendor when
its line names the vendor (footers, sender lines) or otherwise.
"""

from __future__ import annotations

import re

from stdnum import iban as std_iban

from core.extraction.header_fields import Candidate, Context
from core.extraction.labels import LabelHit, Segment, fold, tokens
from core.extraction.language_packs import TaxIdRule, countries

VAT_RE = re.compile(
    r"(?<![A-Z0-9])(?:ATU\d{8}|BE[01]\d{9}|BG\d{9,10}|CHE[-\s]?\d{3}\.?\d{3}\.?\d{3}(?:\s?(?:MWST|TVA|IVA))?|CY\d{8}[A-Z]|"
    r"CZ\d{8,10}|DE\s?\d{9}|DK\d{8}|EE\d{9}|EL\d{9}|ES[0-9A-Z]\d{7}[0-9A-Z]|FI\d{8}|"
    r"FR\s?[0-9A-Z]{2}\s?\d{9}|GB\s?\d{9}(?:\d{3})?|HR\d{11}|HU\d{8}|IE\d[0-9A-Z+*]\d{5}[A-Z]{1,2}|"
    r"IT\d{11}|LT\d{9,12}|LU\d{8}|LV\d{11}|MT\d{8}|NL\d{9}B\d{2}|PL\d{10}|PT\d{9}|RO\d{2,10}|"
    r"SE\d{12}|SI\d{8}|SK\d{10}|XI\d{9})(?![0-9])"
)
IBAN_RE = re.compile(r"(?<![A-Z0-9])[A-Z]{2}\d{2}(?:\s?[A-Z0-9]){11,30}")


def _canonical_vat(raw: str) -> str:
    """Compact form ("DE123456789"); Swiss UIDs keep their official "CHE-123.456.789 MWST"."""
    compact = re.sub(r"[\s.\-]", "", raw)
    m = re.fullmatch(r"CHE(\d{3})(\d{3})(\d{3})(MWST|TVA|IVA)?", compact)
    if m:
        return f"CHE-{m.group(1)}.{m.group(2)}.{m.group(3)}" + (
            f" {m.group(4)}" if m.group(4) else ""
        )
    return compact


_CUSTOMER_WORDS = frozenset(
    {"client", "customer", "kunde", "kunden", "buyer", "kaufer", "acheteur", "votre", "vos", "your",
     "ihre", "leistungsempfanger", "cliente", "nabywca", "odbiorca", "destinatario", "debiteur",
     "debiteurnummer", "klant", "afnemer", "cessionario", "committente", "adquirente", "tomador",
     "odberatel", "alici", "musteri", "pembeli", "pelanggan", "senor", "senores", "sres",
     "kundennummer", "comprador", "koper", "odbiorcy", "nabywcy"}
)  # fmt: skip
# Lines that carry the seller's own registration details (footers, letterheads).
_VENDOR_CUES = frozenset(
    {"iban", "bic", "swift", "kvk", "hrb", "hra", "registergericht", "amtsgericht", "rcs", "siret",
     "tel", "telefon", "phone", "fax", "www", "email", "mail", "bank", "capitale", "sociale",
     "rea", "krs", "regon", "bdo", "ingresos", "brutos", "inicio", "actividades", "iec",
     "handelsregister", "registered", "company", "reg", "sede"}
)  # fmt: skip
_GENERIC_ID = re.compile(
    r"(?<![\w])(?=[A-Z0-9./\- ]*\d[A-Z0-9./\- ]*\d)[A-Z]{0,3}\d[\dA-Z./\-]{4,22}"
)


_DIGIT = re.compile(r"\d")


def _tax_rules(country: str | None) -> list[TaxIdRule]:
    packs = countries()
    home = list(packs[country].tax_ids) if country in packs else []
    return home + [r for c, p in packs.items() if c != country for r in p.tax_ids]


def national_id_ok(value: str) -> bool:
    """Whether ``value`` is a national tax id of some country with valid check digits."""
    upper = value.upper().strip()
    for rule in _tax_rules(None):
        if rule.stdnum and rule.pattern.fullmatch(upper) and rule.is_valid(upper):
            return True
    return False


def _ids_in(text: str, country: str | None, labelled: bool) -> list[tuple[int, str, float]]:
    """(position, value, strength) of tax ids in ``text``: EU VAT shapes, then national ids
    (check digits where a checker exists; label-only shapes only when ``labelled``)."""
    out: list[tuple[int, str, float]] = []
    if len(_DIGIT.findall(text)) < 5:
        return out  # every tax id has at least five digits
    upper = text.upper()
    taken: list[tuple[int, int]] = []
    # Strength: an EU VAT id 1.1, a national id with valid check digits 1.0, a label-only shape
    # 0.8, anything id-like after a tax-id label 0.6.
    for m in VAT_RE.finditer(upper):
        out.append((m.start(), _canonical_vat(m.group(0)), 1.1))
        taken.append(m.span())
    for rule in _tax_rules(country):
        if rule.labelled and not labelled:
            continue
        for m in rule.pattern.finditer(upper):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            checked = rule.stdnum is not None
            if checked and not rule.is_valid(m.group(0)):
                continue
            if not checked and not labelled:
                continue
            value = m.group(0).strip()
            out.append((m.start(), value, 1.0 if checked else 0.8))
            taken.append(m.span())
    if labelled and not out:
        generic = _GENERIC_ID.search(upper)
        if generic is not None and sum(c.isdigit() for c in generic.group(0)) >= 6:
            out.append((generic.start(), generic.group(0).strip(" .-/"), 0.6))
    out.sort()
    return out


def vat_ids(
    ctx: Context, hits: list[LabelHit], vendor: str | None = None
) -> dict[str, list[Candidate]]:
    """Tax ids (VAT and national ids) by pattern, check digits and labels, each assigned to the
    vendor or the customer by its context."""
    party_labels = [h for h in hits if h.field in ("vendor", "customer")]
    id_labels = {id(h.segment): h for h in hits if h.field == "vat_id"}
    vendor_key = fold(vendor) if vendor else None
    country = ctx.locale.country if ctx.locale is not None else None
    out: dict[str, list[Candidate]] = {"vendor": [], "customer": []}
    seen: set[tuple[str, int, int]] = set()
    n_pages = len(ctx.pages)
    for lines in ctx.pages:
        for segs in lines:
            line_text = " ".join(s.text for s in segs)
            for i, seg in enumerate(segs):
                hit = id_labels.get(id(seg))
                if hit is not None:
                    after = " ".join(w.text for w in hit.rest)
                    if not after.strip(" :") and i + 1 < len(segs):
                        after = segs[i + 1].text  # "NIP:   123-456-78-90" in the next column
                    found = _ids_in(after, country, labelled=True)
                else:
                    found = _ids_in(seg.text, country, labelled=False)
                for _, value, strength in found:
                    seen_key = (value, seg.page, seg.line)
                    if seen_key in seen:
                        continue
                    seen.add(seen_key)
                    if vendor_key and vendor_key in fold(line_text):
                        owner = "vendor"  # a footer or sender line that names the vendor
                    else:
                        owner = _owner(seg, line_text, party_labels, lines)
                    words = set(tokens(line_text))
                    cue = 0.08 if words & _VENDOR_CUES else 0.0
                    last_lines = seg.page == n_pages and seg.line >= len(lines) - 4
                    score = (
                        0.6
                        + 0.2 * strength
                        + cue
                        + (0.04 if last_lines else 0.0)
                        + (0.05 if hit is not None else 0.0)
                        - seg.line * 0.001
                        - (seg.page - 1) * 0.05
                    )
                    out[owner].append(Candidate(value, score, seg.page, line_text, anchor=seg))
    for key in out:
        out[key].sort(key=lambda c: c.score, reverse=True)
    return out


def reassign_to_vendor(
    found: dict[str, list[Candidate]], vendor: str | None
) -> dict[str, list[Candidate]]:
    """Move ids whose line names the vendor (a footer or sender line) to the vendor."""
    if not vendor:
        return found
    key = fold(vendor)
    moved = [c for c in found["customer"] if key in fold(c.text)]
    if not moved:
        return found
    vendor_ids = sorted(found["vendor"] + moved, key=lambda c: c.score, reverse=True)
    return {"vendor": vendor_ids, "customer": [c for c in found["customer"] if c not in moved]}


def _owner(seg: Segment, line_text: str, labels: list[LabelHit], lines: list[list[Segment]]) -> str:
    words = set(tokens(line_text))
    if words & _CUSTOMER_WORDS:
        return "customer"
    # The line above in the same column names the customer ("Debiteurnummer: 4711" over
    # "Btw-nummer: NL..."): the id belongs to that block.
    for li in range(max(0, seg.line - 2), seg.line):
        for other in lines[li]:
            if abs(other.x0 - seg.x0) < 40 and set(tokens(other.text)) & _CUSTOMER_WORDS:
                return "customer"
    nearest: LabelHit | None = None
    for hit in labels:
        s = hit.segment
        same_block = s.page == seg.page and 0 <= seg.line - s.line <= 8
        closer = nearest is None or s.line > nearest.segment.line
        if same_block and closer and s.x0 - 40 <= seg.x0 <= s.x1 + 250:
            nearest = hit
    return "customer" if nearest is not None and nearest.field == "customer" else "vendor"


def ibans(text: str) -> list[str]:
    """IBANs in ``text`` that pass the mod-97 checksum, in order."""
    found = []
    for m in IBAN_RE.finditer(text.upper()):
        raw = re.sub(r"\s", "", m.group(0))
        for end in range(len(raw), 14, -1):  # the regex may swallow a following word
            if std_iban.is_valid(raw[:end]):
                found.append(raw[:end])
                break
    return found
