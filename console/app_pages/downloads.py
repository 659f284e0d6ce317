"""Downloads: exports (CSV / XLSX / JSON) of the filtered invoices, and the original files."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from console import state
from console.feedback import flash, guarded
from core.workflow import exports, invoices
from core.workflow.states import EXPORTABLE, InvoiceStatus

FORMATS = {"XLSX": "xlsx", "CSV": "csv", "JSON": "json"}
SHEETS = {
    "Invoices": "invoices",
    "Line items": "lines",
    "Matches": "matches",
    "PO exceptions": "exceptions",
}

st.title("Downloads")
client_id = state.require_client()

with st.form("downloads_filters"):
    c1, c2, c3 = st.columns(3)
    statuses = c1.multiselect(
        "Status",
        options=[s.value for s in InvoiceStatus],
        default=sorted(s.value for s in EXPORTABLE),
        key="downloads_status",
    )
    vendor = c1.text_input("Vendor name contains", key="downloads_vendor")
    use_dates = c2.checkbox("Filter by invoice date", key="downloads_use_dates")
    since = c2.date_input(
        "From", value=dt.date.today() - dt.timedelta(days=365), key="downloads_from"
    )
    until = c2.date_input("To", value=dt.date.today(), key="downloads_to")
    fmt = c3.radio("Format", list(FORMATS), horizontal=True, key="downloads_format")
    sheet = c3.radio("For CSV/JSON: which table", list(SHEETS), key="downloads_sheet")
    prepared = st.form_submit_button("Prepare export", type="primary")

if prepared:
    with guarded("exporting"):
        filters = invoices.InvoiceFilter(
            client_id=client_id,
            status=tuple(InvoiceStatus(s) for s in statuses),
            vendor=vendor.strip() or None,
            date_from=since if use_dates else None,
            date_to=until if use_dates else None,
        )
        data = state.call(
            invoices.export_invoices, filters=filters, fmt=FORMATS[fmt], sheet=SHEETS[sheet]
        )
        suffix = "" if FORMATS[fmt] == "xlsx" else f"-{SHEETS[sheet]}"
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        st.session_state["downloads_export"] = (
            f"invoiceflow-{stamp}{suffix}.{FORMATS[fmt]}",
            data,
            exports.MEDIA_TYPES[FORMATS[fmt]],
        )
        st.session_state["downloads_approved"] = state.call(invoices.approved_ids, filters=filters)
        st.session_state.pop("downloads_marked", None)
export = st.session_state.get("downloads_export")
if export is not None:
    name, data, media_type = export
    approved = st.session_state.get("downloads_approved") or []
    marked = st.session_state.get("downloads_marked")
    if marked is not None:
        st.success(
            f"{name} is ready ({len(data):,} bytes). {marked} invoice{'s' * (marked != 1)} "
            f"in it {'were' if marked != 1 else 'was'} marked exported."
        )
    else:
        st.success(
            f"{name} is ready ({len(data):,} bytes). Preparing it changed nothing: "
            f"{len(approved)} approved invoice{'s' * (len(approved) != 1)} in it "
            f"{'are' if len(approved) != 1 else 'is'} still approved."
        )
    st.download_button(
        f"Download {name}",
        data=data,
        file_name=name,
        mime=media_type,
        key="downloads_export_button",
        type="primary",
    )
    mark = (
        approved
        and state.can("approve")
        and st.button(
            f"Mark {len(approved)} approved invoice{'s' * (len(approved) != 1)} as exported",
            key="downloads_mark_exported",
            help="Once they are in your accounting system: moves them from approved to exported.",
        )
    )
    if mark:
        with guarded("marking invoices exported"):
            done = state.call(
                invoices.mark_invoices_exported, invoice_ids=approved, fmt=FORMATS[fmt]
            )
            st.session_state["downloads_approved"] = []
            st.session_state["downloads_marked"] = len(done.marked)
            skipped = f" ({len(done.skipped)} skipped: no longer approved)" if done.skipped else ""
            n = len(done.marked)
            flash(f"Marked {n} invoice{'s' * (n != 1)} as exported{skipped}.")
            st.rerun()

st.subheader("Original files")
listed = state.fetch(
    invoices.list_invoices,
    action="listing invoices",
    filters=invoices.InvoiceFilter(client_id=client_id),
    limit=200,
)
if listed is not None and listed[0]:
    rows = {r.id: r for r in listed[0]}
    picked = st.selectbox(
        "Invoice",
        options=list(rows),
        format_func=lambda i: (
            f"{rows[i].file_name} · {rows[i].vendor_name or '—'} · {rows[i].status}"
        ),
        key="downloads_original_pick",
    )
    if st.button("Fetch original file", key="downloads_original_fetch"):
        with guarded("fetching the file"):
            data, media_type, name = state.call(invoices.original_file, invoice_id=picked)
            st.session_state["downloads_original"] = (name, data, media_type)
    original = st.session_state.get("downloads_original")
    if original is not None:
        st.download_button(
            f"Download {original[0]}",
            data=original[1],
            file_name=original[0],
            mime=original[2],
            key="downloads_original_button",
        )
elif listed is not None:
    st.info("No invoices yet.")
