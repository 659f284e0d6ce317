"""Downloads: exports (CSV / XLSX / JSON) of the filtered invoices, and the original files."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from console import state
from console.feedback import guarded
from core import workflow as wf

FORMATS = {"XLSX": "xlsx", "CSV": "csv", "JSON": "json"}

st.title("⬇️ Downloads")
client_id = state.require_client()

with st.form("downloads_filters"):
    c1, c2, c3 = st.columns(3)
    statuses = c1.multiselect(
        "Status",
        options=[s.value for s in wf.InvoiceStatus],
        default=["approved", "exported"],
        key="downloads_status",
    )
    since = c2.date_input(
        "From", value=dt.date.today() - dt.timedelta(days=90), key="downloads_from"
    )
    until = c3.date_input("To", value=dt.date.today(), key="downloads_to")
    vendor = c1.text_input("Vendor contains", key="downloads_vendor")
    fmt = c2.radio("Format", list(FORMATS), horizontal=True, key="downloads_format")
    prepared = st.form_submit_button("Prepare export", type="primary")

if prepared:
    with guarded("exporting"):
        export = state.call(
            wf.export_invoices,
            client_id=client_id,
            fmt=FORMATS[fmt],
            statuses=statuses,
            date_from=since,
            date_to=until,
            vendor=vendor or None,
        )
        st.session_state["downloads_export"] = export
export = st.session_state.get("downloads_export")
if export is not None:
    st.success(f"{export.count} invoices in {export.file_name}.")
    st.download_button(
        f"Download {export.file_name}",
        data=export.content,
        file_name=export.file_name,
        mime=export.content_type,
        key="downloads_export_button",
    )

st.subheader("Original files")
page = state.fetch(wf.list_invoices, action="listing invoices", client_id=client_id, limit=200)
if page is not None and page.items:
    names = {i.id: f"{i.file_name} · {i.vendor_name or '—'} · {i.status}" for i in page.items}
    picked = st.selectbox(
        "Invoice",
        options=list(names),
        format_func=lambda i: names[i],
        key="downloads_original_pick",
    )
    original = state.fetch(wf.get_original_file, action="fetching the file", invoice_id=picked)
    if original is not None:
        st.download_button(
            f"Download {original.file_name}",
            data=original.content,
            file_name=original.file_name,
            mime=original.content_type,
            key="downloads_original_button",
        )
elif page is not None:
    st.info("No invoices yet.")
