"""Sign-in, sign-up, sign-out and session refresh for the console.

Both backends (``settings.auth_backend``: ``supabase`` or ``local``) go through the core's auth
adapter of the services container, the same one the API uses. For Supabase that adapter builds a
fresh GoTrue client per call with auto-refresh and persistence off, so:

- no client refreshes tokens on a timer behind this session's state (st-supabase-connection's
  ``session_client()`` is built with supabase-py's defaults, auto-refresh on: each browser session
  would rotate its refresh token in a background thread and spend the deployment's shared Auth
  allowance);
- sign-ins carry the browser's address in ``Sb-Forwarded-For`` when an ``sb_secret_`` key is
  configured, so Supabase's rate limits count per user, not per server;
- Auth's answers arrive as core errors: rate limits (with their wait), weak passwords and
  unconfirmed addresses are shown as what they are.

The access token is verified by the core's one verifier and turned into a ``CurrentUser``; the
tokens and the user live only in ``st.session_state``, never in a shared object.
"""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from console import state
from console.feedback import flash, guarded
from core import errors
from core.auth.passwords import check_password_length

# Refresh a little before expiry so a page run never starts with a token about to lapse.
REFRESH_MARGIN_SECONDS = 60
# Session keys of the sign-up step: what to do next, and the address for the sign-in form.
_SIGNUP_NOTICE = "auth_signup_notice"
_SIGNUP_EMAIL = "auth_signup_pending_email"


def _client_ip() -> str | None:
    """The browser's address, for the sign-in lock keyed by e-mail and address.

    Behind Caddy every connection comes from the proxy, which sets X-Forwarded-For to the
    client's address (it drops values sent by untrusted clients): its last entry is the client.
    Without the header (``make run``, loopback) the peer address is the client.
    """
    forwarded = (st.context.headers.get("X-Forwarded-For") or "").split(",")[-1].strip()
    return forwarded or st.context.ip_address


def _tokens_from_session(session: Any) -> dict[str, Any]:
    return {
        "access_token": session.access_token,
        "refresh_token": session.refresh_token,
        "expires_at": float(session.expires_at),
    }


def _establish(tokens: dict[str, Any]) -> None:
    """Verify the access token, load the memberships and store both in this session."""
    user = state.get_services().auth.get_user(tokens["access_token"])
    st.session_state[state.TOKENS] = tokens
    st.session_state[state.USER] = user
    load_memberships()


def load_memberships() -> None:
    """Refresh the list of clients the signed-in user belongs to and keep the pick valid."""
    from core.workflow import clients

    members = tuple(state.call(clients.list_clients))
    st.session_state[state.MEMBERSHIPS] = members
    ids = [str(m.id) for m in members]
    if str(st.session_state.get(state.CLIENT_ID)) not in ids:
        st.session_state[state.CLIENT_ID] = members[0].id if members else None


def sign_in(email: str, password: str) -> None:
    """Sign in with email and password; raises a core error on failure."""
    session = state.get_services().auth.sign_in(email, password, client_ip=_client_ip())
    _establish(_tokens_from_session(session))


def sign_up(email: str, password: str) -> None:
    """Request an account; the sign-in form then shows what to do next, prefilled.

    The core's auth adapter answers the same for a new and an existing address (both backends;
    it runs server-side, so no session client is needed): nothing here may differ either.
    """
    check_password_length(password)  # Supabase Auth and bcrypt take at most 72 bytes
    result = state.get_services().auth.sign_up(email, password)
    st.session_state[_SIGNUP_NOTICE] = result.message
    st.session_state[_SIGNUP_EMAIL] = result.email


def sign_out(*, everywhere: bool = False) -> None:
    """Revoke this session (or, asked to, every session of the user) and forget the user here.

    Only this browser session by default (scope ``local``): the user's other browsers and API
    clients keep working unless they ask for everywhere.
    """
    tokens = st.session_state.get(state.TOKENS) or {}
    auth = state.get_services().auth
    try:
        if tokens.get("access_token"):
            if everywhere:
                auth.sign_out_everywhere(tokens["access_token"])
            else:
                auth.sign_out(tokens["access_token"])
    except errors.AuthError:
        pass  # an expired or revoked session is already as signed out as it gets
    finally:
        state.clear_user()


def refresh_if_needed() -> None:
    """Refresh the token pair shortly before it expires; sign out when that fails.

    On every other run, check that the session is still live (the verifier's session check,
    cached for a few seconds): a sign-out elsewhere, a revoked session, a ban or a deletion ends
    this browser session too instead of letting it act until the token expires.
    """
    tokens = st.session_state.get(state.TOKENS)
    if not tokens:
        return
    if tokens["expires_at"] - time.time() > REFRESH_MARGIN_SECONDS:
        try:
            state.get_services().verifier.current_user(tokens["access_token"])
        except errors.AuthError:
            state.clear_user()
            flash("Your session has ended. Please sign in again.", "info")
        return
    try:
        new_tokens = _tokens_from_session(
            state.get_services().auth.refresh(tokens["refresh_token"])
        )
        _establish(new_tokens)
    except (errors.RateLimited, errors.UpstreamError) as exc:
        # Auth is busy or away: keep the session while the token still works, and say why.
        if tokens["expires_at"] > time.time():
            flash(f"Could not refresh the session yet: {exc.message}", "warning")
            return
        state.clear_user()
        flash(f"Your session expired and could not be refreshed: {exc.message}", "info")
    except errors.InvoiceFlowError:
        state.clear_user()
        flash("Your session expired. Please sign in again.", "info")


def sign_in_page() -> None:
    """The page shown to anonymous visitors: sign in or create an account."""
    st.title("InvoiceFlow")
    if _SIGNUP_EMAIL in st.session_state:  # set before the widget exists in this run
        st.session_state["auth_signin_email"] = st.session_state.pop(_SIGNUP_EMAIL)
    notice = st.session_state.get(_SIGNUP_NOTICE)
    if notice:
        st.info(notice)
    tab_in, tab_up = st.tabs(["Sign in", "Create account"])
    with tab_in, st.form("auth_signin_form"):
        email = st.text_input("Email", key="auth_signin_email")
        password = st.text_input("Password", type="password", key="auth_signin_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        with guarded("signing in"):
            sign_in(email.strip(), password)
            st.rerun()
    with tab_up, st.form("auth_signup_form"):
        email_up = st.text_input("Email", key="auth_signup_email")
        password_up = st.text_input("Password", type="password", key="auth_signup_password")
        submitted_up = st.form_submit_button("Create account")
    if submitted_up:
        with guarded("creating the account"):
            sign_up(email_up.strip(), password_up)
            st.rerun()


def sidebar() -> None:
    """Signed-in user, client picker limited to the user's memberships, sign-out."""
    user = state.current_user()
    members = state.memberships()
    with st.sidebar:
        st.caption(f"Signed in as **{getattr(user, 'email', '')}**")
        if members:
            labels = {m.id: f"{m.name} · {m.role}" for m in members}
            st.selectbox(
                "Client",
                options=list(labels),
                format_func=lambda cid: labels[cid],
                key=state.CLIENT_ID,
            )
        else:
            st.info(
                "You are not a member of any client yet. Ask an owner to invite you; "
                "invitations appear under Setup → Members & invitations."
            )
        if st.button("Sign out", key="auth_signout"):
            with guarded("signing out"):
                sign_out()
            st.rerun()
        if st.button(
            "Sign out everywhere",
            key="auth_signout_everywhere",
            help="Also ends your sessions in other browsers and API clients.",
        ):
            with guarded("signing out everywhere"):
                sign_out(everywhere=True)
            st.rerun()
