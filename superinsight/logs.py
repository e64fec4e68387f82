"""Logging set-up that cannot leak a configured secret, whatever a library logs."""

from __future__ import annotations

import logging

from superinsight.config import Settings
from superinsight.redaction import redact


class RedactingFilter(logging.Filter):
    def __init__(self, secrets_to_hide: list[str]) -> None:
        super().__init__()
        self._secrets = secrets_to_hide

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self._secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configure_logging(settings: Settings, level: int = logging.WARNING) -> None:
    """Install the redacting filter on every root handler (idempotent)."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    secrets_to_hide = settings.secret_values()
    for handler in root.handlers:
        handler.filters = [f for f in handler.filters if not isinstance(f, RedactingFilter)]
        handler.addFilter(RedactingFilter(secrets_to_hide))
