"""The `cxhub` command end to end, as an operator runs it, on a database of its own."""

from __future__ import annotations

import json

import pytest

from tests import live

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cxhub(tmp_path_factory: pytest.TempPathFactory) -> live.CommandLine:
    run = live.CommandLine(tmp_path_factory.mktemp("cli"), process=True)
    assert "database is up to date" in run("migrate").stdout  # the installed command, as a process of its own
    run.process = False
    run("demo")
    assert run.database.exists()
    return run


def test_demo_again_leaves_the_demo_as_it_is(cxhub) -> None:  # type: ignore[no-untyped-def]
    before = json.loads(cxhub("users", "list", "--json").stdout)
    assert "already loaded" in cxhub("demo").stdout
    assert json.loads(cxhub("users", "list", "--json").stdout) == before
    assert {u["email"] for u in before} >= {"admin@lumen.example", "agent@pacific.example"}


def test_orgs_users_and_tokens(cxhub) -> None:  # type: ignore[no-untyped-def]
    org = json.loads(
        cxhub("orgs", "create", "--name", "Andes Service", "--kind", "outsourced", "--country", "CO", "--json").stdout
    )[0]
    assert org["kind"] == "outsourced"
    orgs = json.loads(cxhub("orgs", "list", "--json").stdout)
    assert {o["name"] for o in orgs} == {"Lumen Care", "Atlantic CX", "Pacific Contact", "Andes Service"}
    created = json.loads(
        cxhub(
            "users",
            "create",
            "--email",
            "camila@andes.example",
            "--name",
            "Camila Rojas",
            "--role",
            "agent",
            "--organisation",
            "Andes Service",
            "--json",
        ).stdout
    )[0]
    assert len(created["temporary_password"]) >= 10
    token = json.loads(cxhub("tokens", "create", "--user", "camila@andes.example", "--json").stdout)
    assert token["token"].startswith("cxh_")
    cxhub("tokens", "revoke", token["id"])
    cxhub("users", "disable", "camila@andes.example")
    users = json.loads(cxhub("users", "list", "--json").stdout)
    assert next(u for u in users if u["email"] == "camila@andes.example")["active"] is False


def test_bad_input_is_a_clear_error_that_changes_nothing(cxhub) -> None:  # type: ignore[no-untyped-def]
    before = cxhub("orgs", "list", "--json").stdout
    result = cxhub("orgs", "create", "--name", "X", "--kind", "vendor", "--country", "PT", ok=False)
    assert result.returncode == 1
    assert "kind" in result.stderr
    result = cxhub(
        "users",
        "create",
        "--email",
        "x@example.com",
        "--name",
        "X",
        "--role",
        "agent",
        "--organisation",
        "Nowhere Ltd",
        ok=False,
    )
    assert result.returncode == 1
    assert "no organisation named Nowhere Ltd" in result.stderr
    result = cxhub(
        "users",
        "create",
        "--email",
        "admin@lumen.example",
        "--name",
        "X",
        "--role",
        "agent",
        "--organisation",
        "Lumen Care",
        ok=False,
    )
    assert "a user with this e-mail exists" in result.stderr
    assert cxhub("orgs", "list", "--json").stdout == before


def test_brands_sites_and_teams(cxhub) -> None:  # type: ignore[no-untyped-def]
    brand = json.loads(
        cxhub(
            "brands",
            "create",
            "--name",
            "Lumen Outdoor",
            "--home-country",
            "IE",
            "--time-zone",
            "Europe/Dublin",
            "--json",
        ).stdout
    )[0]
    assert {b["name"] for b in json.loads(cxhub("brands", "list", "--json").stdout)} >= {"Lumen Home", brand["name"]}
    site = json.loads(
        cxhub(
            "sites",
            "create",
            "--organisation",
            "Atlantic CX",
            "--name",
            "Porto",
            "--city",
            "Porto",
            "--country",
            "PT",
            "--time-zone",
            "Europe/Lisbon",
            "--location-band",
            "nearshore",
            "--hours",
            "08:00-20:00",
            "--days",
            "mon,sat",
            "--json",
        ).stdout
    )[0]
    listed = next(s for s in json.loads(cxhub("sites", "list", "--json").stdout) if s["id"] == site["id"])
    assert listed["opening_hours"] == {"mon": [["08:00", "20:00"]], "sat": [["08:00", "20:00"]]}
    cxhub(
        "teams",
        "create",
        "--site",
        site["id"],
        "--name",
        "Porto Voice",
        "--channels",
        "voice",
        "--languages",
        "pt,es",
        "--json",
    )
    team = next(t for t in json.loads(cxhub("teams", "list", "--json").stdout) if t["name"] == "Porto Voice")
    assert team["languages"] == ["pt", "es"]
    bad = cxhub(
        "sites",
        "create",
        "--organisation",
        "Atlantic CX",
        "--name",
        "X",
        "--city",
        "X",
        "--country",
        "PT",
        "--time-zone",
        "Lisbon",
        "--location-band",
        "nearshore",
        ok=False,
    )
    assert bad.returncode == 1
    assert "IANA time zone" in bad.stderr
    agents = json.loads(cxhub("agents", "list", "--json").stdout)
    assert {a["email"] for a in agents} >= {"agent@atlantic.example", "agent@pacific.example"}


def test_demo_reset_rebuilds(cxhub) -> None:  # type: ignore[no-untyped-def]
    cxhub("demo", "--reset")
    orgs = json.loads(cxhub("orgs", "list", "--json").stdout)
    assert {o["name"] for o in orgs} == {"Lumen Care", "Atlantic CX", "Pacific Contact"}
