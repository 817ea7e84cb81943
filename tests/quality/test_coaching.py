"""Customers' coaching feedback: it reaches the agent and their coach and nobody else, a partner's people never
see another organisation's, the customer shows only as the reader's data policy allows, and the loop is closed
by acknowledging it and noting what was done."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from cxhub.quality.coaching import coaching_counts
from tests.conftest import csrf_from

from .surveys import ADMIN, Relay, agent_of, set_policy, surveyed

pytestmark = pytest.mark.postgres
SERVED = {
    "agent@lumen.example": ("encouragement", "Darragh was patient and kind."),
    "agent@atlantic.example": ("advice", "Tiago, please tell customers the delivery date."),
    "agent@pacific.example": ("feedback", "Maria answered quickly."),
    "sydney@pacific.example": ("encouragement", "Jack knew the product well."),
}


@pytest.fixture
def feedback(client: TestClient, world: Session, token_for: Any, relay: Relay) -> dict[str, str]:
    """One piece of feedback for each of four agents, left through their customers' surveys: agent -> id."""
    headers = token_for(ADMIN)
    set_policy(client, headers, once_per_customer_days=0)
    for n, (agent_email, (kind, text)) in enumerate(SERVED.items()):
        _, path = surveyed(
            client,
            headers,
            world,
            relay,
            agent_email=agent_email,
            external_id=f"<coaching-{n}@example.ie>",
            customer={"email": f"customer{n}@example.ie", "name": f"Joana Silva{n}"},
        )
        answered = client.post(path, data={"csat": "5", "fcr": "1", "feedback_kind": kind, "feedback_text": text})
        assert answered.status_code == 200, answered.text
    items = client.get("/api/v1/coaching-feedback", headers=headers).json()["items"]
    return {next(e for e, (_, t) in SERVED.items() if t == i["text"]): i["id"] for i in items}


def _texts(client: TestClient, headers: dict[str, str], **params: Any) -> set[str]:
    response = client.get("/api/v1/coaching-feedback", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return {item["text"] for item in response.json()["items"]}


READERS = {
    "agent@lumen.example": {"agent@lumen.example"},
    "lead@lumen.example": {"agent@lumen.example"},  # the team lead of Dublin Care
    "director@lumen.example": set(SERVED),
    "qa@lumen.example": set(SERVED),
    "admin@lumen.example": set(SERVED),
    "lead@atlantic.example": {"agent@atlantic.example"},
    "agent@atlantic.example": {"agent@atlantic.example"},
    "agent@pacific.example": {"agent@pacific.example"},  # not the Sydney colleague's
    "sydney@pacific.example": {"sydney@pacific.example"},
}


def test_feedback_reaches_the_agent_and_their_coach_only(
    client: TestClient, token_for: Any, feedback: dict[str, str]
) -> None:
    seen = {reader: _texts(client, token_for(reader)) for reader in READERS}
    assert seen == {reader: {SERVED[agent][1] for agent in sees} for reader, sees in READERS.items()}


def test_without_the_permission_the_feed_is_forbidden(
    client: TestClient, token_for: Any, feedback: dict[str, str]
) -> None:
    response = client.get("/api/v1/coaching-feedback", headers=token_for("vendors@lumen.example"))
    assert response.status_code == 403


def test_the_customer_shows_as_the_readers_data_policy_allows(
    client: TestClient, token_for: Any, feedback: dict[str, str]
) -> None:
    partner = client.get("/api/v1/coaching-feedback", headers=token_for("agent@atlantic.example")).json()["items"]
    assert [(i["agent_name"], i["customer_name"], i["kind"]) for i in partner] == [
        ("Tiago Ferreira", "Joana S.", "advice")
    ]
    assert partner[0]["scores"] == {"csat": 5, "fcr": 1}
    assert "customer1@example.ie" not in str(partner)
    in_house = client.get("/api/v1/coaching-feedback", headers=token_for("director@lumen.example")).json()["items"]
    assert {i["customer_name"] for i in in_house} == {f"Joana Silva{n}" for n in range(4)}


def test_acknowledging_closes_the_loop_once(
    client: TestClient, world: Session, token_for: Any, feedback: dict[str, str]
) -> None:
    agent = token_for("agent@atlantic.example")
    feedback_id = feedback["agent@atlantic.example"]
    seen = client.post(f"/api/v1/coaching-feedback/{feedback_id}/acknowledge", json={}, headers=agent)
    assert seen.status_code == 200, seen.text
    assert (seen.json()["acknowledged_by"], seen.json()["action_note"]) == ("Tiago Ferreira", None)
    lead = token_for("lead@atlantic.example")
    acted = client.post(
        f"/api/v1/coaching-feedback/{feedback_id}/acknowledge",
        json={"action": "Delivery dates added to the order-status reply."},
        headers=lead,
    )
    assert acted.status_code == 200
    body = acted.json()
    assert body["acknowledged_by"] == "Tiago Ferreira"  # first acknowledged by the agent
    assert body["action_note"] == "Delivery dates added to the order-status reply."
    again = client.post(
        f"/api/v1/coaching-feedback/{feedback_id}/acknowledge",
        json={"action": "Delivery dates added to the order-status reply."},
        headers=lead,
    ).json()
    assert again["action_at"] == body["action_at"]  # the same call again changes nothing
    assert _texts(client, lead, acknowledged=True) == {SERVED["agent@atlantic.example"][1]}
    assert _texts(client, lead, acknowledged=False) == set()
    other = feedback["agent@pacific.example"]
    for outsider in ("agent@atlantic.example", "lead@atlantic.example", "agent@lumen.example"):
        refused = client.post(f"/api/v1/coaching-feedback/{other}/acknowledge", json={}, headers=token_for(outsider))
        assert refused.status_code == 404, outsider
    too_long = client.post(
        f"/api/v1/coaching-feedback/{feedback_id}/acknowledge", json={"action": "x" * 2001}, headers=lead
    )
    assert too_long.status_code == 422
    tiago, maria = agent_of(world, "agent@atlantic.example").id, agent_of(world, "agent@pacific.example").id
    counts = coaching_counts(world, agent_ids=[tiago, maria])
    assert counts == {tiago: (1, 1), maria: (1, 0)}
    assert len(coaching_counts(world)) == 4
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert coaching_counts(world, since=tomorrow) == {}
    assert coaching_counts(world, until=tomorrow, agent_ids=[tiago]) == {tiago: (1, 1)}
    assert coaching_counts(world, agent_ids=[]) == {}


def test_the_feed_pages_through_newest_first(client: TestClient, token_for: Any, feedback: dict[str, str]) -> None:
    headers = token_for("director@lumen.example")
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/coaching-feedback", params=params, headers=headers).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(feedback.values(), reverse=True)


def test_the_coaching_page_shows_the_feed_and_acknowledges_in_place(
    login: Any, feedback: dict[str, str], token_for: Any
) -> None:
    client = login("agent@lumen.example")
    page = client.get("/coaching")
    assert page.status_code == 200
    assert "Darragh was patient and kind." in page.text
    assert "Tiago" not in page.text
    assert 'href="/coaching"' in page.text  # in the main navigation
    feedback_id = feedback["agent@lumen.example"]
    card = client.post(
        f"/coaching/{feedback_id}/acknowledge",
        data={"action": "Thanked the team.", "csrf_token": csrf_from(page.text)},
        headers={"HX-Request": "true"},
    )
    assert card.status_code == 200
    assert card.text.lstrip().startswith("<article")
    assert "Acknowledged by Darragh Doyle" in card.text
    assert "Thanked the team." in card.text
    waiting = client.get("/coaching", params={"status": "open"})
    assert "Darragh was patient and kind." not in waiting.text
    plain = client.post(
        f"/coaching/{feedback_id}/acknowledge", data={"csrf_token": csrf_from(page.text)}, follow_redirects=False
    )
    assert (plain.status_code, plain.headers["location"]) == (303, "/coaching")
    elsewhere = client.post(
        f"/coaching/{feedback['agent@pacific.example']}/acknowledge", data={"csrf_token": csrf_from(page.text)}
    )
    assert elsewhere.status_code == 404
    no_token = client.post(f"/coaching/{feedback_id}/acknowledge", data={"action": "x"})
    assert no_token.status_code == 403


def test_erasure_removes_the_customers_words_and_keeps_the_count(
    client: TestClient, world: Session, token_for: Any, feedback: dict[str, str]
) -> None:
    admin = token_for(ADMIN)
    item = next(
        i
        for i in client.get("/api/v1/coaching-feedback", headers=admin).json()["items"]
        if i["id"] == feedback["agent@lumen.example"]
    )
    customer_id = client.get(f"/api/v1/conversations/{item['conversation_id']}", headers=admin).json()["customer_id"]
    export = client.get(f"/api/v1/customers/{customer_id}/export", headers=admin).json()
    assert [f["text"] for f in export["coaching_feedback"]] == ["Darragh was patient and kind."]
    assert [(s["outcome"], s["sent_to"]) for s in export["surveys"]] == [("answered", "customer0@example.ie")]
    erased = client.post(f"/api/v1/customers/{customer_id}/erase", json={"reason": "asked"}, headers=admin)
    assert erased.status_code == 200, erased.text
    assert erased.json()["erased"]["coaching_feedback"] == 1
    after = next(
        i
        for i in client.get("/api/v1/coaching-feedback", headers=admin).json()["items"]
        if i["id"] == feedback["agent@lumen.example"]
    )
    assert (after["text"], after["kind"]) == ("", "encouragement")
    agent = agent_of(world, "agent@lumen.example")
    assert coaching_counts(world, agent_ids=[agent.id]) == {agent.id: (1, 0)}


def test_a_partner_coach_sees_their_own_organisation_on_the_page(login: Any, feedback: dict[str, str]) -> None:
    page = login("lead@atlantic.example").get("/coaching")
    assert page.status_code == 200
    assert page.text.count('data-testid="feedback"') == 1
    assert "Tiago, please tell customers the delivery date." in page.text
    for agent in ("agent@lumen.example", "agent@pacific.example", "sydney@pacific.example"):
        assert SERVED[agent][1] not in page.text
    assert "Joana Silva" not in page.text  # masked: "Joana S."


def test_the_feed_takes_the_same_queries_however_long_it_is(
    client: TestClient, token_for: Any, feedback: dict[str, str], count_queries: Any
) -> None:
    headers = token_for("director@lumen.example")
    with count_queries() as one:
        assert len(client.get("/api/v1/coaching-feedback", params={"limit": 1}, headers=headers).json()["items"]) == 1
    with count_queries() as four:
        assert len(client.get("/api/v1/coaching-feedback", headers=headers).json()["items"]) == 4
    feed = [_feed_queries(one.statements), _feed_queries(four.statements)]
    assert len(feed[0]) == len(feed[1]) == 4, feed  # the page, agents' names, customers, their answers


def _feed_queries(statements: list[str]) -> list[str]:
    """The statements of the feed itself, without the token's lookup (cached for a while, or not)."""
    return [
        s
        for s in statements
        if "coaching_feedback" in s or "survey_answers" in s or "FROM agents" in s or "customers" in s
    ]


def test_per_agent_feedback_sits_beside_resolution_satisfaction_and_tenure(
    client: TestClient, login: Any, token_for: Any, feedback: dict[str, str]
) -> None:
    acknowledged = client.post(
        f"/api/v1/coaching-feedback/{feedback['agent@atlantic.example']}/acknowledge",
        json={"action": "Told the team to give delivery dates."},
        headers=token_for("lead@atlantic.example"),
    )
    assert acknowledged.status_code == 200, acknowledged.text
    director = login("director@lumen.example")
    page = director.get("/metrics/coaching")
    assert page.status_code == 200
    assert 'data-testid="coaching"' in page.text
    rows = {r["agent"]: r for r in csv.DictReader(io.StringIO(director.get("/metrics/coaching?format=csv").text))}
    received = {
        name: (r["feedback_received"], r["feedback_acted_on"])
        for name, r in rows.items()
        if r["feedback_received"] != "0"
    }
    assert sorted(received.values()) == [("1", "0"), ("1", "0"), ("1", "0"), ("1", "1")]
    partner = csv.DictReader(io.StringIO(login("lead@atlantic.example").get("/metrics/coaching?format=csv").text))
    assert {r["organisation"] for r in partner} == {"Atlantic CX"}
