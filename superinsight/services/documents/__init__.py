"""Documents: the one write path, search, facets and export, uploads, edits, masking, views."""
