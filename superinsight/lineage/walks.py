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


@dataclass
class _End:
    """One end of a path search, walked breadth first: how each node was reached, and how far out."""

    root: Node
    came_by: dict[NodeRef, Hop | None] = field(default_factory=dict)
    depth_of: dict[NodeRef, int] = field(default_factory=dict)
    frontier: list[NodeRef] = field(default_factory=list)
    depth: int = 0
    hub: bool = False  # its next level passes the hop limit: the other end walks on alone

    def __post_init__(self) -> None:
        self.came_by[self.root.ref] = None
        self.depth_of[self.root.ref] = 0
        self.frontier.append(self.root.ref)

    def node(self, ref: NodeRef) -> Node:
        hop = self.came_by[ref]
        return self.root if hop is None else hop.other

    def step(self, hops: Sequence[Hop], other: _End) -> NodeRef | None:
        """Take the next level; the node nearest the other end where the two met, if they did."""
        self.depth += 1
        reached: list[NodeRef] = []
        met: NodeRef | None = None
        for hop in hops:
            ref = hop.other.ref
            if ref in self.came_by:
                continue
            self.came_by[ref] = hop
            self.depth_of[ref] = self.depth
            reached.append(ref)
            if ref in other.came_by and (met is None or other.depth_of[ref] < other.depth_of[met]):
                met = ref
        self.frontier = reached
        return met


def shortest_path(
    start: Node, goal: Node, expand: Expand, max_depth: int, max_nodes: int, hop_limit: int
) -> list[Hop] | None:
    """The hops of a shortest path (where the walks from both ends first meet, in the store's
    order), None if none within `max_depth`; `max_nodes` bounds the nodes both ends reached.

    The two ends walk toward each other, the one with fewer nodes at its edge a level at a time,
    and an end whose next level would pass the hop limit (a hub) stops while the other walks on:
    a path from an entity a few documents mention to one thousands mention is found from the
    rarer end, where walking out of the common one was refused. Two hubs are still refused."""
    if start.ref == goal.ref:
        return []
    ends = _End(start), _End(goal)
    while ends[0].depth + ends[1].depth < max_depth:
        if not ends[0].frontier or not ends[1].frontier:
            return None  # an end has walked all it can reach
        walking = [end for end in sorted(ends, key=lambda end: len(end.frontier)) if not end.hub]
        if not walking:
            raise TooBigError(f"the search passes through nodes with more than {hop_limit:,} links")
        end = walking[0]
        other = ends[1] if end is ends[0] else ends[0]
        hops = expand(end.frontier, None)
        if len(hops) >= hop_limit:
            end.hub = True
            continue
        if (met := end.step(hops, other)) is not None:
            return _path_to(met, ends[0].came_by) + _path_from(met, ends[1])
        if len(ends[0].came_by) + len(ends[1].came_by) > max_nodes:
            raise TooBigError(
                f"no path within {max_nodes:,} nodes; these two are far apart or linked by hubs"
            )
    return None


def _near(hop: Hop) -> NodeRef:
    """The end of the hop's edge it was taken from."""
    return hop.edge.source if hop.edge.target == hop.other.ref else hop.edge.target


def _path_to(goal: NodeRef, came_by: dict[NodeRef, Hop | None]) -> list[Hop]:
    path: list[Hop] = []
    hop = came_by[goal]
    while hop is not None:
        path.append(hop)
        hop = came_by[_near(hop)]
    return path[::-1]


def _path_from(ref: NodeRef, end: _End) -> list[Hop]:
    """The hops from a node back to the end that reached it, each turned to face that end."""
    path: list[Hop] = []
    while (hop := end.came_by[ref]) is not None:
        ref = _near(hop)
        path.append(Hop(hop.edge, end.node(ref)))
    return path
