"""How trustworthy the labels are (annotator agreement) and how a rule fares against them."""

from __future__ import annotations

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from superinsight.db import dialect
from superinsight.db.models import Annotation, Document, Task
from superinsight.labeling.agreement import Agreement, RuleScore, agreement, rule_score
from superinsight.labeling.labels import label_names
from superinsight.resources import Resources
from superinsight.rules.extensions import WORKBENCH
from superinsight.rules.jsvalues import truthy
from superinsight.rules.sql import NotExpressibleInSQLError, to_sql
from superinsight.services.context import Actor, require
from superinsight.services.documents.key_kinds import known_kinds
from superinsight.services.errors import InvalidInputError
from superinsight.services.labeling.projects import tenant_project
from superinsight.services.rules.matching import document_data, document_fields
from superinsight.services.rules.views import tenant_rule
from superinsight.services.scoping import visible_sources


def project_agreement(resources: Resources, actor: Actor, project_id: int) -> Agreement:
    """Krippendorff's alpha between the project's annotators, over the tasks two or more of them labelled."""
    require(actor, "labeling.launch")
    with resources.uow() as uow:
        tenant_project(uow.session, actor, project_id)
        answers: dict[str, dict[int, str]] = {}
        for task_id, who, result in uow.session.execute(
            select(Annotation.task_id, Annotation.completed_by, Annotation.result)
            .join(Task, Task.id == Annotation.task_id)
            .where(Task.project_id == project_id)
        ):
            names = label_names(result)
            if names:
                answers.setdefault(who or "unknown", {})[task_id] = " | ".join(sorted(names))
    return agreement(answers)


def label_names_in_use(resources: Resources, actor: Actor) -> list[str]:
    """The labels pulled for documents the actor may see, for choosing one to score a rule against."""
    require(actor, "documents.view")
    with resources.uow() as uow:
        entries = dialect.json_object_entries(uow.session, Document.labels)
        return sorted(
            uow.session.scalars(
                select(entries.c.key)
                .distinct()
                .select_from(Document)
                .join(entries, true())
                .where(Document.tenant_id == actor.tenant_id, visible_sources(actor, Document.source_id))
            )
        )


def _matched(
    session: Session, tenant_id: str, body: dict[str, object], documents: list[Document]
) -> set[int]:
    ids = [doc.id for doc in documents]
    try:
        condition = to_sql(body, document_fields(), known_kinds(session, tenant_id))
    except NotExpressibleInSQLError:
        return {doc.id for doc in documents if truthy(WORKBENCH.apply(body, document_data(doc)))}
    return set(session.scalars(select(Document.id).where(Document.id.in_(ids), condition)))


def rule_against_labels(resources: Resources, actor: Actor, rule_id: int, label: str) -> RuleScore:
    """Precision and recall of the rule's current version against the documents annotators labelled.

    A labelled document counts as positive when at least one annotation gave it `label`;
    documents no one labelled are left out (the humans said nothing about them).
    """
    require(actor, "documents.view")
    if not label.strip():
        raise InvalidInputError("choose the label that means the rule should match")
    with resources.uow() as uow:
        body = tenant_rule(uow, actor, rule_id).body
        documents = [
            doc
            for doc in uow.session.scalars(
                select(Document)
                .where(Document.tenant_id == actor.tenant_id, visible_sources(actor, Document.source_id))
                .where(Document.id.in_(select(Annotation.document_id)))
                .order_by(Document.id)
            )
            if doc.labels
        ]
        matched = _matched(uow.session, actor.tenant_id, body, documents)
        return rule_score(
            [doc.id in matched for doc in documents],
            [bool(doc.labels.get(label)) for doc in documents],
            [doc.id for doc in documents],
        )
