"""The lineage and entity graph as tables (the embedded stand-in for Neo4j), its backlog and entity fields."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from superinsight.db.base import Base, BigIntPK, CreatedMixin, TenantMixin, TimestampMixin
from superinsight.db.models._checks import one_of
from superinsight.vocabulary import GRAPH_CHANGES


class GraphNode(TenantMixin, TimestampMixin, Base):
    __tablename__ = "graph_nodes"
    __table_args__ = (UniqueConstraint("tenant_id", "label", "key"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    label: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)


class GraphEdge(TenantMixin, TimestampMixin, Base):
    __tablename__ = "graph_edges"
    __table_args__ = (UniqueConstraint("source_node_id", "target_node_id", "rel_type"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    source_node_id: Mapped[int] = mapped_column(ForeignKey("graph_nodes.id", ondelete="CASCADE"))
    target_node_id: Mapped[int] = mapped_column(ForeignKey("graph_nodes.id", ondelete="CASCADE"), index=True)
    rel_type: Mapped[str] = mapped_column(String(64))
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)


class GraphBacklog(TenantMixin, CreatedMixin, Base):
    """A change not yet projected into the graph: written with the change, drained in id order.

    Kept in the relational store so a stopped graph loses nothing: the row leaves
    only once its projection has landed (and landing twice merges onto the same nodes).
    """

    __tablename__ = "graph_backlog"
    __table_args__ = (one_of("kind", GRAPH_CHANGES),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    ref_id: Mapped[int] = mapped_column(BigInteger)


class GraphEntityField(Base):
    """A metadata field whose values are entities (customer, vendor, product) in the graph."""

    __tablename__ = "graph_entity_fields"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    field: Mapped[str] = mapped_column(String(255), primary_key=True)
