"""Settings choose embedded defaults when unset and never reveal a secret."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from superinsight.config import Settings
from superinsight.logs import configure_logging
from superinsight.redaction import display_url, hide_url_secrets, redact, restore_url_secrets, url_secrets
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


secret_values = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd"), whitelist_characters="-_.~%+!$'()*,;"),
    min_size=8,
    max_size=30,
).map(lambda v: "S3c" + v)  # never a piece of the rest of the URL
secret_names = st.sampled_from(
    [
        "password",
        "PASSWORD",
        "Password",
        "sslpassword",
        "passwd",
        "pwd",
        "api_key",
        "apikey",
        "ApiKey",
        "api-key",
        "x-api-key",
        "access_token",
        "token",
        "id_token",
        "refresh_token",
        "client_secret",
        "secret",
        "auth",
        "authorization",
        "X-Amz-Signature",
        "sig",
        "credential",
        "sessionid",
        "key",
        "jwt",
        "JWT",
        "pw",
        "code",
        "oauth_code",
        "passwd",
        "signature",
        "Signature",
        "access-token",
        "refresh.token",
        "private_key",
        "privateKey",
        "session",
        "sid",
        "otp",
        "hmac",
        "X-Goog-Credential",
    ]
)
schemes = st.sampled_from(
    ["postgresql", "postgresql+psycopg", "redis", "rediss", "https", "http", "mysql", "bolt"]
)


class TestSecretsInUrls:
    @given(
        scheme=schemes, name=secret_names, secret=secret_values, before=st.booleans(), fragment=st.booleans()
    )
    def test_a_secret_parameter_is_hidden_found_and_put_back(
        self, scheme: str, name: str, secret: str, before: bool, fragment: bool
    ) -> None:
        params = [f"{name}={secret}", "page=2"] if before else ["page=2", f"{name}={secret}"]
        url = f"{scheme}://host.example:1234/db" + ("#" if fragment else "?") + "&".join(params)
        shown = display_url(url)
        assert secret not in shown and f"{name}=***" in shown and "page=2" in shown
        assert secret in url_secrets(url)
        public, found = hide_url_secrets(url)
        assert restore_url_secrets(public, dict(found)) == url

    @given(
        scheme=schemes,
        name=secret_names,
        secret=secret_values,
        separator=st.sampled_from(["&", ";"]),
        bare=st.booleans(),
        fragment=st.booleans(),
    )
    def test_a_secret_after_a_semicolon_or_without_a_value_is_hidden_and_put_back(
        self, scheme: str, name: str, secret: str, separator: str, bare: bool, fragment: bool
    ) -> None:
        secret_part = name if bare else f"{name}={secret}"  # a bare part: a token standing alone
        hidden = name if bare else secret
        url = f"{scheme}://host.example/db" + ("#" if fragment else "?") + f"page=2{separator}{secret_part}"
        shown = display_url(url)
        assert shown.endswith(f"page=2{separator}" + ("***" if bare else f"{name}=***")), shown
        assert hidden in url_secrets(url)
        public, found = hide_url_secrets(url)
        assert restore_url_secrets(public, dict(found)) == url

    @given(
        scheme=schemes,
        name=secret_names,
        secret=secret_values,
        segment=st.sampled_from(["shop", "token", ""]),
    )
    def test_a_secret_path_parameter_is_hidden_found_and_put_back(
        self, scheme: str, name: str, secret: str, segment: str
    ) -> None:
        url = f"{scheme}://host.example/{segment};{name}={secret}/item?page=2"
        shown = display_url(url)
        assert secret not in shown and f"/{segment};{name}=***/item" in shown, shown
        assert secret in url_secrets(url)
        public, found = hide_url_secrets(url)
        assert restore_url_secrets(public, dict(found)) == url

    @pytest.mark.parametrize(
        ("url", "shown"),
        [
            ("https://a.example/x?TOKEN", "https://a.example/x?***"),
            ("https://a.example/x?a=1;api_key=S", "https://a.example/x?a=1;api_key=***"),
            ("https://a.example/x?jwt=S&pw=S&code=S", "https://a.example/x?jwt=***&pw=***&code=***"),
            ("https://a.example/x?zipcode=1&spin=2&page=3", "https://a.example/x?zipcode=1&spin=2&page=3"),
            ("https://a.example/x?token=&page=3", "https://a.example/x?token=&page=3"),
            (
                "https://a.example/shop;jsessionid=S/item?page=3",
                "https://a.example/shop;jsessionid=***/item?page=3",
            ),
            ("https://a.example/token/refresh;v=2", "https://a.example/token/refresh;v=2"),
            ("https://a.example/a;lang=en;sid=S", "https://a.example/a;lang=en;sid=***"),
        ],
    )
    def test_secret_parameters_by_their_name_parts(self, url: str, shown: str) -> None:
        assert display_url(url) == shown

    @given(scheme=schemes, user=st.sampled_from(["app", "u.s-er", ""]), secret=secret_values)
    def test_a_password_in_the_userinfo_is_hidden(self, scheme: str, user: str, secret: str) -> None:
        url = f"{scheme}://{user}:{secret}@host.example/x"
        assert secret not in display_url(url)
        assert secret in url_secrets(url)
        public, found = hide_url_secrets(url)
        assert restore_url_secrets(public, dict(found)) == url

    @given(token=secret_values, scheme=st.sampled_from(["http", "https", "HTTPS"]))
    def test_http_userinfo_is_a_secret_whole(self, token: str, scheme: str) -> None:
        url = f"{scheme}://{token}@api.example/v1"
        assert display_url(url) == f"{scheme}://***@api.example/v1"
        assert token in url_secrets(url)

    @pytest.mark.parametrize(
        "url",
        [
            "sqlite:////abs/path/workbench.db",
            "sqlite:///relative.db",
            "postgresql://app@db:5432/si?sslmode=require&application_name=wb",
            "redis://cache:6379/0",
            "https://api.example/v1/items?page=2&records=data",
        ],
    )
    def test_an_address_without_secrets_is_shown_as_it_is(self, url: str) -> None:
        assert display_url(url) == url
        assert url_secrets(url) == []

    def test_what_is_not_a_url_is_shown_by_its_scheme_only(self) -> None:
        assert display_url(f"http://[::1/{PASSWORD}") == "http://…"
        assert url_secrets(f"http://[::1/{PASSWORD}") == [f"http://[::1/{PASSWORD}"]

    def test_a_sign_in_shows_no_token_in_its_repr(self) -> None:
        from datetime import UTC, datetime

        from superinsight.services.context import Actor
        from superinsight.services.security.sign_in import SignIn

        signed = SignIn("tok-" + PASSWORD, Actor("acme"), "a@b.example", datetime.now(UTC))
        assert PASSWORD not in repr(signed)

    def test_settings_show_no_address_secret_in_their_repr(self, tmp_path: Path) -> None:
        settings = make_settings(
            tmp_path,
            f"postgresql://u@db/x?password={PASSWORD}",
            neo4j_uri=f"bolt://u:{PASSWORD}@graph:7687",
            label_studio_url=f"http://ls.example/?token={PASSWORD}",
        )
        assert PASSWORD not in repr(settings) and PASSWORD not in str(settings)
        assert PASSWORD in settings.secret_values()


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("postgresql://admin:s3cr/et@db.example.com/prod", "s3cr/et"),
        ("postgresql://admin:s3cr?et@db.example.com/prod", "s3cr?et"),
        ("mysql://admin:s3cr#et@db.example.com/prod", "s3cr#et"),
        ("wss://sk_live_TOKEN123@stream.example.com/feed", "sk_live_TOKEN123"),
        ("ftp://anon-token@files.example.com/x", "anon-token"),
        ("https://x.example/?PHPSESSID=abc123", "abc123"),
        ("https://x.example/?next=postgres://u:hunter2@db/x&a=1", "hunter2"),
        ("https://x.example/?next=postgres%3A%2F%2Fu%3Ahunter2%40db%2Fx", "hunter2"),
    ],
)
def test_no_shown_address_holds_a_password_however_it_is_spelled(url: str, secret: str) -> None:
    """What a driver would send as a password never shows, even where splitting by hand ends early."""
    assert secret not in display_url(url)
    assert secret in " ".join(url_secrets(url)), "and logs redact it"
    assert secret not in redact(f"failed: {url}", url_secrets(url))
