"""Masking cannot be undone: no output a masked user gets carries a masked value, and no filter reveals one.

Every service function that returns document text or metadata is listed here and
called as a user bound by masking rules; a second test fails when a new such
function appears that this list does not cover.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator
from functools import partial
from itertools import product
from typing import Any

import pytest
from sqlalchemy import func as sql
from sqlalchemy import select

import superinsight.services as services
from superinsight.db.base import utcnow
from superinsight.db.models import BusinessPattern, BusinessRule, BusinessRuleVersion, DataConflict
from superinsight.documents.record import DocumentInput
from superinsight.masking import MaskingRule
from superinsight.resources import Resources
from superinsight.services.context import Actor, role_actor, system_actor
from superinsight.services.documents import export, search, views
from superinsight.services.documents import masking as masking_rules
from superinsight.services.documents import writer as document_writer
from superinsight.services.documents.facets import facets
from superinsight.services.documents.search import SearchQuery
from superinsight.services.documents.sources import ensure_source
from superinsight.services.errors import PermissionDeniedError
from superinsight.services.insights import views as insight_views
from superinsight.services.permissions import ROLE_PERMISSIONS
from superinsight.services.quality import issues as quality_issues
from superinsight.services.quality import scoring as quality_scoring
from superinsight.services.quality import settings as quality_settings
from superinsight.services.quality import views as quality_views
from superinsight.services.rules import apply as rule_apply
from superinsight.services.rules import commands as rule_commands
from superinsight.services.rules import drafts as rule_drafts
from superinsight.services.rules import testing as rule_testing
from superinsight.services.rules import views as rule_views
from superinsight.services.rules.drafts import RuleDraft
from superinsight.services.sync import conflicts as sync_conflicts
from superinsight.services.sync import connections
from superinsight.services.sync import jobs as sync_jobs
from superinsight.services.sync import log as sync_log
from superinsight.services.sync import runs as sync_runs

TENANT = "acme"
CARD = "4111-2222-3333-4444"
SSN = "123-45-6789"
SECRETS = (CARD, SSN, "4111", "123-45")  # "partial" keeps the last four digits on purpose
ADMIN = system_actor(TENANT)
# An analyst who may do everything an analyst does except see unmasked values.
MASKED = Actor(TENANT, None, "analyst", None, ROLE_PERMISSIONS["analyst"] - {"documents.view_unmasked"})
VIEWER = role_actor(TENANT, "viewer")


@pytest.fixture
def workspace(resources: Resources) -> Iterator[dict[str, int]]:
    source_id = ensure_source(resources.uow(), ADMIN, "CRM", "csv")
    documents = [
        DocumentInput(
            f"c{n}",
            f"Refund for card {CARD}",
            f"The customer paid with card {CARD} and asked for a refund. " + "padding " * 40 + CARD,
            # A pattern finds its value anywhere text is: in a key, in the tags.
            {"ssn": SSN, "region": "EU", "seen": {CARD: True}},
            ["vip", f"card {CARD}"],
        )
        for n in range(3)
    ]
    document_writer.upsert_documents(resources, ADMIN, source_id, documents)
    masking_rules.add_masking_rule(
        resources, ADMIN, "cards", MaskingRule(None, r"\d{4}-\d{4}-\d{4}-\d{4}", "redact")
    )
    masking_rules.add_masking_rule(resources, ADMIN, "ssn", MaskingRule("metadata.ssn", None, "partial"))
    rule = rule_commands.create_rule(
        resources, ADMIN, RuleDraft("refunds", {"contains": [{"var": "content"}, "refund"]})
    )
    rule_apply.apply_rule(resources, ADMIN, rule.id, rule_apply.new_run(resources, ADMIN, rule.id))
    quality_settings.set_expectations(
        resources, ADMIN, source_id, {"required": ["owner"], "allowed": {"ssn": [SSN, "other"]}}
    )
    quality_scoring.score_source(resources, ADMIN, source_id)
    first = views.list_documents(resources, ADMIN, limit=1)[0].id
    with resources.uow() as uow:
        version = {"title": f"card {CARD}", "content": CARD, "metadata": {"ssn": SSN}, "tags": [CARD]}
        evidence = [{"field": "metadata.region", "value": "EU"}]
        uow.session.add(
            BusinessPattern(
                tenant_id=TENANT,
                rule_id=rule.id,
                pattern_type="co_occurrence",
                description=f"cards {CARD}",
                strength=0.9,
                evidence=evidence,
                detected_at=utcnow(),
                last_seen=utcnow(),
            )
        )
        uow.session.add(
            BusinessPattern(
                tenant_id=TENANT,
                rule_id=rule.id,
                pattern_type="co_occurrence",
                description=f"ssn = {SSN}",
                strength=0.8,
                evidence=[{"field": "metadata.ssn", "value": SSN}],
                detected_at=utcnow(),
                last_seen=utcnow(),
            )
        )
        uow.session.add(
            DataConflict(
                tenant_id=TENANT, document_id=first, source_version=version, workbench_version=version
            )
        )
        uow.commit()
    yield {"source": source_id, "rule": rule.id, "document": first, "run": _failed_record_run(resources)}


def _failed_record_run(resources: Resources) -> int:
    """A sync run whose log holds a refused record quoting a masked value."""
    source_id = connections.create_source(
        resources, ADMIN, connections.SourceDraft("F", "csv", {"path": "f.csv"})
    )
    job_id = sync_jobs.create_job(
        resources, ADMIN, sync_jobs.JobDraft("J", source_id, "full_refresh_append", {"external_id": "id"})
    )
    run_id = sync_runs.queue_run(resources, ADMIN, job_id)
    with resources.uow() as uow:
        sync_log.record(uow.session, ADMIN, job_id, "record.error", {"error": f"cannot cast {SSN!r}"}, run_id)
        uow.commit()
    return run_id


def _outputs(resources: Resources, ids: dict[str, int]) -> dict[str, Callable[[Actor], Any]]:
    """Every service output that carries document text or metadata, as a call for an actor."""
    return {
        "search.search with words": lambda a: search.search(resources, a, SearchQuery(text="refund")),
        "search.search without words": lambda a: search.search(resources, a, SearchQuery()),
        "facets.facets": lambda a: facets(resources, a, SearchQuery()),
        "export.export csv": lambda a: "".join(export.export(resources, a, SearchQuery(), "csv")),
        "export.export jsonl": lambda a: "".join(
            export.export(resources, a, SearchQuery(text="card"), "jsonl")
        ),
        "views.list_documents": lambda a: views.list_documents(resources, a),
        "views.get_document": lambda a: views.get_document(resources, a, ids["document"]),
        "rule_views.matched_documents": lambda a: rule_views.matched_documents(resources, a, ids["rule"]),
        "rule_testing.run_test": lambda a: rule_testing.run_test(
            resources, a, RuleDraft("crm", {"==": [{"var": "source_id"}, ids["source"]]})
        ),
        "quality_issues.issues": lambda a: quality_issues.issues(resources, a, ids["source"]),
        "sync_conflicts.list_conflicts": lambda a: sync_conflicts.list_conflicts(resources, a),
        "quality_views.suggest_expectations": lambda a: quality_views.suggest_expectations(
            resources, a, ids["source"]
        ),
        "quality_settings.expectations": lambda a: quality_settings.expectations(resources, a, ids["source"]),
        "insights.patterns": lambda a: insight_views.patterns(resources, a),
        "sync_runs.run_log": lambda a: sync_runs.run_log(resources, a, ids["run"]),
    }


COVERED = {
    "search",
    "facets",
    "export",
    "list_documents",
    "get_document",
    "matched_documents",
    "run_test",
    "issues",
    "list_conflicts",
    "suggest_expectations",
    "expectations",
    "patterns",
    "run_log",
}
EXEMPT = {
    # Only admins read the audit log, and they see unmasked values.
    "export_csv": "audit",
    # Written by the workbench from rule names and counts; they quote no document value.
    "insights": "generated text",
    "notifications": "generated text",
    "job_log": "settings changes only",
    # Raw source records, offered only to `sources.manage` (analysts, admins: unmasked access).
    "preview": "sources.manage",
    "sample_records": "sources.manage",
    # Returns to the scoring service, never to a page; and what the caller has just saved.
    "quality_source": "internal",
    "set_expectations": "the caller's own input",
    # Project names, annotators' emails, counts and seconds: no document's text.
    "billing_csv": "billing figures",
    # Which fields each edit changed, by whom and when: names, never values.
    "edit_history": "field names",
    # The graph's answers are masked node by node in services/graph/reach.py, tested on a
    # projected workspace in test_graph_service (a masked user sees titles masked, no entity).
    "neighbourhood": "graph reach",
    "lineage": "graph reach",
    "impact": "graph reach",
    "shortest_path": "graph reach",
    "co_occurring": "graph reach",
    "shown": "graph reach",  # the masker itself, for graph nodes
}


def test_no_output_carries_a_masked_value(resources: Resources, workspace: dict[str, int]) -> None:
    outputs = _outputs(resources, workspace)
    unmasked = {name: repr(call(ADMIN)) for name, call in outputs.items() if name != "rule_testing.run_test"}
    missing = [name for name, text in unmasked.items() if CARD not in text and SSN not in text]
    assert not missing, f"the admin must see what the others may not: {missing}"
    for actor in (MASKED, VIEWER):
        for name, call in outputs.items():
            if name == "rule_testing.run_test" and actor is VIEWER:
                continue
            shown = repr(call(actor))
            assert not [secret for secret in SECRETS if secret in shown], (name, actor.role, shown[:400])


def test_a_filter_on_a_masked_field_is_refused_and_counts_nothing(
    resources: Resources, workspace: dict[str, int]
) -> None:
    query = SearchQuery(metadata=(("ssn", SSN),))
    for call in (search.search, facets):
        with pytest.raises(PermissionDeniedError, match="ssn is masked for your role"):
            call(resources, VIEWER, query)
    assert facets(resources, ADMIN, query).total == 3
    assert facets(resources, VIEWER, SearchQuery(metadata=(("region", "EU"),))).total == 3
    probes = [
        SearchQuery(metadata=(("region", CARD),)),
        SearchQuery(text=CARD),
        SearchQuery(text=f"refund {CARD}"),
    ]
    for probe in probes:
        for call in (search.search, facets):
            with pytest.raises(PermissionDeniedError, match="masked for your role"):
                call(resources, VIEWER, probe)
    assert search.search(resources, VIEWER, SearchQuery(text="refund")).hits, "other words are still searched"
    with pytest.raises(PermissionDeniedError, match=r"metadata\.ssn is masked for your role"):
        rule_testing.run_test(resources, MASKED, RuleDraft("probe", {"in": ["45", {"var": "metadata.ssn"}]}))


@pytest.mark.parametrize("field", ["content", "title", "external_id", "metadata.region", "tags"])
def test_a_rule_cannot_count_fragments_of_what_a_pattern_hides(
    resources: Resources, workspace: dict[str, int], field: str
) -> None:
    """Bound by the card pattern, a rule author may not read text at all: each fragment would count."""

    def rules_written() -> tuple[int, int]:
        with resources.uow() as uow:
            return (
                uow.session.scalar(select(sql.count()).select_from(BusinessRule)) or 0,
                uow.session.scalar(select(sql.count()).select_from(BusinessRuleVersion)) or 0,
            )

    before = rules_written()
    # The field read directly, as reduce's initial value, and as a var's default.
    readers = (
        lambda fragment: {"in": [fragment, {"var": field}]},
        lambda fragment: {"in": [fragment, {"reduce": [[], {"var": "accumulator"}, {"var": field}]}]},
        lambda fragment: {"in": [fragment, {"var": ["tags", {"var": field}]}]},
    )
    for fragment, reader in product(("4111", "2222-3333", CARD), readers):
        draft = RuleDraft(f"probe {fragment}", reader(fragment))
        attempts: tuple[Callable[[], object], ...] = (
            partial(rule_testing.run_test, resources, MASKED, draft),
            partial(rule_commands.create_rule, resources, MASKED, draft),
            partial(rule_commands.update_rule, resources, MASKED, workspace["rule"], draft),
        )
        refusal = rf"\b{re.escape(field)}\b.* is masked for your role"
        for attempt in attempts:
            with pytest.raises(PermissionDeniedError, match=refusal):
                attempt()
    assert rules_written() == before
    report = rule_testing.run_test(resources, ADMIN, RuleDraft("probe", {"in": ["4111", {"var": "content"}]}))
    assert report.matched == 3, "the same test counts for one who may see the cards"
    assert (
        rule_testing.run_test(
            resources, MASKED, RuleDraft("crm", {"==": [{"var": "source_id"}, workspace["source"]]})
        ).matched
        == 3
    )


def test_a_rule_cannot_reach_a_masked_field_through_the_whole_object_or_missing(
    resources: Resources, workspace: dict[str, int]
) -> None:
    probes = [
        {"some": [[{"var": "metadata"}], {"starts_with": [{"var": "ssn"}, "123"]}]},
        {"reduce": [[{"var": "metadata"}], {"var": "current.ssn"}, None]},
        {"missing": ["metadata.ssn"]},
        {"missing_some": [1, ["metadata.ssn", "title"]]},
    ]
    for body in probes:
        with pytest.raises(PermissionDeniedError, match="is masked for your role"):
            rule_testing.run_test(resources, MASKED, RuleDraft("probe", body))


def test_the_field_list_leaves_out_masked_keys(resources: Resources, workspace: dict[str, int]) -> None:
    assert {"ssn", "region"} <= (rule_drafts.field_catalog(resources, ADMIN).metadata_keys or set())
    offered = rule_drafts.field_catalog(resources, MASKED).metadata_keys or set()
    assert "region" in offered and "ssn" not in offered


def test_every_service_that_returns_document_text_is_covered_above() -> None:
    carriers = ("Hit", "SearchPage", "DocumentRow", "DocumentDetail", "MatchedDocument", "RuleTestReport")
    carriers += (
        "IssueRow",
        "ConflictRow",
        "Iterator[str]",
        "Suggestion",
        "PatternRow",
        "LogLine",
        "InsightCard",
    )
    carriers += ("NotificationRow", "PreviewRow", "list[Record]", "Expectations", "dict[str, Any]")
    carriers += ("Facets", "EditVersion", "Neighbourhood", "Lineage", "Impact", "Node")
    found = set()
    for info in pkgutil.walk_packages(services.__path__, "superinsight.services."):
        module = importlib.import_module(info.name)
        for name, func in vars(module).items():
            if inspect.isfunction(func) and func.__module__ == info.name and not name.startswith("_"):
                parameters = inspect.signature(func).parameters
                if "resources" not in parameters or "session" in parameters:
                    continue  # a page reaches services with resources, never with a session
                returned = str(inspect.signature(func).return_annotation)
                if any(carrier in returned for carrier in carriers):
                    found.add(name)
    assert len(found) >= 14
    new = found - COVERED - set(EXEMPT)
    assert not new, f"new outputs of document text to check for masking: {sorted(new)}"
