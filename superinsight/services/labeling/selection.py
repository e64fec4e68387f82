"""Which documents a launch sends: a Documents search, a rule's matches, or a random sample of either."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from superinsight.db.models import BusinessRule, Document
from superinsight.rules.extensions import WORKBENCH
from superinsight.rules.jsvalues import truthy
from superinsight.rules.sql import NotExpressibleInSQLError, to_sql
from superinsight.services.context import Actor, internal
from superinsight.services.documents.key_kinds import known_kinds
from superinsight.services.documents.masking import Masker
from superinsight.services.documents.search import (
    SearchQuery,
    check_masked_filters,
    check_query,
    filtered_documents,
)
from superinsight.services.errors import InvalidInputError, NotFoundError
from superinsight.services.rules.matching import document_data, document_fields
from superinsight.services.scoping import visible_sources

MAX_SAMPLE = 100_000
STREAM_BATCH = 2000


@dataclass(frozen=True)
class Selection:
    """A search (its filters as on the Documents page) or a rule; `sample` picks that many at random."""

    query: SearchQuery = field(default_factory=SearchQuery)
    rule_id: int | None = None
    sample: int | None = None
    seed: int = 0

    @property
    def kind(self) -> str:
        return "rule" if self.rule_id is not None else "search"

    def stored(self) -> dict[str, Any]:
        """As kept on the project, to add the same search's or rule's new matches later."""
        return {
            "kind": self.kind,
            "query": {k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(self.query).items()},
            "rule_id": self.rule_id,
            "sample": self.sample,
            "seed": self.seed,
        }


@internal("rebuilds a value from a project's stored selection; reads and checks nothing")
def selection_of(stored: dict[str, Any]) -> Selection:
    raw = dict(stored.get("query") or {})
    for name in ("created_from", "created_to"):
        raw[name] = date.fromisoformat(raw[name]) if raw.get(name) else None
    raw["source_ids"] = tuple(raw.get("source_ids") or ())
    raw["tags"] = tuple(raw.get("tags") or ())
    raw["metadata"] = tuple(tuple(pair) for pair in raw.get("metadata") or ())
    return Selection(
        SearchQuery(**raw), stored.get("rule_id"), stored.get("sample"), int(stored.get("seed", 0))
    )


def _rule_matches(session: Session, actor: Actor, body: dict[str, Any]) -> list[int]:
    scope = [Document.tenant_id == actor.tenant_id, visible_sources(actor, Document.source_id)]
    try:
        condition = to_sql(body, document_fields(), known_kinds(session, actor.tenant_id))
    except NotExpressibleInSQLError:
        documents = session.scalars(
            select(Document).where(*scope).order_by(Document.id).execution_options(yield_per=STREAM_BATCH)
        )
        return [doc.id for doc in documents if truthy(WORKBENCH.apply(body, document_data(doc)))]
    return list(session.scalars(select(Document.id).where(*scope, condition).order_by(Document.id)))


@internal("called inside a guarded launch with the actor's tenant and reach; refuses bad input itself")
def document_ids(session: Session, actor: Actor, mask: Masker, selection: Selection) -> list[int]:
    """The selected documents' ids, ascending; a sample is the same for the same seed."""
    if selection.sample is not None and not 1 <= selection.sample <= MAX_SAMPLE:
        raise InvalidInputError(f"a sample holds between 1 and {MAX_SAMPLE:,} documents")
    if selection.rule_id is not None:
        rule = session.get(BusinessRule, selection.rule_id)
        if rule is None or rule.tenant_id != actor.tenant_id:
            raise NotFoundError(f"rule {selection.rule_id} does not exist")
        ids = _rule_matches(session, actor, rule.body)
    else:
        check_query(selection.query)
        check_masked_filters(mask, selection.query)
        query = filtered_documents(session, actor, selection.query, select(Document.id))
        ids = list(session.scalars(query.order_by(Document.id)))
    if selection.sample is not None and selection.sample < len(ids):
        ids = sorted(random.Random(selection.seed).sample(ids, selection.sample))  # noqa: S311 - not a secret
    return ids
