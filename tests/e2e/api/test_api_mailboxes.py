"""Mailboxes through the API (issue 17, item 4): owners configure, operators read the log, the
password is never returned, other clients see nothing. Polling itself is tested against a real
Dovecot in tests/integration/ingestion/test_mailbox_polling.py."""

from __future__ import annotations

import json

from tests.e2e.api.conftest import sign_up

BOX = {
    "name": "AP inbox", "host": "127.0.0.1", "port": 1143, "security": "none",
    "username": "ap@example.test", "password": "s3cret-imap-password",
}  # fmt: skip


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_owners_configure_mailboxes_and_the_password_never_comes_back(http):
    owner = sign_up(http)
    cid = http.post("/clients", json={"name": "Mail GmbH"}, headers=owner).json()["id"]
    r = http.post(f"/clients/{cid}/mailboxes", json=BOX, headers=owner)
    assert r.status_code == 201, r.text
    box = r.json()
    assert "password" not in box and BOX["password"] not in r.text
    listed = http.get(f"/clients/{cid}/mailboxes", headers=owner)
    assert listed.json()["count"] == 1 and BOX["password"] not in listed.text
    r = http.patch(f"/clients/{cid}/mailboxes/{box['id']}",
                   json={"password": "new-password", "enabled": False}, headers=owner)  # fmt: skip
    assert r.status_code == 200 and r.json()["enabled"] is False and "new-password" not in r.text
    log = http.get(f"/clients/{cid}/mailboxes/{box['id']}/messages", headers=owner).json()
    assert log == {"data": [], "count": 0}

    operator = http.post(f"/clients/{cid}/api-keys", json={"name": "op", "role": "operator"},
                         headers=owner).json()["key"]  # fmt: skip
    viewer = http.post(f"/clients/{cid}/api-keys", json={"name": "v", "role": "viewer"},
                       headers=owner).json()["key"]  # fmt: skip
    assert http.get(f"/clients/{cid}/mailboxes", headers=_bearer(operator)).status_code == 200
    assert http.get(f"/clients/{cid}/mailboxes", headers=_bearer(viewer)).status_code == 403
    assert http.post(f"/clients/{cid}/mailboxes", json=BOX,
                     headers=_bearer(operator)).status_code == 403  # fmt: skip
    assert http.patch(f"/clients/{cid}/mailboxes/{box['id']}", json={"host": "evil.example"},
                      headers=_bearer(operator)).status_code == 403  # fmt: skip

    outsider = sign_up(http)
    other = http.post("/clients", json={"name": "Other"}, headers=outsider).json()["id"]
    assert http.get(f"/clients/{cid}/mailboxes", headers=outsider).status_code == 404
    for path in (
        f"/clients/{other}/mailboxes/{box['id']}",
        f"/clients/{cid}/mailboxes/{box['id']}",
    ):
        assert http.delete(path, headers=outsider).status_code == 404
        assert http.get(path + "/messages", headers=outsider).status_code == 404
    assert http.delete(f"/clients/{cid}/mailboxes/{box['id']}", headers=owner).status_code == 204
    assert http.get(f"/clients/{cid}/mailboxes", headers=owner).json()["count"] == 0


def test_bad_mailbox_settings_are_422(http):
    owner = sign_up(http)
    cid = http.post("/clients", json={"name": "Strict AG"}, headers=owner).json()["id"]
    for change in ({"host": "10.0.0.7"}, {"host": "169.254.169.254"}, {"host": "a b"},
                   {"folder": "INBOX", "failed_folder": "INBOX"}, {"folder": "Ü"},
                   {"port": 0}, {"security": "tls13"}, {"password": ""}):  # fmt: skip
        r = http.post(f"/clients/{cid}/mailboxes", json={**BOX, **change}, headers=owner)
        assert r.status_code == 422, (change, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert BOX["password"] not in json.dumps(r.json())
