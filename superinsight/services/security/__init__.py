"""Security: passwords, sign-in and sessions, users and roles, the IP allow-list, the audit log."""
