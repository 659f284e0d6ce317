"""Integrations (owners): API keys for other systems, signed webhooks with their delivery log,
and the client's IMAP mailboxes with their failures. Everything goes through the same use cases
as the API (``core.workflow.api_keys``, ``webhooks``, ``mailboxes``)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from console import charts, state
from console.feedback import flash, guarded
from core.workflow import api_keys, mailboxes, webhooks

KEY_COLUMNS = ["name", "role", "prefix", "status", "expires_at", "last_used_at"]
HOOK_COLUMNS = ["url", "event_types", "enabled", "description", "created_at"]
DELIVERY_COLUMNS = ["created_at", "event_type", "status", "attempts", "last_status_code",
                    "last_error"]  # fmt: skip
BOX_COLUMNS = ["name", "host", "username", "enabled", "last_poll_at", "last_error"]
FAILED_COLUMNS = ["created_at", "sender", "subject", "reason"]

st.title("Integrations")
client_id = state.require_client()
if state.active_role() != "owner":
    st.caption("Only owners manage API keys, webhooks and mailboxes.")
    st.stop()

# API keys --------------------------------------------------------------------------------------
st.subheader("API keys")
shown = st.session_state.pop("integrations_new_key", None)
if shown:
    st.success("Copy the key now: it is shown only this once.")
    st.code(shown, language=None)
with st.form("integrations_key_form", clear_on_submit=True):
    c1, c2, c3 = st.columns(3)
    key_name = c1.text_input("Name", key="integrations_key_name")
    key_role = c2.selectbox("Role", list(api_keys.KEY_ROLES), key="integrations_key_role")
    expires = c3.date_input("Expires (optional)", value=None, key="integrations_key_expires")
    make_key = st.form_submit_button("Create API key", type="primary")
if make_key:
    with guarded("creating the API key"):
        expiry = (
            dt.datetime.combine(expires, dt.time.min, tzinfo=dt.timezone.utc) if expires else None
        )
        created = state.call(api_keys.create_key, client_id=client_id, name=key_name,
                             role=key_role, expires_at=expiry)  # fmt: skip
        st.session_state["integrations_new_key"] = created.key
        st.rerun()
keys = state.fetch(api_keys.list_keys, action="listing API keys", client_id=client_id) or []
if keys:
    st.dataframe(charts.display_frame(keys, KEY_COLUMNS), hide_index=True, key="integrations_keys")
for key in (k for k in keys if k.status == "active"):
    if st.button(f"Revoke {key.name} ({key.display_prefix})", key=f"integrations_revoke_{key.id}"):
        with guarded("revoking the API key"):
            state.call(api_keys.revoke_key, client_id=client_id, key_id=key.id)
            flash(f"{key.name} is revoked.")
            st.rerun()

# Webhooks --------------------------------------------------------------------------------------
st.subheader("Webhooks")
secret = st.session_state.pop("integrations_new_secret", None)
if secret:
    st.success("The endpoint's signing secret, shown only this once:")
    st.code(secret, language=None)
with st.form("integrations_hook_form", clear_on_submit=True):
    url = st.text_input("URL (https)", key="integrations_hook_url")
    all_events = list(webhooks.EVENT_TYPES)
    events = st.multiselect(
        "Events", all_events, default=all_events, key="integrations_hook_events"
    )
    make_hook = st.form_submit_button("Add endpoint", type="primary")
if make_hook:
    with guarded("adding the webhook endpoint"):
        made = state.call(webhooks.create_endpoint, client_id=client_id, url=url,
                          event_types=events)  # fmt: skip
        st.session_state["integrations_new_secret"] = made.secret
        st.rerun()
hooks = state.fetch(webhooks.list_endpoints, action="listing webhooks", client_id=client_id) or []
if hooks:
    st.dataframe(charts.display_frame(hooks, HOOK_COLUMNS), hide_index=True,
                 key="integrations_hooks")  # fmt: skip
    deliveries = state.fetch(webhooks.list_deliveries, action="loading the delivery log",
                             client_id=client_id, limit=50) or []  # fmt: skip
    st.caption("Delivery log (newest first)")
    st.dataframe(charts.display_frame(deliveries, DELIVERY_COLUMNS), hide_index=True,
                 key="integrations_deliveries")  # fmt: skip
    for d in (d for d in deliveries if d.status == "failed"):
        if st.button(f"Redeliver {d.event_type} of {d.created_at:%Y-%m-%d %H:%M:%S}",
                     key=f"integrations_redeliver_{d.id}"):  # fmt: skip
            with guarded("redelivering"):
                state.call(webhooks.redeliver, client_id=client_id, delivery_id=d.id)
                flash("Queued again.")
                st.rerun()

# Mailboxes -------------------------------------------------------------------------------------
st.subheader("Mailboxes")
with st.form("integrations_box_form", clear_on_submit=True):
    c1, c2, c3 = st.columns(3)
    box_name = c1.text_input("Name", key="integrations_box_name")
    host = c2.text_input("IMAP host", key="integrations_box_host")
    port = c3.number_input("Port", value=993, min_value=1, max_value=65535,
                           key="integrations_box_port")  # fmt: skip
    username = c1.text_input("User name", key="integrations_box_user")
    password = c2.text_input("Password", type="password", key="integrations_box_password")
    security = c3.selectbox("Security", ["ssl", "starttls"], key="integrations_box_security")
    make_box = st.form_submit_button("Add mailbox", type="primary")
if make_box:
    with guarded("adding the mailbox"):
        state.call(mailboxes.create_mailbox, client_id=client_id, name=box_name, host=host,
                   port=int(port), security=security, username=username,
                   password=password)  # fmt: skip
        flash(f"{box_name} is polled from now on.")
        st.rerun()
boxes = state.fetch(mailboxes.list_mailboxes, action="listing mailboxes", client_id=client_id)
for box in boxes or []:
    with st.container(border=True):
        st.markdown(f"**{box.name}**: {box.username} at {box.host}:{box.port}")
        if box.last_error:
            st.warning(f"Last poll failed: {box.last_error}")
        failed = state.fetch(mailboxes.list_messages, action="loading the failures",
                             client_id=client_id, mailbox_id=box.id, outcome="failed",
                             limit=20) or []  # fmt: skip
        if failed:
            st.caption("Messages that could not be processed (moved to the failed folder)")
            st.dataframe(charts.display_frame(failed, FAILED_COLUMNS), hide_index=True,
                         key=f"integrations_failed_{box.id}")  # fmt: skip
