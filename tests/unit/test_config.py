"""Settings choose embedded defaults when unset and never reveal a secret."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import SecretStr

from superinsight.config import Settings, display_url, redact
from superinsight.logs import configure_logging
from tests.conftest import make_settings

PASSWORD = "s3cr3t-Pa55"


class TestEmbeddedDefaults:
    def test_unset_database_means_a_sqlite_file_in_the_data_dir(self, tmp_path: Path) -> None:
        settings = make_settings(tmp_path)
        assert settings.uses_embedded_database
        assert (
            settings.effective_database_url == f"sqlite:///{(tmp_path / 'data' / 'workbench.db').resolve()}"
        )

    def test_environment_variables_select_real_services(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db:5432/x")
        monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
        monkeypatch.setenv("NEO4J_URI", "bolt://graph:7687")
        settings = Settings(_env_file=None)
        assert not settings.uses_embedded_database
        assert settings.redis_url is not None
        assert settings.neo4j_uri == "bolt://graph:7687"

    def test_a_dotenv_file_is_read(self, tmp_path: Path) -> None:
        env_file = tmp_path / ".env"
        env_file.write_text("LABEL_STUDIO_URL=http://ls:8080\nCACHE_TTL_SECONDS=42\n")
        settings = Settings(_env_file=env_file)
        assert settings.label_studio_url == "http://ls:8080"
        assert settings.cache_ttl_seconds == 42

    def test_generated_secret_key_survives_a_restart_and_is_private(self, tmp_path: Path) -> None:
        first = make_settings(tmp_path).effective_secret_key()
        second = make_settings(tmp_path).effective_secret_key()
        assert first == second and len(first) >= 40
        assert (tmp_path / "data" / "secret_key").stat().st_mode & 0o077 == 0


class TestSecretsStaySecret:
    def _settings(self, tmp_path: Path) -> Settings:
        return make_settings(
            tmp_path,
            database_url=SecretStr(f"postgresql://app:{PASSWORD}@db:5432/si"),
            redis_url=SecretStr(f"redis://:{PASSWORD}-r@cache:6379/0"),
            neo4j_password=SecretStr(f"{PASSWORD}-n"),
            label_studio_api_key=SecretStr(f"{PASSWORD}-ls"),
            secret_key=SecretStr(f"{PASSWORD}-key"),
        )

    def test_repr_and_str_show_no_secret(self, tmp_path: Path) -> None:
        settings = self._settings(tmp_path)
        assert PASSWORD not in repr(settings)
        assert PASSWORD not in str(settings)
        assert PASSWORD not in settings.model_dump_json()

    def test_display_url_hides_the_password(self) -> None:
        shown = display_url(SecretStr(f"postgresql://app:{PASSWORD}@db:5432/si"))
        assert PASSWORD not in shown
        assert "db:5432/si" in shown

    def test_every_secret_is_known_for_redaction(self, tmp_path: Path) -> None:
        values = self._settings(tmp_path).secret_values()
        for suffix in ("", "-r", "-n", "-ls", "-key"):
            assert f"{PASSWORD}{suffix}" in values

    def test_redact_replaces_longest_secrets_first(self) -> None:
        assert redact("a abc ab", ["ab", "abc"]) == "a *** ***"

    def test_log_lines_never_carry_a_secret(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        root = logging.getLogger()
        handler = logging.StreamHandler()
        root.addHandler(handler)
        try:
            configure_logging(self._settings(tmp_path))
            logging.getLogger("some.library").warning("connecting to postgresql://app:%s@db", PASSWORD)
        finally:
            root.removeHandler(handler)
        err = capsys.readouterr().err
        assert "connecting to postgresql://app:***@db" in err
        assert PASSWORD not in err
