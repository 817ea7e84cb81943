"""`cxhub customers export` and `cxhub customers erase`, as an operator runs them, on both databases."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from cxhub.auth.models import AuditEvent
from cxhub.conversations.models import Interaction
from cxhub.customers.models import Customer, CustomerIdentity
from cxhub.db import make_engine, make_sessionmaker
from tests import live

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


@pytest.fixture
def hub(own_database: Callable[[str], str], tmp_path: Path) -> Iterator[tuple[live.CommandLine, Engine]]:
    url = own_database("privacy_cli")
    run = live.CommandLine(tmp_path)
    run.env["CXHUB_DATABASE_URL"] = url
    run("brands", "create", "--name", "Lumen Home", "--home-country", "IE", "--time-zone", "Europe/Dublin")
    with (tmp_path / "mail.csv").open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["channel", "external_id", "occurred_at", "direction", "customer_email", "customer_name", "text"])
        out.writerow(
            [
                "email",
                "<p1@x>",
                "2026-11-20T09:00:00+00:00",
                "inbound",
                "eve.lynch@example.ie",
                "Eve Lynch",
                "My kettle leaks",
            ]
        )
        out.writerow(
            ["email", "<p2@x>", "2026-11-20T10:00:00+00:00", "inbound", "tom@example.ie", "Tom Ryan", "Thanks"]
        )
    run("import", "interactions", str(tmp_path / "mail.csv"))
    engine = make_engine(url)
    yield run, engine
    engine.dispose()


def _eve(engine: Engine) -> str:
    with make_sessionmaker(engine)() as session:
        found = session.scalar(select(Customer.id).where(Customer.name == "Eve Lynch"))
    assert found is not None
    return found


def test_export_then_erase_from_the_command_line(hub: tuple[live.CommandLine, Engine], tmp_path: Path) -> None:
    run, engine = hub
    eve = _eve(engine)
    run("customers", "export", eve, "--out", str(tmp_path / "eve.json"))
    doc = json.loads((tmp_path / "eve.json").read_text())
    assert doc["customer"]["name"] == "Eve Lynch"
    assert [i["value"] for i in doc["identities"]] == ["eve.lynch@example.ie"]
    assert doc["conversations"][0]["interactions"][0]["text"] == "My kettle leaks"
    run("customers", "export", eve, "--out", str(tmp_path / "eve.html"), "--format", "html")
    assert "My kettle leaks" in (tmp_path / "eve.html").read_text()

    unconfirmed = run("customers", "erase", eve, "--reason", "asked by e-mail", ok=False)
    assert unconfirmed.returncode == 1
    assert _eve(engine) == eve, "nothing erased without a yes"
    run("customers", "erase", eve, "--reason", "asked by e-mail", "--yes")
    with make_sessionmaker(engine)() as session:
        customer = session.get(Customer, eve)
        assert customer is not None
        assert customer.name is None
        assert customer.erased_at is not None
        assert session.scalars(select(CustomerIdentity).where(CustomerIdentity.customer_id == eve)).all() == []
        texts = session.scalars(select(Interaction.text).order_by(Interaction.occurred_at)).all()
        assert texts == [None, "Thanks"], "only her message goes"
        actions = session.execute(
            select(AuditEvent.action, AuditEvent.actor_email).where(AuditEvent.target_id == eve).order_by(AuditEvent.at)
        ).all()
        assert [tuple(a) for a in actions] == [
            ("customer.exported", "cli"),
            ("customer.exported", "cli"),
            ("customer.erased", "cli"),
        ]
    again = run("customers", "erase", eve, "--reason", "again", "--yes", ok=False)
    assert again.returncode == 1
    assert "erased" in again.stderr
    missing = run("customers", "export", "01NOSUCHCUSTOMER0000000000", "--out", str(tmp_path / "x.json"), ok=False)
    assert missing.returncode == 1
    assert "customer not found" in missing.stderr
