"""`cxhub import surveys` and `cxhub metrics report` as an operator runs them, on a database of their own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import live

pytestmark = pytest.mark.integration

CALLS = """channel,external_id,occurred_at,direction,customer_phone,queue_seconds,talk_seconds,abandoned
voice,cli-call-1,2026-11-10T09:00:00+00:00,inbound,+353861200001,8,120,
voice,cli-call-2,2026-11-10T09:05:00+00:00,inbound,+353861200002,25,300,
voice,cli-call-3,2026-11-10T09:07:00+00:00,inbound,+353861200003,50,,true
"""
ANSWERS = """channel,external_id,question,score,answered_at,id
voice,cli-call-1,csat,5,2026-11-10T10:00:00Z,a-1
voice,cli-call-2,csat,3,2026-11-10T10:00:00Z,a-2
voice,cli-call-1,nps,10,2026-11-10T10:00:00Z,a-3
voice,cli-call-2,nps,6,2026-11-10T10:00:00Z,a-4
voice,cli-call-2,csat,9,2026-11-10T10:00:00Z,a-5
voice,no-such-call,csat,4,2026-11-10T10:00:00Z,a-6
"""


@pytest.fixture(scope="module")
def cxhub(tmp_path_factory: pytest.TempPathFactory) -> live.CommandLine:
    return live.demo_command_line(tmp_path_factory.mktemp("metrics-cli"))


def test_the_demo_comes_with_its_rollups_built(cxhub: live.CommandLine) -> None:
    report = json.loads(
        cxhub("metrics", "report", "--from", "2020-01-01", "--to", "2030-12-31", "--no-refresh", "--json").stdout
    )
    (total,) = report["rows"]
    assert total["contacts"] > 0


def test_answers_from_another_survey_tool_reach_the_report(cxhub: live.CommandLine, tmp_path: Path) -> None:
    (tmp_path / "calls.csv").write_text(CALLS)
    imported = json.loads(cxhub("import", "interactions", str(tmp_path / "calls.csv"), "--json").stdout)
    assert imported["created"] == 3
    answers = tmp_path / "answers.csv"
    answers.write_text(ANSWERS)
    summary = json.loads(cxhub("import", "surveys", str(answers), "--json").stdout)
    assert summary["created"] == 4
    assert summary["rejected"] == 2
    rejects = [json.loads(line) for line in Path(summary["rejects"]).read_text().splitlines()]
    assert [(r["line"], r["reason"]) for r in rejects] == [
        (6, "a csat score is 1 to 5, not 9"),
        (7, "no voice interaction 'no-such-call'"),
    ]
    again = json.loads(cxhub("import", "surveys", str(answers), "--json").stdout)
    assert (again["created"], again["duplicate"]) == (0, 4)

    report = json.loads(
        cxhub("metrics", "report", "--from", "2026-11-10", "--to", "2026-11-10", "--by", "channel", "--json").stdout
    )
    (voice,) = report["rows"]
    assert voice["channel"] == "voice"
    assert voice["contacts"] == 3
    assert voice["service_level"] == pytest.approx(1 / 3)
    assert voice["asa_seconds"] == pytest.approx(16.5)
    assert voice["abandon_rate"] == pytest.approx(1 / 3)
    assert voice["csat"] == pytest.approx(0.5)
    assert voice["nps"] == pytest.approx(0.0)
    assert voice["fcr_reported"] is None
    table = cxhub("metrics", "report", "--from", "2026-11-10", "--to", "2026-11-10", "--by", "channel").stdout
    assert "voice" in table
    assert "33.3 %" in table


def test_a_file_that_cannot_be_read_stops_before_anything_is_written(cxhub: live.CommandLine, tmp_path: Path) -> None:
    bad = tmp_path / "answers.csv"
    bad.write_text("conversation,question,score\nx,csat,5\n")
    result = cxhub("import", "surveys", str(bad), ok=False)
    assert result.returncode == 2
    assert "unknown column 'conversation'" in result.stderr
    wrong = cxhub("metrics", "report", "--from", "2026-11-10", "--to", "2026-11-01", ok=False)
    assert wrong.returncode == 2
    assert "the last day comes before the first" in wrong.stderr
