"""The single customer view through its API and its page: one person's records from every source as one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from cxhub.conversations.profile import NameSeen, best_name
from tests.builders import make_match_candidate, queue_for
from tests.routing.test_routing_api import ADMIN, conversation

pytestmark = pytest.mark.postgres
START = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
ESTORE = {"email": "aoife.kelly@example.ie", "name": "Aoife Kelly", "country": "IE"}
RETAILER = {"seller": "Homeplace Retail", "customer_ref": "HP-1", "name": "Aoife Kelly"}
MARKETPLACE = {"seller": "Shopwave", "customer_ref": "SW-9", "email": "x1@relay.shopwave.example", "name": "A. Kelly"}
CHAT = {"visitor_id": "v-aoife", "name": "Aoife"}


@dataclass
class Aoife:
    id: str  # the survivor: her e-store record
    merged: dict[str, str]  # source -> the id her record had before the merge
    conversations: dict[str, str]  # what -> conversation id
    admin: dict[str, str]


def _post(client: TestClient, headers: dict[str, str], minutes: int, **fields: Any) -> str:
    body = {"direction": "inbound", "occurred_at": (START + dt.timedelta(minutes=minutes)).isoformat(), **fields}
    response = client.post("/api/v1/interactions", json=body, headers=headers)
    assert response.status_code == 201, response.text
    conversation_id: str = response.json()["conversation_id"]
    return conversation_id


def _order(
    client: TestClient, headers: dict[str, str], minutes: int, customer: dict[str, Any], ref: str, event: str, **m: Any
) -> str:
    seller = customer.get("seller", "Lumen e-store")
    return _post(
        client,
        headers,
        minutes,
        channel="commerce",
        external_id=f"{seller}:{ref}:{event}",
        customer=customer,
        kind="return" if event in ("refunded", "return_requested") else "order",
        seller=seller,
        order_ref=ref,
        thread_ref=f"{seller}:{ref}",
        metadata={"event": event, **m},
    )


def _customer(client: TestClient, headers: dict[str, str], conversation_id: str) -> str:
    return str(conversation(client, headers, conversation_id)["customer"]["id"])


@pytest.fixture
def aoife(client: TestClient, world: Session, token_for: Any) -> Aoife:
    """Aoife Kelly's records from the e-store, a retailer, a marketplace, e-mail and chat, merged into one."""
    admin = token_for(ADMIN)
    estore = _order(client, admin, 0, ESTORE, "1001", "order_placed", total="100.00", currency="EUR")
    _order(client, admin, 60, ESTORE, "1001", "order_shipped", total="100.00", currency="EUR")  # the same order
    retailer = _order(client, admin, 120, RETAILER, "HP-77", "order_placed", total="50.00", currency="EUR")
    marketplace = _order(client, admin, 180, MARKETPLACE, "SW-1", "order_placed", total="30.00", currency="EUR")
    _order(client, admin, 240, MARKETPLACE, "SW-1", "refunded", total="10.00", currency="EUR")
    _order(client, admin, 300, MARKETPLACE, "SW-2", "order_placed", total="999.00", currency="EUR")
    _order(client, admin, 310, MARKETPLACE, "SW-2", "order_cancelled")
    email = _post(
        client,
        admin,
        400,
        channel="email",
        external_id="<view-1@example.ie>",
        customer={"email": ESTORE["email"]},
        subject="Lamp arrived broken",
        text="The shade of my Arc lamp is cracked.",
    )
    chat = _post(
        client,
        admin,
        500,
        channel="chat",
        external_id="view-chat-1",
        customer=CHAT,
        text="Is the shade sold on its own?",
    )
    queue_for(world, chat, "Atlantic CX")
    queue_for(world, email, "Lumen Care")
    survivor = _customer(client, admin, estore)
    merged = {
        "retailer": _customer(client, admin, retailer),
        "marketplace": _customer(client, admin, marketplace),
        "chat": _customer(client, admin, chat),
    }
    assert len({survivor, *merged.values()}) == 4, "nothing exact ties the records together"
    for merged_id in merged.values():
        body = {"survivor_id": survivor, "merged_id": merged_id, "reason": "the same person"}
        assert client.post("/api/v1/customers/merges", json=body, headers=admin).status_code == 201
    return Aoife(survivor, merged, {"email": email, "chat": chat, "estore": estore}, admin)


def test_the_profile_adds_up_every_record_of_the_customer(
    client: TestClient, world: Session, aoife: Aoife, token_for: Any
) -> None:
    lookalike = _customer(
        client,
        aoife.admin,
        _post(
            client,
            aoife.admin,
            600,
            channel="email",
            external_id="<view-2@example.com>",
            customer={"email": "aoife.kelley@example.com", "name": "Aoife Kelley"},
            text="Do you deliver to Galway?",
        ),
    )
    make_match_candidate(world, left=aoife.id, right=lookalike, probability=0.87)
    response = client.get(f"/api/v1/customers/{aoife.id}/profile", headers=aoife.admin)
    assert response.status_code == 200, response.text
    profile = response.json()
    assert profile["best_name"] == "Aoife Kelly"  # two records say so, one "A. Kelly", one "Aoife"
    kinds = {g["kind"]: sorted((i["value"], i["source"]) for i in g["identities"]) for g in profile["identities"]}
    assert kinds == {
        "email": [("aoife.kelly@example.ie", "commerce"), ("x1@relay.shopwave.example", "commerce")],
        "seller_ref": [("homeplace retail:HP-1", "commerce"), ("shopwave:SW-9", "commerce")],
        "visitor": [("v-aoife", "chat")],
    }
    assert [g["kind"] for g in profile["identities"]] == ["email", "seller_ref", "visitor"]
    assert profile["lifetime_orders"] == {
        "orders": 3,  # 1001 (two events), HP-77, SW-1; the cancelled SW-2 does not count
        "returned": 1,
        "value": [{"currency": "EUR", "gross": "180.00", "refunded": "10.00", "net": "170.00"}],
    }
    assert profile["lifetime_contacts"] == 2  # the e-mail and the chat; order events are records
    assert {m["name"]: m["interactions"] for m in profile["channel_mix"]} == {"commerce": 7, "email": 1, "chat": 1}
    assert profile["seller_mix"] == [
        {"name": "Shopwave", "interactions": 4},
        {"name": "Lumen e-store", "interactions": 2},
        {"name": "Homeplace Retail", "interactions": 1},
    ]
    opened = {c["id"]: c for c in profile["open_conversations"]}
    assert set(opened) == {aoife.conversations["email"], aoife.conversations["chat"]}
    assert opened[aoife.conversations["chat"]]["provider"] == "Atlantic CX"
    assert opened[aoife.conversations["email"]]["subject"] == "Lamp arrived broken"
    # her retailer record makes her one of the demo's Homeplace Retail account customers
    owner = profile["owner"]
    assert (owner["group"], owner["agent"], owner["team"]) == (
        "Homeplace Retail accounts",
        "Darragh Doyle",
        "Dublin Care",
    )
    assert "offered to Darragh Doyle first" in owner["how_to_reach"]
    assert profile["merges"]["records_merged_in"] == 3
    assert {m["merged_id"] for m in profile["merges"]["merges"]} == set(aoife.merged.values())
    assert [(d["customer_id"], d["name"], d["match_probability"]) for d in profile["possible_duplicates"]] == [
        (lookalike, "Aoife Kelley", 0.87)
    ]
    assert profile["review_url"] == "/customers/review"
    assert profile["surveys"] == []
    assert profile["erased"] is False

    customer = client.get(f"/api/v1/customers/{aoife.id}", headers=aoife.admin).json()
    assert customer == profile["customer"]
    assert len(customer["identities"]) == 5


def test_the_timeline_pages_through_every_source_newest_first(client: TestClient, aoife: Aoife) -> None:
    seen: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        response = client.get(f"/api/v1/customers/{aoife.id}/timeline", params=params, headers=aoife.admin)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == len({e["id"] for e in seen}) == 9
    times = [e["occurred_at"] for e in seen]
    assert times == sorted(times, reverse=True)
    assert {e["seller"] for e in seen} == {None, "Lumen e-store", "Homeplace Retail", "Shopwave"}
    assert {e["channel"] for e in seen} == {"commerce", "email", "chat"}
    assert seen[0]["text"] == "Is the shade sold on its own?"
    assert seen[0]["provider"] == "Atlantic CX"
    assert not any(e["summary_only"] for e in seen)
    bad = client.get(f"/api/v1/customers/{aoife.id}/timeline", params={"cursor": "nosuch"}, headers=aoife.admin)
    assert bad.status_code == 422


def test_a_partner_sees_the_customer_masked_and_other_providers_work_as_a_summary(
    client: TestClient, aoife: Aoife, token_for: Any
) -> None:
    partner = token_for("agent@atlantic.example")
    profile = client.get(f"/api/v1/customers/{aoife.id}/profile", headers=partner).json()
    detail = conversation(client, partner, aoife.conversations["chat"])
    assert profile["customer"] == detail["customer"]  # masked exactly as the conversation detail masks
    assert profile["best_name"] == "Aoife K."
    values = {i["value"] for g in profile["identities"] for i in g["identities"]}
    assert "a***@example.ie" in values
    assert "aoife.kelly@example.ie" not in values
    assert profile["merges"] is None
    assert profile["possible_duplicates"] == []
    opened = {c["channel"]: c for c in profile["open_conversations"]}
    assert opened["chat"]["id"] == aoife.conversations["chat"]
    assert opened["email"] == {**opened["email"], "id": None, "subject": None, "summary_only": True}
    assert opened["email"]["provider"] == "Lumen Care"
    entries = client.get(f"/api/v1/customers/{aoife.id}/timeline", headers=partner).json()["items"]
    ours = [e for e in entries if not e["summary_only"]]
    theirs = [e for e in entries if e["summary_only"]]
    assert [e["text"] for e in ours] == ["Is the shade sold on its own?"]
    assert len(theirs) == 8
    assert all(e["text"] is None and e["subject"] is None and e["conversation_id"] is None for e in theirs)
    assert {e["channel"] for e in theirs} == {"commerce", "email"}
    customer = client.get(f"/api/v1/customers/{aoife.id}", headers=partner).json()
    assert customer == detail["customer"]

    stranger = token_for("agent@pacific.example")  # never served her
    for path in ("", "/profile", "/timeline"):
        response = client.get(f"/api/v1/customers/{aoife.id}{path}", headers=stranger)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


def test_a_partner_with_full_names_reads_them_and_the_read_is_audited(
    client: TestClient, aoife: Aoife, token_for: Any
) -> None:
    atlantic = next(
        o
        for o in client.get("/api/v1/organisations", headers=aoife.admin).json()["items"]
        if o["name"] == "Atlantic CX"
    )
    policy = {"data_policy": {"name": "full", "email": "hidden", "phone": "masked", "address": "masked"}}
    assert client.patch(f"/api/v1/organisations/{atlantic['id']}", json=policy, headers=aoife.admin).status_code == 200
    partner = token_for("lead@atlantic.example")
    profile = client.get(f"/api/v1/customers/{aoife.id}/profile", headers=partner).json()
    assert profile["best_name"] == "Aoife Kelly"
    assert {i["value"] for g in profile["identities"] if g["kind"] == "email" for i in g["identities"]} == {None}
    events = client.get("/api/v1/audit-events", params={"target_id": aoife.id}, headers=aoife.admin).json()["items"]
    assert any(e["action"] == "personal_data.read" and e["detail"] == {"field": "name"} for e in events)


def test_a_customer_of_another_brand_is_not_found(
    client: TestClient, world: Session, aoife: Aoife, token_for: Any
) -> None:
    other = client.post(
        "/api/v1/brands",
        json={"name": "Lumen Outdoor", "home_country": "IE", "time_zone": "Europe/Dublin"},
        headers=aoife.admin,
    ).json()
    users = client.get("/api/v1/users", params={"limit": 200}, headers=aoife.admin).json()["items"]
    director = next(u for u in users if u["email"] == "director@lumen.example")
    limited = client.patch(f"/api/v1/users/{director['id']}", json={"brand_ids": [other["id"]]}, headers=aoife.admin)
    assert limited.status_code == 200, limited.text
    headers = token_for("director@lumen.example")
    for path in ("", "/profile", "/timeline"):
        assert client.get(f"/api/v1/customers/{aoife.id}{path}", headers=headers).status_code == 404
        assert client.get(f"/api/v1/customers/01nosuchcustomer0000000000{path}", headers=aoife.admin).status_code == 404
        merged_away = client.get(f"/api/v1/customers/{aoife.merged['chat']}{path}", headers=headers)
        assert merged_away.status_code == 404


def test_a_merged_away_id_points_to_the_survivor_until_the_merge_is_undone(client: TestClient, aoife: Aoife) -> None:
    retailer = aoife.merged["retailer"]
    for path, query in (("", ""), ("/profile", ""), ("/timeline", "?limit=2")):
        moved = client.get(f"/api/v1/customers/{retailer}{path}{query}", headers=aoife.admin, follow_redirects=False)
        assert moved.status_code == 308
        assert moved.headers["location"] == f"/api/v1/customers/{aoife.id}{path}{query}"
        assert moved.headers["cache-control"] == "no-store"
        assert moved.json() == {"merged_into": aoife.id}
    followed = client.get(f"/api/v1/customers/{retailer}/timeline?limit=2", headers=aoife.admin)
    assert followed.status_code == 200
    assert len(followed.json()["items"]) == 2
    merges = client.get(f"/api/v1/customers/{retailer}/merges", headers=aoife.admin).json()["items"]
    undone = client.post(f"/api/v1/customers/merges/{merges[0]['id']}/undo", json={"reason": "x"}, headers=aoife.admin)
    assert undone.status_code == 200
    back = client.get(f"/api/v1/customers/{retailer}/profile", headers=aoife.admin, follow_redirects=False)
    assert back.status_code == 200
    assert back.json()["lifetime_orders"]["orders"] == 1
    assert back.json()["owner"]["group"] == "Homeplace Retail accounts"  # the group follows the record back
    survivor = client.get(f"/api/v1/customers/{aoife.id}/profile", headers=aoife.admin).json()
    assert survivor["lifetime_orders"]["orders"] == 2
    assert survivor["owner"] is None
    assert survivor["merges"]["records_merged_in"] == 2
    # a group's rule counts lifetime orders as the profile does: 1001 and SW-1, not their five order events
    teams = client.get("/api/v1/teams", params={"limit": 200}, headers=aoife.admin).json()["items"]
    dublin = next(t["id"] for t in teams if t["name"] == "Dublin Care")
    for name, orders in (("Three orders or more", 3), ("Two orders or more", 2)):
        body = {"name": name, "min_lifetime_orders": orders, "owner_team_id": dublin, "position": 5}
        assert client.post("/api/v1/customer-groups", json=body, headers=aoife.admin).status_code == 201
    owner = client.get(f"/api/v1/customers/{aoife.id}/profile", headers=aoife.admin).json()["owner"]
    assert (owner["group"], owner["agent"], owner["team"]) == ("Two orders or more", None, "Dublin Care")


def test_the_best_name_is_the_latest_verified_else_the_most_frequent() -> None:
    day = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    seen = [
        NameSeen("Aoife Kelly", False, day),
        NameSeen("aoife  kelly", False, day + dt.timedelta(days=1)),
        NameSeen("A. Kelly", False, day + dt.timedelta(days=3)),
    ]
    assert best_name(seen) == "aoife  kelly".strip()  # the most frequent; its latest spelling
    assert best_name([*seen, NameSeen("Aoife Kelly-Byrne", True, day)]) == "Aoife Kelly-Byrne"
    assert best_name([*seen, NameSeen("Old", True, day), NameSeen("New", True, day + dt.timedelta(days=9))]) == "New"
    assert best_name([NameSeen(" ", True, day)]) is None


Login = Callable[..., TestClient]


def test_the_page_shows_the_single_customer_view(
    login: Login, world: Session, aoife: Aoife, client: TestClient
) -> None:
    for n in range(12):  # more than one page of the timeline
        _post(
            client,
            aoife.admin,
            700 + n,
            channel="email",
            external_id=f"<view-more-{n}@example.ie>",
            customer={"email": ESTORE["email"]},
            subject=f"Question {n}",
            text=f"Question number {n}",
        )
    director = login("director@lumen.example")
    page = director.get(f"/customers/{aoife.id}")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Aoife Kelly" in html
    assert "Homeplace Retail accounts" in html
    assert "Darragh Doyle" in html
    assert 'id="channel-mix"' in html
    assert "/static/vendor/chartjs/chart.umd.min.js" in html
    assert "No surveys are recorded for this customer." in html
    assert "homeplace retail:HP-1" in html
    assert 'data-testid="lifetime-orders"' in html
    assert "170.00 EUR" in html
    assert html.count('data-entry="') == 10
    assert 'hx-get="/customers/' in html
    cursor = html.split('hx-get="/customers/')[1].split("before=")[1].split('"')[0]
    more = director.get(f"/customers/{aoife.id}", params={"before": cursor}, headers={"HX-Request": "true"})
    assert more.status_code == 200
    assert "<html" not in more.text
    assert more.text.count('data-entry="') == 10
    assert "Question number 1" in html + more.text
    moved = director.get(f"/customers/{aoife.merged['chat']}", follow_redirects=False)
    assert moved.status_code == 308
    assert moved.headers["location"] == f"/customers/{aoife.id}"

    partner = login("agent@atlantic.example").get(f"/customers/{aoife.id}")
    assert partner.status_code == 200
    assert "<h1>Aoife K." in partner.text
    assert "aoife.kelly@example.ie" not in partner.text
    assert "summary only" in partner.text
    assert "Possible duplicates" not in partner.text
    assert "Lamp arrived broken" not in partner.text
    assert login("agent@pacific.example").get(f"/customers/{aoife.id}").status_code == 404
