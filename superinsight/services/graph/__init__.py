"""The lineage and entity graph: projecting the workbench into it, and the questions analysts ask of it."""
