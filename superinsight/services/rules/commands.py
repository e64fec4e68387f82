"""Changing rules: create, update (a new version each time), activate, delete; each audited."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import select

from superinsight.db.models import BusinessRule, BusinessRuleVersion
from superinsight.db.uow import UnitOfWork
from superinsight.resources import Resources
from superinsight.services import audit
from superinsight.services.context import Actor, require
from superinsight.services.graph import backlog as graph_backlog
from superinsight.services.rules.drafts import (
    RuleDraft,
    RuleInputError,
    check_draft,
    check_readable,
    draft_of,
    field_catalog,
    stored_values,
)
from superinsight.services.rules.views import RuleView, rule_view, tenant_rule

# Writing --------------------------------------------------------------------


def _snapshot(rule: BusinessRule, actor: Actor) -> BusinessRuleVersion:
    return BusinessRuleVersion(
        tenant_id=rule.tenant_id,
        rule_id=rule.id,
        version=rule.version,
        created_by=actor.user_id,
        **stored_values(draft_of(rule)),
    )


def _apply_draft(rule: BusinessRule, draft: RuleDraft) -> None:
    for name, value in stored_values(draft).items():
        setattr(rule, name, value)


def _name_taken(uow: UnitOfWork, actor: Actor, name: str, except_id: int | None = None) -> bool:
    query = select(BusinessRule.id).where(
        BusinessRule.tenant_id == actor.tenant_id, BusinessRule.name == name
    )
    if except_id is not None:
        query = query.where(BusinessRule.id != except_id)
    return uow.session.scalar(query) is not None


def create_rule(resources: Resources, actor: Actor, draft: RuleDraft) -> RuleView:
    require(actor, "rules.edit")
    check_readable(resources, actor, draft)  # first: the catalog leaves out what is masked
    check_draft(draft, field_catalog(resources, actor))
    with resources.uow() as uow:
        if _name_taken(uow, actor, draft.name.strip()):
            raise RuleInputError([f"name: a rule called {draft.name.strip()!r} already exists"])
        rule = BusinessRule(tenant_id=actor.tenant_id, owner_id=actor.user_id, version=1, body={})
        _apply_draft(rule, draft)
        uow.session.add(rule)
        uow.session.flush()
        uow.session.add(_snapshot(rule, actor))
        audit.record(uow.session, actor, "rule.create", "business_rule", rule.id, after=asdict(draft))
        uow.commit()
        return rule_view(rule)


def update_rule(resources: Resources, actor: Actor, rule_id: int, draft: RuleDraft) -> RuleView:
    """Save an edit as the next version; saving what is already there changes nothing."""
    require(actor, "rules.edit")
    check_readable(resources, actor, draft)  # first: the catalog leaves out what is masked
    check_draft(draft, field_catalog(resources, actor))
    with resources.uow() as uow:
        rule = tenant_rule(uow, actor, rule_id)
        before = rule_view(rule).draft
        if before == draft:
            return rule_view(rule)
        if _name_taken(uow, actor, draft.name.strip(), except_id=rule_id):
            raise RuleInputError([f"name: a rule called {draft.name.strip()!r} already exists"])
        _apply_draft(rule, draft)
        rule.version += 1
        uow.session.add(_snapshot(rule, actor))
        audit.record(
            uow.session,
            actor,
            "rule.update",
            "business_rule",
            rule.id,
            before=asdict(before),
            after=asdict(draft),
        )
        uow.commit()
        return rule_view(rule)


def set_active(resources: Resources, actor: Actor, rule_id: int, active: bool) -> RuleView:
    require(actor, "rules.edit")
    with resources.uow() as uow:
        rule = tenant_rule(uow, actor, rule_id)
        if rule.is_active != active:
            audit.record(
                uow.session,
                actor,
                "rule.enable" if active else "rule.disable",
                "business_rule",
                rule.id,
                before={"is_active": rule.is_active},
                after={"is_active": active},
            )
            rule.is_active = active
            uow.commit()
        return rule_view(rule)


def delete_rule(resources: Resources, actor: Actor, rule_id: int) -> None:
    require(actor, "rules.edit")
    with resources.uow() as uow:
        rule = tenant_rule(uow, actor, rule_id)
        audit.record(
            uow.session, actor, "rule.delete", "business_rule", rule.id, before=asdict(rule_view(rule).draft)
        )
        uow.session.delete(rule)
        graph_backlog.note(uow.session, actor.tenant_id, "rule", rule_id)
        uow.commit()
    graph_backlog.drain_soon(resources, actor.tenant_id)
