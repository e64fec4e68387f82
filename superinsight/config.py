"""Settings for every face of the workbench (pages, CLI, worker).

Each external service is optional: leaving its variable unset selects the embedded
default, so a new user runs the app with no configuration at all. Values that may
hold credentials are `SecretStr`, so they never show up in a repr, a log line or a
page; code that must display where a service lives uses `redaction.display_url`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from superinsight.redaction import url_password, url_secrets

EMBEDDED_DIR_NAME = ".superinsight"


class Settings(BaseSettings):
    """Environment variables (or `.env`) that choose and reach each service."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path(EMBEDDED_DIR_NAME),
        description="Where the embedded defaults keep their files.",
    )
    database_url: SecretStr | None = None
    redis_url: SecretStr | None = None
    # Shown nowhere whole (a URI may carry a password); display_url shows where it points.
    neo4j_uri: str | None = Field(default=None, repr=False)
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr | None = None
    label_studio_url: str | None = Field(default=None, repr=False)
    label_studio_api_key: SecretStr | None = None
    secret_key: SecretStr | None = None
    cache_ttl_seconds: int = Field(default=300, ge=0)
    session_hours: float = Field(default=8.0, gt=0, description="How long a sign-in lasts.")
    default_tenant: str = "demo"
    auto_migrate: bool = True
    files_root: Path | None = Field(
        default=None,
        description="The only folder file sources may read from (default: <data_dir>/imports).",
    )
    sync_allow_internal: bool = Field(
        default=False,
        description="Let sources reach loopback, private and link-local addresses and SQLite files.",
    )
    sync_follow_ups: bool = Field(
        default=True,
        description="After a sync changes documents, queue quality scoring, rules and lineage.",
    )
    graph_follow_ups: bool = Field(
        default=True,
        description=(
            "After a change the graph shows (a sync, a rule applied, issues filed or triaged), queue the "
            "graph backlog's drain at once; off, the scheduler's round catches up."
        ),
    )
    trusted_proxies: str = Field(
        default="",
        description=(
            "Comma-separated addresses or networks (CIDR) of the reverse proxies whose "
            "X-Forwarded-For is believed; from any other peer the header is ignored."
        ),
    )
    sync_heartbeat_timeout_seconds: int = Field(
        default=120,
        ge=5,
        description="A running sync silent for this long is taken for dead (its worker was killed).",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: str) -> str:
        parse_networks(value)
        return value

    @property
    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        return parse_networks(self.trusted_proxies)

    @property
    def effective_database_url(self) -> str:
        """The configured database, or the embedded SQLite file."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{(self.data_dir / 'workbench.db').resolve()}"

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None

    def secret_values(self) -> list[str]:
        """Every configured secret, including passwords inside URLs, for redaction."""
        values = [
            secret.get_secret_value()
            for secret in (self.neo4j_password, self.label_studio_api_key, self.secret_key)
            if secret is not None
        ]
        for url in (self.database_url, self.redis_url):
            if url is not None:
                values.extend(url_secrets(url.get_secret_value()))
                values.append(url_password(url.get_secret_value()) or "")
        for plain in (self.neo4j_uri, self.label_studio_url):
            if plain:
                values.extend(url_secrets(plain))
        return [value for value in values if value]

    @property
    def effective_files_root(self) -> Path:
        return self.files_root if self.files_root is not None else self.data_dir / "imports"

    def ensure_data_dir(self) -> Path:
        """The data dir, created readable only by its owner (it holds the store and the secret key)."""
        private_dir(self.data_dir)
        return self.data_dir

    def effective_secret_key(self) -> str:
        """The configured key, or one generated once and kept in the data dir.

        Persisting the generated key matters: credentials encrypted with it must
        still decrypt after a restart of the embedded app.
        """
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        key_file = self.ensure_data_dir() / "secret_key"
        try:
            descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return key_file.read_text().strip()
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        return key_file.read_text().strip()


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str) -> tuple[IPNetwork, ...]:
    """`10.0.0.0/8, 127.0.0.1` as networks; a wrong entry stops start-up with what is wrong."""
    networks = []
    for entry in filter(None, (part.strip() for part in value.split(","))):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an address or network such as 10.0.0.0/8") from None
    return tuple(networks)


def private_dir(path: Path) -> Path:
    """Create a folder (and missing parents) readable only by its owner; an existing one is left as it is."""
    if not path.exists():
        private_dir(path.parent)
        path.mkdir(mode=0o700, exist_ok=True)
        path.chmod(0o700)  # mkdir's mode is cut by the umask
    return path


def private_file(path: Path) -> Path:
    """Create an empty file readable only by its owner, unless it exists (its mode is then kept)."""
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return path


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
