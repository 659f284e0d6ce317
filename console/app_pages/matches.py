"""Match preview: best vendor/PO candidates, live re-banding with threshold sliders, decisions."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from console import charts, state
from console.feedback import flash, guarded
from core.matching.bands import assign_bands, band_counts
from core.matching.profile import MatchProfile
from core.workflow import invoices, profiles, reference, review
from core.workflow.match_words import explain_match
from core.workflow.states import EDITABLE

MAX_INVOICES = 100
MAX_VENDORS = 2000


def _vendor_names(client_id: Any) -> dict[str, str]:
    names: dict[str, str] = {}
    while len(names) < MAX_VENDORS:
        rows, count = state.call(
            reference.list_vendors, client_id=client_id, limit=200, offset=len(names)
        )
        names.update({str(v.id): v.name for v in rows})
        if not rows or len(names) >= count:
            break
    return names


def _preview_rows(client_id: Any, names: dict[str, str]) -> list[dict[str, Any]]:
    """One row per proposed vendor/PO match of the invoices still under review."""
    listed, _ = state.call(
        invoices.list_invoices,
        filters=invoices.InvoiceFilter(client_id=client_id, status=tuple(EDITABLE)),
        limit=MAX_INVOICES,
    )
    rows = []
    for inv in listed:
        for m in state.call(invoices.list_matches, invoice_id=inv.id):
            if m.kind not in ("vendor", "purchase_order"):
                continue
            scores = [float(c["score"]) for c in m.candidates or []]  # 0-100, as stored
            score = float(m.score) if m.score is not None else float("nan")
            rows.append(
                {
                    "match_id": m.id,
                    "invoice": f"{inv.invoice_number or '—'} ({inv.vendor_name or '?'})",
                    "kind": m.kind,
                    "candidate": m.target_name or "—",
                    "score": score,
                    "margin": scores[0] - scores[1] if len(scores) > 1 else score,
                    "stored_band": m.band,
                    "reason": m.reason,
                    "explanation": explain_match(m.as_dict(), vendor_names=names),
                    "has_candidate": (m.vendor_id if m.kind == "vendor" else m.purchase_order_id)
                    is not None,
                    "decision": m.status,
                    "candidates": m.candidates or [],
                }
            )
    return rows


st.title("Match preview")
client_id = state.require_client()

versions = state.fetch(profiles.list_profiles, action="loading match profiles", client_id=client_id)
names = state.attempt(_vendor_names, action="loading vendors", client_id=client_id) or {}
rows = state.attempt(
    _preview_rows, action="loading match candidates", client_id=client_id, names=names
)
if versions is None or rows is None:
    st.stop()
active = next((v for v in versions if v.is_active), None)
profile = MatchProfile.model_validate(active.profile) if active else MatchProfile()
st.caption(
    f"Active profile: **{profile.name} v{active.version}**"
    if active
    else "Active profile: the built-in default (no saved version yet)"
)

c1, c2, c3 = st.columns(3)
auto_threshold = c1.slider(
    "Auto-accept threshold",
    0.0,
    100.0,
    float(profile.auto_threshold),
    0.5,
    key="matches_auto_threshold",
)
review_threshold = c2.slider(
    "Review threshold",
    0.0,
    100.0,
    float(profile.review_threshold),
    0.5,
    key="matches_review_threshold",
)
margin = c3.slider(
    "Lead over runner-up", 0.0, 50.0, float(profile.margin), 0.5, key="matches_margin"
)
thresholds_ok = review_threshold <= auto_threshold
if not thresholds_ok:
    # Inline, and the page stays: the bands below keep the active profile's thresholds.
    st.error(
        f"The review threshold ({review_threshold:g}) must not exceed the auto-accept threshold "
        f"({auto_threshold:g}): the bands below use the active profile's "
        f"{profile.review_threshold:g} / {profile.auto_threshold:g} until you fix it."
    )
draft = (
    profile.model_copy(
        update={
            "auto_threshold": auto_threshold,
            "review_threshold": review_threshold,
            "margin": margin,
        }
    )
    if thresholds_ok
    else profile
)

if not rows:
    st.info("No match waits for a decision: process some invoices first.")
    st.stop()
frame = pd.DataFrame(rows)
vendor_rows = frame["kind"] == "vendor"
# Vendor matches re-band live under the draft thresholds; PO matches keep their stored band.
frame["band"] = frame["stored_band"]
frame.loc[vendor_rows, "band"] = assign_bands(
    frame.loc[vendor_rows, "score"], frame.loc[vendor_rows, "margin"], draft
)
# The counts are the undecided matches of the table (vendor and PO), as the bulk button acts on.
undecided = frame["decision"] == "proposed"
counts = band_counts(frame.loc[undecided, "band"])
m1, m2, m3 = st.columns(3)
m1.metric("Auto (undecided)", counts["auto"])
m2.metric("Review (undecided)", counts["review"])
m3.metric("Reject (undecided)", counts["reject"])
st.plotly_chart(
    charts.score_histogram(frame[vendor_rows], auto_accept=auto_threshold, review=review_threshold),
    key="matches_hist",
)
st.dataframe(
    frame[
        [
            "invoice",
            "kind",
            "candidate",
            "score",
            "margin",
            "band",
            "stored_band",
            "decision",
            "explanation",
        ]
    ],
    hide_index=True,
    key="matches_table",
    column_config={
        "score": st.column_config.NumberColumn(format="%.1f"),
        "margin": st.column_config.NumberColumn(format="%.1f"),
        "explanation": st.column_config.TextColumn("What it means", width="large"),
    },
)

if state.can("confirm_match"):
    st.subheader("Decide")
    open_rows = frame[frame["decision"] == "proposed"]
    if open_rows.empty:
        st.info("Every match here has been decided.")
    else:
        options = open_rows.to_dict("records")
        by_id = {r["match_id"]: r for r in options}
        match_id = st.selectbox(
            "Match",
            options=list(by_id),
            key="matches_pick",
            format_func=lambda i: (
                f"{by_id[i]['invoice']} → {by_id[i]['candidate']} "
                f"({by_id[i]['kind']}, {by_id[i]['band']})"
            ),
        )
        chosen = by_id[match_id]
        st.caption(chosen["explanation"])
        if not chosen["has_candidate"]:
            st.info("This match proposes no candidate: choose one below, or correct the invoice.")
        if st.button(
            "Confirm best candidate",
            key="matches_confirm",
            type="primary",
            disabled=not chosen["has_candidate"],
        ):
            with guarded("confirming the match"):
                state.call(review.decide_match, match_id=match_id, decision="confirm")
                flash(f"Confirmed {chosen['candidate']} for invoice {chosen['invoice']}.")
                st.rerun()
        if chosen["kind"] == "vendor" and names:
            ranked = [str(c["vendor_id"]) for c in chosen["candidates"]]
            ordered = ranked + sorted(set(names) - set(ranked), key=names.get)
            with st.form("matches_override_form"):
                target = st.selectbox(
                    "Override with (type to search; candidates first)",
                    options=ordered,
                    format_func=lambda v: names.get(v, v),
                    key="matches_override_target",
                )
                if st.form_submit_button("Override"):
                    with guarded("overriding the match"):
                        state.call(
                            review.decide_match,
                            match_id=match_id,
                            decision="override",
                            vendor_id=target,
                        )
                        flash(f"Vendor set to {names.get(target, target)}.")
                        st.rerun()
        auto_ids = open_rows.loc[
            (open_rows["band"] == "auto") & open_rows["has_candidate"], "match_id"
        ].tolist()
        if st.button(
            f"Confirm all {len(auto_ids)} in the auto band",
            key="matches_bulk",
            disabled=not auto_ids,
        ):
            with guarded("confirming the auto band"):
                for mid in auto_ids:
                    state.call(review.decide_match, match_id=mid, decision="confirm")
                flash(f"Confirmed {len(auto_ids)} matches of the auto band.")
                st.rerun()

if state.can("save_profile"):
    with st.form("matches_profile_form"):
        notes = st.text_input("What changed (kept with the new version)", key="matches_notes")
        activate = st.checkbox("Make it the active profile", value=True, key="matches_activate")
        if st.form_submit_button(
            "Save thresholds as a new profile version", disabled=not thresholds_ok
        ):
            with guarded("saving the match profile"):
                saved = state.call(
                    profiles.save_profile,
                    client_id=client_id,
                    profile=draft,
                    activate=activate,
                    notes=notes or None,
                )
                flash(
                    f"Saved profile version {saved.version}"
                    + (" and made it active." if activate else ".")
                )
                st.rerun()

    inactive = [v for v in versions if not v.is_active]
    if inactive:
        with st.form("matches_activate_form"):
            st.caption("Profile versions")
            picked = st.selectbox(
                "Activate a saved version",
                options=[v.version for v in inactive],
                format_func=lambda n: next(
                    f"v{v.version} · {v.name} · {v.notes or ''}" for v in inactive if v.version == n
                ),
                key="matches_activate_version",
            )
            if st.form_submit_button("Activate"):
                with guarded("activating the profile"):
                    state.call(profiles.activate_profile, client_id=client_id, version=picked)
                    flash(f"Profile version {picked} is now active.")
                    st.rerun()
