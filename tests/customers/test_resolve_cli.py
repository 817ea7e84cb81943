"""`cxhub customers resolve`: the hub's own customers, known by two e-mail addresses each, become one."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from tests import live

from .test_link_cli import NICK, _people

pytestmark = pytest.mark.integration


def _interactions(path: Path, people: list[dict[str, str]]) -> None:
    """Each person writes twice: once from a dotted Gmail address, once from a tagged one with a nickname."""
    at = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["channel", "external_id", "occurred_at", "direction", "customer_email", "customer_name", "text"])
        for p in people:
            i, first, last = p["person"], p["first_name"], p["last_name"]
            nick = NICK.get(first, first)
            when = (at + dt.timedelta(minutes=int(i))).isoformat()
            out.writerow(
                ["email", f"<a{i}@x>", when, "inbound", f"{first}.{last}{i}@gmail.com", f"{first} {last}", "Hello"]
            )
            out.writerow(
                ["email", f"<b{i}@x>", when, "inbound", f"{first}{last}{i}+shop@gmail.com", f"{nick} {last}", "Hi"]
            )


def test_resolve_merges_the_sure_pairs_and_keeps_a_model(tmp_path: Path) -> None:
    run = live.CommandLine(tmp_path)
    run("migrate")
    run("brands", "create", "--name", "Lumen Home", "--home-country", "IE", "--time-zone", "Europe/Dublin")
    people = _people(200, seed=11)
    _interactions(tmp_path / "mail.csv", people)
    imported = json.loads(run("import", "interactions", str(tmp_path / "mail.csv"), "--json").stdout)
    assert imported["created"] == 400
    first = json.loads(run("customers", "resolve", "--json").stdout)
    assert first["customers"] == 400
    assert first["trained"] is True
    assert first["model_version"] == 1
    # each person's two addresses: merged when sure, else waiting for review; nobody else is paired
    assert first["pairs"] == 200
    assert first["merged"] + first["queued"] == 200
    assert first["merged"] >= 50
    again = json.loads(run("customers", "resolve", "--json").stdout)
    assert again["customers"] == 400 - first["merged"]
    assert again["trained"] is False
    assert again["model_version"] == 1
    assert again["merged"] == 0
    assert again["queued"] == 0  # the doubtful pairs wait already
    retrained = json.loads(run("customers", "resolve", "--retrain", "--json").stdout)
    assert retrained["model_version"] == 2
