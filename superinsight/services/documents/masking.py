"""Masking rules per tenant, and the masker every output of document text goes through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from superinsight import masking
from superinsight.db.models import DataMaskingRule
from superinsight.resources import Resources
from superinsight.services import audit, inputs
from superinsight.services.context import Actor, require
from superinsight.services.errors import InvalidInputError


def _masking_rule(row: DataMaskingRule) -> masking.MaskingRule:
    method: masking.Method = row.method  # type: ignore[assignment]  # the CHECK constraint allows only these
    return masking.MaskingRule(row.field, row.pattern, method, frozenset(row.unmasked_roles))


def _masking_rules(session: Session, tenant_id: str) -> list[masking.MaskingRule]:
    """The tenant's active rules, read once per unit of work: a search asks for them for its
    masker, its text match and each filtered count, all in one session."""
    key = ("masking_rules", tenant_id)
    if key not in session.info:
        rows = session.scalars(
            select(DataMaskingRule).where(
                DataMaskingRule.tenant_id == tenant_id, DataMaskingRule.is_active.is_(True)
            )
        )
        session.info[key] = [_masking_rule(row) for row in rows]
    rules: list[masking.MaskingRule] = session.info[key]
    return rules


@dataclass(frozen=True)
class Masker:
    """What one actor may see of documents; every output of document text or metadata goes through it."""

    rules: tuple[masking.MaskingRule, ...]
    role: str
    key: bytes

    @property
    def active(self) -> bool:
        """Whether any rule binds this actor (an analyst with unmasked access sees everything)."""
        return bool(self.rules)

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        return masking.apply(data, self.rules, self.role, False, self.key) if self.rules else data

    def value(self, name: str, value: Any) -> Any:
        """One field of a document as this actor may see it (`title`, `metadata`, …)."""
        return self({name: value})[name]

    def hides_metadata(self, key: str) -> bool:
        """Whether a metadata key is masked whole for this actor: filtering on it would reveal its values."""
        return any(
            rule.field in (f"metadata.{key}", "metadata") or (rule.field or "").startswith(f"metadata.{key}.")
            for rule in self.rules
        )

    def hides_field(self, name: str) -> bool:
        """Whether a document field (`title`, `content`, `metadata.<key>`…) is masked whole for this
        actor; `metadata` itself is, when any of its keys is (reading the object reads them all)."""
        if name.startswith("metadata."):
            return self.hides_metadata(name.removeprefix("metadata.").split(".")[0])
        if name == "metadata":
            return any((rule.field or "").startswith("metadata") for rule in self.rules)
        return any(rule.field == name for rule in self.rules)

    def hides_from_counts(self, name: str) -> bool:
        """Whether counting documents by a field could reveal what is masked: a field masked
        whole, or any text field while a pattern binds (a fragment of what it hides would count)."""
        binds_pattern = any(rule.pattern is not None for rule in self.rules)
        text_field = name in masking.PATTERN_FIELDS or name.startswith("metadata.")
        return self.hides_field(name) or (binds_pattern and text_field)

    def tags(self, tags: list[str]) -> list[str]:
        """A document's tags as this actor may see them."""
        return list(self.value("tags", list(tags)))

    def tag_counts(self, counts: list[tuple[str, int]]) -> list[tuple[str, int]]:
        """Counts by tag with the tags as this actor may see them (two hidden alike stay apart)."""
        return list(self({"tags": dict(counts)})["tags"].items())

    def looks_masked(self, text: str) -> bool:
        """Whether a searched word or filter value looks like what a masking pattern hides."""
        return any(rule.pattern is not None and masking.finds(rule.pattern, text) for rule in self.rules)


def _binding(session: Session, actor: Actor) -> tuple[masking.MaskingRule, ...]:
    if actor.can("documents.view_unmasked"):
        return ()
    return tuple(
        rule for rule in _masking_rules(session, actor.tenant_id) if actor.role not in rule.unmasked_roles
    )


def masker(resources: Resources, session: Session, actor: Actor) -> Masker:
    """Masks documents for this actor; unmasked values never leave the service for a viewer."""
    return Masker(_binding(session, actor), actor.role, resources.settings.effective_secret_key().encode())


def hidden_patterns(session: Session, actor: Actor) -> tuple[str, ...]:
    """The masking patterns whose finds this actor's searches must not look at."""
    return tuple(rule.pattern for rule in _binding(session, actor) if rule.pattern is not None)


def add_masking_rule(resources: Resources, actor: Actor, name: str, rule: masking.MaskingRule) -> None:
    """A new masking rule for the tenant; admins only, since it decides what others may see."""
    require(actor, "users.manage")
    try:
        masking.check_rule(rule)
    except masking.MaskingRuleError as exc:
        raise InvalidInputError(str(exc)) from None
    with resources.uow() as uow:
        row = DataMaskingRule(
            tenant_id=actor.tenant_id,
            name=inputs.text(name, "name"),
            field=rule.field,
            pattern=rule.pattern,
            method=rule.method,
            unmasked_roles=sorted(rule.unmasked_roles),
        )
        uow.session.add(row)
        uow.session.flush()
        audit.record(
            uow.session,
            actor,
            "masking_rule.create",
            "data_masking_rule",
            row.id,
            after={"name": name, "field": rule.field, "pattern": rule.pattern, "method": rule.method},
        )
        uow.commit()


def masking_rules(resources: Resources, actor: Actor) -> list[tuple[str, masking.MaskingRule]]:
    require(actor, "users.manage")
    with resources.uow() as uow:
        rows = uow.session.scalars(
            select(DataMaskingRule).where(DataMaskingRule.tenant_id == actor.tenant_id)
        )
        return [(row.name, _masking_rule(row)) for row in rows]
