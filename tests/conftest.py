"""Fixtures: a schema built by running the migrations, each test in a rolled-back transaction.

Tests marked `postgres` run on SQLite and, when CXHUB_TEST_DATABASE_URL is set, on PostgreSQL
too. With CXHUB_REQUIRE_POSTGRES=1 / CXHUB_REQUIRE_BROWSER=1 (as CI sets them) a missing
database or browser fails the run instead of skipping.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("CXHUB_ENV", "test")
os.environ.setdefault("CXHUB_SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
os.environ.setdefault("CXHUB_ARGON2_TIME_COST", "1")
os.environ.setdefault("CXHUB_ARGON2_MEMORY_KIB", "1024")
os.environ.setdefault("CXHUB_IN_PROCESS_WORKER", "false")
os.environ.setdefault("CXHUB_DATA_DIR", tempfile.mkdtemp(prefix="cxhub-test-"))  # stored files stay out of the tree

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cxhub import demo
from cxhub.app import create_app
from cxhub.auth import service as auth_service
from cxhub.auth.actor_cache import ActorCache
from cxhub.auth.repository import user_by_email
from cxhub.config import get_settings
from cxhub.db import make_engine
from cxhub.kit.databases import create_database, drop_database
from cxhub.migrate import upgrade

PG_URL = os.environ.get("CXHUB_TEST_DATABASE_URL")
CHROMIUM = Path("/usr/bin/chromium")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        backends = ["sqlite"]
        if metafunc.definition.get_closest_marker("postgres"):
            backends.append("postgres")
        metafunc.parametrize("backend", backends, scope="session")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("CXHUB_REQUIRE_POSTGRES") == "1" and not PG_URL:
        raise pytest.UsageError("CXHUB_TEST_DATABASE_URL is required (CXHUB_REQUIRE_POSTGRES=1)")
    require_browser = os.environ.get("CXHUB_REQUIRE_BROWSER") == "1"
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec and callspec.params.get("backend") == "postgres" and not PG_URL:
            item.add_marker(pytest.mark.skip(reason="set CXHUB_TEST_DATABASE_URL to run on PostgreSQL"))
        if item.get_closest_marker("browser") and not CHROMIUM.exists():
            if require_browser:
                raise pytest.UsageError("Chromium is required at /usr/bin/chromium")
            item.add_marker(pytest.mark.skip(reason="Chromium is not installed at /usr/bin/chromium"))


def _suite_database(backend: str, tmp_path_factory: pytest.TempPathFactory, label: str) -> str:
    if backend == "postgres":
        assert PG_URL
        return create_database(PG_URL, label)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / f'{label}.sqlite3'}"


@pytest.fixture(scope="session")
def engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One migrated database per backend for the whole run."""
    db_url = _suite_database(backend, tmp_path_factory, "suite")
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()
    if backend == "postgres":
        drop_database(db_url)


@pytest.fixture(scope="session")
def demo_engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A second migrated database per backend for the whole run, with the demo world committed in it."""
    db_url = _suite_database(backend, tmp_path_factory, "demo")
    engine = make_engine(db_url)
    upgrade(engine)
    with sessionmaker(bind=engine)() as session, session.begin():
        demo.load(session)
    yield engine
    engine.dispose()
    if backend == "postgres":
        drop_database(db_url)


@pytest.fixture
def own_database(backend: str, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """`own_database(label)`: the URL of a fresh migrated database of the test's own, dropped afterwards."""
    made: list[str] = []

    def make(label: str) -> str:
        url = (
            create_database(PG_URL, label)
            if backend == "postgres" and PG_URL
            else f"sqlite:///{tmp_path}/{label}.sqlite3"
        )
        made.append(url)
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        return url

    yield make
    for url in made:
        if url.startswith("postgresql"):
            drop_database(url)


@pytest.fixture
def connection(request: pytest.FixtureRequest, backend: str) -> Iterator[object]:
    """The test's connection, in a transaction rolled back at its end: on the demo database if it asks for the
    demo world, on the empty one otherwise."""
    engine: Engine = request.getfixturevalue("demo_engine" if "world" in request.fixturenames else "engine")
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def session_factory(connection: object) -> sessionmaker[Session]:
    """Sessions whose commits are savepoints inside the test's outer transaction."""
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)  # type: ignore[call-overload]


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture
def world(session: Session) -> Session:
    """The demo world: loaded once per run (`demo_engine`), what the test does to it rolled back with the test."""
    return session


class BuiltApp:
    """An app built once and handed to each test with the state create_app gave it.

    An app routes its first request and writes its OpenAPI document (which checks query
    parameters) in seconds: tests share one instead of building their own.
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.made = {key: app.state[key] for key in app.state}

    def on(self, session_factory: sessionmaker[Session]) -> FastAPI:
        """The app on these sessions, its state as a new app's: nothing a test left in it reaches the next."""
        for key in list(self.app.state):
            del self.app.state[key]
        for key, value in self.made.items():
            self.app.state[key] = value
        self.app.state.sessionmaker = session_factory
        self.app.state.actors = ActorCache(self.made["settings"].auth_cache_seconds)
        return self.app


@pytest.fixture(scope="session")
def built_app(engine: Engine) -> BuiltApp:
    return BuiltApp(create_app(get_settings(), engine=engine, start_worker=False))


@pytest.fixture
def app(built_app: BuiltApp, session_factory: sessionmaker[Session]) -> FastAPI:
    return built_app.on(session_factory)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=True) as client:
        yield client


@pytest.fixture
def token_for(world: Session) -> Callable[[str], dict[str, str]]:
    """Authorization headers for a demo user's new API token."""

    def make(email: str) -> dict[str, str]:
        user = user_by_email(world, email)
        assert user is not None
        _, secret = auth_service.create_api_token(world, user=user, name="test", actor=None)
        world.commit()
        return {"Authorization": f"Bearer {secret}"}

    return make


@pytest.fixture
def login(client: TestClient, world: Session) -> Callable[[str], TestClient]:
    """Log the test client in through the login page, as a browser would."""

    def do(email: str, password: str = demo.DEMO_PASSWORD) -> TestClient:
        client.cookies.clear()
        page = client.get("/login")
        token = csrf_from(page.text)
        response = client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}, follow_redirects=False
        )
        assert response.status_code == 303, response.text
        return client

    return do


def user_id_of(client: TestClient, headers: dict[str, str], email: str) -> str:
    """A user's id, found through the API as an admin would."""
    users = client.get("/api/v1/users", params={"limit": 200}, headers=headers).json()["items"]
    return next(u["id"] for u in users if u["email"] == email)


def csrf_from(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []


@pytest.fixture
def count_queries(connection: Any) -> Callable[[], Any]:
    """`with count_queries() as counted:` records the SQL statements run inside the block."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()

        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
                counter.statements.append(statement)

        event.listen(connection, "before_cursor_execute", record)
        try:
            yield counter
        finally:
            event.remove(connection, "before_cursor_execute", record)

    return counting
