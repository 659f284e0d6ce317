"""VAT ids and IBANs: found by pattern (and checksum), assigned to the vendor or the customer.

A VAT id belongs to the customer when its line says so ("Customer VAT No.", "Votre n° TVA",
"USt-IdNr. des Kunden") or when it sits in the block a customer label opens; to the vendor when
its line names the vendor (footers, sender lines) or otherwise.
"""

from __future__ import annotations

import re

from stdnum import iban as std_iban

from core.extraction.header_fields import Candidate, Context
from core.extraction.labels import LabelHit, Segment, fold, tokens

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


def vat_ids(
    ctx: Context, hits: list[LabelHit], vendor: str | None = None
) -> dict[str, list[Candidate]]:
    """VAT ids by pattern, each assigned to the vendor or the customer by its context."""
    party_labels = [h for h in hits if h.field in ("vendor", "customer")]
    vendor_key = fold(vendor) if vendor else None
    out: dict[str, list[Candidate]] = {"vendor": [], "customer": []}
    for lines in ctx.pages:
        for segs in lines:
            line_text = " ".join(s.text for s in segs)
            for seg in segs:
                for m in VAT_RE.finditer(seg.text.upper()):
                    value = _canonical_vat(m.group(0))
                    if vendor_key and vendor_key in fold(line_text):
                        owner = "vendor"  # a footer or sender line that names the vendor
                    else:
                        owner = _owner(seg, line_text, party_labels)
                    score = 0.8 - seg.line * 0.001 - (seg.page - 1) * 0.05
                    out[owner].append(Candidate(value, score, seg.page, line_text))
    return out


def _owner(seg: Segment, line_text: str, labels: list[LabelHit]) -> str:
    words = set(tokens(line_text))
    customer_words = {"client", "customer", "kunde", "kunden", "buyer", "kaufer", "acheteur"}
    if words & (customer_words | {"votre", "vos", "your", "ihre", "leistungsempfanger"}):
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
