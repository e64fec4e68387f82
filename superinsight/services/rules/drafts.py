"""A rule as the form sends it, and the checks it passes before anything runs or is saved."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from superinsight.db.models import MetadataKeyKind
from superinsight.resources import Resources
from superinsight.rules.fields import fields_read
from superinsight.rules.validation import MAX_DEPTH, FieldCatalog, RuleValidationError, validate_rule
from superinsight.services.context import Actor, internal, require
from superinsight.services.documents.masking import masker
from superinsight.services.documents.writer import documents_version
from superinsight.services.errors import InvalidInputError, PermissionDeniedError
from superinsight.services.inputs import unstorable
from superinsight.services.scoping import reach_key, visible_sources
from superinsight.vocabulary import RULE_ACTIONS, SEVERITIES

MAX_TAGS = 20


class RuleInputError(InvalidInputError):
    """The draft was refused; `problems` lists each one with where it is."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class RuleDraft:
    name: str
    body: dict[str, Any]
    description: str = ""
    severity: str = "warning"
    action: str = "flag"
    tags: tuple[str, ...] = ()
    mostly: float | None = None
    warn_after: int | None = None
    error_after: int | None = None


DRAFT_FIELDS = tuple(draft_field.name for draft_field in fields(RuleDraft))
"""The editable part of a rule, stored alike on the rule and on each of its saved versions."""


def stored_values(draft: RuleDraft) -> dict[str, Any]:
    """The draft as the columns of a rule (or a version) hold it: names and tags trimmed."""
    values = {name: getattr(draft, name) for name in DRAFT_FIELDS}
    return values | {"name": draft.name.strip(), "tags": [tag.strip() for tag in draft.tags]}


def draft_of(row: Any) -> RuleDraft:
    """The editable part of a rule, from the rule itself or from one of its saved versions."""
    return RuleDraft(**{name: getattr(row, name) for name in DRAFT_FIELDS} | {"tags": tuple(row.tags)})


# Validation -----------------------------------------------------------------


def field_catalog(resources: Resources, actor: Actor) -> FieldCatalog:
    """The metadata keys the tenant's documents have (cached until the documents change)."""
    require(actor, "documents.view")
    scope = reach_key(actor)
    key = f"rules:metadata-keys:{actor.tenant_id}:{scope}:{documents_version(resources, actor.tenant_id)}"
    cached = resources.cache.get(key)
    with resources.uow() as uow:
        if cached is None:
            cached = sorted(_metadata_keys(uow.session, actor))
            resources.cache.set(key, cached, resources.settings.cache_ttl_seconds)
        mask = masker(resources, uow.session, actor)
    # A key masked whole, or whose own name a pattern hides, is not offered (nor hinted at).
    shown = [name for name in cached if not mask.hides_metadata(name) and not mask.looks_masked(name)]
    return FieldCatalog(metadata_keys=frozenset(shown) if cached else None)


def _metadata_keys(session: Session, actor: Actor) -> set[str]:
    """The metadata keys of the documents the actor may see (a narrowed user: their sources only).

    Read from what the writers record (`documents.key_kinds`), not by reading every document.
    """
    return set(
        session.scalars(
            select(MetadataKeyKind.key)
            .distinct()
            .where(
                MetadataKeyKind.tenant_id == actor.tenant_id,
                visible_sources(actor, MetadataKeyKind.source_id),
            )
        )
    )


@internal("a check that run_test, create_rule and update_rule make after requiring rules.edit")
def check_readable(resources: Resources, actor: Actor, draft: RuleDraft) -> None:
    """A rule's match counts over what masking hides from its author would reveal it,
    one fragment at a time: refuse a condition that reads such a field, before it runs or is saved."""
    with resources.uow() as uow:
        mask = masker(resources, uow.session, actor)
    masked = sorted(name for name in fields_read(draft.body) if mask.hides_from_counts(name))
    if masked:
        raise PermissionDeniedError(
            f"{', '.join(masked)} is masked for your role, so your rules may not read it; ask an admin"
        )


def check_draft(draft: RuleDraft, catalog: FieldCatalog) -> None:
    problems: list[str] = []
    # Each level of a condition is an operation and its list of arguments: two levels of
    # nesting, and the draft and its body two more. Deeper than that is refused before the
    # evaluator, the SQL compiler or a store sees it.
    if problem := unstorable([getattr(draft, name) for name in DRAFT_FIELDS], max_depth=2 * MAX_DEPTH + 4):
        raise RuleInputError([f"the rule {problem}; remove it"])
    if not draft.name.strip() or len(draft.name) > 255:
        problems.append("name: give the rule a name of 1 to 255 characters")
    if len(draft.description) > 10_000:
        problems.append("description: at most 10,000 characters")
    if draft.severity not in SEVERITIES:
        problems.append(f"severity: choose one of {', '.join(SEVERITIES)}")
    if draft.action not in RULE_ACTIONS:
        problems.append(f"action: choose one of {', '.join(RULE_ACTIONS)}")
    if len(draft.tags) > MAX_TAGS or any(not tag.strip() or len(tag) > 40 for tag in draft.tags):
        problems.append(f"tags: at most {MAX_TAGS} tags of 1 to 40 characters")
    if draft.mostly is not None and not 0 < draft.mostly <= 1:
        problems.append("mostly: a share between 0 and 1, such as 0.95")
    for name in ("warn_after", "error_after"):
        value = getattr(draft, name)
        if value is not None and value < 0:
            problems.append(f"{name}: a number of documents, 0 or more")
    if (
        draft.warn_after is not None
        and draft.error_after is not None
        and draft.warn_after > draft.error_after
    ):
        problems.append("warn_after: must not be above error_after")
    try:
        validate_rule(draft.body, catalog)
    except RuleValidationError as exc:
        problems.extend(f"condition {problem}" for problem in exc.problems)
    if problems:
        raise RuleInputError(problems)
