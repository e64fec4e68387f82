"""Label Studio projects the workbench launched: what was sent, from which selection, how far it got."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from superinsight.db.base import Base, BigIntPK, TenantMixin, TimestampMixin, utcnow
from superinsight.db.models._checks import one_of
from superinsight.vocabulary import LABEL_PROJECT_STATUSES, LABEL_TEMPLATES


class LabelingProject(TenantMixin, TimestampMixin, Base):
    """One Label Studio project; `tasks.project_id` points here, so a retried launch finds its tasks."""

    __tablename__ = "labeling_projects"
    __table_args__ = (one_of("status", LABEL_PROJECT_STATUSES), one_of("template", LABEL_TEMPLATES))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    template: Mapped[str] = mapped_column(String(16))
    label_config: Mapped[str] = mapped_column(Text)
    # How the documents were chosen (a search, a rule's matches, a sample), to add new matches later.
    selection: Mapped[dict[str, Any]] = mapped_column(default=dict)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("business_rules.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    labelstudio_project_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="importing")
    error: Mapped[str | None] = mapped_column(Text)
    last_pulled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LabelingProjectMember(Base):
    """An annotator of a project: a user without `labeling.manage` sees only the projects they are one of.

    Label Studio keeps its own members; the workbench does not read them: these rows
    decide what the Labeling page and the Overview show an annotator.
    """

    __tablename__ = "labeling_project_members"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("labeling_projects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )
