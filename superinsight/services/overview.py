"""The numbers on the landing page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select

from superinsight.db.models import BusinessRule, DataSource, Document, QualityIssue
from superinsight.resources import Resources
from superinsight.services.context import Actor, require
from superinsight.services.scoping import visible_sources


@dataclass(frozen=True)
class Summary:
    documents: int
    sources: int
    active_rules: int
    open_issues: int

    @property
    def empty(self) -> bool:
        return self.documents == 0 and self.sources == 0


def summary(resources: Resources, actor: Actor) -> Summary:
    require(actor, "documents.view")
    uow = resources.uow()
    tenant = actor.tenant_id

    def count(
        model: type[Document | DataSource | BusinessRule | QualityIssue], *conditions: ColumnElement[bool]
    ) -> int:
        query = select(func.count()).select_from(model).where(model.tenant_id == tenant, *conditions)
        return int(uow.session.scalar(query) or 0)

    with uow:
        return Summary(
            documents=count(Document, visible_sources(actor, Document.source_id)),
            sources=count(DataSource, visible_sources(actor, DataSource.id)),
            active_rules=count(BusinessRule, BusinessRule.is_active.is_(True)),
            open_issues=count(
                QualityIssue, QualityIssue.status == "open", visible_sources(actor, QualityIssue.source_id)
            ),
        )
