"""`cxhub routing simulate` end to end on the demo world, as an operator checks a configuration before going live."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from tests import live

pytestmark = pytest.mark.integration

MORNING = dt.datetime(2026, 12, 2, 11, 0, tzinfo=dt.UTC)  # a Wednesday: 11:00 in Lisbon and Dublin, 19:00 in Manila


@pytest.fixture(scope="module")
def cxhub(tmp_path_factory: pytest.TempPathFactory) -> live.CommandLine:
    return live.demo_command_line(tmp_path_factory.mktemp("cli-simulate"))


def _ndjson(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(item) + "\n" for item in items))
    return path


def simulate(cxhub: live.CommandLine, path: Path, *args: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(cxhub("routing", "simulate", str(path), "--json", *args).stdout)
    return found


def test_a_portuguese_chat_at_eleven_in_lisbon_goes_to_atlantic(cxhub: live.CommandLine, tmp_path: Path) -> None:
    path = tmp_path / "chat.csv"
    path.write_text(
        "id,channel,at,text\n"
        'pt-1,chat,2026-12-02T11:00:00+00:00,"Olá, onde está a minha encomenda 3099? Já passaram duas semanas."\n'
    )
    result = simulate(cxhub, path, "--out", str(tmp_path / "decisions.csv"))
    [decision] = result["decisions"]
    assert decision["language"] == "pt"
    assert decision["touchpoint"] == "order status"
    assert decision["queue"] == "Chat"
    assert decision["organisation"] == "Atlantic CX"
    assert decision["team"] == "Lisbon Multilingual"
    assert decision["agent"] in ("Tiago Ferreira", "Inês Carvalho")
    assert decision["waited_seconds"] == 0
    assert result["summary"] == {
        "items": 1,
        "assigned": 1,
        "never_assigned": 0,
        "rejected": 0,
        "by_organisation": {"Atlantic CX": 1},
        "mean_wait_seconds": 0.0,
    }
    with (tmp_path / "decisions.csv").open(newline="") as f:
        [written] = list(csv.DictReader(f))
    assert (written["id"], written["organisation"], written["agent"]) == ("pt-1", "Atlantic CX", decision["agent"])
    table = cxhub("routing", "simulate", str(path)).stdout
    assert "Atlantic" in table
    assert "1 assigned" in table


def test_an_email_at_three_in_dublin_goes_to_pacific(cxhub: live.CommandLine, tmp_path: Path) -> None:
    path = _ndjson(
        tmp_path / "night.ndjson",
        [
            {
                "id": "night-1",
                "channel": "email",
                "at": "2026-12-02T03:00:00+00:00",
                "subject": "Invoice",
                "text": "Hello, my invoice shows I was charged twice for the lamp.",
            }
        ],
    )
    [decision] = simulate(cxhub, path)["decisions"]
    assert decision["queue"] == "E-mail"
    assert decision["organisation"] == "Pacific Contact"
    assert decision["agent"] == "Maria Santos"
    assert decision["agent_email"] == "agent@pacific.example"


def test_bad_rows_are_reported_with_their_line_and_skipped(cxhub: live.CommandLine, tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text(
        "id,channel,at,touchpoint,priority,language\n"
        "ok-1,chat,2026-12-02T11:00:00Z,,,en\n"
        "no-time,chat,,,,en\n"
        "naive,chat,2026-12-02T11:00:00,,,en\n"
        "urgent,chat,2026-12-02T11:00:00Z,,9,en\n"
        "nowhere,chat,2026-12-02T11:00:00Z,lost parcels,,en\n"
        "ok-1,chat,2026-12-02T11:01:00Z,,,en\n"
        "ok-2,email,2026-12-02T11:02:00Z,billing,2,en\n"
    )
    result = simulate(cxhub, path)
    assert [d["id"] for d in result["decisions"]] == ["ok-1", "ok-2"]
    assert [(r["line"], r["reason"].split(":")[0]) for r in result["rejects"]] == [
        (3, "at"),
        (4, "at"),
        (5, "priority"),
        (6, "touchpoint"),
        (7, "id"),
    ]
    assert "lost parcels" in result["rejects"][3]["reason"]
    assert result["summary"]["rejected"] == 5
    assert result["summary"]["assigned"] == 2
    shown = cxhub("routing", "simulate", str(path))
    assert "line 6 skipped: touchpoint" in shown.stderr
    assert "Traceback" not in shown.stderr


def test_an_unreadable_file_is_a_clear_error(cxhub: live.CommandLine, tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_text("id,channel,when\nx,chat,2026-12-02T11:00:00Z\n")
    failed = cxhub("routing", "simulate", str(path), ok=False)
    assert failed.returncode == 1
    assert "unknown column 'when'" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_with_more_chats_than_places_the_later_ones_wait_for_a_release(cxhub: live.CommandLine, tmp_path: Path) -> None:
    # Portuguese: only the two Lisbon agents qualify, 3 chats each
    items = [
        {"id": f"pt-{n}", "channel": "chat", "at": MORNING.isoformat(), "language": "pt", "handle_seconds": 300}
        for n in range(8)
    ]
    result = simulate(cxhub, _ndjson(tmp_path / "rush.ndjson", items))
    by_id = {d["id"]: d for d in result["decisions"]}
    first, later = [by_id[f"pt-{n}"] for n in range(6)], [by_id[f"pt-{n}"] for n in (6, 7)]
    assert {d["waited_seconds"] for d in first} == {0}
    assert {d["organisation"] for d in first + later} == {"Atlantic CX"}
    assert [d["waited_seconds"] for d in later] == [300, 300]
    assert [d["assigned_at"] for d in later] == [(MORNING + dt.timedelta(seconds=300)).isoformat()] * 2
    assert result["summary"]["never_assigned"] == 0
    assert result["summary"]["mean_wait_seconds"] == 75.0


def test_an_item_nobody_can_take_is_reported_never_assigned(cxhub: live.CommandLine, tmp_path: Path) -> None:
    items = [{"id": "fr-1", "channel": "chat", "at": MORNING.isoformat(), "language": "fr"}]
    result = simulate(cxhub, _ndjson(tmp_path / "french.ndjson", items), "--give-up-after", "60")
    [decision] = result["decisions"]
    assert decision["agent"] is None
    assert decision["rule"] == "waiting"
    assert decision["waited_seconds"] == 60
    assert result["summary"]["never_assigned"] == 1


def test_shares_over_a_day_of_chats_hold_sixty_forty(cxhub: live.CommandLine, tmp_path: Path) -> None:
    # English chats that Lisbon (60 %) and Manila (40 %) could both take, one every 30 s, each handled in a minute
    start = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
    items = [
        {
            "id": f"en-{n}",
            "channel": "chat",
            "at": (start + dt.timedelta(seconds=30 * n)).isoformat(),
            "language": "en",
            "handle_seconds": 60,
        }
        for n in range(500)
    ]
    summary = simulate(cxhub, _ndjson(tmp_path / "day.ndjson", items))["summary"]
    assert summary["assigned"] == 500
    shares = {name: count / 500 for name, count in summary["by_organisation"].items()}
    assert set(shares) == {"Atlantic CX", "Pacific Contact"}
    assert abs(shares["Atlantic CX"] - 0.6) <= 0.02
    assert abs(shares["Pacific Contact"] - 0.4) <= 0.02
