"""Review queue: most-needed invoices first, document beside its fields, correct, approve/reject."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from console import charts, state
from console.feedback import flash, guarded
from console.preview import render_pages
from core.db.records import CORRECTABLE_FIELDS
from core.extraction.schema import HEADER_FIELDS
from core.workflow import invoices, line_items, review, review_queue
from core.workflow.states import EDITABLE, InvoiceStatus

LOW_CONFIDENCE = review_queue.LOW_CONFIDENCE
LINE_COLUMNS = [
    "description",
    "product_code",
    "quantity",
    "unit",
    "unit_price",
    "tax_rate",
    "amount",
]
LINE_NUMBERS = ("quantity", "unit_price", "tax_rate", "amount")
# The correctable header fields, in the extraction's order, then any the extraction never reads
# (entered by a reviewer): a new correctable field shows up here with no change to this page.
FIELDS = [f for f in HEADER_FIELDS if f in CORRECTABLE_FIELDS] + [
    f for f in CORRECTABLE_FIELDS if f not in HEADER_FIELDS
]


_WORDS = {"vat": "VAT", "iban": "IBAN", "id": "ID", "po": "PO"}


def _label(name: str) -> str:
    words = [_WORDS.get(w, w) for w in name.split("_")]
    return " ".join([words[0].capitalize() if words[0].islower() else words[0], *words[1:]])


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _field_info(evidence_by_field: dict[str, Any], name: str) -> tuple[float | None, str]:
    """Confidence and evidence text of one field (None when the extraction did not say)."""
    item = evidence_by_field.get(name) or {}
    evidence = item.get("evidence") or {}
    where = f"page {evidence['page']}: " if evidence.get("page") else ""
    text = f"{where}“{evidence['text']}”" if evidence.get("text") else ""
    confidence = item.get("confidence")
    return (None if confidence is None else float(confidence)), text


st.title("Review queue")
client_id = state.require_client()

queue = state.fetch(
    review_queue.review_queue, action="loading the review queue", client_id=client_id, limit=200
)
if queue is None:
    st.stop()
if not queue:
    st.success("Nothing waits for review.")
    st.stop()

labels = {
    row.id: f"{row.vendor_name or '—'} · {row.invoice_number or '—'} · "
    f"{row.review_reason or row.status}"
    for row in queue
}
invoice_id = st.selectbox(
    f"{len(queue)} invoices need a look (most urgent first)",
    options=list(labels),
    format_func=lambda i: labels[i],
    key="review_pick",
)
invoice = state.fetch(invoices.get_invoice, action="opening the invoice", invoice_id=invoice_id)
if invoice is None:
    st.stop()
# Writes name the version the reviewer *saw* (the previous run rendered it), so a change made
# by someone else in between is refused as a conflict instead of silently overwritten.
SEEN = f"review_seen_version_{invoice_id}"
RELOAD = f"review_reload_{invoice_id}"
if st.session_state.pop(RELOAD, False):
    for key in [k for k in st.session_state if str(k).startswith(f"review_field_{invoice_id}_")]:
        del st.session_state[key]
    st.session_state[SEEN] = invoice.version
seen_version = st.session_state.get(SEEN, invoice.version)
evidence = state.fetch(
    review_queue.field_evidence, action="loading the evidence", invoice_id=invoice_id
) or {"fields": {}, "warnings": []}

left, right = st.columns([5, 6], gap="large")
with left:
    st.subheader("Document")
    with guarded("loading the document"):
        data, _content_type, name = state.call(invoices.original_file, invoice_id=invoice_id)
        pages = render_pages(data)
        if pages:
            for number, png in enumerate(pages, start=1):
                st.image(png, caption=f"{name} · page {number}", width="stretch")
        else:
            st.info(f"No preview for {name}; download it from Downloads.")

editable = state.can("correct") and InvoiceStatus(invoice.status) in EDITABLE
with right:
    st.subheader("Extracted fields")
    st.caption(
        f"Status **{invoice.status}** · extractor {invoice.extractor or '—'} · "
        f"overall confidence {float(invoice.confidence or 0):.0%}"
    )
    infos = {name: _field_info(evidence["fields"], name) for name in FIELDS}
    if evidence["warnings"]:
        st.error("Failed checks: " + "; ".join(str(w) for w in evidence["warnings"]))
    low = [n for n, (c, _) in infos.items() if c is not None and c < LOW_CONFIDENCE]
    if low:
        st.warning(
            "Check these low-confidence fields: "
            + ", ".join(f"**{_label(n)}** ({infos[n][0]:.0%})" for n in low)
        )
    with st.form(f"review_fields_form_{invoice_id}"):
        values: dict[str, str] = {}
        for name in FIELDS:
            confidence, where = infos[name]
            flag = " :material/warning:" if name in low else ""
            help_text = (f"Confidence {confidence:.0%}. " if confidence is not None else "") + (
                f"Evidence {where}" if where else "No evidence on the page."
            )
            values[name] = st.text_input(
                f"{_label(name)}{flag}",
                value=_text(getattr(invoice, name)),
                key=f"review_field_{invoice_id}_{name}",
                disabled=not editable,
                help=help_text,
            )
            if name in low and where:
                st.caption(f"↳ evidence {where}")
        saved = st.form_submit_button("Save corrections", disabled=not editable, type="primary")
    if saved:
        changes = {n: values[n] for n in FIELDS if values[n] != _text(getattr(invoice, n))}
        if not changes:
            st.info("Nothing changed.")
        else:
            with guarded("saving corrections"):
                updated = state.call(
                    review.correct_fields,
                    invoice_id=invoice_id,
                    changes=changes,
                    expected_version=seen_version,
                )
                st.session_state[SEEN] = updated.version
                flash(f"Saved {len(changes)} field correction{'s' * (len(changes) > 1)}.")
                st.rerun()

    st.caption("Line items")
    with st.form(f"review_lines_form_{invoice_id}"):
        edited = st.data_editor(
            pd.DataFrame([line.as_dict() for line in invoice.lines])
            .reindex(columns=LINE_COLUMNS)
            .astype({c: "float64" for c in LINE_NUMBERS}),
            num_rows="dynamic" if editable else "fixed",
            disabled=not editable,
            width="stretch",
            key=f"review_lines_{invoice_id}",
            column_config={c: st.column_config.NumberColumn(c) for c in LINE_NUMBERS},
        )
        save_lines = st.form_submit_button("Save line items", disabled=not editable)
    if save_lines:
        with guarded("saving line items"):
            updated = state.call(
                line_items.correct_lines,
                invoice_id=invoice_id,
                lines=edited.to_dict("records"),
                expected_version=seen_version,
            )
            st.session_state[SEEN] = updated.version
            flash(f"Saved {len(edited)} line items.")
            st.rerun()

    if state.can("approve"):
        with st.form(f"review_decide_form_{invoice_id}"):
            reason = st.text_input("Reason (needed to reject)", key=f"review_reason_{invoice_id}")
            a, r = st.columns(2)
            approve = a.form_submit_button("Approve", type="primary")
            reject = r.form_submit_button("Reject")
        if approve:
            with guarded("approving"):
                state.call(
                    review.approve_invoice,
                    invoice_id=invoice_id,
                    expected_version=seen_version,
                )
                flash("Invoice approved.")
                st.rerun()
        if reject:
            with guarded("rejecting"):
                state.call(
                    review.reject_invoice,
                    invoice_id=invoice_id,
                    reason=reason,
                    expected_version=seen_version,
                )
                flash("Invoice rejected.")
                st.rerun()

if seen_version != invoice.version:
    st.info("Someone changed this invoice while you were looking at it.")
    if st.button("Reload the latest version", key=f"review_reload_button_{invoice_id}"):
        st.session_state[RELOAD] = True
        st.rerun()
else:
    st.session_state[SEEN] = invoice.version

with st.expander("Audit trail"):
    trail = state.fetch(invoices.audit_log, action="loading the audit trail", invoice_id=invoice_id)
    if trail:
        st.dataframe(
            charts.display_frame(trail, ["created_at", "action", "actor_id", "before", "after"]),
            hide_index=True,
            key="review_audit",
        )
