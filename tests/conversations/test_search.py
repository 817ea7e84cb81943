"""Full-text search over conversations and customers, through the API, inside the partner boundaries."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from cxhub.auth.models import AuditEvent
from cxhub.conversations.search import INTERACTION_DOCUMENT, parse_query
from cxhub.workforce.models import Organisation
from tests.builders import queue_for

Headers = Callable[[str], dict[str, str]]
pytestmark = pytest.mark.postgres


def _message(n: int, *, text: str, email: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "channel": "email",
        "external_id": f"<search-{n}@example.com>",
        "occurred_at": f"2026-11-20T09:{n % 60:02d}:00+00:00",
        "direction": "inbound",
        "customer": {"email": email or f"customer.{n}@example.com", "name": f"Customer Number{n}"},
        "subject": f"Question {n}",
        "text": text,
        **extra,
    }


def _record(client: TestClient, headers: dict[str, str], body: Any) -> Any:
    response = client.post("/api/v1/interactions", json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


def _search(client: TestClient, headers: dict[str, str], q: str, **params: Any) -> Any:
    response = client.get("/api/v1/search", params={"q": q, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_word_from_a_message_finds_its_conversation(client: TestClient, token_for: Headers, world: Session) -> None:
    admin = token_for("admin@lumen.example")
    wanted = _record(client, admin, _message(1, text="The parcel arrived with a cracked teapot lid."))
    _record(client, admin, _message(2, text="Nothing broken here."))
    answer = _record(
        client,
        admin,
        _message(3, text="We are sending a replacement saucer today.", direction="outbound", email="other@example.com"),
    )
    hits = _search(client, admin, "teapot")["items"]
    assert [h["id"] for h in hits] == [wanted["conversation_id"]]
    assert "<mark>teapot</mark>" in (hits[0]["snippet"] or "")
    assert {"id", "subject", "channel", "status", "customer_id", "snippet", "updated_at"} <= set(hits[0])
    assert [h["id"] for h in _search(client, admin, "SAUCER")["items"]] == [answer["conversation_id"]]
    assert [h["id"] for h in _search(client, admin, "question 2")["items"]] != []  # the subject counts


def test_portuguese_words_with_accents(client: TestClient, token_for: Headers, world: Session) -> None:
    admin = token_for("admin@lumen.example")
    found = _record(client, admin, _message(4, text="Olá! Ainda não recebi a encomenda; está atrasada há três dias."))
    for q in ("não", "NÃO recebi", "três dias", '"está atrasada"'):
        assert [h["id"] for h in _search(client, admin, q)["items"]] == [found["conversation_id"]], q
    assert _search(client, admin, "nao recebi")["items"] == []  # accents count, on both databases
    assert "<mark>não</mark>" in _search(client, admin, "não")["items"][0]["snippet"]


def test_snippets_are_escaped_html(client: TestClient, token_for: Headers, world: Session) -> None:
    admin = token_for("admin@lumen.example")
    _record(client, admin, _message(5, text="<script>alert(1)</script> marmalade & toast"))
    snippet = _search(client, admin, "marmalade")["items"][0]["snippet"]
    assert "<script>" not in snippet  # escaped on SQLite; PostgreSQL's headline drops tags altogether
    assert "<mark>marmalade</mark> &amp; toast" in snippet


def test_a_partner_finds_only_conversations_it_may_read(client: TestClient, token_for: Headers, world: Session) -> None:
    admin = token_for("admin@lumen.example")
    atlantic = _record(client, admin, _message(6, text="My sunflower seeds never came", email="ana@example.com"))
    pacific = _record(client, admin, _message(7, text="Sunflower oil leaked", email="ben@example.com"))
    queue_for(world, atlantic["conversation_id"], "Atlantic CX")
    queue_for(world, pacific["conversation_id"], "Pacific Contact")
    agent = token_for("agent@atlantic.example")
    assert [h["id"] for h in _search(client, agent, "sunflower")["items"]] == [atlantic["conversation_id"]]
    assert {h["id"] for h in _search(client, admin, "sunflower")["items"]} == {
        atlantic["conversation_id"],
        pacific["conversation_id"],
    }


def test_a_partner_never_finds_a_customer_by_a_masked_field(
    client: TestClient, token_for: Headers, world: Session
) -> None:
    admin = token_for("admin@lumen.example")
    mine = _record(client, admin, _message(8, text="Hello", email="rosalind.quill@example.com"))
    theirs = _record(client, admin, _message(9, text="Hello", email="rosalind.other@example.com"))
    queue_for(world, mine["conversation_id"], "Atlantic CX")
    queue_for(world, theirs["conversation_id"], "Pacific Contact")
    agent = token_for("agent@atlantic.example")

    in_house = _search(client, admin, "rosalind.quill@example.com", kind="customers")["items"]
    assert [h["id"] for h in in_house] == [mine["customer_id"]]
    assert in_house[0]["identifier"] == {"kind": "email", "value": "rosalind.quill@example.com"}
    assert _search(client, admin, "Number8", kind="customers")["items"][0]["identifier"] is None

    assert _search(client, agent, "rosalind.quill@example.com", kind="customers")["items"] == []  # e-mail masked
    assert _search(client, agent, "Number8", kind="customers")["items"] == []  # the surname is masked too

    atlantic = world.scalars(select(Organisation).where(Organisation.name == "Atlantic CX")).one()
    policy = {"name": "masked", "email": "full", "phone": "masked", "address": "masked"}
    changed = client.patch(f"/api/v1/organisations/{atlantic.id}", json={"data_policy": policy}, headers=admin)
    assert changed.status_code == 200, changed.text
    hits = _search(client, agent, "rosalind.quill@example.com", kind="customers")["items"]
    assert [h["id"] for h in hits] == [mine["customer_id"]]
    assert hits[0]["name"] == "Customer N."  # the name stays masked
    assert hits[0]["identifier"] == {"kind": "email", "value": "rosalind.quill@example.com"}
    reads = world.scalars(
        select(AuditEvent).where(AuditEvent.action == "personal_data.read", AuditEvent.target_id == mine["customer_id"])
    ).all()
    assert reads  # the unmasked e-mail shown to a partner is audited
    assert _search(client, agent, "rosalind.other@example.com", kind="customers")["items"] == []  # not theirs


def test_pages_of_results_newest_first(client: TestClient, token_for: Headers, world: Session) -> None:
    admin = token_for("admin@lumen.example")
    made = [_record(client, admin, _message(20 + n, text=f"lighthouse {n}"))["conversation_id"] for n in range(5)]
    seen: list[str] = []
    cursor = None
    for _ in range(3):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = _search(client, admin, "lighthouse", **params)
        seen += [h["id"] for h in page["items"]]
        cursor = page["next_cursor"]
    assert cursor is None
    assert seen == list(reversed(made))  # each intake touched its conversation later than the one before

    customers = _search(client, admin, "Customer", kind="customers", limit=2)
    assert len(customers["items"]) == 2
    assert customers["next_cursor"]
    more = _search(client, admin, "Customer", kind="customers", limit=2, cursor=customers["next_cursor"])
    assert not {h["id"] for h in more["items"]} & {h["id"] for h in customers["items"]}


@pytest.mark.parametrize(
    "q",
    ['"foo', "OR AND", "NOT", "foo*", "a:b", "NEAR(x y)", "(((", "-", "^start", "+++", "'; DROP TABLE x; --", "a\x00b"],
)
def test_search_syntax_in_a_query_is_never_an_error(
    client: TestClient, token_for: Headers, world: Session, q: str
) -> None:
    admin = token_for("admin@lumen.example")
    for kind in ("conversations", "customers"):
        assert isinstance(_search(client, admin, q, kind=kind)["items"], list)


def test_punctuation_only_answers_an_empty_page(client: TestClient, token_for: Headers, world: Session) -> None:
    admin = token_for("admin@lumen.example")
    assert _search(client, admin, "?!*") == {"items": [], "next_cursor": None}


def test_strict_parameters(client: TestClient, token_for: Headers, world: Session) -> None:
    admin = token_for("admin@lumen.example")
    for params, field in (
        ({}, "q"),
        ({"q": "x", "limit": 201}, "limit"),
        ({"q": "x", "kind": "agents"}, "kind"),
        ({"q": "x", "colour": "red"}, "colour"),
        ({"q": "x", "cursor": "zzzzzzzzzzzzzzzzzzzzzzzzzz"}, "cursor"),
    ):
        response = client.get("/api/v1/search", params=params, headers=admin)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"
        assert field in {e["field"].split(".")[-1] for e in response.json()["errors"]}, response.json()


def test_interactions_from_the_bulk_path_are_found(client: TestClient, token_for: Headers, world: Session) -> None:
    admin = token_for("admin@lumen.example")
    batch = [_message(40 + n, text=f"kumquat delivery {n}", email=f"bulk.{n}@example.com") for n in range(3)]
    results = _record(client, admin, batch)["items"]
    hits = _search(client, admin, "kumquat")["items"]
    assert {h["id"] for h in hits} == {r["conversation_id"] for r in results}
    hits = _search(client, admin, "bulk.1@example.com", kind="customers")["items"]
    assert [h["id"] for h in hits] == [results[1]["customer_id"]]


def test_postgres_plan_uses_the_gin_index(client: TestClient, token_for: Headers, world: Session, backend: str) -> None:
    if backend != "postgres":
        pytest.skip(
            "SQLite has no GIN index: its FTS5 tables and triggers are checked by "
            "test_the_sqlite_triggers_survive_every_migration"
        )
    world.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table is scanned anyway: is the index usable?
    plan = world.execute(
        text(
            f"EXPLAIN SELECT conversation_id FROM interactions "  # noqa: S608 - a constant expression, no input
            f"WHERE {INTERACTION_DOCUMENT} @@ websearch_to_tsquery('simple', 'teapot')"
        )
    ).scalars()
    assert "ix_search_interactions" in "\n".join(plan)


def test_fts5_queries_are_quoted_phrases() -> None:
    assert parse_query("?!") is None
    unterminated, plain = parse_query('"foo'), parse_query("foo")
    assert unterminated is not None
    assert plain is not None
    assert unterminated.fts5 == plain.fts5 == '("foo")'
    parsed = parse_query('tea or "green coffee" -decaf')
    assert parsed is not None
    assert parsed.fts5 == '("tea") OR ("green coffee" NOT "decaf")'
    only_words = parse_query("OR AND")
    assert only_words is not None
    assert only_words.fts5 == '("OR" AND "AND")'


def test_a_page_costs_the_same_queries_however_many_hits(
    client: TestClient, token_for: Headers, world: Session, count_queries: Any
) -> None:
    admin = token_for("admin@lumen.example")
    _record(client, admin, _message(60, text="a single mangosteen"))
    _record(client, admin, [_message(61 + n, text=f"papaya number {n}") for n in range(20)])
    counts = []
    for q, kind in (("mangosteen", "conversations"), ("papaya", "conversations"), ("Customer", "customers")):
        with count_queries() as counted:
            assert _search(client, admin, q, kind=kind)["items"]
        counts.append(len(counted.statements))
    assert counts[0] == counts[1]
    assert counts[2] <= counts[0] + 1


@given(st.text(max_size=60))
def test_any_text_makes_a_valid_fts5_query(raw: str) -> None:
    query = parse_query(raw)
    if query is None:
        return
    with sqlite3.connect(":memory:") as database:
        database.execute("CREATE VIRTUAL TABLE t USING fts5(body)")
        database.execute("SELECT * FROM t WHERE t MATCH ?", (query.fts5,)).fetchall()


def test_the_sqlite_triggers_survive_every_migration(world: Session, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip(
            "PostgreSQL needs no triggers: its expression indexes are checked by test_postgres_plan_uses_the_gin_index"
        )
    # a batch migration recreates its table and drops the table's triggers: a later one must make them again
    names = world.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search_%'"))
    assert len(set(names)) == 12


def test_a_name_learnt_later_is_found_once(client: TestClient, token_for: Headers, world: Session) -> None:
    admin = token_for("admin@lumen.example")
    first = _message(90, text="Is the lamp dimmable?", email="nameless@example.com")
    first["customer"] = {"email": "nameless@example.com"}
    _record(client, admin, first)
    assert _search(client, admin, "Quirke", kind="customers")["items"] == []
    later = _message(91, text="Thanks for the answer.", email="nameless@example.com")
    later["customer"] = {"email": "nameless@example.com", "name": "Eimear Quirke"}
    _record(client, admin, later)
    found = _search(client, admin, "Quirke", kind="customers")["items"]
    assert [c["name"] for c in found] == ["Eimear Quirke"]
