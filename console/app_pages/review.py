"""Review queue: most-needed invoices first, document beside its fields, correct, approve/reject."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from console import state
from console.feedback import flash, guarded
from console.preview import render_pages
from core import workflow as wf

LOW_CONFIDENCE = 0.8

st.title("📝 Review queue")
client_id = state.require_client()

queue = state.fetch(
    wf.list_review_queue, action="loading the review queue", client_id=client_id, limit=200
)
if queue is None:
    st.stop()
if not queue:
    st.success("Nothing waits for review. 🎉")
    st.stop()

labels = {
    item.id: f"{item.vendor_name or '—'} · {item.invoice_number or '—'} · {item.reason}"
    for item in queue
}
invoice_id = st.selectbox(
    f"{len(queue)} invoices need a look (most urgent first)",
    options=list(labels),
    format_func=lambda i: labels[i],
    key="review_pick",
)

invoice = state.fetch(wf.get_invoice, action="opening the invoice", invoice_id=invoice_id)
if invoice is None:
    st.stop()

left, right = st.columns([5, 6], gap="large")
with left:
    st.subheader("Document")
    with guarded("loading the document"):
        original = state.call(wf.get_original_file, invoice_id=invoice_id)
        pages = render_pages(original.content)
        if pages:
            for number, png in enumerate(pages, start=1):
                st.image(png, caption=f"Page {number}", width="stretch")
        else:
            st.info(f"No preview for {original.file_name}; download it from Downloads.")

editable = state.can("correct") and invoice.status in wf.EDITABLE_STATUSES
with right:
    st.subheader("Extracted fields")
    low = [f for f in invoice.fields if f.confidence < LOW_CONFIDENCE]
    if low:
        st.warning(
            "Low confidence: " + ", ".join(f"**{f.label}** ({f.confidence:.0%})" for f in low)
        )
    with st.form("review_fields_form"):
        values: dict[str, str] = {}
        for field in invoice.fields:
            flag = " ⚠️" if field.confidence < LOW_CONFIDENCE else ""
            values[field.name] = st.text_input(
                f"{field.label}{flag}",
                value=field.display_value,
                key=f"review_field_{invoice_id}_{field.name}",
                disabled=not editable,
                help=(
                    f"Confidence {field.confidence:.0%}. Evidence (page {field.evidence_page}): "
                    f"“{field.evidence_text}”"
                    if field.evidence_text
                    else f"Confidence {field.confidence:.0%}; no evidence on the page."
                ),
            )
        st.caption("Line items")
        lines = st.data_editor(
            pd.DataFrame(invoice.line_items),
            num_rows="dynamic" if editable else "fixed",
            disabled=not editable,
            width="stretch",
            key=f"review_lines_{invoice_id}",
        )
        saved = st.form_submit_button("Save corrections", disabled=not editable, type="primary")
    if saved:
        changes = {
            f.name: values[f.name] for f in invoice.fields if values[f.name] != f.display_value
        }
        with guarded("saving corrections"):
            state.call(
                wf.correct_invoice,
                invoice_id=invoice_id,
                changes=changes,
                line_items=lines.to_dict("records"),
                expected_version=invoice.version,
            )
            flash(f"Saved {len(changes)} field corrections.")
            st.rerun()

    if state.can("approve"):
        a, r = st.columns(2)
        reason = st.text_input("Reason (for a rejection)", key=f"review_reason_{invoice_id}")
        if a.button("Approve", key=f"review_approve_{invoice_id}", type="primary"):
            with guarded("approving"):
                state.call(
                    wf.approve_invoice, invoice_id=invoice_id, expected_version=invoice.version
                )
                flash("Invoice approved.")
                st.rerun()
        if r.button("Reject", key=f"review_reject_{invoice_id}"):
            with guarded("rejecting"):
                state.call(
                    wf.reject_invoice,
                    invoice_id=invoice_id,
                    reason=reason,
                    expected_version=invoice.version,
                )
                flash("Invoice rejected.")
                st.rerun()
