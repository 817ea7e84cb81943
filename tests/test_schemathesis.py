"""Property-based tests of the whole JSON API against its own OpenAPI description.

Runs on a database of its own (committed, not rolled back), as an admin and as a partner agent,
with schemathesis' default checks: no server errors, documented status codes and content types,
responses that match their schemas, and schema-violating requests rejected.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings

from cxhub import demo
from cxhub.app import create_app
from cxhub.auth import service as auth_service
from cxhub.auth.repository import user_by_email
from cxhub.config import get_settings
from cxhub.db import make_engine, make_sessionmaker
from cxhub.migrate import upgrade

pytestmark = pytest.mark.integration
TOKENS: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    path: Path = tmp_path_factory.mktemp("schemathesis") / "api.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    factory = make_sessionmaker(engine)
    with factory() as session, session.begin():
        demo.load(session)
        for email in ("admin@lumen.example", "agent@atlantic.example"):
            user = user_by_email(session, email)
            assert user is not None
            _, TOKENS[email] = auth_service.create_api_token(session, user=user, name="schemathesis", actor=None)
    yield create_app(get_settings(), engine=engine, start_worker=False)
    engine.dispose()


@pytest.fixture(scope="module")
def api_schema(api_app: FastAPI) -> schemathesis.BaseSchema:  # type: ignore[name-defined]
    return schemathesis.openapi.from_asgi("/api/openapi.json", api_app)


schema = schemathesis.pytest.from_fixture("api_schema")
EXAMPLES = int(os.environ.get("CXHUB_SCHEMATHESIS_EXAMPLES", "25"))


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema_for_an_admin(case: schemathesis.Case) -> None:  # type: ignore[name-defined]
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKENS['admin@lumen.example']}"})


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema_for_a_partner_agent(case: schemathesis.Case) -> None:  # type: ignore[name-defined]
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKENS['agent@atlantic.example']}"})
