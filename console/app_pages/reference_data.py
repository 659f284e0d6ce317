"""Reference data: import vendors and purchase orders from CSV/XLSX, with row errors shown."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from console import state
from console.feedback import guarded
from core import workflow as wf

KINDS = {
    "Vendors": "vendors",
    "Purchase orders": "purchase_orders",
    "Goods receipts": "goods_receipts",
}

st.title("📚 Reference data")
client_id = state.require_client()

if state.can("import_reference"):
    with st.form("reference_import_form", clear_on_submit=True):
        kind = st.radio("What is in the file", list(KINDS), horizontal=True, key="reference_kind")
        upload = st.file_uploader("CSV or XLSX", type=["csv", "xlsx"], key="reference_file")
        submitted = st.form_submit_button("Import", type="primary")
    if submitted and upload is not None:
        with guarded("importing reference data"):
            result = state.call(
                wf.import_reference_data,
                client_id=client_id,
                kind=KINDS[kind],
                file_name=upload.name,
                content=upload.getvalue(),
            )
            st.session_state["reference_last"] = result
    elif submitted:
        st.warning("Choose a file first.")
else:
    st.info("Your role can look at reference data but not import it.")

last = st.session_state.get("reference_last")
if last is not None:
    st.success(f"Imported {last.imported} rows.")
    if last.errors:
        st.warning(f"{len(last.errors)} rows were skipped:")
        st.dataframe(
            pd.DataFrame(
                [{"row": e.row, "field": e.field, "error": e.message} for e in last.errors]
            ),
            hide_index=True,
            key="reference_errors",
        )

st.subheader("Vendors")
vendors = state.fetch(wf.list_vendors, action="listing vendors", client_id=client_id)
if vendors is not None:
    st.dataframe(pd.DataFrame(vendors), hide_index=True, key="reference_vendors")
