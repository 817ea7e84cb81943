"""Settings: the environment configures the hub; production refuses the development secret."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cxhub.config import DEVELOPMENT_SECRET_KEY, Settings
from tests import live


@pytest.mark.parametrize("env", ["production", "test"])
def test_the_development_secret_is_refused_outside_development(env: str) -> None:
    with pytest.raises(ValidationError, match="CXHUB_SECRET_KEY must be set"):
        Settings(env=env, secret_key=DEVELOPMENT_SECRET_KEY)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(env=env, secret_key="short")  # type: ignore[arg-type]
    assert Settings(env=env, secret_key="x" * 40).env == env  # type: ignore[arg-type]


def test_database_url_overrides_the_sqlite_file(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXHUB_DATA_DIR", "/srv/cxhub")
    monkeypatch.delenv("CXHUB_DATABASE_URL", raising=False)
    assert Settings().effective_database_url == "sqlite:////srv/cxhub/cxhub.sqlite3"
    monkeypatch.setenv("CXHUB_DATABASE_URL", "postgresql+psycopg://cxhub@db/cxhub")
    assert Settings().effective_database_url == "postgresql+psycopg://cxhub@db/cxhub"


def test_the_server_will_not_start_in_production_with_the_default_key() -> None:
    env = {"CXHUB_ENV": "production", "PATH": "/usr/bin:/bin"}
    result = live.run_command(("migrate",), env)
    assert result.returncode != 0
    assert "CXHUB_SECRET_KEY must be set" in result.stderr
