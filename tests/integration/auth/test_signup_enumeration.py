"""F11 (sign-up half): sign-up never tells whether an e-mail address already has an account.

Same result for a new and an existing address, from the local adapter and from the Supabase
adapter against the loopback fake with e-mail confirmation on (GoTrue answers 200 with an
obfuscated user for an existing address) and off (GoTrue answers user_already_exists). The
caller then signs in, which works only with the account's own password.
"""

from __future__ import annotations

import uuid

import pytest

from core.auth.local_auth import LocalAuthProvider
from core.auth.supabase_auth import SupabaseAuthProvider
from core.errors import InvalidCredentials, WeakPassword
from tests.fakes.supabase_fake import SupabaseFake

pytestmark = pytest.mark.security

PASSWORD = "long enough password"


def new_email() -> str:
    return f"enum-{uuid.uuid4().hex[:12]}@example.test"


def test_local_sign_up_answers_alike_for_new_and_existing_addresses(
    local_auth: LocalAuthProvider,
) -> None:
    taken = new_email()
    owner = local_auth.sign_up(taken, PASSWORD)
    session = local_auth.sign_in(taken, PASSWORD)
    fresh = local_auth.sign_up(new_email(), "another long password")
    again = local_auth.sign_up(taken.upper(), "the attacker's password")
    assert (
        (again.state, again.message) == (fresh.state, fresh.message) == (owner.state, owner.message)
    )
    assert again.state == "sign_in"
    # The existing account is untouched: its password still works, the attacker's does not.
    assert local_auth.sign_in(taken, PASSWORD).user.id == session.user.id
    with pytest.raises(InvalidCredentials):
        local_auth.sign_in(taken, "the attacker's password")


def test_local_sign_up_still_refuses_weak_passwords_for_any_address(
    local_auth: LocalAuthProvider,
) -> None:
    taken = new_email()
    local_auth.sign_up(taken, PASSWORD)
    for address in (taken, new_email()):
        with pytest.raises(WeakPassword):
            local_auth.sign_up(address, "short")


@pytest.mark.parametrize(
    "confirm_email", [True, False], ids=["confirmation-on", "confirmation-off"]
)
def test_supabase_sign_up_answers_alike_for_new_and_existing_addresses(
    supabase_auth: SupabaseAuthProvider, supabase_fake: SupabaseFake, confirm_email: bool
) -> None:
    supabase_fake.confirm_email = confirm_email
    taken = new_email()
    first = supabase_auth.sign_up(taken, PASSWORD)
    fresh = supabase_auth.sign_up(new_email(), PASSWORD)
    again = supabase_auth.sign_up(taken, "the attacker's password")
    assert (
        (again.state, again.message) == (fresh.state, fresh.message) == (first.state, first.message)
    )
    assert again.state == ("confirm_email" if confirm_email else "sign_in")


def test_supabase_sign_up_without_confirmation_leaves_no_session_behind(
    supabase_auth: SupabaseAuthProvider, supabase_fake: SupabaseFake
) -> None:
    supabase_fake.confirm_email = False
    supabase_auth.sign_up(new_email(), PASSWORD)
    # The session GoTrue opened for the new user is not handed out, so it is revoked.
    assert supabase_fake.sessions == {}
