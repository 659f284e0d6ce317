"""Signed webhooks end to end (issue 17, item 2): endpoints through the API, events derived from the
audit log, delivered by a real worker process to a loopback receiver, verified with the
``standardwebhooks`` package; retries after failures, the delivery log, manual redelivery, SSRF
refusals and owners-only access."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook

from core.demo.synthetic_invoices import generate_invoice
from core.errors import UnsafeTarget
from core.outbound.targets import parse_http_target, resolve
from tests.e2e.api.conftest import sign_up, wait_for_batch

ALL_EVENTS = [
    "invoice.processed", "invoice.needs_review", "invoice.approved", "invoice.rejected",
    "invoice.exported", "batch.completed",
]  # fmt: skip


class Receiver:
    """A loopback HTTP server that records what it gets; it can fail the next N requests."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.fail_next = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with outer.lock:
                    failing = outer.fail_next > 0
                    if failing:
                        outer.fail_next -= 1
                    else:
                        outer.received.append(({k.lower(): v for k, v in self.headers.items()},
                                               body))  # fmt: skip
                self.send_response(503 if failing else 204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self, secret: str, start: int = 0) -> list[dict]:
        """Every received message from ``start`` on, verified (raises if one is not signed
        right)."""
        with self.lock:
            got = list(self.received[start:])
        return [{"id": h["webhook-id"], **Webhook(secret).verify(body, h)} for h, body in got]

    def wait_for(self, secret: str, predicate, timeout: float = 60.0, start: int = 0) -> list[dict]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            events = self.events(secret, start)
            if predicate(events):
                return events
            time.sleep(0.2)
        raise AssertionError(f"webhooks not received in {timeout}s: {self.events(secret, start)}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _types(events: list[dict], invoice_id: str | None = None) -> list[str]:
    return sorted(
        e["type"] for e in events if invoice_id is None or e["data"].get("invoice_id") == invoice_id
    )


def test_events_are_signed_delivered_retried_logged_and_redelivered(http, worker, receiver):
    owner = sign_up(http)
    cid = http.post("/clients", json={"name": "Hooked GmbH"}, headers=owner).json()["id"]
    r = http.post(
        f"/clients/{cid}/webhooks",
        json={"url": receiver.url, "event_types": ALL_EVENTS, "description": "ERP"},
        headers=owner,
    )
    assert r.status_code == 201, r.text
    endpoint = r.json()
    secret = endpoint["secret"]
    assert secret.startswith("whsec_")
    listed = http.get(f"/clients/{cid}/webhooks", headers=owner).json()
    assert listed["count"] == 1 and secret not in json.dumps(listed)

    docs = [generate_invoice(seed, kind="pdf") for seed in (61, 62)]
    up = http.post(
        f"/clients/{cid}/uploads",
        files=[("files", (d.filename, d.data, "application/pdf")) for d in docs],
        headers=owner,
    ).json()
    wait_for_batch(http, owner, up["batch_id"])
    ids = [f["invoice_id"] for f in up["files"]]
    events = receiver.wait_for(
        secret,
        lambda ev: (
            all("invoice.processed" in _types(ev, i) for i in ids)
            and "batch.completed" in _types(ev)
        ),
    )
    batch = next(e for e in events if e["type"] == "batch.completed")
    assert batch["data"]["batch_id"] == up["batch_id"] and batch["data"]["client_id"] == cid
    processed = [e for e in events if e["type"] == "invoice.processed"]
    assert len(processed) == 2 and len({e["id"] for e in events}) == len(events)
    for e in processed:
        assert e["data"]["status"] in ("needs_review", "approved", "failed")
        assert e["id"].startswith("msg_")

    # The receiver fails twice: the delivery is retried with backoff and then succeeds.
    target = next(e["data"]["invoice_id"] for e in processed
                  if e["data"]["status"] == "needs_review")  # fmt: skip
    receiver.fail_next = 2
    # The client has no vendor list, so the approval policy blocks it: the owner approves over it
    # (approval.overridden is invoice.approved too).
    tag = http.get(f"/invoices/{target}", headers=owner).headers["etag"]
    r = http.post(f"/invoices/{target}/approve", json={"override_reason": "known supplier"},
                  headers={**owner, "If-Match": tag})  # fmt: skip
    assert r.status_code == 200, r.text
    events = receiver.wait_for(secret, lambda ev: "invoice.approved" in _types(ev, target))
    approved = next(e for e in events if e["type"] == "invoice.approved")
    assert approved["data"]["status"] == "approved"
    assert approved["data"]["action"] in ("status.approved", "approval.overridden")
    log = http.get(
        f"/clients/{cid}/webhook-deliveries", params={"endpoint_id": endpoint["id"]}, headers=owner
    ).json()["data"]
    delivery = next(d for d in log if d["event_type"] == "invoice.approved")
    assert delivery["status"] == "succeeded" and delivery["attempts"] == 3
    detail = http.get(f"/clients/{cid}/webhook-deliveries/{delivery['id']}", headers=owner).json()
    assert [(a["attempt"], a["status_code"]) for a in detail["attempt_log"]] == [
        (1, 503), (2, 503), (3, 204)
    ]  # fmt: skip
    assert all(d["status"] == "succeeded" for d in log)

    # Manual redelivery: the same message (same webhook-id) comes again.
    r = http.post(f"/clients/{cid}/webhook-deliveries/{delivery['id']}/redeliver", headers=owner)
    assert r.status_code == 200 and r.json()["manual_redeliveries"] == 1
    events = receiver.wait_for(secret, lambda ev: sum(e["id"] == approved["id"] for e in ev) == 2)

    # Disabled endpoints get nothing; a rotated secret signs what follows.
    r = http.patch(f"/clients/{cid}/webhooks/{endpoint['id']}", json={"rotate_secret": True},
                   headers=owner)  # fmt: skip
    assert r.status_code == 200 and r.json()["secret"] not in (None, secret)
    new_secret, seen = r.json()["secret"], len(receiver.received)
    other = next(i for i in ids if i != target)
    got = http.get(f"/invoices/{other}", headers=owner)
    if got.json()["status"] == "needs_review":
        tagged = {**owner, "If-Match": got.headers["etag"]}
        r = http.post(f"/invoices/{other}/reject", json={"reason": "dup"}, headers=tagged)
        assert r.status_code == 200, r.text
        receiver.wait_for(
            new_secret, lambda ev: "invoice.rejected" in _types(ev, other), start=seen
        )
    # Disabled: nothing more is sent.
    r = http.patch(f"/clients/{cid}/webhooks/{endpoint['id']}", json={"enabled": False},
                   headers=owner)  # fmt: skip
    assert r.status_code == 200 and r.json()["enabled"] is False and r.json()["secret"] is None
    before = len(receiver.received)
    more = generate_invoice(63, kind="pdf")
    up = http.post(
        f"/clients/{cid}/uploads", files=[("files", (more.filename, more.data, "application/pdf"))],
        headers=owner,
    ).json()  # fmt: skip
    wait_for_batch(http, owner, up["batch_id"])
    time.sleep(1.5)
    assert len(receiver.received) == before


def test_private_and_metadata_targets_are_refused_and_only_owners_manage(http):
    owner = sign_up(http)
    cid = http.post("/clients", json={"name": "Careful AG"}, headers=owner).json()["id"]
    for url in ("http://10.0.0.5/hook", "https://169.254.169.254/latest", "https://192.168.1.1/x",
                "https://[fd00::1]/x", "ftp://example.com/x", "https://user:pw@example.com/x",
                "http://example.com/plain-http"):  # fmt: skip
        body = {"url": url, "event_types": ["invoice.approved"]}
        r = http.post(f"/clients/{cid}/webhooks", json=body, headers=owner)
        assert r.status_code == 422, (url, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    r = http.post(f"/clients/{cid}/webhooks",
                  json={"url": "https://example.com/x", "event_types": ["invoice.paid"]},
                  headers=owner)  # fmt: skip
    assert r.status_code == 422

    made = http.post(
        f"/clients/{cid}/webhooks",
        json={"url": "https://erp.example.com/hooks", "event_types": ["invoice.approved"]},
        headers=owner,
    ).json()
    outsider = sign_up(http)
    key = http.post(f"/clients/{cid}/api-keys", json={"name": "op", "role": "operator"},
                    headers=owner).json()["key"]  # fmt: skip
    for headers, code in ((outsider, 404), ({"Authorization": f"Bearer {key}"}, 403)):
        assert http.get(f"/clients/{cid}/webhooks", headers=headers).status_code == code
        assert http.get(f"/clients/{cid}/webhook-deliveries", headers=headers).status_code == code
        assert http.patch(f"/clients/{cid}/webhooks/{made['id']}", json={"enabled": False},
                          headers=headers).status_code == code  # fmt: skip
        assert http.delete(f"/clients/{cid}/webhooks/{made['id']}",
                           headers=headers).status_code == code  # fmt: skip
    other_cid = http.post("/clients", json={"name": "Mine"}, headers=outsider).json()["id"]
    assert http.delete(f"/clients/{other_cid}/webhooks/{made['id']}",
                       headers=outsider).status_code == 404  # fmt: skip
    assert http.delete(f"/clients/{cid}/webhooks/{made['id']}", headers=owner).status_code == 204


def test_loopback_only_where_allowed_and_dns_answers_are_checked():
    for url in ("http://127.0.0.1:9/x", "https://localhost/x", "https://[::1]/x",
                "https://[::ffff:10.0.0.1]/x"):  # fmt: skip
        with pytest.raises(UnsafeTarget):
            parse_http_target(url, allow_loopback=False)
    assert parse_http_target("http://127.0.0.1:9/x", allow_loopback=True).port == 9
    with pytest.raises(UnsafeTarget):  # a name that resolves to loopback, at delivery time
        resolve("localhost", 443, allow_loopback=False)
    assert resolve("localhost", 443, allow_loopback=True)
