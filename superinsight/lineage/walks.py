"""Walking the graph one hop at a time, within a depth and a size: pure, given how to take one hop.

`expand(refs, rel_types)` returns the hops out of a set of nodes, sorted, at most
some number of them (a store cuts there). A walk never asks for more than its
bounds allow and says when it stopped short, so a question about a hub (a job
that produced a million documents) answers in bounded time with "there is more".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from superinsight.lineage.values import Edge, Hop, Node, NodeRef

Expand = Callable[[Sequence[NodeRef], Sequence[str] | None], list[Hop]]
EdgeKey = tuple[NodeRef, NodeRef, str]


class TooBigError(Exception):
    """A walk would visit more nodes than it may; the message says how to narrow it."""


@dataclass
class Subgraph:
    """Nodes (in the order they were reached) and the edges between them."""

    nodes: dict[NodeRef, Node] = field(default_factory=dict)
    edges: dict[EdgeKey, Edge] = field(default_factory=dict)
    depth_of: dict[NodeRef, int] = field(default_factory=dict)
    truncated: bool = False

    def add_edge(self, edge: Edge) -> None:
        if edge.source in self.nodes and edge.target in self.nodes:
            self.edges.setdefault((edge.source, edge.target, edge.rel_type), edge)


def neighbourhood(start: Node, expand: Expand, depth: int, max_nodes: int, hop_limit: int) -> Subgraph:
    """Everything within `depth` hops either way, nearest first, the rarer kinds of a level before the
    commoner; cut (and marked) at `max_nodes`."""
    graph = Subgraph({start.ref: start}, depth_of={start.ref: 0})
    frontier = [start.ref]
    for level in range(1, depth + 1):
        if not frontier:
            break
        hops = expand(frontier, None)
        graph.truncated |= len(hops) >= hop_limit
        # The rarer kinds of a level first (the store's order within a kind): a rule's one insight
        # is drawn though its thousand documents fill the rest. Counted by new node, not by hop: an
        # entity five hundred documents mention is one entity.
        kinds = Counter(ref.label for ref in {hop.other.ref for hop in hops} if ref not in graph.nodes)
        reached: list[NodeRef] = []
        for hop in sorted(hops, key=lambda hop: kinds[hop.other.ref.label]):
            ref = hop.other.ref
            if ref not in graph.nodes:
                if len(graph.nodes) >= max_nodes:
                    graph.truncated = True
                    continue
                graph.nodes[ref] = hop.other
                graph.depth_of[ref] = level
                reached.append(ref)
            graph.add_edge(hop.edge)
        frontier = reached
    return graph


def shortest_path(
    start: NodeRef, goal: NodeRef, expand: Expand, max_depth: int, max_nodes: int, hop_limit: int
) -> list[Hop] | None:
    """The hops of a shortest path (the first found in sorted order), None if none within `max_depth`."""
    if start == goal:
        return []
    came_by: dict[NodeRef, Hop | None] = {start: None}
    frontier = [start]
    for _ in range(max_depth):
        hops = expand(frontier, None)
        if len(hops) >= hop_limit:
            raise TooBigError(f"the search passes through nodes with more than {hop_limit:,} links")
        reached: list[NodeRef] = []
        for hop in hops:
            ref = hop.other.ref
            if ref in came_by:
                continue
            came_by[ref] = hop
            reached.append(ref)
            if ref == goal:
                return _path_to(goal, came_by)
        if len(came_by) > max_nodes:
            raise TooBigError(
                f"no path within {max_nodes:,} nodes; these two are far apart or linked by hubs"
            )
        frontier = reached
        if not frontier:
            return None
    return None


def _path_to(goal: NodeRef, came_by: dict[NodeRef, Hop | None]) -> list[Hop]:
    path: list[Hop] = []
    hop = came_by[goal]
    while hop is not None:
        path.append(hop)
        near = hop.edge.source if hop.edge.target == hop.other.ref else hop.edge.target
        hop = came_by[near]
    return path[::-1]
