"""What of the graph an actor may see: their sources' nodes, document text and entities as masking allows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from superinsight.adapters.graph import GraphUnavailableError
from superinsight.lineage.projection import DOCUMENT, ENTITY, NAME_LENGTH, PROJECT, is_labelled
from superinsight.lineage.values import SOURCE_PROPERTY, Node
from superinsight.resources import Resources
from superinsight.services.context import Actor, internal
from superinsight.services.documents.masking import Masker, masker
from superinsight.services.errors import NotFoundError, ServiceError
from superinsight.services.labeling import projects as labeling_projects


class GraphDownError(ServiceError):
    """The graph store does not answer; the rest of the workbench works and changes wait in the backlog."""


@internal("turns a store's failure into a message inside guarded queries; reads nothing itself")
@contextmanager
def answering(resources: Resources) -> Iterator[None]:
    """A stopped graph store becomes a message a page shows, not an error id."""
    try:
        yield
    except GraphUnavailableError as exc:
        store = "Neo4j" if resources.graph.backend == "neo4j" else "the graph store"
        raise GraphDownError(
            f"{store} does not answer, so the graph cannot be shown now; the rest of the workbench works, "
            "and changes wait in the backlog until it is back"
        ) from exc


@internal("decides on a node a guarded query already read; reads nothing itself")
def sees(actor: Actor, node: Node) -> bool:
    """A source's nodes are the actor's if the source is; rules, insights, entities are reached via them."""
    source_id = node.properties.get(SOURCE_PROPERTY)
    return source_id is None or actor.sees_source(int(source_id))


@dataclass(frozen=True)
class Shown:
    """A node as the actor may see it (`shown`), called per node; None if it is hidden."""

    mask: Masker
    projects: frozenset[int] | None

    def __call__(self, node: Node) -> Node | None:
        return _shown(self.mask, self.projects, node)

    @property
    def masking(self) -> bool:
        """Whether any masking rule binds the actor: then how many entities lie somewhere is not
        said, as it would count values masking hides."""
        return self.mask.active


@internal("builds the display of nodes for a guarded query that already checked its actor")
def shown(resources: Resources, actor: Actor) -> Shown:
    """A node as the actor may see it: document names masked, entities masking would change hidden
    (a metadata entity by its field's rules, one from a named-entity label by the content's), and
    labeling projects only for those who may see them on the Labeling page."""
    with resources.uow() as uow:
        return Shown(masker(resources, uow.session, actor), labeling_projects.visible_ids(uow.session, actor))


def _shown(mask: Masker, projects: frozenset[int] | None, node: Node) -> Node | None:
    if node.ref.label == PROJECT and projects is not None and int(node.ref.key) not in projects:
        return None  # a labeling project is seen where the Labeling page shows it: by its members
    if not mask.active:
        return node
    properties = dict(node.properties)
    name = str(properties.get("name") or "")
    if node.ref.label == DOCUMENT:
        properties["name"] = mask.value("title", name)
        properties["external_id"] = mask.value("external_id", str(properties.get("external_id") or ""))
    patterns = any(rule.pattern is not None for rule in mask.rules)
    if is_labelled(node.ref):
        # A span annotators marked is a piece of the text, cut from what surrounds it: a pattern
        # may hide it only in context ("SSN: 123-45-6789"), so under any pattern it is not shown.
        if patterns or mask.hides_field("content") or mask.value("content", name) != name:
            return None
    elif node.ref.label == ENTITY:
        field = str(properties.get("field") or "")
        # An entity's key spells its value: one that masking would change is not shown at all,
        # nor, under a pattern, one cut to NAME_LENGTH (a cut value may no longer match).
        if (
            mask.hides_metadata(field)
            or mask.value("metadata", {field: name}).get(field) != name
            or (patterns and len(name) >= NAME_LENGTH)
        ):
            return None
    return replace(node, properties=properties)


@internal("checks a start node for a guarded query that already checked its actor")
def visible_start(actor: Actor, node: Node | None, what: str) -> Node:
    if node is None or not sees(actor, node):
        raise NotFoundError(
            f"{what} is not in the graph (yet): a sync, a rule applied or a rebuild puts it there"
        )
    return node
