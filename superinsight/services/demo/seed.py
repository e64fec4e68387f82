"""Loading the demo workspace: sources, documents in instalments, rules applied, a sync to try, accounts."""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from superinsight.adapters.jobs import report_progress
from superinsight.resources import Resources, current_resources
from superinsight.services.context import Actor, job_entry, require, require_whole_tenant, system_actor
from superinsight.services.demo.data import (
    COMPANIES,
    CONTRACT_EXPECTATIONS,
    DEMO_RULES,
    PARTNER_ROWS,
    PRIORITIES,
    STAGES,
    SUPPORT_EXPECTATIONS,
    TICKET_PROBLEMS,
    contract_records,
    ticket_records,
)
from superinsight.services.documents.sources import ensure_source
from superinsight.services.documents.staging import WriteCounts
from superinsight.services.documents.writer import upsert_documents
from superinsight.services.quality import scoring as quality_scoring
from superinsight.services.quality import settings as quality_settings
from superinsight.services.rules import apply as rule_apply
from superinsight.services.rules import commands as rule_commands
from superinsight.services.rules import drafts as rule_drafts
from superinsight.services.rules import views as rule_views
from superinsight.services.security import users
from superinsight.services.sync import connections
from superinsight.services.sync import jobs as sync_jobs
from superinsight.sync.connectors.files import tenant_folder


@dataclass(frozen=True)
class DemoResult:
    sources: int
    documents: WriteCounts
    rules: int


def _ensure_rules(resources: Resources, actor: Actor) -> list[int]:
    """The demo rules, created through the rules service so they have versions and audit."""
    existing = {
        summary.rule.draft.name: summary.rule.id for summary in rule_views.list_rules(resources, actor)
    }
    for spec in DEMO_RULES:
        if spec["name"] not in existing:
            draft = rule_drafts.RuleDraft(**{**spec, "tags": tuple(spec["tags"])})
            existing[spec["name"]] = rule_commands.create_rule(resources, actor, draft).id
    return [existing[spec["name"]] for spec in DEMO_RULES]


def _stage(total: int, stage: int) -> range:
    """The record numbers loaded in one stage: the demo arrives in STAGES instalments."""
    return range(total * stage // STAGES + 1, total * (stage + 1) // STAGES + 1)


def seed_demo(
    resources: Resources,
    actor: Actor,
    documents: int = 5000,
    seed: int = 7,
    on_progress: Callable[[float, str], None] | None = None,
) -> DemoResult:
    """Two sources with `documents` documents and a few rules, and a third (a CSV) with a sync job
    left to run. Safe to re-run.

    Documents arrive in instalments with the rules applied after each, the way a
    workbench fills up over weeks, so the match-rate chart has a history and the
    last instalment's refund surge shows up as an insight.
    """
    require(actor, "workspace.manage")
    require_whole_tenant(actor, "load the demo")
    if documents < 2:
        raise ValueError("the demo needs at least 2 documents, one per source")
    report = on_progress or (lambda _fraction, _message: None)
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    tickets = documents * 3 // 5
    support = ensure_source(resources.uow(), actor, "Support desk", "upload", {"demo": True})
    contracts = ensure_source(resources.uow(), actor, "Contracts DB", "upload", {"demo": True})
    quality_settings.set_expectations(resources, actor, support, SUPPORT_EXPECTATIONS)
    quality_settings.set_expectations(resources, actor, contracts, CONTRACT_EXPECTATIONS)
    counts = WriteCounts()
    rules_before = len(rule_views.list_rules(resources, actor))
    for stage in range(STAGES):
        stage_counts = upsert_documents(
            resources, actor, support, ticket_records(rng, _stage(tickets, stage), stage == STAGES - 1)
        )
        stage_counts += upsert_documents(
            resources, actor, contracts, contract_records(rng, _stage(documents - tickets, stage))
        )
        counts += stage_counts
        rule_ids = _ensure_rules(resources, actor)
        if stage_counts.inserted:
            for rule_id in rule_ids:
                rule_apply.apply_rule(
                    resources, actor, rule_id, rule_apply.new_run(resources, actor, rule_id)
                )
            for source_id in (support, contracts):
                quality_scoring.score_source(resources, actor, source_id)
        report((stage + 1) / STAGES, f"instalment {stage + 1} of {STAGES} loaded and checked")
    created = len(rule_views.list_rules(resources, actor)) - rules_before
    _ensure_sync_example(resources, actor, rng)
    return DemoResult(sources=3, documents=counts, rules=created)


PARTNER_FILE = "partner-tickets.csv"


def _ensure_sync_example(resources: Resources, actor: Actor, rng: random.Random) -> None:
    """A CSV under the files folder with a sync job for it, left for the analyst to run."""
    path = tenant_folder(resources.settings.effective_files_root, actor.tenant_id) / PARTNER_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = ["ticket_id,subject,body,partner,priority,opened_on"]
        for number in range(1, PARTNER_ROWS + 1):
            subject, body = rng.choice(TICKET_PROBLEMS)
            lines.append(
                f"P-{number:04d},{subject.capitalize()},{body.replace(',', ';')},"
                f"{rng.choice(COMPANIES)},{rng.choice(PRIORITIES).upper()},"
                f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"
            )
        path.write_text("\n".join(lines) + "\n")
    if any(source.name == "Partner tickets" for source in connections.synced_sources(resources, actor)):
        return
    source_id = connections.create_source(
        resources, actor, connections.SourceDraft("Partner tickets", "csv", {"path": PARTNER_FILE})
    )
    sync_jobs.create_job(
        resources,
        actor,
        sync_jobs.JobDraft(
            "Partner tickets",
            source_id,
            "incremental_dedup",
            {"external_id": "ticket_id", "title": "subject", "content": "body", "metadata.*": ""},
            [{"type": "lowercase", "field": "priority"}],
            cursor_field=sync_jobs.MODIFIED_TIME,
        ),
    )


@job_entry("start_seed, after requiring workspace.manage")
def seed_demo_job(tenant_id: str, documents: int = 5000) -> None:
    """The demo seed as a background job (importable, so an RQ worker can run it)."""
    seed_demo(current_resources(), system_actor(tenant_id), documents, on_progress=report_progress)


def start_seed(resources: Resources, actor: Actor, documents: int = 5000) -> str:
    """Load the demo in the background; returns the job id to follow."""
    require(actor, "workspace.manage")
    with resources.active():
        return resources.jobs.enqueue(seed_demo_job, actor.tenant_id, documents)


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: str
    password: str = field(repr=False)  # handed over once; never in a log line or a traceback's locals


def ensure_demo_users(resources: Resources, actor: Actor) -> list[DemoAccount]:
    """One account per role for a workspace that has none yet; returns them with their passwords.

    The passwords are generated and returned once, for the caller to hand over
    (the CLI writes them to a private file); they are stored only as hashes.
    """
    require(actor, "users.manage")
    if users.has_users(resources, actor.tenant_id):
        return []
    accounts = [
        DemoAccount(f"{role}@{actor.tenant_id}.example", role, secrets.token_urlsafe(12))
        for role in ("admin", "analyst", "annotator", "viewer")
    ]
    for account in accounts:
        users.create_user(
            resources, actor, account.email, account.password, account.role, full_name=f"Demo {account.role}"
        )
    return accounts
