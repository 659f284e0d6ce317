"""Safe XML parsing and the small readers shared by the CII and UBL e-invoice readers."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal, InvalidOperation
from typing import TypeAlias

from lxml import etree

from core.errors import CorruptDocument, HostileDocument, TooLarge, UnsupportedType
from core.extraction.schema import DocumentType, Evidence, ExtractedField, Extraction

MAX_XML_BYTES = 20 * 1024 * 1024
# The root elements of the e-invoice syntaxes we read (CII: ZUGFeRD 1 / 2.x, Factur-X,
# XRechnung; UBL 2.1). Any other XML is no invoice of ours.
INVOICE_ROOTS = frozenset(
    {"CrossIndustryInvoice", "CrossIndustryDocument", "Invoice", "CreditNote"}
)
# Namespaces a browser renders (and, for XHTML and SVG, runs scripts from) when an XML file is
# opened directly: an upload carrying any of them is stored XSS waiting for a download link.
RENDERED_NAMESPACES = {
    "http://www.w3.org/1999/xhtml": "XHTML",
    "http://www.w3.org/2000/svg": "SVG",
    "http://www.w3.org/1998/Math/MathML": "MathML",
    "http://www.w3.org/1999/XSL/Transform": "XSLT",
    "http://www.w3.org/1999/xlink": "XLink",
    "http://www.w3.org/2001/xml-events": "XML Events",
    "http://www.mozilla.org/keymaster/gatekeeper/there.is.only.xul": "XUL",
}
# UNTDID 1001 codes that mean "credit note" (the sign of the amounts is as written).
CREDIT_NOTE_CODES = frozenset({"381", "396", "261", "262", "296", "308", "532"})

El: TypeAlias = etree._Element


def check_invoice_xml(data: bytes) -> None:
    """Refuse XML that is no e-invoice, or that a browser would render or run.

    Checked on upload, before the bytes are stored, and again before the XML is read: the root
    must be an e-invoice root; no element or attribute may be in a namespace a browser renders
    (XHTML, SVG, MathML, XSLT, XLink...), wherever it sits; no ``xml-stylesheet`` instruction
    (an XSLT can turn any XML into a page with scripts); no DTD or entity. The file name plays
    no part. The document is streamed (elements dropped as soon as they are checked).
    """
    if len(data) > MAX_XML_BYTES:
        raise TooLarge(f"the XML has {len(data)} bytes; the limit is {MAX_XML_BYTES}")
    events = etree.iterparse(
        io.BytesIO(data),
        events=("start", "end", "pi"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
    )
    root: El | None = None
    try:
        for event, node in events:
            if event == "pi":
                if str(node.target).strip().lower() == "xml-stylesheet":
                    raise HostileDocument("the XML carries a style sheet, which is refused")
                continue
            if event == "end":
                if node is not root:
                    node.clear()  # keep memory flat: every element is checked on "start"
                continue
            qname = etree.QName(node)
            _refuse_rendered(qname.namespace, qname.localname)
            if root is None:
                root = node
                if qname.localname not in INVOICE_ROOTS:
                    raise UnsupportedType(
                        "the XML is not a UBL or CII invoice "
                        f"(root element {qname.localname[:80]!r})"
                    )
            for attribute in node.attrib:
                attr = etree.QName(attribute)
                _refuse_rendered(attr.namespace, attr.localname)
    except etree.XMLSyntaxError as exc:
        if re.search(rb"<!(ENTITY|DOCTYPE)", data, re.IGNORECASE):
            raise HostileDocument("the XML declares a DTD, which is refused for safety") from exc
        raise CorruptDocument("the XML is not well-formed") from exc
    if root is None:
        raise CorruptDocument("the XML is empty")
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise HostileDocument("the XML declares a DTD, which is refused for safety")
    for sibling in root.itersiblings(preceding=True):
        if isinstance(sibling, etree._ProcessingInstruction) and (
            str(sibling.target).strip().lower() == "xml-stylesheet"
        ):
            raise HostileDocument("the XML carries a style sheet, which is refused")


def _refuse_rendered(namespace: str | None, localname: str) -> None:
    kind = RENDERED_NAMESPACES.get((namespace or "").strip())
    if kind is not None:
        raise HostileDocument(
            f"the XML contains {kind} markup ({localname[:80]!r}), which browsers render; "
            "only e-invoice XML is accepted"
        )


def parse_xml(data: bytes) -> El:
    """Parse untrusted XML safely and return the root with namespaces stripped from tags."""
    if len(data) > MAX_XML_BYTES:
        raise TooLarge(f"the XML has {len(data)} bytes; the limit is {MAX_XML_BYTES}")
    if re.search(rb"<!ENTITY", data[:65536], re.IGNORECASE):
        raise HostileDocument("the XML declares entities, which are refused for safety")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        if re.search(rb"<!(ENTITY|DOCTYPE)", data, re.IGNORECASE):  # e.g. libxml2's loop guard
            raise HostileDocument("the XML declares a DTD, which is refused for safety") from exc
        raise CorruptDocument("the XML is not well-formed") from exc
    if root is None:
        raise CorruptDocument("the XML is empty")
    # The regex above only sees the first 64 KiB; a DOCTYPE after a long comment still parses
    # (unexpanded). E-invoices never carry one, so any DTD is refused wherever it sits.
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise HostileDocument("the XML declares a DTD, which is refused for safety")
    for el in root.iter():
        if isinstance(el.tag, str):
            el.tag = etree.QName(el).localname
    return root


def _find(node: El | None, *paths: str) -> El | None:
    if node is None:
        return None
    for path in paths:
        found = node.find(path)
        if found is not None:
            return found
    return None


def _text(node: El | None, *paths: str) -> str | None:
    el = _find(node, *paths) if paths else node
    if el is None or el.text is None:
        return None
    text = " ".join(el.text.split())
    return text or None


def _dec(node: El | None, *paths: str) -> Decimal | None:
    text = _text(node, *paths)
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _cii_date(node: El | None, *paths: str) -> dt.date | None:
    el = _find(node, *paths)
    if el is None:
        return None
    raw = _text(el, "DateTimeString") or _text(el, "DateString") or _text(el)
    if not raw:
        return None
    digits = re.sub(r"\D", "", raw)
    try:
        if len(digits) >= 8:
            return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
        if len(digits) == 6:  # format 610: YYYYMM
            return dt.date(int(digits[:4]), int(digits[4:6]), 1)
    except ValueError:
        return None
    return None


def _iso_date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _set(ex: Extraction, name: str, value: object, source: str) -> None:
    if value is None or value == "":
        return
    field: ExtractedField[object] = ExtractedField(
        value=value, confidence=1.0, evidence=Evidence(page=None, text=f"{source}: {value}")
    )
    setattr(ex, name, field)


def _set_type(ex: Extraction, code: str | None) -> None:
    if not code:
        return
    _set(ex, "document_type_code", code, "TypeCode")
    kind = DocumentType.credit_note if code in CREDIT_NOTE_CODES else DocumentType.invoice
    _set(ex, "document_type", kind, "TypeCode")


def line_allowances(
    nodes: list[El], *, indicator: str, amount: str
) -> tuple[Decimal | None, Decimal | None]:
    """Sums of a line's allowances and charges (CII ``SpecifiedTradeAllowanceCharge``, UBL
    ``AllowanceCharge``), each ``None`` when the line has none."""
    allowance: Decimal | None = None
    charge: Decimal | None = None
    for node in nodes:
        value = _dec(node, amount)
        if value is None:
            continue
        if (_text(node, indicator) or "").strip().lower() == "true":
            charge = (charge or Decimal(0)) + value
        else:
            allowance = (allowance or Decimal(0)) + value
    return allowance, charge


def _amount_in(nodes: list[El], currency: str | None) -> Decimal | None:
    """Pick the amount in the invoice currency when several currencies are given."""
    if not nodes:
        return None
    for node in nodes:
        if currency and node.get("currencyID") == currency:
            return _dec(node)
    for node in nodes:
        if node.get("currencyID") is None:
            return _dec(node)
    return _dec(nodes[0])
