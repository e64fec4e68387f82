"""The lineage and entity graph as plain tables: the embedded stand-in for Neo4j."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from superinsight.db.base import Base, BigIntPK, TenantMixin, TimestampMixin


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
