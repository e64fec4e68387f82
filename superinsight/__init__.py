"""SuperInsight Workbench: the service layer shared by the pages, the CLI and the worker."""

__version__ = "0.1.0"
