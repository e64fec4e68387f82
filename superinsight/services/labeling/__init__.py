"""Labeling: launch Label Studio projects from a selection, follow them, pull the labels back."""
