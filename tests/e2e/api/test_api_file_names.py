"""Long and hostile upload file names: cleaned per file, never a failed request or a bad header."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from core.demo.synthetic_invoices import generate_invoice
from tests.e2e.api.conftest import sign_up

pytestmark = pytest.mark.security

HOSTILE = {
    "long": "R" * 5000 + ".pdf",
    "traversal": "../../etc/passwd",
    "control": "in\x00voi\x1bce\x07\t.pdf",
    "rtl": "invoice\u202efdp.exe",
}
SAFE = {
    "long": "R" * 251 + ".pdf",
    "traversal": "passwd",
    "control": "invoice.pdf",
    "rtl": "invoicefdp.exe",
}


def test_every_hostile_name_is_accepted_under_a_safe_name_in_one_request(http):
    headers = sign_up(http)
    cid = http.post("/clients", json={"name": "Names Ltd"}, headers=headers).json()["id"]
    docs = {key: generate_invoice(900 + i, kind="pdf").data for i, key in enumerate(HOSTILE)}
    # Built by hand: HTTP clients percent-encode control characters in file names, and an
    # attacker's client need not.
    boundary = "hostile-names-boundary"
    body = (
        b"".join(
            b'--%s\r\nContent-Disposition: form-data; name="files"; filename="%s"\r\n'
            b"Content-Type: application/pdf\r\n\r\n%s\r\n"
            % (boundary.encode(), HOSTILE[k].encode(), docs[k])
            for k in HOSTILE
        )
        + b"--%s--\r\n" % boundary.encode()
    )
    r = http.post(
        f"/clients/{cid}/uploads",
        content=body,
        headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert r.status_code == 201, r.text[:500]
    files = r.json()["files"]
    assert [f["status"] for f in files] == ["accepted"] * len(HOSTILE)
    assert [f["filename"] for f in files] == [SAFE[k] for k in HOSTILE]
    for key, f in zip(HOSTILE, files, strict=True):
        detail = http.get(f"/invoices/{f['invoice_id']}", headers=headers).json()
        assert detail["file_name"] == SAFE[key]
        download = http.get(f"/invoices/{f['invoice_id']}/file", headers=headers)
        assert download.status_code == 200 and download.content == docs[key]
        disposition = download.headers["content-disposition"]
        assert ".." not in disposition and "/" not in unquote(disposition.split("''", 1)[1])
        assert unquote(disposition.split("''", 1)[1]) == SAFE[key]
