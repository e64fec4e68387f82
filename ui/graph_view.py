"""The graph drawn: a neighbourhood as a plotly network, nodes in rings by distance, one colour per type."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import plotly.graph_objects as go

from superinsight.lineage.values import Node, NodeRef
from superinsight.services.graph.queries import Neighbourhood
from superinsight.vocabulary import GRAPH_NODE_TYPE_LABELS
from ui.charts import literal

# Beyond this many nodes the names overlap into noise: they show on hover only.
LABELLED_UP_TO = 40
LABEL_LENGTH = 24  # characters of a name shown beside its node (all of it on hover)
COLOURS = {
    "DataSource": "#1f77b4",
    "SyncJob": "#17becf",
    "Transformation": "#9edae5",
    "Document": "#7f7f7f",
    "Rule": "#ff7f0e",
    "QualityIssue": "#d62728",
    "Insight": "#bcbd22",
    "Entity": "#2ca02c",
    "LabelingProject": "#9467bd",
}


def ref_text(ref: NodeRef) -> str:
    """A node as the page's address spells it: `Label:key` (an entity's key holds a colon itself)."""
    return f"{ref.label}:{ref.key}"


def ref_of(text: str) -> NodeRef | None:
    label, colon, key = text.partition(":")
    return NodeRef(label, key) if colon and label in GRAPH_NODE_TYPE_LABELS and key else None


def node_name(node: Node) -> str:
    return str(node.properties.get("name") or node.ref.key)


def node_title(node: Node) -> str:
    return f"{GRAPH_NODE_TYPE_LABELS.get(node.ref.label, node.ref.label)} · {node_name(node)}"


def distinct_titles(nodes: Sequence[Node]) -> dict[str, str]:
    """Each node's title by its address; a title two nodes share also names each one's key
    (twenty documents may be called "Data processing agreement — Acme Corp")."""
    titles = [node_title(node) for node in nodes]
    shared = {title for title in titles if titles.count(title) > 1}
    return {
        ref_text(node.ref): f"{title} (#{node.ref.key})" if title in shared else title
        for node, title in zip(nodes, titles, strict=True)
    }


def _positions(graph: Neighbourhood) -> dict[NodeRef, tuple[float, float]]:
    """The centre in the middle, each further hop on a wider ring, a ring's nodes spread by type then name."""
    rings: dict[int, list[Node]] = defaultdict(list)
    for node in graph.nodes:
        rings[graph.depth_of.get(node.ref, 0)].append(node)
    placed: dict[NodeRef, tuple[float, float]] = {}
    for level, nodes in rings.items():
        nodes.sort(key=lambda node: (node.ref.label, node_name(node), node.ref.key))
        for index, node in enumerate(nodes):
            angle = 2 * math.pi * index / len(nodes) + level * 0.4
            placed[node.ref] = (level * math.cos(angle), level * math.sin(angle))
    return placed


def _short(name: str) -> str:
    return name if len(name) <= LABEL_LENGTH else name[: LABEL_LENGTH - 1] + "…"


def network(graph: Neighbourhood) -> go.Figure:
    """One trace of edges, then one trace per node type (the legend); a point carries its node's address."""
    at = _positions(graph)
    xs: list[float | None] = []
    ys: list[float | None] = []
    for edge in graph.edges:
        (x0, y0), (x1, y1) = at[edge.source], at[edge.target]
        xs += [x0, x1, None]
        ys += [y0, y1, None]
    figure = go.Figure(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"width": 1, "color": "#c7c7c7"},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    by_type: dict[str, list[Node]] = defaultdict(list)
    for node in graph.nodes:
        by_type[node.ref.label].append(node)
    for label in GRAPH_NODE_TYPE_LABELS:
        nodes = by_type.get(label, [])
        if not nodes:
            continue
        figure.add_trace(
            go.Scatter(
                x=[at[n.ref][0] for n in nodes],
                y=[at[n.ref][1] for n in nodes],
                mode="markers+text" if len(graph.nodes) <= LABELLED_UP_TO else "markers",
                name=GRAPH_NODE_TYPE_LABELS[label],
                # Cut before escaping, so no cut falls inside an escaped `&lt;`.
                text=[literal(_short(node_name(n))) for n in nodes],
                textposition="top center",
                hovertext=[literal(node_title(n)) for n in nodes],
                hoverinfo="text",
                customdata=[ref_text(n.ref) for n in nodes],
                marker={
                    "size": [22 if n.ref == graph.center.ref else 12 for n in nodes],
                    "color": COLOURS.get(label, "#333333"),
                    "line": {"width": 1, "color": "#ffffff"},
                },
            )
        )
    figure.update_layout(
        height=520,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        legend={"orientation": "h", "y": -0.05},
        clickmode="event+select",
    )
    return figure
