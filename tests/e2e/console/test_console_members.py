"""Members page: owners invite by e-mail; the invitee accepts in the console and joins."""

from __future__ import annotations

import pytest

from console import state
from tests.e2e.console.conftest import open_page, sign_in, texts

pytestmark = pytest.mark.security


def test_owner_invites_and_the_invitee_accepts(signed_in, role_users, make_user) -> None:
    invitee = make_user()
    owner = open_page(signed_in("owner"), "members")
    owner.text_input(key="members_invite_email").input(invitee.email.upper())
    owner.selectbox(key="members_invite_role").select("operator")
    next(b for b in owner.button if b.label == "Send invitation").click().run()
    assert not owner.exception
    assert f"Invitation for {invitee.email} as operator is pending." in texts(owner)
    assert any(b.label == f"Revoke {invitee.email}" for b in owner.button)

    at = sign_in(invitee.email, invitee.password)
    assert "not a member of any client" in texts(at)
    at = open_page(at, "members")
    assert f"**{role_users.name}** invites you as **operator**" in texts(at)
    next(b for b in at.button if b.label == "Accept").click().run()
    assert not at.exception
    assert [m.id for m in at.session_state[state.MEMBERSHIPS]] == [role_users.id]
    assert f"You are now a member of {role_users.name}." in texts(at)


def test_only_owners_see_the_invite_form(signed_in) -> None:
    at = open_page(signed_in("viewer"), "members")
    assert "Only owners invite members" in texts(at)
    assert not any(b.label == "Send invitation" for b in at.button)
