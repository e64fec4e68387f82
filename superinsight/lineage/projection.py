"""What the workbench looks like as a graph: nodes and edges decided from its rows, nothing read or written.

DataSource -[:FEEDS]-> SyncJob -[:APPLIES {position}]-> Transformation
SyncJob -[:PRODUCED {run, version}]-> Document -[:HAS_ISSUE]-> QualityIssue
DataSource -[:HOLDS]-> Document (uploaded into the source, no job between)
Rule -[:MATCHED {version}]-> Document -[:MENTIONS]-> Entity
Insight -[:ABOUT]-> Rule
Document -[:LABELLED_IN]-> LabelingProject

Keys are the rows' ids (an entity's key is its field and its value, folded), so
projecting a row twice lands on the same node. Nodes that belong to a data source
carry its id in `source_id` (an uploaded document, which has none, carries
`SOURCELESS`): a user narrowed to some sources sees only theirs. A document
mentions the values of the metadata fields marked as entities and the spans
annotators marked with a named-entity label; the two are apart (a labelled
entity's key starts `labelled:`), because a span is a piece of the document's
text and is hidden wherever the text is masked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from superinsight.lineage.values import SOURCE_PROPERTY, Edge, Node, NodeRef, Scalar
from superinsight.vocabulary import GRAPH_NODE_TYPE_LABELS

SOURCE, JOB, STEP, DOCUMENT = "DataSource", "SyncJob", "Transformation", "Document"
RULE, ISSUE, INSIGHT, ENTITY = "Rule", "QualityIssue", "Insight", "Entity"
PROJECT = "LabelingProject"
LABELS = tuple(GRAPH_NODE_TYPE_LABELS)
FEEDS, APPLIES, PRODUCED, MATCHED = "FEEDS", "APPLIES", "PRODUCED", "MATCHED"
HAS_ISSUE, ABOUT, MENTIONS, HOLDS = "HAS_ISSUE", "ABOUT", "MENTIONS", "HOLDS"
LABELLED_IN = "LABELLED_IN"
# An uploaded document belongs to no source: only users who see every source see it.
SOURCELESS = -1
NAME_LENGTH = 200
KEY_LENGTH = 255
ENTITIES_PER_FIELD = 20
LABELLED_PER_DOCUMENT = 200
LABELLED_PREFIX = "labelled:"


@dataclass(frozen=True)
class SourceRow:
    id: int
    name: str
    source_type: str


@dataclass(frozen=True)
class JobRow:
    id: int
    source_id: int
    name: str
    mode: str


@dataclass(frozen=True)
class StepRow:
    id: int
    job_id: int
    source_id: int
    position: int
    transformation_type: str


@dataclass(frozen=True)
class DocumentRow:
    id: int
    source_id: int | None
    job_id: int | None
    run_id: int | None
    version: int
    title: str
    external_id: str
    metadata: Mapping[str, Any] = field(default_factory=dict)
    # (label, span text) pairs annotators marked in the document's text, in any project.
    labelled: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True)
class ProjectRow:
    id: int
    title: str
    template: str
    labelstudio_project_id: int | None


@dataclass(frozen=True)
class RuleRow:
    id: int
    name: str
    version: int
    severity: str
    action: str


@dataclass(frozen=True)
class IssueRow:
    id: int
    document_id: int | None
    source_id: int | None
    check_name: str
    severity: str
    status: str


@dataclass(frozen=True)
class InsightRow:
    id: int
    rule_id: int | None
    title: str
    insight_type: str


@dataclass
class Projection:
    """Nodes and edges to merge; edges name their ends, so a node may come in a later batch."""

    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def add(self, other: Projection) -> Projection:
        self.nodes += other.nodes
        self.edges += other.edges
        return self


def ref(label: str, row_id: int | str) -> NodeRef:
    return NodeRef(label, str(row_id))


def _sourced(source_id: int | None, **properties: Scalar) -> dict[str, Scalar]:
    """A node's properties, with the source it belongs to."""
    return properties | {SOURCE_PROPERTY: SOURCELESS if source_id is None else source_id}


def source(row: SourceRow) -> Projection:
    node = Node(ref(SOURCE, row.id), _sourced(row.id, name=row.name[:NAME_LENGTH], type=row.source_type))
    return Projection([node])


def job(row: JobRow, steps: Sequence[StepRow] = ()) -> Projection:
    here = ref(JOB, row.id)
    projection = Projection(
        [Node(here, _sourced(row.source_id, name=row.name[:NAME_LENGTH], mode=row.mode))],
        [Edge(ref(SOURCE, row.source_id), here, FEEDS)],
    )
    for step in steps:
        name = f"{step.position}. {step.transformation_type}"
        projection.nodes.append(Node(ref(STEP, step.id), _sourced(step.source_id, name=name)))
        projection.edges.append(Edge(here, ref(STEP, step.id), APPLIES, {"position": step.position}))
    return projection


def entity_values(value: Any) -> list[str]:
    """The entity names a metadata value holds: a scalar, or the scalars of a list; blanks dropped."""
    values = value if isinstance(value, list) else [value]
    names = [
        " ".join(str(v).split())
        for v in values
        if isinstance(v, str | int | float) and not isinstance(v, bool)
    ]
    return list(dict.fromkeys(name for name in names if name))[:ENTITIES_PER_FIELD]


def entity(field_name: str, name: str) -> Node:
    """An entity is its field and its name, case and spacing folded: "ACME  Corp" is "acme corp"."""
    key = f"{field_name}:{name.casefold()}"[:KEY_LENGTH]
    return Node(NodeRef(ENTITY, key), {"name": name[:NAME_LENGTH], "field": field_name})


def labelled_entity(label: str, text: str) -> Node | None:
    """A span marked with a named-entity label, folded like a metadata entity; None for a blank span."""
    name = " ".join(text.split())
    if not name or not label.strip():
        return None
    key = f"{LABELLED_PREFIX}{label}:{name.casefold()}"[:KEY_LENGTH]
    return Node(NodeRef(ENTITY, key), {"name": name[:NAME_LENGTH], "field": label[:NAME_LENGTH]})


def is_labelled(ref: NodeRef) -> bool:
    """Whether an entity came from the document's text (masked with it) rather than from its metadata."""
    return ref.label == ENTITY and ref.key.startswith(LABELLED_PREFIX)


def document(row: DocumentRow, entity_fields: Iterable[str] = ()) -> Projection:
    here = ref(DOCUMENT, row.id)
    properties = _sourced(
        row.source_id,
        # Whole, not cut to NAME_LENGTH: masking must see the value a pattern could find in it
        # (a cut card number no longer matches); the columns bound their length.
        name=row.title,
        external_id=row.external_id,
        version=row.version,
    )
    projection = Projection([Node(here, properties)])
    if row.job_id is not None:
        produced: dict[str, Scalar] = {"version": row.version, "run": row.run_id}
        projection.edges.append(Edge(ref(JOB, row.job_id), here, PRODUCED, produced))
    elif row.source_id is not None:
        projection.edges.append(Edge(ref(SOURCE, row.source_id), here, HOLDS))
    found = [entity(f, name) for f in entity_fields for name in entity_values(row.metadata.get(f))]
    labelled = [labelled_entity(label, text) for label, text in row.labelled]
    mentioned: set[NodeRef] = set()
    for node in found + [n for n in labelled if n is not None][:LABELLED_PER_DOCUMENT]:
        if node.ref not in mentioned:  # "Globex" and "globex" are one entity, mentioned once
            mentioned.add(node.ref)
            projection.nodes.append(node)
            projection.edges.append(Edge(here, node.ref, MENTIONS))
    return projection


def labeling_project(row: ProjectRow, source_ids: Iterable[int | None]) -> Projection:
    """A project belongs to a source when all its documents do; else only whole-workspace users see it."""
    sources = set(source_ids)
    only = next(iter(sources)) if len(sources) == 1 else SOURCELESS
    properties: dict[str, Scalar] = {"name": row.title[:NAME_LENGTH], "template": row.template}
    properties["labelstudio_id"] = row.labelstudio_project_id
    return Projection([Node(ref(PROJECT, row.id), _sourced(only, **properties))])


def labelled_in(project_id: int, document_ids: Iterable[int]) -> Projection:
    here = ref(PROJECT, project_id)
    return Projection(edges=[Edge(ref(DOCUMENT, d), here, LABELLED_IN) for d in document_ids])


def rule(row: RuleRow) -> Projection:
    properties: dict[str, Scalar] = {"name": row.name[:NAME_LENGTH], "version": row.version}
    return Projection(
        [Node(ref(RULE, row.id), properties | {"severity": row.severity, "action": row.action})]
    )


def matches(rule_id: int, version: int, document_ids: Iterable[int]) -> Projection:
    here = ref(RULE, rule_id)
    return Projection(
        edges=[Edge(here, ref(DOCUMENT, d), MATCHED, {"version": version}) for d in document_ids]
    )


def issue(row: IssueRow) -> Projection:
    here = ref(ISSUE, row.id)
    properties: dict[str, Scalar] = {"name": row.check_name[:NAME_LENGTH], "severity": row.severity}
    projection = Projection([Node(here, _sourced(row.source_id, status=row.status, **properties))])
    if row.document_id is not None:
        projection.edges.append(Edge(ref(DOCUMENT, row.document_id), here, HAS_ISSUE))
    return projection


def insight(row: InsightRow) -> Projection:
    here = ref(INSIGHT, row.id)
    projection = Projection([Node(here, {"name": row.title[:NAME_LENGTH], "type": row.insight_type})])
    if row.rule_id is not None:
        projection.edges.append(Edge(here, ref(RULE, row.rule_id), ABOUT))
    return projection
