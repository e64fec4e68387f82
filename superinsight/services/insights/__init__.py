"""Insights: match rates, insight cards and patterns from rule runs; notifications per user."""
