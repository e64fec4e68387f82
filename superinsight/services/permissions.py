"""What each role may do. Checked by the services, so no page can forget a check."""

from __future__ import annotations

PERMISSIONS: dict[str, str] = {
    "documents.view": "browse and search documents (masked where masking rules apply)",
    "documents.view_unmasked": "see values that masking rules hide",
    "documents.edit": "upload and edit documents",
    "rules.edit": "write, test, enable, disable and delete business rules",
    "rules.apply": "apply rules to all documents",
    "sync.run": "run sync jobs",
    "sources.manage": "add and change data sources",
    # Annotators hold labeling.launch alone: they work on the projects they are members of.
    "labeling.launch": "work on Label Studio projects: follow their progress and pull annotations",
    "labeling.manage": "launch Label Studio projects, choose their annotators and see all of them",
    "quality.triage": "change the status of quality issues",
    "users.manage": "manage users, roles, permissions and the IP allow-list",
    "audit.view": "search and export the audit log",
    "workspace.manage": "load demo data and other workspace-wide actions",
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS),
    "analyst": frozenset(
        {
            "documents.view",
            "documents.view_unmasked",
            "documents.edit",
            "rules.edit",
            "rules.apply",
            "sync.run",
            "sources.manage",
            "labeling.launch",
            "labeling.manage",
            "quality.triage",
        }
    ),
    "annotator": frozenset({"documents.view", "labeling.launch"}),
    "viewer": frozenset({"documents.view"}),
}
