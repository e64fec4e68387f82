"""Documents as values: what arrives from a source or an upload, its checks and its content hash."""
