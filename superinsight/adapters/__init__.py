"""Thin adapters over the outside world, each with a real and an embedded implementation."""
