"""The review page through the test client: the pairs, a decision by form or by htmx, and who may see it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.customers.models import Customer, MatchCandidate
from cxhub.workforce.models import Brand
from tests.builders import make_match_candidate
from tests.conftest import csrf_from

pytestmark = pytest.mark.postgres
NAMES = ("Ann Byrne", "Ann Byrn", "Anne Byrne", "A Byrne")


@pytest.fixture
def pairs(world: Session) -> list[MatchCandidate]:
    brand = world.scalars(select(Brand)).one()
    people = [Customer(brand_id=brand.id, name=name) for name in NAMES]
    world.add_all(people)
    world.commit()
    return [
        make_match_candidate(world, left=people[0].id, right=people[1].id, probability=0.91),
        make_match_candidate(world, left=people[2].id, right=people[3].id, probability=0.84),
    ]


def test_the_page_shows_one_pair_at_a_time_with_its_evidence(
    login: Callable[[str], TestClient], pairs: list[MatchCandidate]
) -> None:
    client = login("admin@lumen.example")
    page = client.get("/customers/review")
    assert page.status_code == 200, page.text
    html = page.text
    assert 'href="/customers/review" aria-current="page"' in html  # in the navigation
    assert html.count("data-pair ") == 2
    assert html.count(" hidden>") == 1  # the second waits its turn
    assert "Match probability 91.0 %" in html
    for name in NAMES:
        assert name in html
    for agreement in ("agree", "partial", "disagree", "missing"):
        assert f'class="evidence-{agreement}"' in html
    assert "<kbd>?</kbd>" in html
    assert "/static/customers/review.js" in html


def test_a_decision_by_htmx_returns_the_decided_pair_and_by_form_goes_back(
    login: Callable[[str], TestClient], world: Session, pairs: list[MatchCandidate]
) -> None:
    client = login("admin@lumen.example")
    token = csrf_from(client.get("/customers/review").text)
    first, second = pairs
    accepted = client.post(
        f"/customers/review/{first.id}/accept", headers={"HX-Request": "true", "X-CSRF-Token": token}
    )
    assert accepted.status_code == 200, accepted.text
    assert 'data-status="accepted"' in accepted.text
    assert "Merged" in accepted.text
    rejected = client.post(f"/customers/review/{second.id}/reject", data={"csrf_token": token}, follow_redirects=False)
    assert rejected.status_code == 303
    world.expire_all()
    assert [world.get(MatchCandidate, c.id).status for c in pairs] == ["accepted", "rejected"]  # type: ignore[union-attr]
    assert "No pairs wait for review." in client.get("/customers/review").text
    again = client.post(f"/customers/review/{second.id}/accept", data={"csrf_token": token})
    assert again.status_code == 409
    no_token = client.post(f"/customers/review/{first.id}/reject")
    assert no_token.status_code == 403


@pytest.mark.parametrize(("email", "status"), [("agent@lumen.example", 403), ("lead@atlantic.example", 403)])
def test_only_in_house_staff_with_the_permission_review(
    login: Callable[[str], TestClient], pairs: list[MatchCandidate], email: str, status: int
) -> None:
    client = login(email)
    assert client.get("/customers/review").status_code == status
    assert 'href="/customers/review"' not in client.get("/").text
