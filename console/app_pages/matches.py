"""Match preview: best vendor/PO candidates, live re-banding with threshold sliders, decisions."""

from __future__ import annotations

import streamlit as st

from console import charts, state
from console.feedback import flash, guarded
from core import workflow as wf

st.title("🔗 Match preview")
client_id = state.require_client()

preview = state.fetch(wf.match_preview, action="loading match candidates", client_id=client_id)
profile = state.fetch(
    wf.get_active_match_profile, action="loading the match profile", client_id=client_id
)
if preview is None or profile is None:
    st.stop()

st.caption(f"Active profile: **{profile.label}** (scorer {profile.scorer})")
c1, c2, c3 = st.columns(3)
auto_threshold = c1.slider(
    "Auto-accept threshold",
    0.0,
    100.0,
    float(profile.auto_threshold),
    1.0,
    key="matches_auto_threshold",
)
review_threshold = c2.slider(
    "Review threshold",
    0.0,
    100.0,
    float(profile.review_threshold),
    1.0,
    key="matches_review_threshold",
)
margin = c3.slider(
    "Margin over runner-up", 0.0, 50.0, float(profile.margin), 1.0, key="matches_margin"
)
if review_threshold > auto_threshold:
    st.warning("The review threshold must not exceed the auto-accept threshold.")
    st.stop()

# Re-band with the matching engine's own decision rule; only the thresholds change.
draft = profile.model_copy(
    update={
        "auto_threshold": auto_threshold,
        "review_threshold": review_threshold,
        "margin": margin,
    }
)
frame = wf.match_preview_frame(preview, profile=draft)
if frame.empty:
    st.info("No matches yet: process some invoices first.")
    st.stop()

counts = frame["band"].value_counts()
m1, m2, m3 = st.columns(3)
m1.metric("Auto", int(counts.get("auto", 0)))
m2.metric("Review", int(counts.get("review", 0)))
m3.metric("Reject", int(counts.get("reject", 0)))
st.plotly_chart(
    charts.score_histogram(frame, auto_accept=auto_threshold, review=review_threshold),
    key="matches_hist",
)
st.dataframe(
    frame[["invoice", "kind", "candidate", "score", "margin", "band", "reason", "decision"]],
    hide_index=True,
    key="matches_table",
)

if state.can("confirm_match"):
    st.subheader("Decide")
    ids = {m.id: row for m, row in zip(preview, frame.to_dict("records"), strict=True)}
    match_id = st.selectbox(
        "Match",
        options=list(ids),
        key="matches_pick",
        format_func=lambda i: f"{ids[i]['invoice']} → {ids[i]['candidate']}",
    )
    chosen = next(m for m in preview if m.id == match_id)
    b1, b2 = st.columns(2)
    if b1.button("Confirm best candidate", key="matches_confirm", type="primary"):
        with guarded("confirming the match"):
            state.call(wf.confirm_match, match_id=match_id)
            flash("Match confirmed.")
            st.rerun()
    with b2.form("matches_override_form"):
        target = st.selectbox(
            "Override with",
            options=[c.target_id for c in chosen.candidates],
            format_func=lambda t: next(
                f"{c.name} ({c.score:.2f})" for c in chosen.candidates if c.target_id == t
            ),
            key="matches_override_target",
        )
        if st.form_submit_button("Override"):
            with guarded("overriding the match"):
                state.call(wf.override_match, match_id=match_id, target_id=target)
                flash("Match overridden.")
                st.rerun()
    auto_ids = [m.id for m, band in zip(preview, frame["band"], strict=True) if band == "auto"]
    if st.button(
        f"Confirm all {len(auto_ids)} in the auto band", key="matches_bulk", disabled=not auto_ids
    ):
        with guarded("confirming the auto band"):
            done = state.call(wf.confirm_matches, match_ids=auto_ids)
            flash(f"Confirmed {done} matches.")
            st.rerun()

if state.can("save_profile"):
    with st.form("matches_profile_form"):
        note = st.text_input("What changed (saved with the new version)", key="matches_note")
        if st.form_submit_button("Save thresholds as a new profile version"):
            with guarded("saving the match profile"):
                saved = state.call(
                    wf.save_match_profile,
                    client_id=client_id,
                    auto_threshold=auto_threshold,
                    review_threshold=review_threshold,
                    margin=margin,
                    note=note,
                )
                flash(f"Saved {saved.name} v{saved.version} and made it active.")
                st.rerun()
