"""`cxhub customers resolve`: the hub's own customers, known by two or three e-mail addresses each, become one.

Every scored pair is counted once: merged, queued for review, left apart, or skipped (one of its
customers was merged by an earlier pair of the run, or meanwhile). A pair a person rejected is
never queued or merged again, whatever the thresholds.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxhub.app import create_app
from cxhub.config import get_settings
from cxhub.db import make_engine
from tests import live

from .test_link_cli import NICK, _people

pytestmark = pytest.mark.integration
THIRD_ADDRESS_EVERY = 20  # these people also wrote from another provider: three records, three pairs


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
            if int(i) % THIRD_ADDRESS_EVERY == 0:
                address = f"{first}{last}{i}@yahoo.com"
                out.writerow(["email", f"<c{i}@x>", when, "inbound", address, f"{first} {last}", "Again"])


def _summary(run: live.CommandLine, *args: str) -> dict[str, Any]:
    summary: dict[str, Any] = json.loads(run("customers", "resolve", "--json", *args).stdout)
    assert summary["merged"] + summary["queued"] + summary["apart"] + summary["skipped"] == summary["pairs"]
    return summary


def _api(run: live.CommandLine) -> tuple[TestClient, dict[str, str]]:
    """The API over the command line's database, as an in-house admin made with the command line."""
    run("orgs", "create", "--name", "Lumen Care", "--kind", "in_house", "--country", "IE")
    run("users", "create", "--email", "admin@lumen.example", "--name", "Admin", "--role", "admin",
        "--organisation", "Lumen Care", "--password", "a-long-password")  # fmt: skip
    token = json.loads(run("tokens", "create", "--user", "admin@lumen.example", "--json").stdout)["token"]
    app = create_app(get_settings(), engine=make_engine(f"sqlite:///{run.database}"), start_worker=False)
    return TestClient(app), {"Authorization": f"Bearer {token}"}


def test_resolve_merges_the_sure_pairs_queues_the_doubtful_and_never_undoes_a_rejection(tmp_path: Path) -> None:
    run = live.CommandLine(tmp_path)
    # every pair here is one person and the engine scores them all above 0.999: a strict auto-merge
    # threshold makes the least sure of them wait for a person
    run.env |= {"CXHUB_MATCH_AUTO_MERGE": "0.9999", "CXHUB_MATCH_REVIEW": "0.99"}
    run("migrate")
    run("brands", "create", "--name", "Lumen Home", "--home-country", "IE", "--time-zone", "Europe/Dublin")
    people = _people(200, seed=11)
    triples = len(people) // THIRD_ADDRESS_EVERY
    _interactions(tmp_path / "mail.csv", people)
    imported = json.loads(run("import", "interactions", str(tmp_path / "mail.csv"), "--json").stdout)
    assert imported["created"] == 400 + triples
    first = _summary(run)
    assert first["customers"] == 400 + triples
    assert first["trained"] is True
    assert first["model_version"] == 1
    # each person's two or three addresses are paired, nobody else; in a triple, a merge can leave a pair behind
    assert first["pairs"] == 200 + 2 * triples
    assert first["merged"] >= 50
    assert first["queued"] >= 2
    assert first["apart"] == 0
    assert 1 <= first["skipped"] <= triples

    again = _summary(run)
    assert again["customers"] == first["customers"] - first["merged"]
    assert again["trained"] is False
    assert again["model_version"] == 1
    assert again["merged"] == 0
    assert again["queued"] == again["pairs"]  # the doubtful pairs still wait, once each

    client, admin = _api(run)
    with client:
        pending = client.get("/api/v1/customers/match-candidates", params={"limit": 200}, headers=admin).json()
        assert len(pending["items"]) == again["queued"]
        rejected, accepted = pending["items"][:2]
        response = client.post(f"/api/v1/customers/match-candidates/{rejected['id']}/reject", headers=admin)
        assert response.status_code == 200, response.text
        response = client.post(f"/api/v1/customers/match-candidates/{accepted['id']}/accept", headers=admin)
        assert response.status_code == 200, response.text
        # every pair the engine finds is now sure enough to merge
        loose = [{"source_l": "*", "source_r": "*", "auto_merge": 0.5, "review": 0.5}]
        assert client.put("/api/v1/customers/match-thresholds", json=loose, headers=admin).status_code == 200

    third = _summary(run)
    assert third["pairs"] == again["pairs"] - 1  # the accepted pair is one customer now
    assert third["apart"] == 1  # the rejected pair, scored again and kept apart
    assert third["queued"] == 0
    assert third["merged"] + third["skipped"] == third["pairs"] - 1
    with client:
        for side in ("left", "right"):
            merges = client.get(f"/api/v1/customers/{rejected[side]['id']}/merges", headers=admin).json()
            assert merges["items"] == []
        still = client.get("/api/v1/customers/match-candidates", params={"status": "rejected"}, headers=admin).json()
        assert [c["id"] for c in still["items"]] == [rejected["id"]]

    retrained = _summary(run, "--retrain")
    assert retrained["model_version"] == 2
