"""Secrets stay secret wherever they are written: URLs' passwords and keys, reprs, files on disk."""

from __future__ import annotations

import json
import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from superinsight.db.models import AuditLog, DataSource
from superinsight.resources import Resources, build_resources
from superinsight.services import health
from superinsight.services.context import system_actor
from superinsight.services.errors import InvalidInputError
from superinsight.services.sync import connections
from tests.conftest import make_settings
from tests.integration.local_http import RecordingApi, serving

ADMIN = system_actor("acme")
SECRET = "Zq9-very-secret-Xv7"


@pytest.fixture
def api() -> Iterator[int]:
    RecordingApi.seen = []
    with serving(RecordingApi) as port:
        yield port


@pytest.fixture
def res(db_url: str, tmp_path: Path) -> Iterator[Resources]:
    built = build_resources(make_settings(tmp_path, db_url, sync_allow_internal=True, sync_follow_ups=False))
    yield built
    built.close()


def _everything_stored(res: Resources) -> str:
    """Every config and audit row as text: where a secret must never appear."""
    with res.uow() as uow:
        configs = [s.connection_config for s in uow.session.scalars(select(DataSource))]
        audits = [(a.before, a.after, a.entity_id) for a in uow.session.scalars(select(AuditLog))]
    return json.dumps([configs, audits], default=str)


SPELLINGS = [
    ("?api_key={s}", "api_key=***"),
    ("?page=1&apiKey={s}", "apiKey=***"),
    ("?access_token={s}&page=2", "access_token=***"),
    ("?X-Amz-Signature={s}", "X-Amz-Signature=***"),
    ("?client_secret={s}", "client_secret=***"),
    ("?PASSWORD={s}", "PASSWORD=***"),
    ("?sslpassword={s}", "sslpassword=***"),
    ("?auth={s}", "auth=***"),
    ("?x=1&token={s}#frag", "token=***"),
    ("?Api%2DKey={s}", "Api%2DKey=***"),
]


@pytest.mark.parametrize(("suffix", "shown"), SPELLINGS)
def test_a_secret_in_an_http_sources_query_is_kept_like_a_password(
    res: Resources, api: int, suffix: str, shown: str
) -> None:
    url = f"http://127.0.0.1:{api}/items" + suffix.format(s=SECRET)
    source_id = connections.create_source(
        res, ADMIN, connections.SourceDraft("API", "http_json", {"url": url})
    )
    view = connections.view_source(res, ADMIN, source_id)
    assert SECRET not in repr(view) and shown in view.config["url"] and view.has_credentials
    connections.test_source(res, ADMIN, source_id)
    assert SECRET in RecordingApi.seen[-1][0]  # the endpoint still gets it
    # an edit that sends the shown URL back keeps the secret; nothing stored or audited holds it
    connections.update_source(
        res, ADMIN, source_id, connections.SourceDraft("API 2", "http_json", {"url": view.config["url"]})
    )
    connections.test_source(res, ADMIN, source_id)
    assert SECRET in RecordingApi.seen[-1][0]
    assert SECRET not in _everything_stored(res)


@pytest.mark.parametrize("userinfo", [f"{SECRET}@", f"user:{SECRET}@", f"user:{SECRET.replace('-', '%2D')}@"])
def test_http_userinfo_is_kept_like_a_password(res: Resources, api: int, userinfo: str) -> None:
    url = f"http://{userinfo}127.0.0.1:{api}/items"
    source_id = connections.create_source(
        res, ADMIN, connections.SourceDraft("API", "http_json", {"url": url})
    )
    assert connections.view_source(res, ADMIN, source_id).config["url"] == f"http://***@127.0.0.1:{api}/items"
    assert SECRET not in _everything_stored(res) and SECRET.replace("-", "%2D") not in _everything_stored(res)


def test_a_shown_url_with_new_credentials_must_be_typed_whole(res: Resources, api: int) -> None:
    url = f"http://127.0.0.1:{api}/items?api_key={SECRET}"
    source_id = connections.create_source(
        res, ADMIN, connections.SourceDraft("API", "http_json", {"url": url})
    )
    shown = connections.view_source(res, ADMIN, source_id).config["url"]
    with pytest.raises(InvalidInputError, match="type the URL whole again"):
        connections.update_source(
            res, ADMIN, source_id, connections.SourceDraft("API", "http_json", {"url": shown}, {"X-Key": "k"})
        )


def test_a_source_refusal_never_quotes_a_secret_of_its_url(res: Resources) -> None:
    before = _everything_stored(res)
    with pytest.raises(InvalidInputError) as refused:
        connections.test_draft(
            res,
            ADMIN,
            connections.SourceDraft("API", "http_json", {"url": f"http://127.0.0.1:1/x?token={SECRET}"}),
        )
    assert SECRET not in str(refused.value)
    with res.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(DataSource)) == 0
    assert _everything_stored(res) == before


def test_reprs_hold_no_secret() -> None:
    draft = connections.SourceDraft("API", "http_json", {"url": "http://h/x"}, {"Authorization": SECRET})
    assert SECRET not in repr(draft)


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://app:{SECRET}@db.internal:5432/si",
        f"postgresql://app@db.internal:5432/si?password={SECRET}",
        f"postgresql://app@db.internal:5432/si?sslmode=verify-full&sslpassword={SECRET}",
    ],
)
def test_the_health_page_and_the_log_never_show_the_database_url_secrets(
    tmp_path: Path, url: str, caplog: pytest.LogCaptureFixture
) -> None:
    from superinsight.logs import configure_logging
    from superinsight.redaction import display_url

    settings = make_settings(tmp_path, url, redis_url=f"redis://:{SECRET}x@cache:6379/0?token={SECRET}y")
    assert SECRET not in repr(settings) and SECRET not in display_url(settings.database_url)
    assert SECRET not in display_url(settings.redis_url)
    assert {SECRET, f"{SECRET}x", f"{SECRET}y"} <= set(settings.secret_values())
    configure_logging(settings)
    logging.getLogger("some.library").warning("could not connect to %s", url)
    assert SECRET not in caplog.text


@pytest.mark.parametrize("name", ["database", "graph", "labeling"])
def test_the_health_page_never_shows_a_secret_of_an_address(db_url: str, tmp_path: Path, name: str) -> None:
    settings = make_settings(
        tmp_path,
        db_url,
        neo4j_uri="bolt://127.0.0.1:1",
        neo4j_password=SECRET,
        label_studio_url=f"http://{SECRET}@127.0.0.1:1/?api_key={SECRET}",
        label_studio_api_key=SECRET,
    )
    built = build_resources(settings)
    try:
        probe = health.check_one(built, name)
    finally:
        built.close()
    assert SECRET not in repr(probe), probe


def test_the_embedded_store_and_data_dir_are_the_owners_only(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "fresh", None)
    built = build_resources(settings)
    try:
        settings.effective_secret_key()
        data = settings.data_dir
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        assert stat.S_IMODE((data / "workbench.db").stat().st_mode) == 0o600
        assert stat.S_IMODE((data / "secret_key").stat().st_mode) == 0o600
        with built.uow() as uow:
            uow.session.execute(select(1))
        for extra in data.glob("workbench.db-*"):
            assert stat.S_IMODE(extra.stat().st_mode) & 0o077 == 0, extra
    finally:
        built.close()
