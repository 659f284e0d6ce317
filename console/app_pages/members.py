"""Members and invitations: your own invitations to accept or decline; owners invite by e-mail.

Nobody is added to a client without accepting (issue 11): an owner invites an address, and the
person signed in with that (verified) address sees the invitation here and answers it.
"""

from __future__ import annotations

import streamlit as st

from console import auth_ui, charts, state
from console.feedback import flash, guarded
from core.workflow import clients, invitations

ROLES = ["viewer", "analyst", "operator", "owner"]
INVITATION_COLUMNS = ["email", "role", "status", "expires_at", "created_at"]
MEMBER_COLUMNS = ["user_id", "role", "created_at"]

st.title("Members & invitations")

st.subheader("Invitations for you")
mine = state.fetch(invitations.my_invitations, action="loading your invitations") or []
if not mine:
    st.caption("No open invitations for your e-mail address.")
for invitation in mine:
    iid = invitation.id
    with st.container(border=True):
        st.markdown(
            f"**{invitation.client_name}** invites you as **{invitation.role}** "
            f"(until {invitation.expires_at:%Y-%m-%d})."
        )
        accept_col, decline_col = st.columns(2)
        if accept_col.button("Accept", key=f"members_accept_{iid}", type="primary"):
            with guarded("accepting the invitation"):
                state.call(invitations.accept_invitation, invitation_id=iid)
                auth_ui.load_memberships()
                flash(f"You are now a member of {invitation.client_name}.")
                st.rerun()
        if decline_col.button("Decline", key=f"members_decline_{iid}"):
            with guarded("declining the invitation"):
                state.call(invitations.decline_invitation, invitation_id=iid)
                flash("Invitation declined.", "info")
                st.rerun()

client_id = state.active_client_id()
if client_id is None:
    st.info("Pick a client in the sidebar to see its members (you need a membership first).")
    st.stop()

st.subheader("Members")
members = state.fetch(clients.list_members, action="listing members", client_id=client_id)
if members is not None:
    st.dataframe(charts.display_frame(members, MEMBER_COLUMNS), hide_index=True, key="members_list")

if state.active_role() != "owner":
    st.caption("Only owners invite members and see the client's invitations.")
    st.stop()

st.subheader("Invite someone")
with st.form("members_invite_form", clear_on_submit=True):
    email = st.text_input("E-mail address", key="members_invite_email")
    role = st.selectbox("Role", ROLES, key="members_invite_role")
    submitted = st.form_submit_button("Send invitation", type="primary")
if submitted:
    with guarded("inviting"):
        sent = state.call(invitations.invite_member, client_id=client_id, email=email, role=role)
        # The same answer whatever the address: whether it has an account is not ours to say.
        flash(f"Invitation for {sent.email} as {sent.role} is pending.")
        st.rerun()

listed = state.fetch(
    invitations.list_invitations, action="listing invitations", client_id=client_id
)
if listed:
    st.dataframe(
        charts.display_frame(listed, INVITATION_COLUMNS),
        hide_index=True,
        key="members_invitations",
    )
    for invitation in (i for i in listed if i.status == "pending"):
        iid = invitation.id
        if st.button(f"Revoke {invitation.email}", key=f"members_revoke_{iid}"):
            with guarded("revoking the invitation"):
                state.call(invitations.revoke_invitation, client_id=client_id, invitation_id=iid)
                flash(f"Invitation for {invitation.email} revoked.", "info")
                st.rerun()
elif listed is not None:
    st.caption("No invitations yet.")
