"""Migrations run up and down on SQLite and PostgreSQL, and match the models exactly."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from cxhub.db import make_engine
from cxhub.kit.databases import create_database, drop_database
from cxhub.migrate import alembic_config
from cxhub.models_registry import include_object, metadata
from tests.conftest import PG_URL

pytestmark = pytest.mark.integration


@pytest.fixture
def empty_engine(backend: str, tmp_path: os.PathLike[str]) -> Iterator[Engine]:
    if backend == "postgres":
        assert PG_URL
        url = create_database(PG_URL, "migrations")
    else:
        url = f"sqlite:///{tmp_path}/migrations.sqlite3"
    engine = make_engine(url)
    yield engine
    engine.dispose()
    if backend == "postgres":
        drop_database(url)


def _run(engine: Engine, verb: str, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, verb)(config, revision)


@pytest.mark.postgres
def test_upgrade_downgrade_upgrade_leaves_the_schema_of_the_models(empty_engine: Engine) -> None:
    _run(empty_engine, "upgrade", "head")
    tables = set(inspect(empty_engine).get_table_names())
    assert {"organisations", "users", "audit_events", "jobs"} <= tables
    _run(empty_engine, "downgrade", "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    _run(empty_engine, "upgrade", "head")
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": include_object})
        differences = compare_metadata(context, metadata())
    assert differences == []
