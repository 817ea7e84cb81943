"""The single customer view in Debian's Chromium: the mix chart is drawn and "Load more" appends the timeline."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests import live

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.postgres]


def _api(hub: str, token: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(  # noqa: S310 - our own loopback server
        f"{hub}/api/v1{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own loopback server
        return json.loads(response.read() or b"null")


@pytest.fixture
def hub(tmp_path: Path, own_database: Callable[[str], str]) -> Iterator[tuple[str, str]]:
    """The demo world served on a loopback port from a database of its own, and an admin's token."""
    env = live.hub_env(tmp_path, CXHUB_DATABASE_URL=own_database("customer_view"))
    live.cxhub("demo", env=env)
    command = live.CommandLine(tmp_path)
    command.env = env
    token = json.loads(command("tokens", "create", "--user", "admin@lumen.example", "--json").stdout)["token"]
    port = live.free_port()
    server = live.serve(port, env=env, log=tmp_path / "server.log")
    yield f"http://127.0.0.1:{port}", token
    live.stop(server)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with live.chromium() as chromium:
        yield chromium


def test_the_page_draws_the_mix_and_loads_more_of_the_timeline(
    hub: tuple[str, str], browser: Browser, tmp_path: Path
) -> None:
    url, token = hub
    for n in range(12):  # the demo's Aoife Kelly has 9 interactions; these make three pages of ten
        _api(
            url,
            token,
            "POST",
            "/interactions",
            {
                "channel": "email",
                "external_id": f"<browser-view-{n}@example.ie>",
                "occurred_at": f"2026-11-01T09:{n:02d}:00+00:00",
                "direction": "inbound",
                "customer": {"email": "aoife.kelly@example.ie"},
                "subject": f"Older question {n}",
                "text": f"Older question number {n}",
            },
        )
    found = _api(url, token, "GET", "/search?kind=customers&q=aoife.kelly@example.ie")["items"]
    customer_id = found[0]["id"]
    page = browser.new_page()
    page.goto(f"{url}/login")
    page.fill("#email", "director@lumen.example")
    page.fill("#password", "demo-password")
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    page.goto(f"{url}/customers/{customer_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Aoife Kelly")
    expect(page.get_by_test_id("owner")).to_contain_text("Darragh Doyle")
    page.wait_for_function("() => window.Chart && Chart.getChart('channel-mix') !== undefined")
    labels = page.evaluate("() => Chart.getChart('channel-mix').data.labels")
    assert set(labels) == {"commerce", "email", "chat", "voice"}
    assert page.evaluate("() => Chart.getChart('seller-mix').data.labels.length") == 3
    assert page.locator("#channel-mix").bounding_box()["height"] > 50  # type: ignore[index]
    entries = page.locator("#timeline li[data-entry]")
    expect(entries).to_have_count(10)
    page.get_by_role("link", name="Load more").click()
    expect(entries).to_have_count(20)
    assert page.url == f"{url}/customers/{customer_id}"  # appended in place, not a new page
    page.get_by_role("link", name="Load more").click()
    expect(entries).to_have_count(21)
    expect(page.get_by_role("link", name="Load more")).to_have_count(0)
    expect(entries.last).to_contain_text("Older question 0")
    ids = entries.evaluate_all("(items) => items.map((li) => li.dataset.entry)")
    assert len(set(ids)) == 21
    page.screenshot(path=str(tmp_path / "customer.png"), full_page=True)
    page.close()
