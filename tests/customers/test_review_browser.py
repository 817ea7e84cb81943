"""In Chromium against a live server: review pairs by keyboard, one accepted and one rejected, as the API then says."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import delete, select

from cxhub.customers.models import Customer, MatchCandidate
from cxhub.db import make_engine, make_sessionmaker
from cxhub.workforce.models import Brand
from tests import live
from tests.builders import make_match_candidate

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str], str]]:
    """A live server on the demo world with two pairs waiting for review; its URL, the pairs and an admin token."""
    data_dir = tmp_path_factory.mktemp("review")
    env = live.hub_env(data_dir)
    live.cxhub("migrate", env=env)
    live.cxhub("demo", env=env)
    engine = make_engine(env["CXHUB_DATABASE_URL"])
    with make_sessionmaker(engine)() as session:
        brand = session.scalars(select(Brand)).one()
        session.execute(delete(MatchCandidate))  # the demo's own look-alike: the queue holds just the two below
        people = [Customer(brand_id=brand.id, name=n) for n in ("Ann Byrne", "Ann Byrn", "Tom Walsh", "Tomas Walsh")]
        session.add_all(people)
        session.commit()
        pairs = [
            make_match_candidate(session, left=people[0].id, right=people[1].id, probability=0.95).id,
            make_match_candidate(session, left=people[2].id, right=people[3].id, probability=0.85).id,
        ]
    engine.dispose()
    command = live.CommandLine(data_dir)
    command.env = env
    token = json.loads(command("tokens", "create", "--user", "admin@lumen.example", "--json").stdout)["token"]
    port = live.free_port()
    server = live.serve(port, env=env, log=data_dir / "server.log")
    yield f"http://127.0.0.1:{port}", pairs, token
    live.stop(server)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with live.chromium() as chromium:
        yield chromium


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def test_a_reviewer_accepts_one_pair_and_rejects_another_by_keyboard(
    hub: tuple[str, list[str], str], page: Page, tmp_path: Path
) -> None:
    url, (first, second), token = hub
    page.goto(f"{url}/login")
    page.get_by_label("E-mail").fill("admin@lumen.example")
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/")
    page.get_by_role("link", name="Review matches").click()
    page.wait_for_url(f"{url}/customers/review")
    one, two = page.locator(f"#pair-{first}"), page.locator(f"#pair-{second}")
    expect(one).to_be_visible()
    expect(two).to_be_hidden()
    expect(one.locator("tr.evidence-partial")).to_have_count(1)

    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard")).to_be_visible()
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard")).to_be_hidden()

    page.keyboard.press("j")
    expect(two).to_be_visible()
    page.keyboard.press("k")
    expect(one).to_be_visible()
    page.keyboard.press("a")
    expect(page.locator(f"#pair-{first} [data-testid=pair-status]")).to_have_text("accepted")
    expect(two).to_be_visible()  # on to the next pending pair
    page.screenshot(path=str(tmp_path / "review.png"), full_page=True)
    page.keyboard.press("r")
    expect(page.locator(f"#pair-{second} [data-testid=pair-status]")).to_have_text("rejected")

    headers = {"Authorization": f"Bearer {token}"}
    queue = f"{url}/api/v1/customers/match-candidates"
    assert page.request.get(queue, headers=headers).json()["items"] == []
    accepted = page.request.get(f"{queue}?status=accepted", headers=headers).json()["items"]
    assert [(c["id"], c["merge_id"] is not None) for c in accepted] == [(first, True)]
    rejected = page.request.get(f"{queue}?status=rejected", headers=headers).json()["items"]
    assert [c["id"] for c in rejected] == [second]
