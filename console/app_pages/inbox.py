"""Inbox: upload many files at once, watch each batch's progress, see the latest invoices."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from console import state
from console.feedback import guarded, show_error
from core import workflow as wf

ACCEPTED_TYPES = ["pdf", "png", "jpg", "jpeg", "tif", "tiff", "xml", "csv", "xlsx"]
BATCHES = "inbox_batches"

st.title("📥 Inbox & upload")
client_id = state.require_client()
st.session_state.setdefault(BATCHES, [])

if state.can("upload"):
    with st.form("inbox_upload_form", clear_on_submit=True):
        files = st.file_uploader(
            "Drop invoices here (PDF, images, e-invoice XML; CSV/XLSX reference data)",
            type=ACCEPTED_TYPES,
            accept_multiple_files=True,
            key="inbox_files",
        )
        submitted = st.form_submit_button("Upload and process", type="primary")
    if submitted and files:
        with guarded("uploading"):
            result = state.call(
                wf.upload_files,
                client_id=client_id,
                files=[(f.name, f.getvalue()) for f in files],
            )
            st.session_state[BATCHES].insert(0, result.batch_id)
            st.session_state["inbox_last_result"] = result
    elif submitted:
        st.warning("Choose at least one file first.")
else:
    st.info("Your role can look at invoices but not upload them.")

last = st.session_state.get("inbox_last_result")
if last is not None:
    rows = [
        {"file": item.file_name, "result": item.status, "detail": item.message or ""}
        for item in last.items
    ]
    accepted = sum(1 for item in last.items if item.status == "accepted")
    st.success(f"{accepted} of {len(rows)} files accepted into batch `{last.batch_id}`.")
    problems = [r for r in rows if r["result"] != "accepted"]
    if problems:
        st.warning("Some files were not accepted; the rest of the batch goes on:")
        st.dataframe(pd.DataFrame(problems), hide_index=True, key="inbox_problems")


@st.fragment(run_every="2s")
def batch_progress() -> None:
    """Progress of this session's batches, refreshed while the workers run."""
    batches = st.session_state.get(BATCHES, [])[:5]
    if not batches:
        return
    st.subheader("Processing")
    for batch_id in batches:
        try:
            progress = state.call(wf.get_batch_progress, batch_id=batch_id)
        except Exception as exc:
            show_error(exc, action="reading batch progress")
            continue
        done = progress.done + progress.failed
        fraction = done / progress.total if progress.total else 1.0
        st.progress(
            fraction,
            text=f"Batch {str(batch_id)[:8]}: {done}/{progress.total} processed"
            + (f", {progress.failed} failed" if progress.failed else ""),
        )


batch_progress()

st.subheader("Latest invoices")
with guarded("listing invoices"):
    page = state.call(wf.list_invoices, client_id=client_id, limit=50)
    if not page.items:
        st.info("No invoices yet. Upload some above.")
    else:
        st.dataframe(
            pd.DataFrame([wf.invoice_row(i) for i in page.items]),
            hide_index=True,
            key="inbox_latest",
        )
