"""F11, consent: members are invited and join only by accepting; nothing reveals an account."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import text

from core.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from core.workflow import clients, invitations
from tests.integration.workflow.conftest import as_user

pytestmark = pytest.mark.security


def _member_ids(services, owner, client_id):
    return {
        m.user_id for m in clients.list_members(services=services, user=owner, client_id=client_id)
    }


def test_an_invitation_looks_the_same_whether_or_not_the_address_has_an_account(
    services, role_users, make_user
):
    owner = as_user(role_users.members["owner"])
    known = make_user()
    answers = [
        invitations.invite_member(
            services=services, user=owner, client_id=role_users.id, email=email, role="viewer"
        )
        for email in (known.email, f"nobody-{uuid.uuid4().hex}@example.test")
    ]
    assert [sorted(a.as_dict()) for a in answers] == [sorted(answers[0].as_dict())] * 2
    for answer in answers:
        assert answer.status == "pending"
        assert str(known.id) not in str(answer)
        assert "user_id" not in answer.as_dict()
    assert known.id not in _member_ids(services, owner, role_users.id)


def test_membership_exists_only_after_the_invitee_accepts(services, role_users, make_user):
    owner = as_user(role_users.members["owner"])
    invitee_user = make_user()
    invitee = as_user(invitee_user)
    invitation = invitations.invite_member(
        services=services,
        user=owner,
        client_id=role_users.id,
        email=invitee_user.email.upper(),  # addresses compare without case
        role="operator",
    )
    with pytest.raises(NotFound):
        clients.get_client(services=services, user=invitee, client_id=role_users.id)
    mine = invitations.my_invitations(services=services, user=invitee)
    assert [(i.id, i.client_name, i.role) for i in mine] == [
        (invitation.id, role_users.name, "operator")
    ]
    # Someone else cannot see or take it.
    other = as_user(make_user())
    assert invitations.my_invitations(services=services, user=other) == []
    with pytest.raises(NotFound):
        invitations.accept_invitation(services=services, user=other, invitation_id=invitation.id)

    accepted = invitations.accept_invitation(
        services=services, user=invitee, invitation_id=invitation.id
    )
    assert accepted.client_id == role_users.id and accepted.role == "operator"
    assert clients.get_client(services=services, user=invitee, client_id=role_users.id).role == (
        "operator"
    )
    assert invitations.my_invitations(services=services, user=invitee) == []
    with pytest.raises(InvalidTransition):
        invitations.accept_invitation(services=services, user=invitee, invitation_id=invitation.id)
    listed = invitations.list_invitations(services=services, user=owner, client_id=role_users.id)
    assert next(i for i in listed if i.id == invitation.id).status == "accepted"


def test_a_declined_revoked_or_expired_invitation_adds_nobody(
    services, engine, role_users, make_user
):
    owner = as_user(role_users.members["owner"])
    people = [make_user() for _ in range(3)]
    sent = [
        invitations.invite_member(
            services=services, user=owner, client_id=role_users.id, email=p.email, role="viewer"
        )
        for p in people
    ]
    invitations.decline_invitation(
        services=services, user=as_user(people[0]), invitation_id=sent[0].id
    )
    invitations.revoke_invitation(
        services=services, user=owner, client_id=role_users.id, invitation_id=sent[1].id
    )
    with engine.begin() as conn:
        conn.execute(
            text("update public.client_invitations set expires_at = :t where id = :i"),
            {"t": dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1), "i": sent[2].id},
        )
    for person, invitation in zip(people, sent, strict=True):
        assert invitations.my_invitations(services=services, user=as_user(person)) == []
        with pytest.raises((NotFound, InvalidTransition)):
            invitations.accept_invitation(
                services=services, user=as_user(person), invitation_id=invitation.id
            )
    assert not {p.id for p in people} & _member_ids(services, owner, role_users.id)


def test_only_owners_invite_list_and_revoke(services, role_users, make_user):
    owner = as_user(role_users.members["owner"])
    invitation = invitations.invite_member(
        services=services,
        user=owner,
        client_id=role_users.id,
        email="x@example.test",
        role="viewer",
    )
    for role in ("operator", "analyst", "viewer"):
        user = as_user(role_users.members[role])
        with pytest.raises(Forbidden):
            invitations.invite_member(
                services=services,
                user=user,
                client_id=role_users.id,
                email="y@example.test",
                role="owner",
            )
        with pytest.raises(Forbidden):
            invitations.list_invitations(services=services, user=user, client_id=role_users.id)
        with pytest.raises(Forbidden):
            invitations.revoke_invitation(
                services=services,
                user=user,
                client_id=role_users.id,
                invitation_id=invitation.id,
            )
    outsider = as_user(make_user())
    with pytest.raises(NotFound):
        invitations.invite_member(
            services=services,
            user=outsider,
            client_id=role_users.id,
            email="z@example.test",
            role="owner",
        )
    with pytest.raises(ValidationFailed):
        invitations.invite_member(
            services=services,
            user=owner,
            client_id=role_users.id,
            email="not-an-address",
            role="viewer",
        )
    with pytest.raises(ValidationFailed):
        invitations.invite_member(
            services=services, user=owner, client_id=role_users.id, email="a@b.test", role="god"
        )


def test_invitations_and_acceptance_are_audited(services, engine, role_users, make_user):
    owner = as_user(role_users.members["owner"])
    invitee_user = make_user()
    invitation = invitations.invite_member(
        services=services,
        user=owner,
        client_id=role_users.id,
        email=invitee_user.email,
        role="analyst",
    )
    invitations.accept_invitation(
        services=services, user=as_user(invitee_user), invitation_id=invitation.id
    )
    with engine.connect() as conn:
        events = conn.execute(
            text(
                "select action, actor_id, after from public.audit_events"
                " where client_id = :c and action in ('invitation.created', 'invitation.accepted',"
                " 'member.set') order by id"
            ),
            {"c": role_users.id},
        ).all()
    tail = [(a, actor) for a, actor, _ in events][-3:]
    assert tail == [
        ("invitation.created", owner.id),
        ("member.set", invitee_user.id),
        ("invitation.accepted", invitee_user.id),
    ]
    assert events[-2][2] == {"user_id": str(invitee_user.id), "role": "analyst"}


def test_role_changes_of_existing_members_stay_and_strangers_are_not_added(
    services, role_users, make_user
):
    owner = as_user(role_users.members["owner"])
    viewer = role_users.members["viewer"]
    changed = clients.set_member(
        services=services, user=owner, client_id=role_users.id, user_id=viewer.id, role="analyst"
    )
    assert changed.role == "analyst"
    stranger = make_user()
    with pytest.raises(NotFound):
        clients.set_member(
            services=services,
            user=owner,
            client_id=role_users.id,
            user_id=stranger.id,
            role="viewer",
        )
    assert stranger.id not in _member_ids(services, owner, role_users.id)
