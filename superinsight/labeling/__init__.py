"""Labeling with Label Studio: pure parts (configs, labels, agreement)."""
