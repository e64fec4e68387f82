"""The workbench's words: every closed list of values, once, with the labels people read.

Models constrain columns with these, services validate against them and pages
offer them, so a new severity or strategy is added here and nowhere else. This
module imports nothing, so anything may import it.
"""

from __future__ import annotations

# People ----------------------------------------------------------------------------------------
ROLES = ("admin", "analyst", "annotator", "viewer")
SCOPE_TYPES = ("source", "project")

# Documents and quality ------------------------------------------------------------------------
SEVERITIES = ("info", "warning", "error", "critical")
ISSUE_STATUSES = ("open", "acknowledged", "resolved")
DOCUMENT_SYNC_STATUSES = ("pending", "syncing", "synced", "conflict", "failed")
# The JSON kinds a metadata value can hold, as the rule compiler tells them apart (a
# boolean is its value: a key holding only true needs no branch for false).
JSON_KINDS = ("number", "string", "true", "false", "null", "object", "array")
TASK_STATUSES = ("pending", "in_progress", "completed", "skipped")
LABEL_TEMPLATE_LABELS = {
    "classification": "Text classification (the classes you type)",
    "entities": "Named entities (the labels you type)",
    "sentiment": "Sentiment (positive, neutral, negative)",
    "custom": "Custom Label Studio XML config",
}
LABEL_TEMPLATES = tuple(LABEL_TEMPLATE_LABELS)
LABEL_SELECTIONS = ("search", "rule")
LABEL_PROJECT_STATUSES = ("importing", "ready", "failed")
MASKING_METHODS = ("mask", "hash", "redact", "partial")
SCORE_SCOPES = ("document", "source", "tenant")

# Rules, insights, notifications ----------------------------------------------------------------
RULE_ACTIONS = ("flag", "tag", "quality_issue", "notify")
# A rule's verdict on a test or run; None when it sets no thresholds (nothing to pass or fail).
RULE_OUTCOME_LABELS: dict[str | None, str] = {
    "pass": "✅ pass",
    "warn": "⚠️ warn",
    "fail": "⛔ fail",
    None: "no thresholds",
}
VERDICTS = ("warn", "fail")
ANALYSIS_STATUSES = ("running", "completed", "failed")
NOTIFICATION_TYPE_LABELS = {
    "new_pattern": "New pattern",
    "rule_change": "Rule outcome",
    "insight_generated": "New insight",
    "quality_drop": "Quality drop",
    "sync_failed": "Sync failed",
}
NOTIFICATION_TYPES = tuple(NOTIFICATION_TYPE_LABELS)
NOTIFICATION_STATUSES = ("unread", "read", "dismissed")
RECEIPT_STATUSES = ("read", "dismissed")
DELIVERY_METHODS = ("web", "email", "webhook")
DATASET_CATEGORIES = (
    "finance",
    "healthcare",
    "legal",
    "general",
    "technology",
    "retail",
    "manufacturing",
    "education",
)
DATASET_STATUSES = ("available", "downloading", "processing", "integrated", "error", "deprecated")

# Sources and sync ------------------------------------------------------------------------------
SOURCE_TYPE_LABELS = {
    "database": "Database (PostgreSQL, MySQL/MariaDB, SQLite)",
    "csv": "CSV file",
    "jsonl": "JSON Lines file",
    "folder": "Folder of text / markdown files",
    "http_json": "HTTP JSON API",
    "upload": "Uploaded files",
}
SOURCE_TYPES = tuple(SOURCE_TYPE_LABELS)
SYNCED_SOURCE_TYPES = ("database", "csv", "jsonl", "folder", "http_json")
SOURCE_STATUSES = ("active", "inactive", "error", "testing")
SYNC_MODES = ("full_refresh_overwrite", "full_refresh_append", "incremental_append", "incremental_dedup")
JOB_STATUSES = ("draft", "active", "paused", "disabled", "archived")
RUN_STATES = ("queued", "running", "succeeded", "partial", "failed", "cancelled")
ACTIVE_RUN_STATES = ("queued", "running")
RUN_TRIGGERS = ("manual", "schedule", "retry")
CONFLICT_STRATEGY_LABELS = {
    "source_wins": "The source wins",
    "workbench_wins": "The workbench edit wins",
    "newest_wins": "The newest change wins",
    "manual": "Ask me (resolve on the Sync page)",
}
CONFLICT_STRATEGIES = tuple(CONFLICT_STRATEGY_LABELS)
CONFLICT_TYPES = ("version", "content", "schema", "delete", "constraint")
CONFLICT_STATUSES = ("pending", "auto_resolved", "manually_resolved", "escalated", "ignored")
TRANSFORMATION_TYPES = (
    "rename",
    "cast",
    "trim",
    "lowercase",
    "default",
    "drop",
    "mask",
    "template",
    "computed",
)

# Lineage and entity graph ----------------------------------------------------------------------
GRAPH_NODE_TYPE_LABELS = {
    "DataSource": "Data source",
    "SyncJob": "Sync job",
    "Transformation": "Transformation step",
    "Document": "Document",
    "Rule": "Business rule",
    "QualityIssue": "Quality issue",
    "Insight": "Insight",
    "Entity": "Entity",
    "LabelingProject": "Labeling project",
}
# What changed, waiting in the graph backlog: a sync run, a rule applied, an issue triaged,
# a source's issues filed by scoring, a labeling project launched, extended or pulled, a
# document written by an import (or gone), a source created or deleted.
GRAPH_CHANGES = ("run", "rule", "issue", "source_issues", "labeling", "document", "source")


# Counts ----------------------------------------------------------------------------------------
def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """'1 row', '2 rows', '1,200 documents': a count and the noun that agrees with it, said once."""
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"
