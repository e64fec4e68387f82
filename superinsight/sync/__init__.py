"""Pulling documents in from data sources: connectors, and the pure logic a sync run follows.

Transformations, field mapping, conflict decisions, cursors, retry delays and
schedules take values and return values; only `connectors` reach outside.
"""
