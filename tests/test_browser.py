"""In Debian's Chromium against a live server with a database of its own: log in, browse, edit, log out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests import live

pytestmark = [pytest.mark.browser, pytest.mark.integration]
ORGANISATIONS = ["Atlantic CX", "Lumen Care", "Pacific Contact"]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`cxhub migrate`, `cxhub demo`, then uvicorn on a free loopback port, all on a fresh SQLite file."""
    data_dir = tmp_path_factory.mktemp("live")
    env = live.hub_env(data_dir)
    live.cxhub("migrate", env=env)
    live.cxhub("demo", env=env)
    port = live.free_port()
    server = live.serve(port, env=env, log=data_dir / "server.log")
    yield f"http://127.0.0.1:{port}"
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


def _log_in(page: Page, url: str, email: str) -> None:
    page.goto(f"{url}/organisations")
    assert "/login" in page.url  # the page asks for a login first, then comes back
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/organisations")


def _organisation_names(page: Page) -> list[str]:
    return [row.split("\t")[0].strip() for row in page.locator("table tbody tr").all_inner_texts()]


def test_admin_logs_in_sees_organisations_and_logs_out(live_server: str, page: Page, tmp_path: Path) -> None:
    _log_in(page, live_server, "admin@lumen.example")
    assert page.get_by_role("heading", name="Organisations").is_visible()
    assert _organisation_names(page) == ORGANISATIONS
    assert page.get_by_test_id("organisation").inner_text() == "Lumen Care"
    page.screenshot(path=str(tmp_path / "organisations.png"), full_page=True)

    page.get_by_role("link", name="Pacific Contact").click()
    page.wait_for_url(f"{live_server}/organisations/*")
    assert page.get_by_role("heading", name="Pacific Contact").is_visible()
    assert page.get_by_role("cell", name="Manila, PH").is_visible()
    assert page.get_by_role("cell", name="Australia/Sydney").is_visible()
    assert page.get_by_role("cell", name="mon\u2013sun 00:00\u201324:00").is_visible()
    page.screenshot(path=str(tmp_path / "organisation.png"), full_page=True)

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server}/login")
    assert page.get_by_role("heading", name="Log in").is_visible()
    page.goto(f"{live_server}/organisations")
    assert "/login" in page.url


def test_partner_agent_sees_only_their_organisation(live_server: str, page: Page) -> None:
    _log_in(page, live_server, "agent@atlantic.example")
    assert _organisation_names(page) == ["Atlantic CX"]
    assert page.get_by_role("link", name="Users").count() == 0
    assert page.get_by_role("heading", name="Add an organisation").count() == 0


def test_team_lead_edits_an_agent_inline(live_server: str, page: Page) -> None:
    _log_in(page, live_server, "lead@atlantic.example")
    page.get_by_role("link", name="Agents").click()
    page.wait_for_url(f"{live_server}/agents")
    page.get_by_role("link", name="Edit Tiago Ferreira").click()
    editor = page.locator("tr.editing")
    editor.get_by_label("Skills").fill("returns:5, order_status:2")
    assert page.url == f"{live_server}/agents"  # htmx swapped the row in place
    editor.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{live_server}/agents#agent-*")
    assert page.locator("tr.editing").count() == 0
    assert page.get_by_role("cell", name="returns 5, order_status 2").is_visible()
