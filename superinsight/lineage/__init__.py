"""Lineage and entities as a graph: what the workbench projects into it and how walks over it read."""
