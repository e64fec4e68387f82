"""The lineage and entity graph store: Neo4j over Bolt in production, relational tables by default.

Two stores implement `GraphStore`: `neo4j_graph.Neo4jGraph` and
`relational_graph.RelationalGraph` (the `graph_nodes`/`graph_edges` tables). Both
answer a few small, bounded questions (one hop out of a set of nodes, counts
downstream, entities mentioned together), so services built on them give the same
answers on either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from typing import Protocol

from superinsight.lineage.values import Edge, Hop, Node, NodeRef


class GraphUnavailableError(Exception):
    """The graph store did not answer (stopped, unreachable, still starting); nothing was read or written."""


class GraphStore(Protocol):
    """Writes are idempotent (merged on label and key), reads are bounded by a limit.

    `sources` narrows a read: None sees everything; a set sees only nodes without a
    source or from one of those sources, and walks only through such nodes.
    A store that cannot be reached raises `GraphUnavailableError`.
    """

    backend: str

    def ensure_schema(self, labels: Sequence[str]) -> None: ...

    def merge_nodes(self, tenant_id: str, nodes: Sequence[Node]) -> None: ...

    def merge_edges(self, tenant_id: str, edges: Sequence[Edge]) -> None: ...

    def delete_nodes(self, tenant_id: str, refs: Sequence[NodeRef]) -> None: ...

    def prune_edges(self, tenant_id: str, source: NodeRef, rel_type: str, keep: tuple[str, int]) -> None:
        """Remove `source`'s outgoing edges of this type whose property `keep[0]` is not `keep[1]`."""

    def keep_only(self, tenant_id: str, rel_type: str, kept: Mapping[NodeRef, Set[NodeRef]]) -> set[NodeRef]:
        """Remove each named node's outgoing edges of this type to a node not in its set; returns
        the nodes that lost an edge (what a document no longer mentions, say)."""

    def delete_sourced(self, tenant_id: str, source_id: int) -> None:
        """Remove every node that belongs to the source (carries its id), with its edges."""

    def delete_orphans(self, tenant_id: str, label: str, keys: Sequence[str] | None) -> None:
        """Remove the nodes of this label (of these keys, or any) that no edge touches any more."""

    def clear(self, tenant_id: str) -> None: ...

    def downstream(self, tenant_id: str, start: NodeRef, depth: int = 3) -> set[NodeRef]: ...

    def expand(
        self,
        tenant_id: str,
        refs: Sequence[NodeRef],
        rel_types: Sequence[str] | None,
        sources: frozenset[int] | None,
        limit: int,
    ) -> list[Hop]: ...

    def nodes(self, tenant_id: str, refs: Sequence[NodeRef]) -> list[Node]: ...

    def find(
        self, tenant_id: str, text: str, limit: int, labels: Sequence[str], last: Sequence[str] = ()
    ) -> list[Node]:
        """The first `limit` nodes of `labels` whose name holds `text` (any case) or whose key is it:
        those of `last` after the others, then a name equal to the text before one starting with
        it before the rest, then by name, label and key. Ranked by the store, not after a cut,
        so an exact name is never left out behind two hundred that sort before it."""
        ...

    def reach_counts(
        self, tenant_id: str, start: NodeRef, depth: int, sources: frozenset[int] | None
    ) -> dict[str, int]: ...

    def co_occurring(
        self, tenant_id: str, entity: NodeRef, sources: frozenset[int] | None, limit: int
    ) -> list[tuple[Node, int]]: ...

    def size(self, tenant_id: str) -> tuple[int, int]: ...

    def ping(self) -> None: ...

    def version(self) -> str: ...
