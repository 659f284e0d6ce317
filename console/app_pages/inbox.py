"""Inbox: upload many files at once, watch each batch's progress, see the latest invoices."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from console import state
from console.feedback import guarded, show_error
from core.workflow import clients, invoices, uploads

ACCEPTED_TYPES = ["pdf", "png", "jpg", "jpeg", "tif", "tiff", "xml"]
BATCHES = "inbox_batches"
LATEST_COLUMNS = [
    "file_name",
    "status",
    "vendor_name",
    "invoice_number",
    "invoice_date",
    "currency",
    "total",
    "confidence",
    "match_band",
    "created_at",
]

st.title("Inbox & upload")
client_id = state.require_client()
st.session_state.setdefault(BATCHES, [])

limit_mb = uploads.megabytes(state.get_settings().max_upload_bytes)
if state.can("upload"):
    with st.form("inbox_upload_form", clear_on_submit=True):
        files = st.file_uploader(
            f"Drop invoices here: PDF, images (PNG/JPEG/TIFF) or e-invoice XML, up to "
            f"{limit_mb} MB per file. Vendor and PO lists go to Reference data.",
            type=ACCEPTED_TYPES,
            accept_multiple_files=True,
            key="inbox_files",
        )
        submitted = st.form_submit_button("Upload and process", type="primary")
    if submitted and files:
        with guarded("uploading"):
            result = state.call(
                uploads.upload_files,
                client_id=client_id,
                files=[uploads.UploadFile(f.name, f.getvalue()) for f in files],
            )
            if result.batch_id is not None:
                st.session_state[BATCHES].insert(0, result.batch_id)
            st.session_state["inbox_last_result"] = result
    elif submitted:
        st.warning("Choose at least one file first.")
else:
    st.info("Your role can look at invoices but not upload them.")

last = st.session_state.get("inbox_last_result")
if last is not None:
    summary = f"{last.accepted} of {len(last.files)} files accepted."
    if last.accepted == len(last.files):
        st.success(summary)
    elif last.accepted:
        st.warning(summary)
    else:
        st.error(summary + " Nothing was queued for processing.")
    problems = [
        {"file": f.filename, "result": f.status, "code": f.error_code, "detail": f.error}
        for f in last.files
        if f.status != "accepted"
    ]
    if problems:
        st.warning("Some files were not accepted; the rest of the batch goes on:")
        st.dataframe(pd.DataFrame(problems), hide_index=True, key="inbox_problems")


@st.fragment(run_every="2s")
def batch_progress() -> None:
    """Progress of this session's recent batches, refreshed while the workers run."""
    batches = st.session_state.get(BATCHES, [])[:5]
    if not batches:
        return
    st.subheader("Processing")
    for batch_id in batches:
        try:
            progress = state.call(clients.batch_progress, batch_id=batch_id)
        except Exception as exc:
            show_error(exc, action="reading batch progress")
            continue
        total = progress.total or 1
        failed = progress.counts.get("failed", 0)
        text = f"Batch {str(batch_id)[:8]}: {progress.processed}/{progress.total} processed"
        if failed:
            text += f", {failed} failed"
        if progress.done:
            text += " — done"
        st.progress(min(1.0, progress.processed / total), text=text)
        finished = st.session_state.setdefault("inbox_done_batches", set())
        if progress.done and batch_id not in finished:
            finished.add(batch_id)
            st.rerun(scope="app")  # refresh the latest invoices once the batch is done


batch_progress()

st.subheader("Latest invoices")
with guarded("listing invoices"):
    rows, count = state.call(
        invoices.list_invoices, filters=invoices.InvoiceFilter(client_id=client_id), limit=50
    )
    if not rows:
        st.info("No invoices yet. Upload some above.")
    else:
        st.caption(f"{len(rows)} of {count} invoices, newest first")
        st.dataframe(
            pd.DataFrame([r.as_dict() for r in rows]).reindex(columns=LATEST_COLUMNS),
            hide_index=True,
            key="inbox_latest",
            column_config={
                "confidence": st.column_config.ProgressColumn(
                    "confidence", min_value=0.0, max_value=1.0, format="percent"
                )
            },
        )
