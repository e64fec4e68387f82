"""The questions analysts ask of the graph, with the same answers on Neo4j and on the graph tables.

Every walk is bounded: a depth of at most `MAX_DEPTH` hops, at most `MAX_NODES`
nodes shown and `HOP_LIMIT` links read per hop, so a question about a hub answers
in bounded time and says it stopped short. A user narrowed to some sources walks
only through their sources' nodes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from superinsight.lineage import walks
from superinsight.lineage.projection import (
    ABOUT,
    APPLIES,
    DOCUMENT,
    ENTITY,
    FEEDS,
    HAS_ISSUE,
    HOLDS,
    INSIGHT,
    ISSUE,
    JOB,
    LABELLED_IN,
    LABELS,
    MATCHED,
    MENTIONS,
    PRODUCED,
    PROJECT,
    RULE,
    SOURCE,
    STEP,
)
from superinsight.lineage.values import Edge, Hop, Node, NodeRef, Scalar
from superinsight.resources import Resources
from superinsight.services import inputs
from superinsight.services.context import Actor, require
from superinsight.services.errors import InvalidInputError
from superinsight.services.graph.reach import Shown, answering, sees, shown, visible_start
from superinsight.services.labeling import projects as labeling_projects

MAX_DEPTH = 4
MAX_NODES = 300
HOP_LIMIT = 2_000
PATH_DEPTH = 8
PATH_NODES = 5_000
IMPACT_DEPTH = 3
SEARCH_READ = 200  # nodes read, best first, before what the actor may not see is dropped
SEARCH_SHOWN = 20
MANY = (DOCUMENT, ISSUE)  # the labels a search offers last: they outnumber the rest
SEARCH_LENGTH = 200  # characters a search may have (the page's box takes no more)


@dataclass(frozen=True)
class Neighbourhood:
    center: Node
    nodes: list[Node]
    edges: list[Edge]
    depth_of: dict[NodeRef, int]
    truncated: bool


@dataclass(frozen=True)
class Lineage:
    """Where a document came from and what it has been through, each part in a stable order."""

    document: Node
    sources: list[Node] = field(default_factory=list)
    runs: list[tuple[Node, dict[str, Scalar]]] = field(default_factory=list)
    steps: list[Node] = field(default_factory=list)
    rules: list[tuple[Node, dict[str, Scalar]]] = field(default_factory=list)
    insights: list[Node] = field(default_factory=list)
    issues: list[Node] = field(default_factory=list)
    entities: list[Node] = field(default_factory=list)
    projects: list[Node] = field(default_factory=list)
    truncated: bool = False


@dataclass(frozen=True)
class Impact:
    start: Node
    counts: dict[str, int]


def _expander(resources: Resources, actor: Actor, display: Shown | None = None) -> walks.Expand:
    """One hop out, through the actor's sources; with `display`, never onto a node it hides, so a
    walk neither spends its places on hidden nodes nor links two nodes through one."""

    def expand(refs: Sequence[NodeRef], rel_types: Sequence[str] | None) -> list[Hop]:
        hops = resources.graph.expand(actor.tenant_id, refs, rel_types, actor.source_ids, HOP_LIMIT)
        return hops if display is None else [hop for hop in hops if display(hop.other) is not None]

    return expand


def _start(resources: Resources, actor: Actor, ref: NodeRef, display: Shown) -> Node:
    """The node a question starts from, if the actor may see it. One masking hides (an entity
    whose value it would change) or the actor may not see (a project they are not in) is
    answered as one that is not there, in the same words and the same time (`display` is built
    before, by the caller): otherwise typing names into the page's address would tell which exist."""
    found = resources.graph.nodes(actor.tenant_id, [ref])
    node = found[0] if found and display(found[0]) is not None else None
    node = visible_start(actor, node, f"{ref.label} {ref.key}")
    if node.ref.label == ENTITY and actor.source_ids is not None:
        # An entity belongs to no source: a narrowed user sees it only through a document of theirs.
        visible_start(actor, node if _expander(resources, actor)([ref], [MENTIONS]) else None, "that entity")
    return node


def _kept(display: Shown, nodes: Sequence[Node]) -> dict[NodeRef, Node]:
    return {node.ref: shown for node in nodes if (shown := display(node)) is not None}


def neighbourhood(resources: Resources, actor: Actor, ref: NodeRef, depth: int) -> Neighbourhood:
    """Everything within `depth` hops of a node, either way, nearest first."""
    require(actor, "documents.view")
    if not 1 <= depth <= MAX_DEPTH:
        raise InvalidInputError(f"depth must be between 1 and {MAX_DEPTH}")
    display = shown(resources, actor)
    with answering(resources):
        start = _start(resources, actor, ref, display)
        expand = _expander(resources, actor, display)
        graph = walks.neighbourhood(start, expand, depth, MAX_NODES, HOP_LIMIT)
    nodes = _kept(display, list(graph.nodes.values()))
    center = nodes[start.ref]  # `_start` let through only a node the actor is shown
    edges = [e for e in graph.edges.values() if e.source in nodes and e.target in nodes]
    depth_of = {ref: level for ref, level in graph.depth_of.items() if ref in nodes}
    return Neighbourhood(center, list(nodes.values()), edges, depth_of, graph.truncated)


def lineage(resources: Resources, actor: Actor, document_id: int) -> Lineage:
    """A document's source, runs and steps, the rules that matched it and their insights, issues,
    entities, and the labeling projects it was sent to."""
    require(actor, "documents.view")
    expand = _expander(resources, actor)
    display = shown(resources, actor)
    with answering(resources):
        document = _start(resources, actor, NodeRef(DOCUMENT, str(document_id)), display)
        near = expand([document.ref], None)
        further = [hop.other.ref for hop in near if hop.other.ref.label in (JOB, RULE)]
        far = expand(further, [FEEDS, APPLIES, ABOUT]) if further else []
    nodes = _kept(display, [hop.other for hop in near + far])

    def of(hops: list[Hop], label: str, rel_type: str) -> list[Hop]:
        return [
            h
            for h in hops
            if h.other.ref.label == label and h.edge.rel_type == rel_type and h.other.ref in nodes
        ]

    return Lineage(
        document=display(document) or document,
        sources=[nodes[h.other.ref] for h in of(far, SOURCE, FEEDS) + of(near, SOURCE, HOLDS)],
        runs=[(nodes[h.other.ref], h.edge.properties) for h in of(near, JOB, PRODUCED)],
        steps=sorted(
            (nodes[h.other.ref] for h in of(far, STEP, APPLIES)), key=lambda n: str(n.properties.get("name"))
        ),
        rules=[(nodes[h.other.ref], h.edge.properties) for h in of(near, RULE, MATCHED)],
        insights=[nodes[h.other.ref] for h in of(far, INSIGHT, ABOUT)],
        issues=[nodes[h.other.ref] for h in of(near, ISSUE, HAS_ISSUE)],
        entities=[nodes[h.other.ref] for h in of(near, ENTITY, MENTIONS)],
        projects=[nodes[h.other.ref] for h in of(near, PROJECT, LABELLED_IN)],
        truncated=len(near) >= HOP_LIMIT or len(far) >= HOP_LIMIT,
    )


def impact(resources: Resources, actor: Actor, ref: NodeRef) -> Impact:
    """What depends on a source, job or rule: how many nodes of each type lie downstream, and its insights;
    for a labeling project, how many documents (of those the actor sees) were sent to it."""
    require(actor, "documents.view")
    if ref.label not in (SOURCE, JOB, RULE, PROJECT):
        raise InvalidInputError("impact is for a data source, a sync job, a rule or a labeling project")
    display = shown(resources, actor)
    with answering(resources):
        start = _start(resources, actor, ref, display)
        if ref.label == PROJECT:
            sent = _expander(resources, actor)([ref], [LABELLED_IN])
            return Impact(start, {DOCUMENT: len(sent)} if sent else {})
        counts = resources.graph.reach_counts(actor.tenant_id, ref, IMPACT_DEPTH, actor.source_ids)
        if not actor.can(labeling_projects.MANAGE):
            counts.pop(PROJECT, None)  # projects are counted only for those who see them all
        if display.masking:
            counts.pop(ENTITY, None)
        if ref.label == RULE:
            about = [h for h in _expander(resources, actor)([ref], [ABOUT]) if h.edge.target == ref]
            if about:
                counts[INSIGHT] = len(about)
    return Impact(start, counts)


def shortest_path(resources: Resources, actor: Actor, start: NodeRef, goal: NodeRef) -> list[Node] | None:
    """The nodes of a shortest path between two nodes (both ends included), None if none is near enough."""
    require(actor, "documents.view")
    display = shown(resources, actor)
    with answering(resources):
        first, last = _start(resources, actor, start, display), _start(resources, actor, goal, display)
        try:  # only through what the actor sees: a path never runs through a hidden node
            expand = _expander(resources, actor, display)
            hops = walks.shortest_path(first, last, expand, PATH_DEPTH, PATH_NODES, HOP_LIMIT)
        except walks.TooBigError as exc:
            raise InvalidInputError(f"too big to answer: {exc} (something many documents share)") from None
    if hops is None:
        return None
    return list(_kept(display, [first, *(hop.other for hop in hops)]).values())


def co_occurring(
    resources: Resources, actor: Actor, entity: NodeRef, limit: int = 10
) -> list[tuple[Node, int]]:
    """The entities mentioned most often in the same documents as this one, with how many documents."""
    require(actor, "documents.view")
    if entity.label != ENTITY:
        raise InvalidInputError("co-occurrence is for an entity")
    if not 1 <= limit <= 100:
        raise InvalidInputError("ask for 1 to 100 entities")
    display = shown(resources, actor)
    with answering(resources):
        _start(resources, actor, entity, display)
        found = resources.graph.co_occurring(actor.tenant_id, entity, actor.source_ids, limit)
    return [(node, count) for other, count in found if (node := display(other)) is not None]


def search(
    resources: Resources, actor: Actor, text: str, limit: int = SEARCH_SHOWN, kinds: Sequence[str] = ()
) -> list[Node]:
    """Nodes whose name holds the text (or whose key is it): what the page's search box offers.

    Sources, rules, entities, jobs and the like come first and documents and quality issues
    after them: those outnumber the rest, and each of a rule's issues carries its name, so
    by name alone "contract" found twenty issues and never the rule. Within each, a name
    equal to the text comes first, then one starting with it. `kinds`: only these labels.
    """
    require(actor, "documents.view")
    wanted = inputs.text(text, "the search", SEARCH_LENGTH).strip()
    if not wanted:
        return []
    labels, last = (kinds, ()) if kinds else (LABELS, MANY)
    with answering(resources):
        found = [
            node
            for node in resources.graph.find(actor.tenant_id, wanted, SEARCH_READ, labels, last)
            if sees(actor, node)
        ]
        if actor.source_ids is not None:
            expand = _expander(resources, actor)
            found = [n for n in found if n.ref.label != ENTITY or expand([n.ref], [MENTIONS])]
    display = shown(resources, actor)
    # Matched again on what the actor sees: a search must not reveal a name that masking hides.
    visible = [node for node in map(display, found) if node is not None]
    lowered = wanted.lower()
    return [
        n for n in visible if lowered in str(n.properties.get("name") or "").lower() or n.ref.key == wanted
    ][:limit]
