"""What an applied rule does to the documents it matched, besides recording them."""

from __future__ import annotations

from sqlalchemy import literal, select, update
from sqlalchemy.orm import Session

from superinsight.db.base import utcnow
from superinsight.db.models import BusinessRule, BusinessRuleApplication, Document
from superinsight.rules import sqlfuncs
from superinsight.services.documents import tag_counts
from superinsight.services.quality import filing


def raise_quality_issues(session: Session, rule: BusinessRule, version: int) -> None:
    """One open issue per failing document; documents with an unresolved issue get no second one."""
    failing = (
        select(BusinessRuleApplication.document_id, Document.source_id)
        .join(Document, Document.id == BusinessRuleApplication.document_id)
        .where(BusinessRuleApplication.rule_id == rule.id, BusinessRuleApplication.rule_version == version)
    )
    filing.open_issues(
        session,
        rule.tenant_id,
        failing,
        check=rule.name,
        dimension="validity",
        severity=rule.severity,
        description=rule.description,
        now=utcnow(),
        rule_id=rule.id,
    )


def tag_matches(session: Session, rule: BusinessRule, version: int) -> int:
    """Add the rule's name to the tags of every matched document that lacks it.

    The content hash is left alone on purpose: it fingerprints what the source sent,
    so a re-sync of an unchanged document keeps the tag.
    """
    matched = select(BusinessRuleApplication.document_id).where(
        BusinessRuleApplication.rule_id == rule.id, BusinessRuleApplication.rule_version == version
    )
    untagged = [Document.id.in_(matched), ~sqlfuncs.json_array_has_text(Document.tags, literal(rule.name))]
    appended = sqlfuncs.json_array_append(Document.tags, literal(rule.name))
    statement = update(Document).where(*untagged).values(tags=appended)
    return tag_counts.add_tag(
        session, rule.tenant_id, rule.name, statement.execution_options(synchronize_session=False)
    )
