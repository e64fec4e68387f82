"""The graph's values: node references, nodes, edges, and the checks on what may go in.

Labels and relationship types are spliced into Cypher (it takes no parameters
there), so they are plain identifiers or refused; properties are scalars.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
MAX_DEPTH = 10
Scalar = str | int | float | bool | None
# Nodes carrying this property belong to a data source: a user narrowed to some
# sources sees them only when it is one of theirs.
SOURCE_PROPERTY = "source_id"


class GraphInputError(ValueError):
    """A label, relationship type, depth or property the graph refuses to store."""


@dataclass(frozen=True, order=True)
class NodeRef:
    label: str
    key: str


@dataclass(frozen=True)
class Node:
    ref: NodeRef
    properties: dict[str, Scalar] = field(default_factory=dict)


@dataclass(frozen=True)
class Edge:
    source: NodeRef
    target: NodeRef
    rel_type: str
    properties: dict[str, Scalar] = field(default_factory=dict)


@dataclass(frozen=True)
class Hop:
    """One edge touching a node that was asked about, and the node at its other end."""

    edge: Edge
    other: Node


def check_name(kind: str, name: str) -> str:
    """Labels and types are spliced into Cypher, so only plain identifiers get through."""
    if not _NAME.match(name):
        raise GraphInputError(f"{kind} {name!r} must be a letter followed by letters, digits or _")
    return name


def check_properties(properties: dict[str, Scalar]) -> dict[str, Scalar]:
    for key, value in properties.items():
        check_name("property", key)
        if not isinstance(value, str | int | float | bool | type(None)):
            raise GraphInputError(f"property {key!r} must be a string, number or boolean")
    return properties


def check_depth(depth: int) -> int:
    if not 1 <= depth <= MAX_DEPTH:
        raise GraphInputError(f"depth must be between 1 and {MAX_DEPTH}, got {depth}")
    return depth


def check_limit(limit: int) -> int:
    if not 1 <= limit <= 100_000:
        raise GraphInputError(f"limit must be between 1 and 100,000, got {limit}")
    return limit
