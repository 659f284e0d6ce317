"""The console on the Supabase backend: st-supabase-connection per-session clients, real HTTP.

Supabase Auth is the loopback fake in ``tests/fakes`` (a real HTTP server speaking GoTrue's
request and error shapes); the database is still the real test database.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from console import state
from tests.e2e.console.conftest import APP, texts
from tests.fakes.supabase_fake import SupabaseFake, running_fake


@pytest.fixture
def supabase_console(test_settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[SupabaseFake]:
    """Console environment with auth_backend=supabase pointed at the fake."""
    with running_fake() as fake:
        env = {
            "DATABASE_URL": test_settings.database_url,
            "INVOICEFLOW_ENVIRONMENT": "test",
            "INVOICEFLOW_DATA_DIR": str(test_settings.data_dir),
            "INVOICEFLOW_AUTH_BACKEND": "supabase",
            "INVOICEFLOW_STORAGE_BACKEND": "local",
            "SUPABASE_URL": fake.url,
            "SUPABASE_ANON_KEY": fake.anon_key,
            "SUPABASE_JWT_SECRET": fake.jwt_secret,
            # The fake keeps its sessions in memory; GoTrue keeps them in the project's database
            # (auth.sessions), which the session check reads (tests/integration/auth).
            "INVOICEFLOW_SUPABASE_SESSION_CHECK": "false",
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        st.cache_resource.clear()
        yield fake
        st.cache_resource.clear()


def _submit(at: AppTest, form: str, email: str, password: str) -> AppTest:
    at.text_input(key=f"auth_{form}_email").input(email)
    at.text_input(key=f"auth_{form}_password").input(password)
    label = "Sign in" if form == "signin" else "Create account"
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def _session_clients(at: AppTest) -> list[object]:
    return [
        at.session_state[k]
        for k in at.session_state
        if str(k).startswith("_st_supabase_connection_session_client")
    ]


def test_sign_up_sign_in_and_out_through_supabase_auth(supabase_console) -> None:
    email = f"sb-{uuid.uuid4().hex[:8]}@example.test"
    first = _submit(
        AppTest.from_file(APP, default_timeout=60).run(),
        "signup",
        email,
        "a long enough password 1",
    )
    assert any(path.endswith("/signup") for _, path, _ in supabase_console.requests)
    assert first.session_state[state.USER] is None  # sign-up says what to do; then sign in
    first = _submit(first, "signin", email, "a long enough password 1")
    assert first.session_state[state.USER].email == email
    assert "not a member of any client" in texts(first)

    second = _submit(
        AppTest.from_file(APP, default_timeout=60).run(),
        "signin",
        email,
        "a long enough password 1",
    )
    assert second.session_state[state.USER].email == email
    # No long-lived Supabase client per browser session (supabase-py's default auto-refresh
    # would rotate tokens on a timer behind the session state): the core adapter is used.
    assert _session_clients(first) == [] and _session_clients(second) == []
    assert first.session_state[state.TOKENS] != second.session_state[state.TOKENS]

    next(b for b in second.button if b.key == "auth_signout").click().run()
    assert second.session_state[state.USER] is None
    logout = [p for _, p, _ in supabase_console.requests if p.endswith("/logout")]
    assert logout
    assert supabase_console.last_headers("/logout") is not None
    first.run()
    assert first.session_state[state.USER].email == email  # the other session is untouched


def test_sign_out_is_local_unless_everywhere_is_asked(supabase_console) -> None:
    email = f"sb-{uuid.uuid4().hex[:8]}@example.test"
    supabase_console.add_user(email, "a long enough password 1")
    phone = _submit(AppTest.from_file(APP, default_timeout=60).run(), "signin", email,
                    "a long enough password 1")  # fmt: skip
    laptop = _submit(AppTest.from_file(APP, default_timeout=60).run(), "signin", email,
                     "a long enough password 1")  # fmt: skip
    assert len(supabase_console.sessions) == 2
    next(b for b in phone.button if b.key == "auth_signout").click().run()
    assert len(supabase_console.sessions) == 1  # scope local: the laptop keeps its session
    phone = _submit(phone, "signin", email, "a long enough password 1")
    next(b for b in laptop.button if b.key == "auth_signout_everywhere").click().run()
    assert laptop.session_state[state.USER] is None
    assert supabase_console.sessions == {}  # scope global: every device
    refresh = phone.session_state[state.TOKENS]["refresh_token"]
    assert refresh not in supabase_console.refresh_tokens  # the phone cannot refresh any more


def test_weak_password_rate_limit_and_unconfirmed_address_show_as_what_they_are(
    supabase_console,
) -> None:
    weak = _submit(AppTest.from_file(APP, default_timeout=60).run(), "signup",
                   f"sb-{uuid.uuid4().hex[:8]}@example.test", "12345")  # fmt: skip
    assert any("weak_password" in w.value for w in weak.warning), texts(weak)
    assert "not reachable" not in texts(weak)
    too_long = _submit(AppTest.from_file(APP, default_timeout=60).run(), "signup",
                       f"sb-{uuid.uuid4().hex[:8]}@example.test", "é" * 40)  # fmt: skip
    assert any("72 bytes" in w.value for w in too_long.warning), texts(too_long)

    supabase_console.confirm_email = True
    address = f"sb-{uuid.uuid4().hex[:8]}@example.test"
    pending = _submit(AppTest.from_file(APP, default_timeout=60).run(), "signup", address,
                      "a long enough password 1")  # fmt: skip
    pending = _submit(pending, "signin", address, "a long enough password 1")
    assert pending.session_state[state.USER] is None
    assert any("confirmation_required" in i.value for i in pending.info), texts(pending)

    supabase_console.gateway_retry_after = 120
    limited = _submit(AppTest.from_file(APP, default_timeout=60).run(), "signin", address,
                      "a long enough password 1")  # fmt: skip
    supabase_console.gateway_retry_after = None
    assert any("rate_limited" in w.value and "2 min" in w.value for w in limited.warning), texts(
        limited
    )
    assert "not answering" not in texts(limited)


def test_wrong_password_on_supabase_is_a_warning(supabase_console) -> None:
    at = _submit(
        AppTest.from_file(APP, default_timeout=60).run(),
        "signin",
        "nobody@example.test",
        "wrong password 123",
    )
    assert at.session_state[state.USER] is None
    assert any("invalid_credentials" in w.value for w in at.warning)


@pytest.mark.security
@pytest.mark.parametrize(
    "confirm_email", [True, False], ids=["confirmation-on", "confirmation-off"]
)
def test_supabase_sign_up_answers_alike_for_new_and_existing_addresses(
    supabase_console, confirm_email: bool
) -> None:
    supabase_console.confirm_email = confirm_email
    taken = f"sb-{uuid.uuid4().hex[:8]}@example.test"
    outcomes = []
    for address in (taken, f"sb-{uuid.uuid4().hex[:8]}@example.test", taken):
        at = _submit(
            AppTest.from_file(APP, default_timeout=60).run(), "signup", address, "long password 1"
        )
        assert at.session_state[state.USER] is None
        outcomes.append([m.value for kind in (at.info, at.warning, at.error) for m in kind])
    assert outcomes[0] == outcomes[1] == outcomes[2]
    assert outcomes[0]
