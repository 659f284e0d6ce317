"""Safe XML parsing and the small readers shared by the CII and UBL e-invoice readers."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import TypeAlias

from lxml import etree

from core.errors import CorruptDocument, HostileDocument, TooLarge
from core.extraction.schema import DocumentType, Evidence, ExtractedField, Extraction

MAX_XML_BYTES = 20 * 1024 * 1024
# UNTDID 1001 codes that mean "credit note" (the sign of the amounts is as written).
CREDIT_NOTE_CODES = frozenset({"381", "396", "261", "262", "296", "308", "532"})

El: TypeAlias = etree._Element


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
