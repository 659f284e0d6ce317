"""Reference data: import vendors, purchase orders and goods receipts with row errors shown."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from console import charts, learned_view, state
from console.feedback import guarded
from core.workflow import reference, trust_ladder

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

with learned_tab:
    st.caption(
        "What InvoiceFlow learned from your team's decisions, per vendor: alternate spellings,"
        " VAT ids and IBANs (aliases), where each vendor prints its fields (extraction hints),"
        " and its trust ladder (clean approvals in a row; straight-through approval when the"
        " approval policy has it on). Removing or pausing changes no invoice."
    )
    aliases = state.fetch(
        reference.list_vendor_aliases, action="listing aliases", client_id=client_id
    )
    hints = state.fetch(reference.list_vendor_hints, action="listing hints", client_id=client_id)
    ladder_rows = state.fetch(
        trust_ladder.ladder_states, action="listing the trust ladder", client_id=client_id
    )
    if aliases is not None and hints is not None and ladder_rows is not None:
        names = sorted({v.vendor_name for v in ladder_rows})
        chosen = st.selectbox("Vendor", ["All vendors", *names], key="learned_vendor")

        def mine(rows: list) -> list:
            return [r for r in rows if chosen in ("All vendors", r.vendor_name)]

        widths: dict[str, object] = {
            name: st.column_config.Column(width=px) for name, px in learned_view.WIDTHS.items()
        }
        widths["Weight"] = st.column_config.NumberColumn(width=60, format="%.1f")
        one = chosen != "All vendors"  # the picker names the vendor: no Vendor column
        st.subheader("Trust ladder")
        shown_ladder = mine(ladder_rows)
        st.dataframe(
            learned_view.ladder_frame(shown_ladder, with_vendor=not one),
            hide_index=True,
            column_config=widths,
            key="learned_ladder",
        )
        if chosen != "All vendors" and shown_ladder and state.can("pause_ladder"):
            vendor_state = shown_ladder[0]
            label = "Resume the ladder" if vendor_state.paused else "Pause the ladder"
            if st.button(label, key="ladder_toggle"):
                with guarded("changing the trust ladder"):
                    state.call(
                        trust_ladder.set_vendor_paused,
                        client_id=client_id,
                        vendor_id=vendor_state.vendor_id,
                        paused=not vendor_state.paused,
                    )
                    st.rerun()

        st.subheader(f"Aliases ({len(mine(aliases))})")
        st.dataframe(
            learned_view.alias_frame(mine(aliases), with_vendor=not one),
            hide_index=True,
            column_config=widths,
            key="learned_aliases",
        )
        if mine(aliases) and state.can("remove_learned"):
            labels = {learned_view.alias_choice(a): a for a in mine(aliases)}
            pick = st.selectbox("Alias to remove", list(labels), key="alias_remove_pick")
            if st.button("Remove alias", key="alias_remove"):
                with guarded("removing the alias"):
                    state.call(
                        reference.remove_vendor_alias,
                        client_id=client_id,
                        alias_id=labels[pick].id,
                    )
                    st.rerun()

        st.subheader(f"Extraction hints ({len(mine(hints))})")
        st.dataframe(
            learned_view.hint_frame(mine(hints), with_vendor=not one),
            hide_index=True,
            column_config=widths,
            key="learned_hints",
        )
        if mine(hints) and state.can("remove_learned"):
            hint_labels = {learned_view.hint_choice(h): h for h in mine(hints)}
            hint_pick = st.selectbox("Hint to remove", list(hint_labels), key="hint_remove_pick")
            if st.button("Remove hint", key="hint_remove"):
                with guarded("removing the hint"):
                    state.call(
                        reference.remove_vendor_hint,
                        client_id=client_id,
                        hint_id=hint_labels[hint_pick].id,
                    )
                    st.rerun()
