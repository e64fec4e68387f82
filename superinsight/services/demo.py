"""A realistic demo workspace, so a new user opens a living workbench, not an empty one."""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from superinsight.adapters.jobs import report_progress
from superinsight.db.base import utcnow
from superinsight.resources import Resources, current_resources
from superinsight.services import connections, quality, rule_runs, rules, security, sync_jobs
from superinsight.services.context import Actor, require, require_whole_tenant, system_actor
from superinsight.services.documents import DocumentInput, UpsertCounts, upsert_documents
from superinsight.services.sources import ensure_source

REGIONS = ("EMEA", "NA", "APAC", "LATAM")
PRODUCTS = ("Billing", "Analytics", "Mobile app", "API", "Data export")
PRIORITIES = ("low", "normal", "high", "urgent")
AGENTS = ("amira", "bo", "chen", "dara", "eli", None)
TICKET_PROBLEMS = (
    ("cannot log in after password reset", "Since this morning the login page says my password is wrong."),
    ("invoice shows the wrong amount", "The March invoice charges us twice for the same seats."),
    ("export to CSV times out", "Exporting the quarterly report stops after a minute with an error."),
    ("refund for duplicate charge", "We were billed twice and would like a refund of the second charge."),
    ("dashboard is slow", "The analytics dashboard takes over 30 seconds to load for our team."),
    ("API returns 429", "Our integration hits rate limits although we send few requests."),
    ("mobile app crashes on start", "The app closes right after the splash screen on Android 14."),
)
CONTRACT_KINDS = ("Master services agreement", "Order form", "Data processing agreement", "Renewal")
CONTRACT_CLAUSES = ("Auto-renews unless cancelled.", "Includes a termination for convenience clause.", "")
COMPANIES = (
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Health",
    "Stark Logistics",
    "Wayne Retail",
    "Tyrell Manufacturing",
    "Soylent Foods",
    "Hooli",
    "Vandelay Imports",
)


STAGES = 3
SUPPORT_EXPECTATIONS = {
    "required": ["customer", "region", "priority", "assignee"],
    "allowed": {"priority": list(("low", "normal", "high", "urgent"))},
    "types": {"satisfaction": "number"},
    "ranges": {"satisfaction": [1, 5]},
    "freshness_days": 60,
}
CONTRACT_EXPECTATIONS = {
    "required": ["customer", "amount", "end_date"],
    "types": {"amount": "number"},
    "ranges": {"amount": [0, 1_000_000]},
    "freshness_days": 60,
}


@dataclass(frozen=True)
class DemoResult:
    sources: int
    documents: UpsertCounts
    rules: int


def _tickets(rng: random.Random, numbers: range, refund_surge: bool) -> Iterator[DocumentInput]:
    """Support tickets; during a surge a billing incident makes refund requests common."""
    now = utcnow()
    for number in numbers:
        surge = refund_surge and rng.random() < 0.6
        subject, body = TICKET_PROBLEMS[3] if surge else rng.choice(TICKET_PROBLEMS)
        product = rng.choice(PRODUCTS)
        customer = rng.choice(COMPANIES)
        yield DocumentInput(
            external_id=f"TCK-{number:05d}",
            title=f"{product}: {subject}",
            content=f"{body} Customer {customer} ({rng.choice(REGIONS)}) reports it affects "
            f"{rng.randint(1, 250)} users. {rng.choice(('Please advise.', 'This is blocking us.', ''))}",
            metadata={
                "customer": customer,
                "region": rng.choice(REGIONS),
                "product": product,
                "priority": rng.choices(PRIORITIES, weights=(30, 45, 18, 7))[0],
                "assignee": rng.choice(AGENTS),
                "satisfaction": rng.choice((1, 2, 3, 4, 5, None)),
            },
            tags=rng.sample(["bug", "billing", "question", "vip", "regression"], k=rng.randint(0, 2)),
            created_at=now - timedelta(days=rng.uniform(0, 90)),
        )


def _end_date(rng: random.Random, signed: datetime, term_months: int) -> str | None:
    """About one contract in sixteen lacks an end date, so a quality rule has work to do."""
    if rng.random() < 0.06:
        return None
    return (signed + timedelta(days=30 * term_months)).date().isoformat()


def _contracts(rng: random.Random, numbers: range) -> Iterator[DocumentInput]:
    now = utcnow()
    for number in numbers:
        kind = rng.choice(CONTRACT_KINDS)
        customer = rng.choice(COMPANIES)
        signed = now - timedelta(days=rng.uniform(0, 90))
        amount = round(rng.lognormvariate(10, 1.2), 2)
        term = rng.choice((12, 24, 36))
        yield DocumentInput(
            external_id=f"CTR-{number:05d}",
            title=f"{kind} — {customer}",
            content=f"This {kind.lower()} between SuperInsight and {customer} runs for {term} months "
            f"with a total value of {amount:,.2f} USD. Payment terms: net {rng.choice((30, 45, 60))}. "
            f"{rng.choice(CONTRACT_CLAUSES)}",
            metadata={
                "customer": customer,
                "region": rng.choice(REGIONS),
                "amount": amount,
                "currency": "USD",
                "term_months": term,
                "signed_on": signed.date().isoformat(),
                "end_date": _end_date(rng, signed, term),
                "owner": rng.choice(AGENTS),
            },
            tags=rng.sample(["renewal", "enterprise", "legal-review"], k=rng.randint(0, 2)),
            created_at=signed,
        )


DEMO_RULES: tuple[dict[str, Any], ...] = (
    {
        "name": "High-value contract",
        "description": "Contracts above 100,000 USD need a second approver.",
        "body": {">": [{"var": "metadata.amount"}, 100000]},
        "severity": "info",
        "action": "tag",
        "tags": ["finance"],
    },
    {
        "name": "Urgent ticket without assignee",
        "description": "Urgent tickets must have an owner within the hour.",
        "body": {
            "and": [{"==": [{"var": "metadata.priority"}, "urgent"]}, {"!": {"var": "metadata.assignee"}}]
        },
        "severity": "error",
        "action": "notify",
        "tags": ["support", "sla"],
    },
    {
        "name": "Refund requested",
        "description": "Tickets that ask for money back go to the billing team.",
        "body": {"in": ["refund", {"var": "content"}]},
        "severity": "warning",
        "action": "flag",
        "tags": ["billing"],
    },
    {
        "name": "Contract missing end date",
        "description": "Every contract must state when it ends.",
        "body": {"and": [{"in": ["CTR-", {"var": "external_id"}]}, {"!": {"var": "metadata.end_date"}}]},
        "severity": "error",
        "action": "quality_issue",
        "tags": ["quality"],
    },
)


def _ensure_rules(resources: Resources, actor: Actor) -> list[int]:
    """The demo rules, created through the rules service so they have versions and audit."""
    existing = {summary.rule.draft.name: summary.rule.id for summary in rules.list_rules(resources, actor)}
    for spec in DEMO_RULES:
        if spec["name"] not in existing:
            draft = rules.RuleDraft(**{**spec, "tags": tuple(spec["tags"])})
            existing[spec["name"]] = rules.create_rule(resources, actor, draft).id
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
    """Two sources, `documents` documents with metadata, and a few rules. Safe to re-run.

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
    quality.set_expectations(resources, actor, support, SUPPORT_EXPECTATIONS)
    quality.set_expectations(resources, actor, contracts, CONTRACT_EXPECTATIONS)
    counts = UpsertCounts()
    rules_before = len(rules.list_rules(resources, actor))
    for stage in range(STAGES):
        stage_counts = upsert_documents(
            resources, actor, support, _tickets(rng, _stage(tickets, stage), stage == STAGES - 1)
        )
        stage_counts += upsert_documents(
            resources, actor, contracts, _contracts(rng, _stage(documents - tickets, stage))
        )
        counts += stage_counts
        rule_ids = _ensure_rules(resources, actor)
        if stage_counts.inserted:
            for rule_id in rule_ids:
                rule_runs.apply_rule(resources, actor, rule_id, rule_runs.new_run(resources, actor, rule_id))
            for source_id in (support, contracts):
                quality.score_source(resources, actor, source_id)
        report((stage + 1) / STAGES, f"instalment {stage + 1} of {STAGES} loaded and checked")
    created = len(rules.list_rules(resources, actor)) - rules_before
    _ensure_sync_example(resources, actor, rng)
    return DemoResult(sources=3, documents=counts, rules=created)


PARTNER_FILE = "demo/partner-tickets.csv"
PARTNER_ROWS = 240


def _ensure_sync_example(resources: Resources, actor: Actor, rng: random.Random) -> None:
    """A CSV under the files folder with a sync job for it, left for the analyst to run."""
    path = resources.settings.effective_files_root / PARTNER_FILE
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
    password: str


def ensure_demo_users(resources: Resources, actor: Actor) -> list[DemoAccount]:
    """One account per role for a workspace that has none yet; returns them with their passwords.

    The passwords are generated and returned once, for the caller to hand over
    (the CLI writes them to a private file); they are stored only as hashes.
    """
    require(actor, "users.manage")
    if security.has_users(resources, actor.tenant_id):
        return []
    accounts = [
        DemoAccount(f"{role}@{actor.tenant_id}.example", role, secrets.token_urlsafe(12))
        for role in ("admin", "analyst", "annotator", "viewer")
    ]
    for account in accounts:
        security.create_user(
            resources, actor, account.email, account.password, account.role, full_name=f"Demo {account.role}"
        )
    return accounts
