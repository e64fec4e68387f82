"""The numbers on the landing page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute

from superinsight.db.models import BusinessRule, DataSource, DocumentArrival, QualityIssueCount
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
    """Documents and open issues are sums of the counts kept as they change (`document_arrivals`,
    `quality_issue_counts`): a few hundred rows, where counting would read every document."""
    require(actor, "documents.view")
    uow = resources.uow()
    tenant = actor.tenant_id

    def count(model: type[DataSource | BusinessRule], *conditions: ColumnElement[bool]) -> int:
        query = select(func.count()).select_from(model).where(model.tenant_id == tenant, *conditions)
        return int(uow.session.scalar(query) or 0)

    def kept(counted: InstrumentedAttribute[int], *conditions: ColumnElement[bool]) -> int:
        table = counted.class_
        query = select(func.sum(counted)).where(
            table.tenant_id == tenant, visible_sources(actor, table.source_id), *conditions
        )
        return int(uow.session.scalar(query) or 0)

    with uow:
        return Summary(
            documents=kept(DocumentArrival.documents),
            sources=count(DataSource, visible_sources(actor, DataSource.id)),
            active_rules=count(BusinessRule, BusinessRule.is_active.is_(True)),
            open_issues=kept(QualityIssueCount.issues, QualityIssueCount.status == "open"),
        )
