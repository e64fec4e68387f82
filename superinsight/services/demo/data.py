"""The demo workspace's made-up data: tickets, contracts, rules and expectations."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from superinsight.db.base import utcnow
from superinsight.documents.record import DocumentInput

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


def ticket_records(rng: random.Random, numbers: range, refund_surge: bool) -> Iterator[DocumentInput]:
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


def contract_records(rng: random.Random, numbers: range) -> Iterator[DocumentInput]:
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


PARTNER_ROWS = 240
