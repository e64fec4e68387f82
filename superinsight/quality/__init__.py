"""Data quality as plain values: what a source's documents are expected to hold, and how they score.

Pure domain (no session, no Streamlit); the services turn it into SQL and records.
`dimensions` names the five dimensions and how much each one's failures count,
`expectations` reads and names a source's checks, `thresholds` says when a score
warns or fails, and `scores` turns what a pass counted into dimension and overall scores.
"""
