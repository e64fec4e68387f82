"""Data sources that sync: where they are, their encrypted credentials, and testing them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from superinsight.db.base import utcnow
from superinsight.db.models import DataSource
from superinsight.redaction import display_url, redact
from superinsight.resources import Resources
from superinsight.services import audit
from superinsight.services.context import Actor, internal, require, require_whole_tenant
from superinsight.services.documents.sources import add_source
from superinsight.services.errors import InvalidInputError
from superinsight.services.inputs import unstorable
from superinsight.services.scoping import visible_source, visible_sources
from superinsight.sync import credentials as vault
from superinsight.sync.connectors import Connector, SourceError, connect
from superinsight.sync.connectors.files import tenant_folder
from superinsight.sync.connectors.http import pagination_problem
from superinsight.sync.transforms import Record
from superinsight.vocabulary import SYNCED_SOURCE_TYPES

CONFIG_KEYS: dict[str, tuple[str, ...]] = {
    "database": ("table", "query"),
    "csv": ("path", "delimiter"),
    "jsonl": ("path",),
    "folder": ("path",),
    "http_json": ("url", "records_path", "pagination"),
}


@dataclass(frozen=True)
class SourceDraft:
    """What the Sources form sends. `credentials=None` on an edit keeps the saved ones."""

    name: str
    source_type: str
    config: dict[str, Any] = field(default_factory=dict)
    credentials: dict[str, str] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SourceView:
    id: int
    name: str
    source_type: str
    config: dict[str, Any]
    has_credentials: bool
    status: str
    health_status: str | None
    last_health_check: str | None


def _checked(draft: SourceDraft) -> SourceDraft:
    name = draft.name.strip()
    if not name or len(name) > 255:
        raise InvalidInputError("a source name must be 1 to 255 characters")
    if draft.source_type not in SYNCED_SOURCE_TYPES:
        raise InvalidInputError(f"source type must be one of {', '.join(SYNCED_SOURCE_TYPES)}")
    if draft.source_type == "http_json" and (problem := pagination_problem(draft.config.get("pagination"))):
        raise InvalidInputError(problem)  # before the check below, so a NaN page size names its field
    if problem := unstorable([name, draft.config, draft.credentials or {}]):
        raise InvalidInputError(f"the source settings: a value {problem}")
    allowed = CONFIG_KEYS[draft.source_type]
    config = {key: value for key, value in draft.config.items() if key in allowed and value not in (None, "")}
    return SourceDraft(name, draft.source_type, config, draft.credentials)


def _connector(
    resources: Resources, tenant_id: str, source_type: str, config: dict[str, Any], secrets: dict[str, str]
) -> Connector:
    settings = resources.settings
    hidden = vault.every_secret(secrets)
    config, secrets = vault.url_with_secrets(config, secrets)
    try:
        return connect(
            source_type,
            config,
            secrets,
            files_root=tenant_folder(settings.effective_files_root, tenant_id),
            allow_internal=settings.sync_allow_internal,
            workbench_url=settings.effective_database_url,
        )
    except SourceError as exc:
        raise InvalidInputError(redact(str(exc), hidden)) from None


def _stored_config(draft: SourceDraft, secrets: dict[str, str]) -> dict[str, Any]:
    """The config as stored and shown: for a database, where it is without the password."""
    if draft.source_type == "database" and secrets.get("url"):
        return draft.config | {"display_url": display_url(secrets["url"])}
    return draft.config


def _apart(config: dict[str, Any], secrets: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    try:
        return vault.url_secrets_apart(config, secrets)
    except vault.CredentialsError as exc:
        raise InvalidInputError(str(exc)) from None


def _secret_key(resources: Resources) -> str:
    return resources.settings.effective_secret_key()


def create_source(resources: Resources, actor: Actor, draft: SourceDraft) -> int:
    require(actor, "sources.manage")
    require_whole_tenant(actor, "add data sources")
    draft = _checked(draft)
    config, secrets = _apart(draft.config, draft.credentials or {})
    draft = replace(draft, config=config)
    _connector(resources, actor.tenant_id, draft.source_type, draft.config, secrets)
    with resources.uow() as uow:
        taken = uow.session.scalar(
            select(DataSource.id).where(
                DataSource.tenant_id == actor.tenant_id, DataSource.name == draft.name
            )
        )
        if taken is not None:
            raise InvalidInputError(f"a source named {draft.name!r} already exists")
        source = add_source(
            uow.session,
            actor,
            draft.name,
            draft.source_type,
            _stored_config(draft, secrets),
            vault.encrypt(_secret_key(resources), secrets) if secrets else None,
        )
        uow.commit()
        return source.id


def _saved_secrets(resources: Resources, source: DataSource) -> dict[str, str]:
    try:
        return vault.decrypt(_secret_key(resources), source.encrypted_credentials)
    except vault.CredentialsError as exc:
        raise InvalidInputError(str(exc)) from None


@internal("used to redact secrets from messages; never returned to a page")
def saved_secret_values(resources: Resources, source: DataSource) -> list[str]:
    """Every saved credential value, including a password inside a URL, to redact from messages."""
    return vault.every_secret(_saved_secrets(resources, source))


def _editable(session: Session, actor: Actor, source_id: int) -> DataSource:
    source = visible_source(session, actor, source_id)
    if source.source_type not in SYNCED_SOURCE_TYPES:
        raise InvalidInputError(f"{source.name} is filled by uploads and has no connection to edit")
    return source


def _destination(source_type: str, config: dict[str, Any], secrets: dict[str, str]) -> str:
    """Where a source's credentials are sent: its address, less any password."""
    if source_type == "database":
        return display_url(secrets.get("url", ""))
    return str(config.get("url") or "")


def _keeps_destination(source: DataSource, draft: SourceDraft, secrets: dict[str, str]) -> None:
    """Saved credentials only go where they were saved for: a new address needs them typed again."""
    if draft.credentials is not None or not source.encrypted_credentials:
        return
    before = _destination(source.source_type, source.connection_config, secrets)
    if _destination(draft.source_type, draft.config, secrets) != before:
        raise InvalidInputError(
            "the address changed, so enter the credentials again: saved credentials are only "
            "sent to the address they were saved for"
        )


def update_source(resources: Resources, actor: Actor, source_id: int, draft: SourceDraft) -> None:
    require(actor, "sources.manage")
    draft = _checked(draft)
    with resources.uow() as uow:
        source = _editable(uow.session, actor, source_id)
        if draft.source_type != source.source_type:
            raise InvalidInputError("a source's type cannot change; add a new source instead")
        try:
            saved = _saved_secrets(resources, source)
        except InvalidInputError:
            if draft.credentials is None:
                raise
            saved = {}  # unreadable (a changed SECRET_KEY): the typed credentials replace them
        config, secrets = _apart(draft.config, draft.credentials if draft.credentials is not None else saved)
        draft = replace(draft, config=config)
        _keeps_destination(source, draft, saved)
        _connector(resources, actor.tenant_id, draft.source_type, draft.config, secrets)
        before = {"name": source.name, "config": source.connection_config}
        source.name = draft.name
        source.connection_config = _stored_config(draft, secrets)
        if secrets != saved:
            source.encrypted_credentials = vault.encrypt(_secret_key(resources), secrets) if secrets else None
        audit.record(
            uow.session,
            actor,
            "source.update",
            "data_source",
            source.id,
            before=before,
            after={
                "name": draft.name,
                "config": source.connection_config,
                "credentials": "replaced" if secrets != saved else "kept",
            },
        )
        uow.commit()


def _test(connector: Connector) -> str:
    try:
        return connector.test()
    except SourceError as exc:
        raise InvalidInputError(str(exc)) from None


def test_draft(resources: Resources, actor: Actor, draft: SourceDraft) -> str:
    """Test settings before saving them; raises InvalidInputError saying what failed."""
    require(actor, "sources.manage")
    draft = _checked(draft)
    return _test(
        _connector(resources, actor.tenant_id, draft.source_type, draft.config, draft.credentials or {})
    )


def test_source(resources: Resources, actor: Actor, source_id: int) -> str:
    """Test a saved source and remember the outcome on it (the Sources list shows it)."""
    require(actor, "sources.manage")
    with resources.uow() as uow:
        source = _editable(uow.session, actor, source_id)
        connector = connector_for(resources, source)
        try:
            summary = _test(connector)
        except InvalidInputError:
            source.health_status, source.last_health_check = "failing", utcnow()
            uow.commit()
            raise
        source.health_status, source.last_health_check = "ok", utcnow()
        uow.commit()
        return summary


@internal("used by sync runs and tests after their own guarded lookup of the source")
def connector_for(resources: Resources, source: DataSource) -> Connector:
    config = {key: value for key, value in source.connection_config.items() if key != "display_url"}
    return _connector(
        resources, source.tenant_id, source.source_type, config, _saved_secrets(resources, source)
    )


def _view(source: DataSource) -> SourceView:
    return SourceView(
        id=source.id,
        name=source.name,
        source_type=source.source_type,
        config=dict(source.connection_config),
        has_credentials=bool(source.encrypted_credentials),
        status=source.status,
        health_status=source.health_status,
        last_health_check=source.last_health_check.isoformat() if source.last_health_check else None,
    )


def view_source(resources: Resources, actor: Actor, source_id: int) -> SourceView:
    require(actor, "documents.view")
    with resources.uow() as uow:
        return _view(visible_source(uow.session, actor, source_id))


def synced_sources(resources: Resources, actor: Actor) -> list[SourceView]:
    """Sources with a connection (not upload folders), for the Sources and Sync pages."""
    require(actor, "documents.view")
    with resources.uow() as uow:
        found = uow.session.scalars(
            select(DataSource)
            .where(
                DataSource.tenant_id == actor.tenant_id,
                DataSource.source_type.in_(SYNCED_SOURCE_TYPES),
                visible_sources(actor, DataSource.id),
            )
            .order_by(DataSource.name)
        )
        return [_view(source) for source in found]


def sample_records(resources: Resources, actor: Actor, source_id: int, limit: int = 20) -> list[Record]:
    """A few raw records, to choose a mapping and preview transformations against."""
    require(actor, "sources.manage")
    with resources.uow() as uow:
        connector = connector_for(resources, _editable(uow.session, actor, source_id))
    try:
        return connector.sample(limit)
    except SourceError as exc:
        raise InvalidInputError(str(exc)) from None
