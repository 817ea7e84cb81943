"""QA pages as analysts, agents and managers use them: evaluating beside the thread, htmx drafts, disputes,
samples, scorecards, calibration; partner boundaries and refused forms."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import csrf_from
from tests.quality.conftest import (
    ADMIN,
    AGENT,
    DIRECTOR,
    FULL_MARKS,
    LEAD,
    NOW,
    PACIFIC_AGENT,
    PARTNER_AGENT,
    PARTNER_LEAD,
    QA,
    WORKED,
    QaWorld,
)

Login = Callable[..., TestClient]
HX = {"HX-Request": "true"}


def _form(qa: QaWorld, *points: int | None, **extra: str) -> dict[str, str]:
    fields = {f"c-{c['id']}": ("na" if p is None else str(p)) for c, p in zip(qa.criteria, points, strict=False)}
    return {**fields, **extra}


def _stored(qa: QaWorld, conversation_id: str) -> list[dict[str, Any]]:
    response = qa.client.get(
        "/api/v1/evaluations", params={"conversation_id": conversation_id}, headers=qa.headers(ADMIN)
    )
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_an_analyst_evaluates_beside_the_conversation_drafting_by_htmx(qa: QaWorld, login: Login) -> None:
    conversation_id = qa.conversation("Atlantic CX", PARTNER_AGENT, text="Olá, onde está a minha encomenda 2044?")
    page = login(QA).get(f"/qa/conversations/{conversation_id}")
    assert page.status_code == 200
    thread = page.text.split('aria-label="Messages"')[1].split("</ol>")[0]
    assert "onde está a minha encomenda 2044" in thread
    assert "Tiago Ferreira" in page.text  # the agent the evaluation is attributed to
    assert page.text.count('class="criterion"') == 8
    assert "compliance-critical" in page.text
    assert "auto-fail" in page.text
    assert "reply" not in page.text.lower().split("<main>")[1].split("evaluation-form")[0]  # read-only: no reply form
    token = csrf_from(page.text)

    saved = qa.client.post(
        f"/qa/conversations/{conversation_id}",
        data=_form(qa, 1, 3, 1, action="save", csrf_token=token, **{f"note-{qa.criteria[0]['id']}": "warm"}),
        headers={**HX, "X-CSRF-Token": token},
    )
    assert saved.status_code == 200
    assert saved.headers["HX-Retarget"] == "#evaluation-status"
    assert "Draft saved" in saved.text
    assert "3 of 8 criteria answered" in saved.text
    [draft] = _stored(qa, conversation_id)
    assert (draft["status"], len(draft["answers"])) == ("draft", 3)
    again = qa.client.get(f"/qa/conversations/{conversation_id}").text
    assert f'name="c-{qa.criteria[1]["id"]}" value="3" checked' in again
    assert 'value="warm"' in again

    submitted = qa.client.post(
        f"/qa/conversations/{conversation_id}",
        data=_form(qa, *WORKED, action="submit", csrf_token=token, comment="Record the reason."),
        follow_redirects=False,
    )
    assert submitted.status_code == 303
    assert submitted.headers["location"] == f"/qa/evaluations/{draft['id']}"
    shown = qa.client.get(submitted.headers["location"]).text
    assert '<dd data-testid="evaluation-score">79.2 / 100</dd>' in shown
    assert re.search(r'data-testid="error-business"><span class="pill dead">error', shown)
    assert "Record the reason." in shown
    assert qa.client.get(f"/qa/conversations/{conversation_id}", follow_redirects=False).status_code == 303


def test_refused_evaluation_forms_keep_what_was_chosen_and_store_nothing(qa: QaWorld, login: Login) -> None:
    conversation_id = qa.conversation("Lumen Care", AGENT)
    token = csrf_from(login(QA).get(f"/qa/conversations/{conversation_id}").text)
    missing = qa.client.post(
        f"/qa/conversations/{conversation_id}", data=_form(qa, 1, 4, action="submit", csrf_token=token)
    )
    assert missing.status_code == 422
    assert "Not submitted: answers missing for 6 criteria" in missing.text
    assert f'name="c-{qa.criteria[1]["id"]}" value="4" checked' in missing.text
    unknown = qa.client.post(
        f"/qa/conversations/{conversation_id}",
        data={"c-01nosuchcriterion000000000": "1", "action": "save", "csrf_token": token},
    )
    assert unknown.status_code == 422
    assert "no criterion" in unknown.text
    fragment = qa.client.post(
        f"/qa/conversations/{conversation_id}",
        data=_form(qa, 7, action="save", csrf_token=token),
        headers={**HX, "X-CSRF-Token": token},
    )
    assert 'role="alert"' in fragment.text
    assert "points are 0 to 1" in fragment.text
    assert _stored(qa, conversation_id) == []


def test_a_sample_fills_the_queue_from_the_page(qa: QaWorld, login: Login) -> None:
    day = (NOW - dt.timedelta(days=2)).replace(hour=11)
    made = [qa.conversation("Lumen Care", AGENT, at=day + dt.timedelta(minutes=n)) for n in range(3)]
    client = login(QA)
    token = csrf_from(client.get("/qa").text)
    period = {"first_day": day.date().isoformat(), "last_day": day.date().isoformat()}
    drawn = client.post(
        "/qa/samples", data={**period, "size": "2", "seed": "s1", "method": "random", "csrf_token": token}
    )
    assert drawn.status_code == 200
    assert "2 of 3 conversations queued (seed s1)." in drawn.text
    queue = drawn.text.split('data-testid="queue"')[1].split("</table>")[0]
    assert queue.count("Evaluate</a>") == 2
    assert sum(f"/qa/conversations/{c}" in queue for c in made) == 2
    refused = client.post(
        "/qa/samples",
        data={"first_day": "2026-12-02", "last_day": "2026-12-01", "size": "2", "csrf_token": token},
    )
    assert refused.status_code == 422
    assert "No sample was drawn: last_day is before first_day" in refused.text
    targeted = client.post(
        "/qa/samples", data={**period, "size": "5", "method": "targeted", "reopened": "yes", "csrf_token": token}
    )
    assert "0 of 1 conversations queued" in targeted.text


def test_an_agent_disputes_on_their_page_and_their_team_lead_settles_it(qa: QaWorld, login: Login) -> None:
    evaluation = qa.evaluate(qa.conversation("Atlantic CX", PARTNER_AGENT), *WORKED)
    agent = login(PARTNER_AGENT)
    listing = agent.get("/qa/mine")
    assert f'href="/qa/mine/{evaluation["id"]}"' in listing.text
    page = agent.get(f"/qa/mine/{evaluation['id']}")
    assert "Dispute this evaluation" in page.text
    token = csrf_from(page.text)
    empty = agent.post(f"/qa/mine/{evaluation['id']}/dispute", data={"reason": "", "csrf_token": token})
    assert empty.status_code == 422
    disputed = agent.post(
        f"/qa/mine/{evaluation['id']}/dispute",
        data={"reason": "I recorded it in a note.", "csrf_token": token},
        follow_redirects=False,
    )
    assert disputed.status_code == 303
    assert "Dispute this evaluation" not in agent.get(f"/qa/mine/{evaluation['id']}").text

    lead = login(PARTNER_LEAD)
    settle_page = lead.get(f"/qa/evaluations/{evaluation['id']}")
    assert "Settle the dispute" in settle_page.text
    assert "I recorded it in a note." in settle_page.text
    token = csrf_from(settle_page.text)
    settled = lead.post(
        f"/qa/evaluations/{evaluation['id']}/settlement",
        data=_form(qa, 1, 3, 1, 2, 1, None, 1, 1, outcome="revised", reason="The note shows it.", csrf_token=token),
        follow_redirects=False,
    )
    assert settled.status_code == 303
    shown = lead.get(f"/qa/evaluations/{evaluation['id']}").text
    history = shown.split('data-testid="history"')[1].split("</ol>")[0]
    assert re.findall(r"<strong>(\w+)</strong>", history) == ["submitted", "disputed", "revised"]
    assert '<dd data-testid="evaluation-score">87.5 / 100</dd>' in shown
    assert "Settle the dispute" not in shown


def test_partner_people_see_their_own_organisations_evaluations_only(qa: QaWorld, login: Login) -> None:
    atlantic = qa.evaluate(qa.conversation("Atlantic CX", PARTNER_AGENT), *WORKED)
    pacific_conversation = qa.conversation("Pacific Contact", PACIFIC_AGENT)
    pacific = qa.evaluate(pacific_conversation, *FULL_MARKS)
    lead = login(PARTNER_LEAD)
    listing = lead.get("/qa/evaluations").text
    assert f"evaluation-{atlantic['id']}" in listing
    assert f"evaluation-{pacific['id']}" not in listing
    assert "Pacific Contact" not in listing
    assert lead.get(f"/qa/evaluations/{pacific['id']}").status_code == 404
    assert lead.get(f"/qa/conversations/{pacific_conversation}").status_code == 404
    agent = login(PARTNER_AGENT)
    assert agent.get(f"/qa/mine/{pacific['id']}").status_code == 404
    assert agent.get("/qa").status_code == 403
    assert agent.get("/qa/scorecards").status_code == 403
    assert 'href="/qa/mine"' in agent.get("/").text


def test_the_evaluations_list_takes_the_same_queries_however_long(
    qa: QaWorld, login: Login, count_queries: Any
) -> None:
    client = login(QA)
    qa.evaluate(qa.conversation("Lumen Care", AGENT), *WORKED)
    with count_queries() as few:
        assert client.get("/qa/evaluations").status_code == 200
    for organisation, agent in (
        ("Atlantic CX", PARTNER_AGENT),
        ("Pacific Contact", PACIFIC_AGENT),
        ("Lumen Care", LEAD),
    ):
        qa.evaluate(qa.conversation(organisation, agent), *FULL_MARKS)
    with count_queries() as many:
        assert client.get("/qa/evaluations").status_code == 200
    assert len(many.statements) == len(few.statements)


def _fields(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Repeated form fields, as a browser sends them."""
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        fields.setdefault(name, []).append(value)
    return fields


def _editor_rows(*rows: dict[str, str]) -> list[tuple[str, str]]:
    defaults = {"section": "", "label": "", "guidance": "", "weight": "1", "scale": "yes_no", "max_points": "",
                "pass_points": "", "error_class": "", "auto_fail": "no", "allow_na": "no"}  # fmt: skip
    return [(name, {**defaults, **row}[name]) for row in rows for name in defaults]


def test_a_qa_manager_writes_a_scorecard_on_the_editor_page(qa: QaWorld, login: Login) -> None:
    client = login(QA)
    page = client.get("/qa/scorecards/new")
    assert page.status_code == 200
    token = csrf_from(page.text)
    row = client.get("/qa/scorecards/_criterion", headers=HX)
    assert row.text.strip().startswith('<tr class="criterion-row">')
    rows = _editor_rows(
        {"section": "Policy", "label": "Checks the return window", "weight": "2", "error_class": "business"},
        {
            "section": "Care",
            "label": "Explains the refund time",
            "scale": "points",
            "max_points": "3",
            "pass_points": "2",
        },
        {"section": "Policy", "label": "Offers a label", "allow_na": "yes"},
        {"section": "", "label": ""},  # a blank row is left out
    )
    fields = [("csrf_token", token), ("name", "Returns desk"), ("description", "Returns."), ("active", "yes"), *rows]
    bad = client.post(
        "/qa/scorecards", data=_fields([*fields[:4], *[(k, "0" if k == "weight" else v) for k, v in rows]])
    )
    assert bad.status_code == 422
    assert "Not saved:" in bad.text
    assert "weight" in bad.text
    assert 'value="Checks the return window"' in bad.text  # the rows as typed
    created = client.post("/qa/scorecards", data=_fields(fields), follow_redirects=False)
    assert created.status_code == 303
    scorecard_id = created.headers["location"].rsplit("/", 1)[1]
    card = qa.client.get(f"/api/v1/scorecards/{scorecard_id}", headers=qa.headers(QA)).json()
    assert [(s["title"], [c["label"] for c in s["criteria"]]) for s in card["sections"]] == [
        ("Policy", ["Checks the return window", "Offers a label"]),
        ("Care", ["Explains the refund time"]),
    ]
    assert card["sections"][1]["criteria"][0]["pass_points"] == 2
    listing = client.get("/qa/scorecards").text
    assert "Returns desk" in listing
    assert "Lumen values" in listing


def test_a_calibration_session_from_the_page_to_its_report(qa: QaWorld, login: Login) -> None:
    conversations = [qa.conversation("Lumen Care", AGENT), qa.conversation("Atlantic CX", PARTNER_AGENT)]
    manager = login(DIRECTOR)
    page = manager.get("/qa/calibration")
    token = csrf_from(page.text)
    too_few = manager.post(
        "/qa/calibration",
        data={
            "csrf_token": token,
            "title": "December",
            "evaluator_user_ids": [qa.users[QA]],
            "conversation_ids": conversations,
        },
    )
    assert too_few.status_code == 422
    assert "Not started" in too_few.text
    created = manager.post(
        "/qa/calibration",
        data={
            "csrf_token": token,
            "title": "December",
            "evaluator_user_ids": [qa.users[QA], qa.users[LEAD]],
            "conversation_ids": conversations,
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    session_id = created.headers["location"].rsplit("/", 1)[1]
    lead = login(LEAD)
    mine = lead.get(f"/qa/calibration/{session_id}/mine").text
    assert mine.count(f"?session={session_id}") == 2
    assert "deviation-chart" not in mine
    form = lead.get(f"/qa/conversations/{conversations[0]}?session={session_id}").text
    assert "you score blind" in form
    token = csrf_from(form)
    for conversation_id, points in zip(conversations, (WORKED, FULL_MARKS), strict=True):
        response = lead.post(
            f"/qa/conversations/{conversation_id}",
            data=_form(qa, *points, action="submit", calibration_session_id=session_id, csrf_token=token),
            follow_redirects=False,
        )
        assert response.headers["location"] == f"/qa/calibration/{session_id}/mine"
    for conversation_id, points in zip(conversations, (FULL_MARKS, FULL_MARKS), strict=True):
        qa.evaluate(conversation_id, *points, email=QA, calibration_session_id=session_id)
    report = login(DIRECTOR).get(f"/qa/calibration/{session_id}").text
    assert '<canvas id="deviation-chart"' in report
    chart = json.loads(report.split('id="deviation-data">')[1].split("</script>")[0])
    assert sorted(chart["evaluators"]) == ["Róisín Kelly", "Seán Murphy"]
    assert len(chart["signed"]) == len(chart["absolute"]) == 2
    assert "Cohen&#39;s kappa over 12 items by 2 evaluators" in report
    assert login(LEAD).get(f"/qa/calibration/{session_id}/mine").text.count("deviation-chart") >= 1
