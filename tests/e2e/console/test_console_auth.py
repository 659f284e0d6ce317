"""Sign-in, sign-up, sign-out and the client picker, through the real form and database."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from console import state
from tests.e2e.console.conftest import APP, sign_in, texts


def test_anonymous_visitor_sees_only_the_sign_in_page(console_env) -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    labels = [b.label for b in at.button]
    assert "Sign in" in labels and "Create account" in labels
    assert at.session_state[state.USER] is None
    assert not at.selectbox  # no client picker, no pages


def test_wrong_password_is_a_warning_not_a_traceback(console_env, role_users) -> None:
    at = sign_in(role_users.members["operator"].email, "definitely wrong password")
    assert not at.exception
    assert at.session_state[state.USER] is None
    assert any("invalid_credentials" in w.value for w in at.warning)


def test_sign_in_shows_only_the_users_clients_with_their_role(
    console_env, role_users, make_user, make_client
) -> None:
    analyst = role_users.members["analyst"]
    other_owner = make_user()
    other = make_client(other_owner, name=f"Other {uuid.uuid4().hex[:6]}")
    at = sign_in(analyst.email, analyst.password)
    assert at.session_state[state.USER].email == analyst.email
    picker = at.selectbox(key=state.CLIENT_ID)
    assert [str(o) for o in picker.options] == [f"{role_users.name} · analyst"]
    assert other.name not in texts(at)


def test_sign_out_forgets_the_user(console_env, role_users) -> None:
    owner = role_users.members["owner"]
    at = sign_in(owner.email, owner.password)
    next(b for b in at.button if b.key == "auth_signout").click().run()
    assert not at.exception
    assert at.session_state[state.USER] is None
    assert at.session_state[state.TOKENS] is None


def test_two_sessions_never_share_the_signed_in_user(console_env, role_users) -> None:
    owner, viewer = role_users.members["owner"], role_users.members["viewer"]
    first = sign_in(owner.email, owner.password)
    second = sign_in(viewer.email, viewer.password)
    first.run()
    assert first.session_state[state.USER].email == owner.email
    assert second.session_state[state.USER].email == viewer.email
    assert first.session_state[state.TOKENS] != second.session_state[state.TOKENS]


def _sign_up(email: str, password: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="auth_signup_email").input(email)
    at.text_input(key="auth_signup_password").input(password)
    next(b for b in at.button if b.label == "Create account").click().run()
    assert not at.exception, at.exception
    return at


def _notices(at: AppTest) -> list[str]:
    return [m.value for kind in (at.info, at.success, at.warning, at.error) for m in kind]


def test_sign_up_then_sign_in_with_the_new_account(console_env) -> None:
    email = f"new-{uuid.uuid4().hex[:8]}@example.test"
    at = _sign_up(email, "a long enough password 123")
    assert at.session_state[state.USER] is None
    assert any("sign in" in n.lower() for n in _notices(at))
    assert at.text_input(key="auth_signin_email").value == email  # ready for the next step
    at.text_input(key="auth_signin_password").input("a long enough password 123")
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception
    assert at.session_state[state.USER].email == email
    assert "not a member of any client" in texts(at)


@pytest.mark.security
def test_sign_up_answers_alike_for_new_and_existing_addresses(console_env, make_user) -> None:
    existing = make_user()
    fresh = _sign_up(f"new-{uuid.uuid4().hex[:8]}@example.test", "a long enough password 123")
    taken = _sign_up(existing.email, "a long enough password 123")
    assert fresh.session_state[state.USER] is None
    assert taken.session_state[state.USER] is None
    assert _notices(fresh) == _notices(taken)
    assert _notices(taken)  # it does say what to do next


def test_expiring_token_is_refreshed_on_the_next_run(console_env, role_users) -> None:
    owner = role_users.members["owner"]
    at = sign_in(owner.email, owner.password)
    old = dict(at.session_state[state.TOKENS])
    at.session_state[state.TOKENS] = {**old, "expires_at": 0}
    at.run()
    new = at.session_state[state.TOKENS]
    assert at.session_state[state.USER] is not None
    assert new["refresh_token"] != old["refresh_token"]
    assert new["expires_at"] > 0


@pytest.mark.security
def test_a_revoked_session_is_signed_out_on_the_next_run(console_env, make_user, engine) -> None:
    user = make_user()
    at = sign_in(user.email, user.password)
    assert at.session_state[state.USER].email == user.email
    with engine.begin() as conn:  # an admin bans the user (or another device signs out)
        conn.execute(
            text("update auth.users set banned_until = now() + interval '1 day' where id = :u"),
            {"u": user.id},
        )
    time.sleep(state.get_settings().session_check_ttl_seconds + 0.5)
    at.run()
    assert not at.exception
    assert at.session_state[state.USER] is None
    assert at.session_state[state.TOKENS] is None
