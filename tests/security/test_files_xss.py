"""Issue 11, F2: stored XSS through an uploaded "XML" file.

An upload whose XML is SVG or XHTML (or carries such markup, or a style sheet) is refused per file,
whatever its name; every download (signed URL or streamed) is an attachment in a CSP sandbox with
``nosniff``, so even a file that is already stored is saved, never run on the product's origin.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.e2e.api.conftest import sign_up

pytestmark = pytest.mark.security

SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>document.title='pwned'</script></svg>"
)
XHTML = (
    b'<html xmlns="http://www.w3.org/1999/xhtml"><body>'
    b"<script>document.title='pwned'</script></body></html>"
)
HIDDEN = (
    b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">'
    b'<x:script xmlns:x="http://www.w3.org/1999/xhtml">document.title="pwned"</x:script>'
    b"</Invoice>"
)
STYLESHEET = (
    b'<?xml version="1.0"?><?xml-stylesheet type="text/xsl" href="#x"?>'
    b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>'
)
UBL = (
    b'<?xml version="1.0"?><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"'
    b' xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
    b"<cbc:ID>XSS-TEST-1</cbc:ID></Invoice>"
)


def _client(http: httpx.Client) -> tuple[dict[str, str], str]:
    headers = sign_up(http)
    r = http.post("/clients", json={"name": f"XSS {uuid.uuid4().hex[:6]}"}, headers=headers)
    assert r.status_code == 201, r.text
    return headers, r.json()["id"]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("logo.svg", SVG),
        ("invoice.xml", SVG),  # the name plays no part
        ("page.xhtml", XHTML),
        ("invoice.xml", HIDDEN),
        ("invoice.xml", STYLESHEET),
    ],
    ids=["svg", "svg-named-xml", "xhtml", "xhtml-inside-invoice", "xml-stylesheet"],
)
def test_xml_a_browser_would_render_is_refused_per_file(
    http: httpx.Client, name: str, data: bytes
) -> None:
    headers, cid = _client(http)
    r = http.post(
        f"/clients/{cid}/uploads",
        files=[("files", (name, data, "application/xml")), ("files", ("ubl.xml", UBL, "text/xml"))],
        headers=headers,
    )
    assert r.status_code == 201, r.text
    refused, accepted = r.json()["files"]
    assert refused["status"] == "rejected"
    assert refused["error_code"] in {"hostile_document", "unsupported_type"}
    assert accepted["status"] == "accepted"  # the rest of the batch goes on


def test_downloads_are_attachments_in_a_sandbox(http: httpx.Client, api_server: str) -> None:
    headers, cid = _client(http)
    r = http.post(
        f"/clients/{cid}/uploads",
        files=[("files", ("Rechnung März; 1.xml", UBL, "application/xml"))],
        headers=headers,
    )
    invoice_id = r.json()["files"][0]["invoice_id"]
    url = http.get(f"/invoices/{invoice_id}/file-url", headers=headers).json()["url"]
    signed = httpx.get(api_server + url)
    streamed = http.get(f"/invoices/{invoice_id}/file", headers=headers)
    for response in (signed, streamed):
        assert response.status_code == 200 and response.content == UBL
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("attachment; filename=")
        assert disposition.count('"') == 2 and ";" not in disposition.split('"')[1]
        assert response.headers["content-security-policy"].startswith("sandbox")
        assert response.headers["x-content-type-options"] == "nosniff"
    assert streamed.headers["content-disposition"] == (
        'attachment; filename="Rechnung_Marz_1.xml"; '
        "filename*=UTF-8''Rechnung%20M%C3%A4rz%3B%201.xml"
    )
