"""The privacy section of the customer page: consents toggled, the export opened, the customer erased."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from cxhub.customers.privacy import may_contact
from tests.builders import queue_for
from tests.conftest import csrf_from
from tests.routing.test_routing_api import ADMIN, conversation, post

pytestmark = pytest.mark.postgres
HX = {"HX-Request": "true"}


@pytest.fixture
def nora(client: TestClient, world: Session, token_for: Any) -> dict[str, str]:
    admin = token_for(ADMIN)
    conversation_id = post(
        client,
        admin,
        channel="chat",
        external_id="privacy-page-1",
        customer={"visitor_id": "v-nora", "email": "nora.kane@example.ie", "name": "Nora Kane"},
        text="Where is my lamp?",
    )
    queue_for(world, conversation_id, "Atlantic CX")
    return {"customer": conversation(client, admin, conversation_id)["customer"]["id"], "conversation": conversation_id}


def test_staff_toggle_a_consent_and_erase_from_the_customer_page(
    login: Any, world: Session, nora: dict[str, str]
) -> None:
    customer = nora["customer"]
    client = login(ADMIN)
    page = client.get(f"/customers/{customer}")
    assert page.status_code == 200
    assert f'hx-get="/customers/{customer}/privacy"' in page.text
    headers = {**HX, "X-CSRF-Token": csrf_from(page.text)}
    section = client.get(f"/customers/{customer}/privacy", headers=HX)
    assert section.status_code == 200
    assert 'aria-label="Withdraw surveys"' in section.text
    assert 'aria-label="Grant marketing"' in section.text
    assert f'href="/customers/{customer}/export.html"' in section.text
    assert "Erase customer" in section.text

    withdrawn = client.post(
        f"/customers/{customer}/privacy/consents", data={"purpose": "surveys", "granted": "no"}, headers=headers
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert 'aria-label="Grant surveys"' in withdrawn.text
    assert "via staff" in withdrawn.text
    assert may_contact(world, customer, "surveys") is False

    export = client.get(f"/customers/{customer}/export.html")
    assert "Nora Kane" in export.text
    assert "Where is my lamp?" in export.text

    unexplained = client.post(f"/customers/{customer}/privacy/erase", data={"reason": " "}, headers=headers)
    assert "say why" in unexplained.text
    erased = client.post(f"/customers/{customer}/privacy/erase", data={"reason": "asked by letter"}, headers=headers)
    assert erased.status_code == 200
    assert '<span class="pill dead">erased</span>' in erased.text
    assert "Erase customer" not in erased.text
    assert "Nora Kane" not in client.get(f"/customers/{customer}").text


def test_agents_record_consents_but_do_not_erase(login: Any, nora: dict[str, str]) -> None:
    client = login("agent@lumen.example")
    section = client.get(f"/customers/{nora['customer']}/privacy", headers=HX)
    assert section.status_code == 200
    assert 'aria-label="Withdraw surveys"' in section.text
    assert "Erase customer" not in section.text
    assert "export.html" not in section.text
    assert client.get(f"/customers/{nora['customer']}/export.html").status_code == 403
    page = client.get(f"/customers/{nora['customer']}")
    erase = client.post(
        f"/customers/{nora['customer']}/privacy/erase",
        data={"reason": "x"},
        headers={**HX, "X-CSRF-Token": csrf_from(page.text)},
    )
    assert erase.status_code == 403


def test_a_partner_sees_no_privacy_section(login: Any, nora: dict[str, str]) -> None:
    client = login("agent@atlantic.example")
    page = client.get(f"/customers/{nora['customer']}")
    assert page.status_code == 200
    assert "/privacy" not in page.text
    assert client.get(f"/customers/{nora['customer']}/privacy", headers=HX).status_code == 403
