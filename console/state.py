"""Session state helpers and the cached composition root.

Only process-wide, user-independent objects are cached with ``st.cache_resource`` (settings and
the services container). Everything about the signed-in user lives in ``st.session_state``, which
Streamlit keeps per browser session, so two sessions never see each other's user or data.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.config import Settings

# Session keys owned by the shell; pages prefix their own widget keys with their page name.
USER = "auth_user"
TOKENS = "auth_tokens"
CLIENT_ID = "active_client_id"
MEMBERSHIPS = "auth_memberships"
PAGE_NOW = "_page_now"
PAGE_BEFORE = "_page_before"

DEFAULTS: dict[str, Any] = {
    USER: None,
    TOKENS: None,
    CLIENT_ID: None,
    MEMBERSHIPS: (),
}


def init_session() -> None:
    """Set the session defaults once per browser session."""
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)


@st.cache_resource(show_spinner=False)
def get_settings() -> Settings:
    """Settings read once per process (the environment does not change under a running app)."""
    return Settings()


@st.cache_resource(show_spinner="Starting InvoiceFlow…")
def get_services() -> Any:
    """The shared, user-independent services container from the one composition root."""
    from core.bootstrap import build_services

    return build_services(get_settings())


def note_page(url_path: str) -> None:
    """Remember which page this run shows (and which the previous run showed)."""
    st.session_state[PAGE_BEFORE] = st.session_state.get(PAGE_NOW)
    st.session_state[PAGE_NOW] = url_path


def page_entered() -> bool:
    """True when this run opens the page from another one (not a rerun of the same page)."""
    return st.session_state.get(PAGE_BEFORE) != st.session_state.get(PAGE_NOW)


def current_user() -> Any | None:
    """The signed-in ``CurrentUser`` of this browser session, or None."""
    return st.session_state.get(USER)


def require_user() -> Any:
    """The signed-in user; stops the page when nobody is signed in."""
    user = current_user()
    if user is None:
        st.info("Please sign in.")
        st.stop()
    return user


def memberships() -> tuple[Any, ...]:
    """The user's clients (``core.db.records.Client``: id, name, role), loaded at sign-in."""
    return tuple(st.session_state.get(MEMBERSHIPS) or ())


def active_membership() -> Any | None:
    """The membership of the client picked in the sidebar, if any."""
    wanted = st.session_state.get(CLIENT_ID)
    for member in memberships():
        if str(member.id) == str(wanted):
            return member
    return None


def active_client_id() -> Any | None:
    """The id of the client picked in the sidebar, if any."""
    member = active_membership()
    return None if member is None else member.id


def active_role() -> str | None:
    """The user's role in the active client (owner, operator, analyst, viewer)."""
    member = active_membership()
    return None if member is None else member.role


def clear_user() -> None:
    """Forget everything about the signed-in user in this browser session."""
    keep = {"_flash"}
    for key in list(st.session_state.keys()):
        if key not in keep:
            del st.session_state[key]
    init_session()


def call(fn: Any, /, **kwargs: Any) -> Any:
    """Call a ``core.workflow`` use case as the signed-in user of this browser session."""
    return fn(services=get_services(), user=require_user(), **kwargs)


def require_client() -> Any:
    """The active client id; stops the page when the user has none."""
    require_user()
    client_id = active_client_id()
    if client_id is None:
        st.info("Pick a client in the sidebar (you need a membership first).")
        st.stop()
    return client_id


def fetch(fn: Any, /, *, action: str, **kwargs: Any) -> Any | None:
    """Like ``call`` for reads: on error show it (see ``console.feedback``) and return None."""
    from console.feedback import show_error

    try:
        return call(fn, **kwargs)
    except Exception as exc:
        show_error(exc, action=action)
        return None


def _action_roles() -> dict[str, tuple[str, ...]]:
    from core.workflow.access import OWNERS, PROFILE_WRITERS, WRITERS

    return {
        "upload": WRITERS,
        "correct": WRITERS,
        "approve": WRITERS,
        "confirm_match": WRITERS,
        "import_reference": WRITERS,
        "remove_learned": WRITERS,
        "pause_ladder": OWNERS,
        "save_profile": PROFILE_WRITERS,
    }


def can(action: str) -> bool:
    """True when the user's role in the active client may ``action`` (the core's role table).

    Only decides which buttons a page shows: the core and RLS refuse the action anyway.
    """
    return (active_role() or "") in _action_roles()[action]


def attempt(fn: Any, /, *, action: str, **kwargs: Any) -> Any | None:
    """Run a page helper (which itself calls use cases); on error show it and return None."""
    from console.feedback import show_error

    try:
        return fn(**kwargs)
    except Exception as exc:
        show_error(exc, action=action)
        return None
