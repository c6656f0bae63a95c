"""Plotly chart builders: every page's charts look alike, and each builder is testable."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

PALETTE = ["#1f5fa8", "#e07b39", "#3a9d5d", "#b8475a", "#7d5ba6", "#8c8c8c", "#c9a227"]
HEIGHT = 420


def _style(figure: go.Figure, y_title: str) -> go.Figure:
    figure.update_layout(
        height=HEIGHT,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "y": -0.2, "title": None},
        yaxis_title=y_title,
        xaxis_title=None,
        colorway=PALETTE,
    )
    return figure


def bar(frame: pd.DataFrame, x: str, y: str, colour: str | None, y_title: str) -> go.Figure:
    """Grouped bars of ``y`` by ``x`` (one trace per ``colour``); empty (suppressed) values
    draw no bar. Graph objects rather than plotly express: several times faster to build."""
    frame = frame.dropna(subset=[y])
    groups = [(None, frame)] if colour is None else list(frame.groupby(colour, sort=False))
    figure = go.Figure(
        [
            go.Bar(
                x=group[x].astype(str),
                y=group[y],
                name=None if name is None else str(name),
                marker_color=PALETTE[index % len(PALETTE)],
            )
            for index, (name, group) in enumerate(groups)
        ]
    )
    figure.update_layout(barmode="group", showlegend=colour is not None)
    figure.update_xaxes(type="category")
    return _style(figure, y_title)


def line(frame: pd.DataFrame, x: str, y: str, colour: str | None, y_title: str) -> go.Figure:
    figure = px.line(frame, x=x, y=y, color=colour, markers=True, color_discrete_sequence=PALETTE)
    return _style(figure, y_title)


def parts(frame: pd.DataFrame, label: str, value: str, x_title: str) -> go.Figure:
    """Horizontal bars of the parts of a score (0-100)."""
    figure = px.bar(
        frame, x=value, y=label, orientation="h", range_x=[0, 100],
        color_discrete_sequence=PALETTE,
    )  # fmt: skip
    figure.update_layout(height=60 + 40 * len(frame))
    return _style(figure, "").update_layout(xaxis_title=x_title, yaxis_title=None)
