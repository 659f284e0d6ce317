"""F11 through the API: owners invite by e-mail, the invitee accepts; nothing reveals accounts."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.api.conftest import sign_up

pytestmark = pytest.mark.security


def _address() -> str:
    return f"invitee-{uuid.uuid4().hex[:10]}@example.test"


def test_invitation_answers_are_the_same_for_any_address_and_reveal_no_user(http):
    owner = sign_up(http)
    cid = http.post("/clients", json={"name": "Inviting GmbH"}, headers=owner).json()["id"]
    known = _address()
    sign_up(http, known)
    answers = [
        http.post(
            f"/clients/{cid}/invitations", json={"email": email, "role": "viewer"}, headers=owner
        )
        for email in (known, _address())
    ]
    assert [r.status_code for r in answers] == [201, 201]
    shapes = [sorted(r.json()) for r in answers]
    assert shapes[0] == shapes[1] and "user_id" not in shapes[0]
    assert {r.json()["status"] for r in answers} == {"pending"}
    members = http.get(f"/clients/{cid}/members", headers=owner).json()
    assert members["count"] == 1  # nobody was added
    # The old add-by-e-mail body is refused, not silently accepted.
    r = http.put(f"/clients/{cid}/members", json={"role": "viewer", "email": known}, headers=owner)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"


def test_the_invitee_accepts_or_declines_and_only_then_is_a_member(http):
    owner = sign_up(http)
    cid = http.post("/clients", json={"name": "Joinable AG"}, headers=owner).json()["id"]
    email = _address()
    invitee = sign_up(http, email)
    other = sign_up(http)
    sent = http.post(
        f"/clients/{cid}/invitations",
        json={"email": email.upper(), "role": "operator"},
        headers=owner,
    ).json()
    assert http.get(f"/clients/{cid}", headers=invitee).status_code == 404
    mine = http.get("/invitations", headers=invitee).json()
    assert [(i["id"], i["client_name"], i["role"]) for i in mine["data"]] == [
        (sent["id"], "Joinable AG", "operator")
    ]
    assert http.get("/invitations", headers=other).json()["count"] == 0
    r = http.post(f"/invitations/{sent['id']}/accept", headers=other)
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"

    r = http.post(f"/invitations/{sent['id']}/accept", headers=invitee)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted"
    assert http.get(f"/clients/{cid}", headers=invitee).json()["role"] == "operator"
    again = http.post(f"/invitations/{sent['id']}/decline", headers=invitee)
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"

    declined_email = _address()
    decliner = sign_up(http, declined_email)
    second = http.post(
        f"/clients/{cid}/invitations",
        json={"email": declined_email, "role": "viewer"},
        headers=owner,
    ).json()
    assert http.post(f"/invitations/{second['id']}/decline", headers=decliner).status_code == 200
    assert http.get(f"/clients/{cid}", headers=decliner).status_code == 404
    listed = http.get(f"/clients/{cid}/invitations", headers=owner).json()["data"]
    assert {i["id"]: i["status"] for i in listed} == {
        sent["id"]: "accepted",
        second["id"]: "declined",
    }


def test_only_owners_invite_list_and_revoke(http):
    owner = sign_up(http)
    cid = http.post("/clients", json={"name": "Owned SE"}, headers=owner).json()["id"]
    member_email = _address()
    member = sign_up(http, member_email)
    sent = http.post(
        f"/clients/{cid}/invitations",
        json={"email": member_email, "role": "operator"},
        headers=owner,
    ).json()
    assert http.post(f"/invitations/{sent['id']}/accept", headers=member).status_code == 200
    pending = http.post(
        f"/clients/{cid}/invitations", json={"email": _address(), "role": "viewer"}, headers=owner
    ).json()
    outsider = sign_up(http)
    for headers, status in ((member, 403), (outsider, 404)):
        assert (
            http.post(
                f"/clients/{cid}/invitations",
                json={"email": _address(), "role": "owner"},
                headers=headers,
            ).status_code
            == status
        )
        assert http.get(f"/clients/{cid}/invitations", headers=headers).status_code == status
        assert (
            http.delete(f"/clients/{cid}/invitations/{pending['id']}", headers=headers).status_code
            == status
        )
    r = http.delete(f"/clients/{cid}/invitations/{pending['id']}", headers=owner)
    assert r.status_code == 204
    again = http.delete(f"/clients/{cid}/invitations/{pending['id']}", headers=owner)
    assert again.status_code == 409
    bad = http.post(
        f"/clients/{cid}/invitations",
        json={"email": "not an address", "role": "viewer"},
        headers=owner,
    )
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    # Owners still change roles of existing members by user id.
    members = http.get(f"/clients/{cid}/members", headers=owner).json()["data"]
    member_id = next(m["user_id"] for m in members if m["role"] == "operator")
    r = http.put(
        f"/clients/{cid}/members", json={"role": "viewer", "user_id": member_id}, headers=owner
    )
    assert r.status_code == 200 and r.json()["role"] == "viewer"
