"""A generated client as proof (issue 17, item 7): the pinned openapi-python-client
(requirements-dev.txt) generates a Python client from the running API's /openapi.json into a
temporary folder, and an ERP uses it: an API key, 100 invoices uploaded with idempotency keys
(each request sent twice), signed webhooks verified on a loopback receiver, the results fetched
by cursor, approved (with the invoice's version, as the approval policy's If-Match rule wants;
a blocked approval is 409 approval_blocked for the key as for a person, and the ERP approves
over it once the owner's policy lets operators), exported, marked exported (a download changes
nothing), and the UBL downloaded. Nothing duplicated or lost."""

from __future__ import annotations

import importlib
import io
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from core.demo.synthetic_invoices import generate_invoice
from tests.e2e.api.conftest import REPO, sign_up
from tests.e2e.api.test_api_webhooks import ALL_EVENTS, Receiver

N_INVOICES = 100
PER_REQUEST = 5


@pytest.fixture(scope="module")
def generated(api_server, tmp_path_factory):
    """The generated client package, imported from a temporary folder."""
    tool = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent))
    assert tool, "openapi-python-client is pinned in requirements-dev.txt: make install"
    root = tmp_path_factory.mktemp("generated")
    spec = root / "openapi.json"
    spec.write_bytes(httpx.get(api_server + "/openapi.json").content)
    name = f"invoiceflow_client_{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [tool, "generate", "--path", str(spec), "--output-path", str(root / name), "--meta",
         "none"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(name), name
    finally:
        sys.path.remove(str(root))


def _mod(pkg: str, dotted: str):
    return importlib.import_module(f"{pkg}.{dotted}")


def test_an_erp_integrates_through_the_generated_client(api_server, http, worker, generated):
    client_pkg, pkg = generated
    base = api_server
    owner_token = sign_up(http)["Authorization"].removeprefix("Bearer ")
    owner = client_pkg.AuthenticatedClient(base_url=base, token=owner_token, timeout=60)
    models = _mod(pkg, "models")
    types = _mod(pkg, "types")

    # The owner sets the ERP up: a client, an operator key, a webhook endpoint.
    made = _mod(pkg, "api.clients.clients_create").sync(
        client=owner, body=models.ClientCreate(name="ERP-connected GmbH")
    )
    cid = made.id
    key = _mod(pkg, "api.api_keys.api_keys_create").sync(
        client_id=cid, client=owner,
        body=models.ApiKeyCreate(name="ERP", role=models.ApiKeyCreateRole.OPERATOR),
    )  # fmt: skip
    receiver = Receiver()
    try:
        hook = _mod(pkg, "api.webhooks.webhooks_create").sync(
            client_id=cid, client=owner,
            body=models.WebhookEndpointCreate(
                url=receiver.url,
                event_types=[models.WebhookEndpointCreateEventTypesItem(e) for e in ALL_EVENTS],
            ),
        )  # fmt: skip
        secret = hook.secret
        erp = client_pkg.AuthenticatedClient(base_url=base, token=key.key, timeout=60)

        # 100 invoices in 20 requests, every request sent twice with its idempotency key.
        upload = _mod(pkg, "api.uploads.uploads_upload_invoices")
        invoice_ids: list[str] = []
        for start in range(0, N_INVOICES, PER_REQUEST):
            docs = [
                generate_invoice(900 + n, kind="pdf") for n in range(start, start + PER_REQUEST)
            ]
            body = models.BodyUploadsUploadInvoices(files=[
                types.File(payload=io.BytesIO(d.data), file_name=d.filename,
                           mime_type="application/pdf")
                for d in docs
            ])  # fmt: skip
            idem = f"erp-upload-{start}-{uuid.uuid4()}"
            first = upload.sync_detailed(cid, client=erp, body=body, idempotency_key=idem)
            for f in body.files:
                f.payload.seek(0)  # the client reads the bytes again
            again = upload.sync_detailed(cid, client=erp, body=body, idempotency_key=idem)
            assert first.status_code == 201 and again.status_code == 201, again.content
            assert again.headers["idempotent-replayed"] == "true"
            assert again.parsed.to_dict() == first.parsed.to_dict()
            assert [f.status for f in first.parsed.files] == ["accepted"] * PER_REQUEST
            invoice_ids += [str(f.invoice_id) for f in first.parsed.files]
        assert len(set(invoice_ids)) == N_INVOICES

        # Every invoice is announced once (deduplicated on webhook-id) and correctly signed.
        def processed(events):
            return {e["data"]["invoice_id"] for e in events if e["type"] == "invoice.processed"}

        events = receiver.wait_for(secret, lambda ev: processed(ev) >= set(invoice_ids),
                                   timeout=600)  # fmt: skip
        by_invoice: dict[str, set[str]] = {}
        for e in events:
            if e["type"] == "invoice.processed":
                by_invoice.setdefault(e["data"]["invoice_id"], set()).add(e["id"])
        assert all(len(ids) == 1 for ids in by_invoice.values())

        # The results, by cursor: each invoice once.
        listing = _mod(pkg, "api.invoices.invoices_list")
        seen: list[str] = []
        cursor: str | None = None
        while True:
            page = listing.sync(client=erp, client_id=cid, limit=30,
                                cursor=cursor if cursor else types.UNSET)  # fmt: skip
            seen += [str(i.id) for i in page.data]
            cursor = page.next_cursor if isinstance(page.next_cursor, str) else None
            if not cursor:
                break
        assert sorted(seen) == sorted(invoice_ids)
        statuses = {i.status for i in page.data}
        assert statuses <= {"needs_review", "approved", "failed"}

        # Approve (each request twice with one key) with the invoice's version. The client has
        # no vendor list, so the approval policy blocks: 409 approval_blocked for the key as for
        # a person, and its override is the owner's until the owner's policy lets operators.
        approve = _mod(pkg, "api.invoices.invoices_approve")
        get_one = _mod(pkg, "api.invoices.invoices_get")
        override = "supplier checked in the ERP"
        policy_opened = False
        approved = []
        for inv in invoice_ids:
            one = get_one.sync(inv, client=erp)
            if str(one.status) == "failed":
                continue
            idem = f"erp-approve-{inv}"
            body = models.ApproveCreate(version=one.version)
            a = approve.sync_detailed(inv, client=erp, body=body, idempotency_key=idem)
            if a.status_code == 409:
                problem = json.loads(a.content)
                assert problem["code"] == "approval_blocked" and problem["errors"], problem
                body = models.ApproveCreate(version=one.version, override_reason=override)
                if not policy_opened:
                    denied = approve.sync_detailed(inv, client=erp, body=body)
                    assert denied.status_code == 403, denied.content
                    r = http.post(
                        f"/clients/{cid}/approval-policies",
                        json={"policy": {"override_roles": ["owner", "operator"]},
                              "activate": True},
                        headers={"Authorization": f"Bearer {owner_token}"},
                    )  # fmt: skip
                    assert r.status_code == 201, r.text
                    policy_opened = True
                idem = f"erp-approve-over-{inv}"
                a = approve.sync_detailed(inv, client=erp, body=body, idempotency_key=idem)
            b = approve.sync_detailed(inv, client=erp, body=body, idempotency_key=idem)
            assert a.status_code == b.status_code == 200 and b.content == a.content, a.content
            approved.append(inv)
        assert len(approved) >= N_INVOICES * 0.9
        export = _mod(pkg, "api.exports.exports").sync_detailed(
            client=erp, client_id=cid, format_=models.ExportsFormat.CSV
        )
        assert export.status_code == 200 and export.content.count(b"\n") >= len(approved)
        # The download changed nothing; the ERP marks what it imported.
        assert str(get_one.sync(approved[0], client=erp).status) == "approved"
        marked = _mod(pkg, "api.exports.exports_mark_exported").sync(
            client=erp, body=models.MarkExportedCreate(invoice_ids=[uuid.UUID(i) for i in approved])
        )
        assert sorted(str(i) for i in marked.marked) == sorted(approved), marked
        einvoice = _mod(pkg, "api.exports.exports_einvoice")
        written = 0
        for inv in approved:
            ubl = einvoice.sync_detailed(inv, client=erp)
            if ubl.status_code == 422:  # the extraction missed a field EN 16931 requires
                assert ubl.headers["content-type"] == "application/problem+json"
                continue
            head = ubl.content[:2000]  # an Invoice, or a CreditNote for credit-note documents
            assert ubl.status_code == 200 and (b"<Invoice" in head or b"<CreditNote" in head)
            assert b"urn:oasis:names:specification:ubl:schema:xsd" in head
            written += 1
        assert written >= len(approved) * 0.9, (written, len(approved))

        def exported(events):
            return {e["data"]["invoice_id"] for e in events if e["type"] == "invoice.exported"}

        receiver.wait_for(secret, lambda ev: exported(ev) >= set(approved), timeout=120)
        final = _mod(pkg, "api.invoices.invoices_list").sync(
            client=erp, client_id=cid, limit=200, status=[models.InvoiceStatus.EXPORTED]
        )
        assert sorted(str(i.id) for i in final.data) == sorted(approved)
    finally:
        receiver.close()
