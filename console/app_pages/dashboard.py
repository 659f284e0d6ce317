"""Dashboard: invoices per day and status, amounts, match bands, confidence, review backlog."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from console import charts, state
from core.workflow import invoices

MAX_ROWS = 2000
PAGE = 200


def _all_invoices(client_id: Any) -> tuple[list[dict[str, Any]], int]:
    rows: list[dict[str, Any]] = []
    total = 0
    while len(rows) < MAX_ROWS:
        page, total = state.call(
            invoices.list_invoices,
            filters=invoices.InvoiceFilter(client_id=client_id),
            limit=PAGE,
            offset=len(rows),
        )
        rows.extend(r.as_dict() for r in page)
        if len(page) < PAGE:
            break
    return rows, total


st.title("Dashboard")
client_id = state.require_client()
loaded = state.attempt(_all_invoices, action="loading the dashboard", client_id=client_id)
if loaded is None:
    st.stop()
rows, total = loaded
if not rows:
    st.info("No invoices yet: the charts appear after the first upload.")
    st.stop()
if total > len(rows):
    st.caption(f"Showing the newest {len(rows):,} of {total:,} invoices.")

data = charts.dashboard_frames(rows, pd.Timestamp.now(tz="UTC"))
k1, k2, k3, k4 = st.columns(4)
k1.metric("Invoices", f"{total:,}")
k2.metric("Waiting for review", len(data["backlog"]))
conf = data["confidence"]["confidence"]
k3.metric("Median confidence", f"{conf.median():.0%}" if len(conf) else "—")
age = data["backlog"]["age_hours"]
k4.metric("Oldest in review", f"{age.max():.1f} h" if len(age) else "—")

left, right = st.columns(2)
left.plotly_chart(
    charts.bar(
        data["per_day"], x="day", y="invoices", color="status", title="Invoices per day and status"
    ),
    key="dashboard_per_day",
)
with right:
    # One chart per currency: amounts in USD, EUR and GBP never share an axis.
    amounts = data["amounts"]
    currencies = sorted(str(c) for c in amounts["currency"].dropna().unique())
    if not currencies:
        st.info("No amounts with a currency yet.")
    tabs = st.tabs(currencies) if len(currencies) > 1 else [st.container()] * len(currencies)
    for tab, currency in zip(tabs, currencies, strict=True):
        tab.plotly_chart(
            charts.bar(
                amounts[amounts["currency"] == currency],
                x="vendor",
                y="amount",
                title=f"Amount by vendor in {currency} (top 20)",
            ),
            key=f"dashboard_amounts_{currency}",
        )
left.plotly_chart(
    charts.bar(data["bands"], x="band", y="invoices", title="Match bands"), key="dashboard_bands"
)
right.plotly_chart(
    charts.histogram(conf, title="Extraction confidence", x_title="confidence"),
    key="dashboard_confidence",
)
st.plotly_chart(
    charts.histogram(age, title="Review backlog age", x_title="hours waiting"),
    key="dashboard_backlog",
)
