"""Sign-in, sign-up, sign-out and session refresh for the console.

Two backends, chosen by ``settings.auth_backend``:

- ``supabase``: Supabase Auth through st-supabase-connection. Every call goes through
  ``session_client()``, a Supabase client stored in this browser session's state, never the
  connection's shared client, so one person's sign-in cannot leak into another's session.
- ``local``: the local auth adapter of the services container (users in ``auth.users``).

Either way the access token is verified by the core's one verifier and turned into a
``CurrentUser``; the tokens and the user live only in ``st.session_state``.
"""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from console import state
from console.feedback import flash, guarded
from core import errors

# Refresh a little before expiry so a page run never starts with a token about to lapse.
REFRESH_MARGIN_SECONDS = 60
# Session keys of the sign-up step: what to do next, and the address for the sign-in form.
_SIGNUP_NOTICE = "auth_signup_notice"
_SIGNUP_EMAIL = "auth_signup_pending_email"


def _supabase_client() -> Any:
    """This browser session's Supabase client (created on first use, kept in session state)."""
    from st_supabase_connection import SupabaseConnection

    settings = state.get_settings()
    key = settings.supabase_anon_key.get_secret_value() if settings.supabase_anon_key else ""
    conn = st.connection(
        "invoiceflow_supabase", type=SupabaseConnection, url=settings.supabase_url, key=key
    )
    return conn.session_client()


def _client_ip() -> str | None:
    """The browser's address, for the sign-in lock keyed by e-mail and address.

    Behind Caddy every connection comes from the proxy, which sets X-Forwarded-For to the
    client's address (it drops values sent by untrusted clients): its last entry is the client.
    Without the header (``make run``, loopback) the peer address is the client.
    """
    forwarded = (st.context.headers.get("X-Forwarded-For") or "").split(",")[-1].strip()
    return forwarded or st.context.ip_address


def _uses_supabase() -> bool:
    return state.get_settings().auth_backend == "supabase"


def _tokens_from_supabase(response: Any) -> dict[str, Any]:
    session = getattr(response, "session", None)
    if session is None or not session.access_token:
        raise errors.ConfirmationRequired("Check your inbox to confirm the address, then sign in.")
    return {
        "access_token": session.access_token,
        "refresh_token": session.refresh_token,
        "expires_at": float(session.expires_at or time.time() + (session.expires_in or 3600)),
    }


def _tokens_from_session(session: Any) -> dict[str, Any]:
    return {
        "access_token": session.access_token,
        "refresh_token": session.refresh_token,
        "expires_at": float(session.expires_at),
    }


def _call_supabase(fn: Any, *args: Any) -> Any:
    """Call supabase-auth and translate its exceptions into core errors."""
    from supabase_auth.errors import AuthApiError
    from supabase_auth.errors import AuthError as SupabaseAuthError

    try:
        return fn(*args)
    except AuthApiError as exc:
        if exc.status in (400, 401, 403, 422):
            raise errors.InvalidCredentials(exc.message or "Sign-in refused") from exc
        raise errors.UpstreamError("Supabase Auth is not answering properly") from exc
    except SupabaseAuthError as exc:
        raise errors.UpstreamError("Supabase Auth is not reachable") from exc


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
    ids = [str(m["id"]) for m in members]
    if str(st.session_state.get(state.CLIENT_ID)) not in ids:
        st.session_state[state.CLIENT_ID] = members[0]["id"] if members else None


def sign_in(email: str, password: str) -> None:
    """Sign in with email and password; raises a core error on failure."""
    if _uses_supabase():
        client = _supabase_client()
        response = _call_supabase(
            client.auth.sign_in_with_password, {"email": email, "password": password}
        )
        _establish(_tokens_from_supabase(response))
    else:
        session = state.get_services().auth.sign_in(email, password, client_ip=_client_ip())
        _establish(_tokens_from_session(session))


def sign_up(email: str, password: str) -> None:
    """Request an account; the sign-in form then shows what to do next, prefilled.

    The core's auth adapter answers the same for a new and an existing address (both backends;
    it runs server-side, so no session client is needed): nothing here may differ either.
    """
    result = state.get_services().auth.sign_up(email, password)
    st.session_state[_SIGNUP_NOTICE] = result.message
    st.session_state[_SIGNUP_EMAIL] = result.email


def sign_out() -> None:
    """Revoke the refresh token where possible and forget the user in this session."""
    tokens = st.session_state.get(state.TOKENS) or {}
    try:
        if _uses_supabase():
            _call_supabase(_supabase_client().auth.sign_out)
        elif tokens.get("access_token"):
            state.get_services().auth.sign_out(tokens["access_token"])
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
        if _uses_supabase():
            response = _call_supabase(
                _supabase_client().auth.refresh_session, tokens["refresh_token"]
            )
            new_tokens = _tokens_from_supabase(response)
        else:
            new_tokens = _tokens_from_session(
                state.get_services().auth.refresh(tokens["refresh_token"])
            )
        _establish(new_tokens)
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
            labels = {m["id"]: f"{m['name']} · {m['role']}" for m in members}
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
