"""Full-text search with filters and keyset pages, ranked by relevance over the newest matches (`ranking`)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select
from sqlalchemy.orm import Session

from superinsight import masking
from superinsight.db.fulltext import FullText, words
from superinsight.db.models import BusinessRule, BusinessRuleApplication, DataSource, Document, QualityIssue
from superinsight.documents.snippets import snippet as make_snippet
from superinsight.resources import Resources
from superinsight.rules.sql import METADATA_KEY
from superinsight.rules.sqlfuncs import json_array_has_text
from superinsight.rules.sqljson import json_number, json_text
from superinsight.services import inputs
from superinsight.services.context import Actor, require
from superinsight.services.documents import keyset, ranking
from superinsight.services.documents.masking import Masker, hidden_patterns, masker
from superinsight.services.errors import InvalidInputError, PermissionDeniedError
from superinsight.services.scoping import visible_sources

Sort = Literal["relevance", "newest", "oldest"]
MAX_PAGE = 200
QualityBand = Literal["clean", "warnings", "errors"]


QUALITY_BANDS: dict[QualityBand, str] = {
    "clean": "no open quality issues",
    "warnings": "open issues, none worse than a warning",
    "errors": "an open error or critical issue",
}


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    source_ids: tuple[int, ...] = ()
    created_from: date | None = None
    created_to: date | None = None
    metadata: tuple[tuple[str, str], ...] = ()
    tags: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()  # any of these labels, given by annotators in Label Studio
    rule_id: int | None = None
    quality_band: QualityBand | None = None
    sort: Sort = "relevance"

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), default=str, sort_keys=True).encode()).hexdigest()[:24]


def _in_band(band: QualityBand) -> ColumnElement[bool]:
    unresolved = select(QualityIssue.document_id).where(QualityIssue.status != "resolved")
    serious = unresolved.where(QualityIssue.severity.in_(("error", "critical")))
    if band == "clean":
        return Document.id.not_in(unresolved.where(QualityIssue.document_id.is_not(None)))
    if band == "errors":
        return Document.id.in_(serious)
    return and_(
        Document.id.in_(unresolved), Document.id.not_in(serious.where(QualityIssue.document_id.is_not(None)))
    )


@dataclass(frozen=True)
class Hit:
    id: int
    source: str | None
    external_id: str
    title: str
    snippet: str
    tags: list[str]
    created_at: datetime


@dataclass(frozen=True)
class SearchPage:
    hits: list[Hit]
    next_cursor: str | None
    # True when relevance was computed over the newest `ranking.RANKED_MATCHES` matches only.
    ranked_newest_only: bool = False


def check_query(query: SearchQuery) -> None:
    inputs.text(query.text, "search text", 500)
    inputs.values(query.source_ids, "sources")
    inputs.values(query.tags, "tags")
    for key, value in inputs.values(query.metadata, "metadata filters"):
        if not METADATA_KEY.match(key):
            raise InvalidInputError(f"metadata field {key!r} may only use letters, digits and _")
        inputs.text(value, f"value for {key}", 500)
    for tag in query.tags:
        inputs.text(tag, "tag", 100)
    for label in inputs.values(query.labels, "labels"):
        if not isinstance(label, str) or not METADATA_KEY.match(label):
            raise InvalidInputError(f"label {str(label)[:40]!r}: filter on labels of letters, digits and _")
    if query.created_from and query.created_to and query.created_from > query.created_to:
        raise InvalidInputError("the date range ends before it starts")
    if query.sort not in ("relevance", "newest", "oldest"):
        raise InvalidInputError("sort by relevance, newest or oldest")


def filtered_documents(session: Session, actor: Actor, query: SearchQuery, base: Select[Any]) -> Select[Any]:
    conditions: list[Any] = [
        Document.tenant_id == actor.tenant_id,
        visible_sources(actor, Document.source_id),
    ]
    if query.source_ids:
        conditions.append(Document.source_id.in_(query.source_ids))
    if query.created_from:
        conditions.append(Document.created_at >= datetime.combine(query.created_from, day_time.min, UTC))
    if query.created_to:
        conditions.append(
            Document.created_at < datetime.combine(query.created_to, day_time.min, UTC) + timedelta(1)
        )
    for key, value in query.metadata:
        conditions.append(json_text(Document.meta, (key,)) == value)
    if query.tags:
        conditions.append(or_(*(json_array_has_text(Document.tags, literal(tag)) for tag in query.tags)))
    if query.labels:
        # `labels` counts the annotations that gave each label (pulled from Label Studio).
        conditions.append(or_(*(json_number(Document.labels, (label,)) > 0 for label in query.labels)))
    if query.rule_id is not None:
        current = (
            select(BusinessRule.version)
            .where(BusinessRule.id == query.rule_id, BusinessRule.tenant_id == actor.tenant_id)
            .scalar_subquery()
        )
        conditions.append(
            Document.id.in_(
                select(BusinessRuleApplication.document_id).where(
                    BusinessRuleApplication.rule_id == query.rule_id,
                    BusinessRuleApplication.rule_version == current,
                )
            )
        )
    if query.quality_band is not None:
        conditions.append(_in_band(query.quality_band))
    narrowed = base.where(*conditions)
    if words(query.text):
        narrowed = full_text(session, actor, query.text).narrow(narrowed)
    return narrowed


def full_text(session: Session, actor: Actor, text: str) -> FullText:
    """The search for these words as this actor may make it: blind to what masking hides from them.

    A pattern PostgreSQL cannot read turns text search off on SQLite too, so a workspace
    behaves the same on either store.
    """
    hidden = hidden_patterns(session, actor)
    if any(masking.sql_pattern(pattern) is None for pattern in hidden):
        raise PermissionDeniedError(
            "text search is off for your role: a masking pattern uses what the database cannot "
            "apply to search (such as \\b or flags); ask an admin to rewrite it"
        )
    return FullText(session.get_bind().dialect.name, text, hidden)


def search(
    resources: Resources, actor: Actor, query: SearchQuery, *, cursor: str | None = None, limit: int = 50
) -> SearchPage:
    """One page of results; pass `next_cursor` back for the next (keyset, so deep pages stay fast)."""
    require(actor, "documents.view")
    check_query(query)
    limit = min(max(limit, 1), MAX_PAGE)
    with resources.uow() as uow:
        mask = masker(resources, uow.session, actor)
        check_masked_filters(mask, query)
        has_text = bool(words(query.text))
        matching = full_text(uow.session, actor, query.text) if has_text else None
        score = matching.score if matching else literal(0.0)
        # Masked text is cut and marked only after masking (see documents.snippets).
        snippet = (
            Document.content
            if mask.active
            else matching.snippet
            if matching
            else func.substr(Document.content, 1, 160)
        )
        by_relevance = has_text and query.sort == "relevance"
        columns: list[Any] = [
            Document.id,
            DataSource.name,
            Document.external_id,
            Document.title,
            snippet,
            Document.tags,
            Document.created_at,
        ]
        # PostgreSQL ranks only the newest matches (see `ranking`); SQLite's FTS5 ranks them all.
        ranked_newest_only = by_relevance and matching is not None and matching.postgres
        if ranked_newest_only:
            newest = filtered_documents(uow.session, actor, query, select(Document.id.label("id")))
            scored = ranking.newest_scored(uow.session, newest, score)
            score = scored.c.score
            statement = (
                select(*columns, score)
                .join(scored, scored.c.id == Document.id)
                .outerjoin(DataSource, DataSource.id == Document.source_id)
            )
        else:
            base = select(*columns, score).outerjoin(DataSource, DataSource.id == Document.source_id)
            statement = filtered_documents(uow.session, actor, query, base)
        ranked_by = score if by_relevance else None
        if cursor is not None:
            statement = statement.where(keyset.after(cursor, ranked_by, query.sort == "oldest"))
        statement = statement.order_by(*keyset.order(ranked_by, query.sort == "oldest"))
        rows = uow.session.execute(statement.limit(limit + 1)).all()
    hits = []
    searched = words(query.text)
    for row in rows[:limit]:
        masked = mask({"external_id": row[2], "title": row[3], "content": row[4] or ""})
        if mask.active:
            masked["content"] = make_snippet(masked["content"], searched)
        hits.append(
            Hit(
                row[0],
                row[1],
                masked["external_id"],
                masked["title"],
                masked["content"],
                mask.tags(row[5]),
                row[6],
            )
        )
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = keyset.next_cursor(last[7] if by_relevance else None, last[6], last[0])
    return SearchPage(hits, next_cursor, ranked_newest_only)


def check_masked_filters(mask: Masker, query: SearchQuery) -> None:
    """Refuse a search or filter whose hits and counts would reveal values masked for this actor."""
    hidden = sorted(
        {
            key
            for key, value in query.metadata
            if mask.hides_metadata(key) or mask.looks_masked(value) or mask.looks_masked(key)
        }
        | ({"tags"} if any(map(mask.looks_masked, query.tags)) else set())
    )
    if hidden:
        raise PermissionDeniedError(
            f"{', '.join(hidden)} is masked for your role, so you cannot filter on it; ask an admin"
        )
    searched = words(query.text)
    if searched and (
        mask.hides_field("title")
        or mask.hides_field("content")
        or any(map(mask.looks_masked, [query.text, *searched]))
    ):
        raise PermissionDeniedError(
            "that search would look inside text masked for your role; search other words or ask an admin"
        )
