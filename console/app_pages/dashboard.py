"""Dashboard: invoices per day and status, amounts, match bands, confidence, review backlog."""

from __future__ import annotations

import streamlit as st

from console import charts, state
from core import workflow as wf

st.title("📊 Dashboard")
client_id = state.require_client()

stats = state.fetch(wf.dashboard_stats, action="loading the dashboard", client_id=client_id)
if stats is None:
    st.stop()
if stats.invoices.empty:
    st.info("No invoices yet: the charts appear after the first upload.")
    st.stop()

k1, k2, k3, k4 = st.columns(4)
k1.metric("Invoices", len(stats.invoices))
k2.metric("Waiting for review", int(stats.backlog.shape[0]))
k3.metric("Median confidence", f"{stats.invoices['confidence'].median():.0%}")
k4.metric(
    "Oldest in review", f"{stats.backlog['age_hours'].max():.0f} h" if len(stats.backlog) else "—"
)

left, right = st.columns(2)
left.plotly_chart(
    charts.bar(
        stats.per_day, x="day", y="invoices", color="status", title="Invoices per day and status"
    ),
    key="dashboard_per_day",
)
right.plotly_chart(
    charts.bar(
        stats.amounts,
        x="vendor",
        y="amount",
        color="currency",
        title="Amount by vendor and currency",
    ),
    key="dashboard_amounts",
)
left.plotly_chart(
    charts.bar(stats.bands, x="band", y="matches", color="kind", title="Match bands"),
    key="dashboard_bands",
)
right.plotly_chart(
    charts.histogram(
        stats.invoices["confidence"].dropna(), title="Extraction confidence", x_title="confidence"
    ),
    key="dashboard_confidence",
)
st.plotly_chart(
    charts.histogram(
        stats.backlog["age_hours"], title="Review backlog age", x_title="hours waiting"
    ),
    key="dashboard_backlog",
)
