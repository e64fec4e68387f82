"""The kinds each metadata key holds are kept by the writers, and rules compiled with them stay exact.

The rules and documents are the SQL agreement test's own strategies; here the
documents go in through the writer (a fresh source's COPY, then an update through the
staging table), and the rule is compiled with the kinds the writer recorded.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from superinsight.db.models import Document, MetadataKeyKind
from superinsight.documents.record import DocumentInput
from superinsight.resources import Resources
from superinsight.rules.extensions import WORKBENCH
from superinsight.rules.jsvalues import truthy
from superinsight.rules.sql import NotExpressibleInSQLError, to_sql
from superinsight.services.context import system_actor
from superinsight.services.documents import edits
from superinsight.services.documents import writer as document_writer
from superinsight.services.documents.key_kinds import known_kinds
from superinsight.services.documents.sources import ensure_source
from superinsight.services.rules.matching import document_data, document_fields
from tests.integration.test_rule_sql_agreement import all_rules, documents

TENANT = "acme"
ADMIN = system_actor(TENANT)
EXAMPLES = int(os.environ.get("SUPERINSIGHT_RULE_SQL_EXAMPLES", "300")) // 2


def _kinds(resources: Resources) -> set[tuple[int, str, str]]:
    with resources.uow() as uow:
        rows = uow.session.execute(
            select(MetadataKeyKind.source_id, MetadataKeyKind.key, MetadataKeyKind.kind)
        )
        return {tuple(row) for row in rows}  # type: ignore[misc]


def _write(resources: Resources, source_id: int, metadata: list[dict[str, Any]], prefix: str = "d") -> None:
    records = [DocumentInput(f"{prefix}{n}", f"T{n}", "", meta) for n, meta in enumerate(metadata)]
    document_writer.upsert_documents(resources, ADMIN, source_id, records)


class TestTheWritersKeepTheKinds:
    def test_an_upload_records_each_key_and_kind_of_its_source(self, resources: Resources) -> None:
        north = ensure_source(resources.uow(), ADMIN, "North", "csv")
        south = ensure_source(resources.uow(), ADMIN, "South", "csv")
        _write(resources, north, [{"amount": 5, "flag": True}, {"amount": "5", "note": None}])
        _write(resources, south, [{"amount": 1.5, "nested": {"x": 1}}])
        assert _kinds(resources) == {
            (north, "amount", "number"),
            (north, "amount", "string"),
            (north, "flag", "true"),
            (north, "note", "null"),
            (south, "amount", "number"),
            (south, "nested", "object"),
        }

    def test_a_second_batch_through_the_staging_table_adds_only_what_is_new(
        self, resources: Resources
    ) -> None:
        source = ensure_source(resources.uow(), ADMIN, "CRM", "csv")
        _write(resources, source, [{"amount": 5}])
        _write(resources, source, [{"amount": False}, {"region": "EU"}])
        assert _kinds(resources) == {
            (source, "amount", "number"),
            (source, "amount", "false"),
            (source, "region", "string"),
        }

    def test_an_edit_that_changes_a_kind_adds_the_new_one_and_keeps_the_old(
        self, resources: Resources
    ) -> None:
        source = ensure_source(resources.uow(), ADMIN, "CRM", "csv")
        _write(resources, source, [{"amount": 5}])
        with resources.uow() as uow:
            document_id = uow.session.scalars(select(Document.id)).one()
        assert edits.edit_document(resources, ADMIN, document_id, metadata={"amount": "five"})
        assert _kinds(resources) == {(source, "amount", "number"), (source, "amount", "string")}


def _stored(resources: Resources) -> dict[int, dict[str, Any]]:
    with resources.uow() as uow:
        return {doc.id: document_data(doc) for doc in uow.session.scalars(select(Document))}


def _matched(resources: Resources, rule: Any, stale: bool = False) -> tuple[set[int], set[int]]:
    """The documents the rule matches in SQL compiled with the recorded kinds, and by the evaluator."""
    with resources.uow() as uow:
        condition = to_sql(rule, document_fields(), known_kinds(uow.session, TENANT))
    if stale:  # documents with new kinds arrive after the kinds were read
        source = ensure_source(resources.uow(), ADMIN, "Late", "csv")
        _write(
            resources, source, [{"a": "1e3", "b": 2, "c": True}, {"a": None, "b": "x", "c": {"x": 1}}], "late"
        )
    with resources.uow() as uow:
        in_sql = set(uow.session.scalars(select(Document.id).where(condition)))
    expected = {doc_id for doc_id, data in _stored(resources).items() if truthy(WORKBENCH.apply(rule, data))}
    return in_sql, expected


def test_rules_compiled_with_the_recorded_kinds_match_what_evaluate_matches(resources: Resources) -> None:
    source = ensure_source(resources.uow(), ADMIN, "Generated", "csv")
    counts: Counter[str] = Counter()

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(rule=all_rules, docs=documents, stale=st.booleans())
    def agrees(rule: Any, docs: list[dict[str, Any]], stale: bool) -> None:
        try:
            to_sql(rule, document_fields())
        except NotExpressibleInSQLError:
            counts["refused"] += 1
            return
        with resources.uow() as uow:
            uow.session.execute(delete(Document))
            uow.session.execute(delete(MetadataKeyKind))
            uow.commit()
        metadata = [doc["metadata"] for doc in docs]
        half = len(metadata) // 2
        _write(resources, source, metadata[:half])  # a fresh source: COPY straight in, on PostgreSQL
        _write(resources, source, metadata)  # the rest through the staging table
        in_sql, expected = _matched(resources, rule, stale)
        counts["in SQL"] += 1
        assert in_sql == expected, (rule, _stored(resources))

    agrees()
    assert counts["in SQL"] >= EXAMPLES * 0.5, counts
