"""Reference data: import vendors, purchase orders and goods receipts with row errors shown."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from console import charts, state
from console.feedback import guarded
from core.workflow import reference

KINDS = {
    "Vendors": "vendors",
    "Purchase orders": "purchase_orders",
    "Goods receipts": "goods_receipts",
}

VENDOR_COLUMNS = [
    "vendor_code",
    "name",
    "vat_id",
    "iban",
    "address",
    "country",
    "email",
    "is_active",
    "updated_at",
]
PO_COLUMNS = ["po_number", "vendor_name", "status", "order_date", "currency", "total", "line_count"]

st.title("Reference data")
client_id = state.require_client()

if state.can("import_reference"):
    with st.form("reference_import_form", clear_on_submit=True):
        kind = st.radio("What is in the file", list(KINDS), horizontal=True, key="reference_kind")
        upload = st.file_uploader("CSV or XLSX", type=["csv", "xlsx"], key="reference_file")
        submitted = st.form_submit_button("Import", type="primary")
    if submitted and upload is not None:
        with guarded("importing reference data"):
            st.session_state["reference_last"] = state.call(
                reference.import_reference,
                client_id=client_id,
                kind=KINDS[kind],
                data=upload.getvalue(),
                filename=upload.name,
            )
    elif submitted:
        st.warning("Choose a file first.")
else:
    st.info("Your role can look at reference data but not import it.")

report = st.session_state.get("reference_last")
if report is not None:
    stored = report.created + report.updated
    st.success(
        f"{report.kind}: {stored} of {report.total_rows} rows stored "
        f"({report.created} new, {report.updated} updated)."
    )
    if report.errors:
        st.warning(f"{len(report.errors)} rows were refused; fix them and import the file again:")
        st.dataframe(
            pd.DataFrame(
                [{"row": e.row, "field": e.field, "error": e.message} for e in report.errors]
            ),
            hide_index=True,
            key="reference_errors",
        )

vendors_tab, pos_tab, learned_tab = st.tabs(["Vendors", "Purchase orders", "Learned per vendor"])
with vendors_tab:
    page = state.fetch(
        reference.list_vendors, action="listing vendors", client_id=client_id, limit=200
    )
    if page is not None:
        rows, count = page
        st.caption(f"{len(rows)} of {count} vendors")
        st.dataframe(
            charts.display_frame(rows, VENDOR_COLUMNS), hide_index=True, key="reference_vendors"
        )
with pos_tab:
    page = state.fetch(
        reference.list_purchase_orders,
        action="listing purchase orders",
        client_id=client_id,
        limit=200,
    )
    if page is not None:
        rows, count = page
        st.caption(f"{len(rows)} of {count} purchase orders")
        st.dataframe(charts.display_frame(rows, PO_COLUMNS), hide_index=True, key="reference_pos")

ALIAS_COLUMNS = ["vendor_name", "kind", "value", "source", "learned_from", "created_at"]
with learned_tab:
    st.caption(
        "What matching learned from your team's decisions, per vendor: alternate spellings, VAT"
        " ids and IBANs (aliases). Removing one changes no invoice."
    )
    aliases = state.fetch(
        reference.list_vendor_aliases, action="listing aliases", client_id=client_id
    )
    if aliases is not None:
        names = sorted({a.vendor_name or str(a.vendor_id) for a in aliases})
        chosen = st.selectbox(
            "Vendor", ["All vendors", *names], key="learned_vendor", disabled=not names
        )
        shown = [a for a in aliases if chosen in ("All vendors", a.vendor_name)]
        st.subheader(f"Aliases ({len(shown)})")
        st.dataframe(
            charts.display_frame([a.as_dict() for a in shown], ALIAS_COLUMNS),
            hide_index=True,
            key="learned_aliases",
        )
        if shown and state.can("remove_learned"):
            labels = {f"{a.vendor_name}: {a.kind} {a.value!r} ({a.source})": a for a in shown}
            pick = st.selectbox("Alias to remove", list(labels), key="alias_remove_pick")
            if st.button("Remove alias", key="alias_remove"):
                with guarded("removing the alias"):
                    state.call(
                        reference.remove_vendor_alias,
                        client_id=client_id,
                        alias_id=labels[pick].id,
                    )
                    st.success(f"Removed {pick}.")
                    st.rerun()
