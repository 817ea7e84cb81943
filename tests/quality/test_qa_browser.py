"""In Chromium against a live server: a QA analyst fills in and submits an evaluation with the keyboard alone."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests import live

pytestmark = [pytest.mark.browser, pytest.mark.integration]
# "Lumen values" in order, as the position of the radio to choose: yes/no is (yes, no[, not applicable]),
# points are 0..max; the docs' worked example: 79.2 with a business-critical error
CHOICES = [0, 3, 0, 2, 1, 2, 0, 0]


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """A live server on the demo world; its URL, a demo conversation nobody has evaluated, an admin token."""
    data_dir = tmp_path_factory.mktemp("qa")
    env = live.hub_env(data_dir)
    live.cxhub("migrate", env=env)
    live.cxhub("demo", env=env)
    made = subprocess.run(
        [sys.executable, "-m", "cxhub", "tokens", "create", "--user", "admin@lumen.example", "--json"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    token = json.loads(made.stdout)["token"]
    port = live.free_port()
    server = live.serve(port, env=env, log=data_dir / "server.log")
    url = f"http://127.0.0.1:{port}"
    try:
        listed = _get(url, "/api/v1/conversations?limit=200", token)["items"]
        evaluated = {e["conversation_id"] for e in _get(url, "/api/v1/evaluations?limit=200", token)["items"]}
        conversation_id = next(c["id"] for c in listed if c["channel"] == "email" and c["id"] not in evaluated)
        yield url, conversation_id, token
    finally:
        live.stop(server)


def _get(url: str, path: str, token: str) -> Any:
    request = urllib.request.Request(f"{url}{path}", headers={"Authorization": f"Bearer {token}"})  # noqa: S310 - our own loopback server
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own loopback server
        return json.loads(response.read())


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with live.chromium() as chromium:
        yield chromium


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


def test_an_analyst_evaluates_a_conversation_with_the_keyboard(
    hub: tuple[str, str, str], page: Page, tmp_path: Path
) -> None:
    url, conversation_id, token = hub
    page.goto(f"{url}/login")
    page.get_by_label("E-mail").fill("qa@lumen.example")
    page.get_by_label("Password").fill("demo-password")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/")
    page.goto(f"{url}/qa/conversations/{conversation_id}")
    expect(page.get_by_role("heading", name="Lumen values")).to_be_visible()
    expect(page.locator("fieldset.criterion")).to_have_count(len(CHOICES))

    page.locator("fieldset.criterion input[type=radio]").first.focus()  # as a Tab from the page's top lands
    for n, choice in enumerate(CHOICES):
        if choice == 0:
            page.keyboard.press("Space")
        for _ in range(choice):
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Tab")  # to the criterion's note
        if n == 4:
            page.keyboard.type("No contact reason in the hub.")
        page.keyboard.press("Tab")  # to the next criterion, then to the comment
    page.keyboard.type("Warm and right; record the contact reason.")
    page.keyboard.press("Tab")  # Submit
    page.keyboard.press("Tab")  # Save draft
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("draft-status")).to_contain_text("8 of 8 criteria answered")
    page.screenshot(path=str(tmp_path / "evaluate.png"), full_page=True)
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")

    page.wait_for_url(f"{url}/qa/evaluations/*")
    expect(page.get_by_test_id("evaluation-score")).to_have_text("79.2 / 100")
    expect(page.get_by_test_id("error-business")).to_have_text("error")
    expect(page.get_by_test_id("error-customer")).to_have_text("error-free")

    headers = {"Authorization": f"Bearer {token}"}
    [evaluation] = page.request.get(
        f"{url}/api/v1/evaluations?conversation_id={conversation_id}", headers=headers
    ).json()["items"]
    assert evaluation["status"] == "submitted"
    assert round(evaluation["score"], 2) == 79.17
    assert evaluation["comment"] == "Warm and right; record the contact reason."
    notes = [a["note"] for a in evaluation["answers"] if a["note"]]
    assert notes == ["No contact reason in the hub."]
