"""Create and drop PostgreSQL databases beside a given one (tests, benchmarks)."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, make_url, text


def _admin_url(url: str) -> str:
    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


def create_database(base_url: str, label: str) -> str:
    """A fresh, empty database on the server of base_url; returns its URL."""
    url = make_url(base_url)
    name = f"{url.database or 'cxhub'}_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(_admin_url(base_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    admin = create_engine(_admin_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()
