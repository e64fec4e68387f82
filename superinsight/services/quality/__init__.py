"""Data quality: settings per source, scoring as SQL aggregates, issues and their triage, views."""
