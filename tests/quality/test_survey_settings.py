"""The survey settings page: each channel's policy shown with its defaults, saved by a plain form, a bad value
named and nothing changed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import csrf_from

pytestmark = pytest.mark.postgres


def _form(csrf: str, **fields: Any) -> dict[str, Any]:
    return {
        "csrf_token": csrf,
        "enabled": "yes",
        "delay_seconds": "600",
        "sampling_rate": "0.5",
        "link_valid_days": "5",
        "once_per_customer_days": "14",
        "default_language": "pt",
        "questions": ["csat", "nps"],
        **fields,
    }


def test_a_director_sets_the_email_policy_on_the_page(login: Any, token_for: Any) -> None:
    client = login("director@lumen.example")
    page = client.get("/settings/surveys")
    assert page.status_code == 200
    assert page.text.count('<form class="stack" method="post"') == 2
    assert 'href="/settings/surveys"' in page.text
    saved = client.post("/settings/surveys/email", data=_form(csrf_from(page.text)), follow_redirects=False)
    assert saved.status_code == 303
    shown = client.get(saved.headers["location"])
    assert "The email policy was saved." in shown.text
    email, chat = client.get("/api/v1/survey-policies", headers=token_for("director@lumen.example")).json()
    assert (email["default"], email["delay_seconds"], email["sampling_rate"]) == (False, 600, 0.5)
    assert (email["questions"], email["default_language"], email["once_per_customer_days"]) == (
        ["csat", "nps"],
        "pt",
        14,
    )
    assert chat["default"] is True


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"sampling_rate": "2"}, "sampling rate"),
        ({"questions": []}, "questions"),
        ({"delay_seconds": "soon"}, "delay seconds"),
    ],
)
def test_a_bad_value_is_named_and_nothing_changes(
    login: Any, token_for: Any, fields: dict[str, Any], reason: str
) -> None:
    client = login("director@lumen.example")
    page = client.get("/settings/surveys")
    refused = client.post("/settings/surveys/email", data=_form(csrf_from(page.text), **fields))
    assert refused.status_code == 422
    assert reason in refused.text
    assert all(
        p["default"] for p in client.get("/api/v1/survey-policies", headers=token_for("admin@lumen.example")).json()
    )


def test_other_channels_and_other_people_are_refused(login: Any) -> None:
    client = login("director@lumen.example")
    page = client.get("/settings/surveys")
    assert client.post("/settings/surveys/voice", data=_form(csrf_from(page.text))).status_code == 404
    agent = login("agent@lumen.example")
    assert agent.get("/settings/surveys").status_code == 403
    assert "/settings/surveys" not in agent.get("/").text
