"""A user narrowed to some sources sees nothing drawn from the others: not in counts, hints or news."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from superinsight.db.base import utcnow
from superinsight.db.models import BusinessInsight, BusinessLogicNotification, BusinessPattern
from superinsight.documents.record import DocumentInput
from superinsight.resources import Resources
from superinsight.services.context import Actor, system_actor
from superinsight.services.documents import writer as document_writer
from superinsight.services.documents.sources import ensure_source
from superinsight.services.insights import notifications
from superinsight.services.insights import views as insights
from superinsight.services.permissions import ROLE_PERMISSIONS
from superinsight.services.rules import apply as rule_apply
from superinsight.services.rules import commands as rule_commands
from superinsight.services.rules import views as rule_views
from superinsight.services.rules.drafts import RuleDraft, field_catalog
from superinsight.services.security import users

TENANT = "acme"
ADMIN = system_actor(TENANT)


def _docs(prefix: str, count: int, refunds: int, key: str) -> list[DocumentInput]:
    return [
        DocumentInput(
            f"{prefix}{n}", f"{prefix} {n}", "refund asked" if n < refunds else "all fine", {key: n}
        )
        for n in range(count)
    ]


@pytest.fixture
def narrowed(resources: Resources) -> Iterator[Actor]:
    north = ensure_source(resources.uow(), ADMIN, "North", "csv")
    south = ensure_source(resources.uow(), ADMIN, "South", "csv")
    document_writer.upsert_documents(resources, ADMIN, north, _docs("n", 4, 1, "north_only"))
    document_writer.upsert_documents(resources, ADMIN, south, _docs("s", 6, 5, "south_only"))
    rule = rule_commands.create_rule(
        resources, ADMIN, RuleDraft("refunds", {"contains": [{"var": "content"}, "refund"]}, action="notify")
    )
    rule_apply.apply_rule(resources, ADMIN, rule.id, rule_apply.new_run(resources, ADMIN, rule.id))
    user_id = users.create_user(resources, ADMIN, "north@acme.example", "Quiet-Harbour-Lantern-92", "analyst")
    now = utcnow()
    with resources.uow() as uow:
        uow.session.add(
            BusinessInsight(tenant_id=TENANT, rule_id=rule.id, insight_type="rate", title="South spikes")
        )
        uow.session.add(
            BusinessPattern(
                tenant_id=TENANT, rule_id=rule.id, pattern_type="value", detected_at=now, last_seen=now
            )
        )
        uow.session.add(
            BusinessLogicNotification(
                tenant_id=TENANT, user_id=user_id, notification_type="rule_change", title="Yours"
            )
        )
        uow.commit()
    yield Actor(TENANT, user_id, "analyst", None, ROLE_PERMISSIONS["analyst"], frozenset({north}))


def test_workspace_wide_figures_are_not_shown_to_a_narrowed_user(
    resources: Resources, narrowed: Actor
) -> None:
    assert insights.match_rates(resources, ADMIN) and insights.insights(resources, ADMIN)
    assert insights.patterns(resources, ADMIN)
    assert insights.match_rates(resources, narrowed) == []
    assert insights.insights(resources, narrowed) == []
    assert insights.patterns(resources, narrowed) == []


def test_rule_match_counts_cover_only_the_users_sources(resources: Resources, narrowed: Actor) -> None:
    (everyone,) = rule_views.list_rules(resources, ADMIN)
    (mine,) = rule_views.list_rules(resources, narrowed)
    assert (everyone.last_matched, everyone.last_rate) == (6, 0.6)
    assert (mine.last_matched, mine.last_rate, mine.match_history) == (1, 0.25, [1])


def test_field_hints_come_from_the_users_sources_only(resources: Resources, narrowed: Actor) -> None:
    assert field_catalog(resources, ADMIN).metadata_keys == {"north_only", "south_only"}
    assert field_catalog(resources, narrowed).metadata_keys == {"north_only"}


def test_only_news_addressed_to_the_user_reaches_them(resources: Resources, narrowed: Actor) -> None:
    broadcast = {row.title for row in notifications.notifications(resources, ADMIN)}
    assert any("refunds" in title for title in broadcast)
    assert [row.title for row in notifications.notifications(resources, narrowed)] == ["Yours"]
    everyone = [row.id for row in notifications.notifications(resources, ADMIN)]
    assert notifications.mark_notifications(resources, narrowed, everyone, "read") == 1
