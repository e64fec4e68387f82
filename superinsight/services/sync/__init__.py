"""Sync: sources with credentials, jobs, runs (queued, run in batches, scheduled), writing, conflicts."""
