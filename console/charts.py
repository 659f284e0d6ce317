"""Plotly figures for the console; data shaping stays in core, this only draws."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from core.db.records import Record

BAND_COLORS = {"auto": "#2e7d32", "review": "#f9a825", "reject": "#c62828"}


def score_histogram(
    scores: pd.DataFrame, *, auto_accept: float, review: float, color: str = "band"
) -> go.Figure:
    """Histogram of match scores coloured by band, with the two threshold lines."""
    fig = px.histogram(
        scores,
        x="score",
        color=color,
        nbins=50,
        range_x=[0, 100],
        color_discrete_map=BAND_COLORS,
        category_orders={"band": list(BAND_COLORS)},
    )
    fig.add_vline(
        x=auto_accept,
        line_dash="dash",
        line_color=BAND_COLORS["auto"],
        annotation_text=f"auto ≥ {auto_accept:.0f}",
    )
    fig.add_vline(
        x=review,
        line_dash="dot",
        line_color=BAND_COLORS["reject"],
        annotation_text=f"review ≥ {review:.0f}",
        annotation_position="bottom right",
    )
    fig.update_layout(height=300, margin={"l": 10, "r": 10, "t": 30, "b": 10}, bargap=0.05)
    return fig


def bar(df: pd.DataFrame, *, x: str, y: str, color: str | None = None, title: str) -> go.Figure:
    """A compact bar chart."""
    fig = px.bar(df, x=x, y=y, color=color, title=title)
    fig.update_layout(height=320, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return fig


def histogram(values: Sequence[float] | pd.Series, *, title: str, x_title: str) -> go.Figure:
    """A compact histogram of one numeric series."""
    fig = px.histogram(x=list(values), nbins=20, title=title)
    fig.update_layout(
        height=320,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis_title=x_title,
        yaxis_title="invoices",
    )
    return fig


def dashboard_frames(rows: list[dict], now: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """Aggregates behind the dashboard charts, from invoice rows as the workflow lists them."""
    df = pd.DataFrame(rows)
    created = pd.to_datetime(df["created_at"], utc=True)
    df["day"] = created.dt.strftime("%Y-%m-%d")
    per_day = df.groupby(["day", "status"]).size().reset_index(name="invoices")
    amounts = (
        df.assign(
            vendor=df["matched_vendor_name"].fillna(df["vendor_name"]).fillna("(unknown)"),
            currency=df["currency"].fillna("?"),
            amount=pd.to_numeric(df["total"], errors="coerce"),
        )
        .groupby(["vendor", "currency"])["amount"]
        .sum()
        .reset_index()
        .sort_values("amount", ascending=False)
        .head(20)
    )
    bands = df["match_band"].fillna("not matched").value_counts().rename_axis("band")
    backlog = df[df["status"] == "needs_review"]
    backlog_age = (now - pd.to_datetime(backlog["updated_at"], utc=True)).dt.total_seconds() / 3600
    return {
        "per_day": per_day,
        "amounts": amounts,
        "bands": bands.reset_index(name="invoices"),
        "confidence": pd.to_numeric(df["confidence"], errors="coerce").dropna().to_frame(),
        "backlog": backlog_age.rename("age_hours").to_frame(),
    }


def display_frame(rows: Sequence[Mapping[str, Any] | Record], columns: list[str]) -> pd.DataFrame:
    """Rows (dicts or records) as a frame of the given columns, with ids and JSON shown as text
    (Arrow-safe)."""
    import json
    import uuid

    def cell(value: object) -> object:
        if isinstance(value, uuid.UUID):
            return str(value)
        if isinstance(value, dict | list):
            return json.dumps(value, default=str, ensure_ascii=False)
        return value

    plain = [r.as_dict() if isinstance(r, Record) else dict(r) for r in rows]
    frame = pd.DataFrame(plain).reindex(columns=columns)
    return frame.apply(lambda col: col.map(cell)) if not frame.empty else frame
