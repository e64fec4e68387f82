"""Scores recorded before severity weights get the overall the page now explains.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 15:00:00

Why: since scores weigh severity (issue 17), the quality page explains an overall score
as 100 less what each dimension's shortfall costs at its severity; a score recorded
before that kept its old overall, which those figures do not add up to, and its trend
line jumped where the arithmetic changed, not where the documents did. Every such score
(one without the weights it was computed with) gets its overall again from its own
dimension scores, equal weights (what the page reads for it) and the severities below,
and then holds those weights like every newer score. The old overall is kept in its
details ("overall_before_severity"); downgrading leaves the new one, which the older code
reads as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# superinsight.quality.dimensions as it stood at this revision, frozen here.
SEVERITY_WEIGHTS = {"info": 0.1, "warning": 0.5, "error": 1.0, "critical": 1.0}
DIMENSION_SEVERITY = {
    "completeness": "warning",
    "validity": "warning",
    "uniqueness": "info",
    "consistency": "warning",
    "timeliness": "info",
}

scores = sa.table(
    "data_quality_scores",
    sa.column("id", sa.BigInteger),
    *(sa.column(name, sa.Float) for name in DIMENSION_SEVERITY),
    sa.column("overall", sa.Float),
    sa.column("details", sa.JSON),
)


def weighed(row: Any) -> float | None:
    """superinsight.quality.scores.overall with equal weights, as it stood at this revision."""
    measured = [(name, row._mapping[name]) for name in DIMENSION_SEVERITY if row._mapping[name] is not None]
    if not measured:
        return None
    lost = sum(SEVERITY_WEIGHTS[DIMENSION_SEVERITY[name]] * (100 - score) for name, score in measured)
    return round(min(100.0, max(0.0, 100.0 - lost / len(measured))), 2)


def upgrade() -> None:
    connection = op.get_bind()
    for row in connection.execute(sa.select(scores)).all():
        details = dict(row.details or {})
        if "weights" in details:
            continue
        details.update(weights={}, overall_before_severity=row.overall)
        connection.execute(
            sa.update(scores).where(scores.c.id == row.id).values(overall=weighed(row), details=details)
        )


def downgrade() -> None:
    """Nothing to undo: the older code reads the new overall and ignores the new details."""
