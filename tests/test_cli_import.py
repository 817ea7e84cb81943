"""`cxhub import interactions` end to end, as an operator runs it, on a database of its own."""

from __future__ import annotations

import csv
import gzip
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from cxhub.kit.databases import create_database, drop_database
from tests import live
from tests.conftest import PG_URL

pytestmark = pytest.mark.integration

HEADER = (
    "channel,external_id,occurred_at,direction,customer_email,customer_phone,customer_country,customer_name,"
    "thread_ref,subject,text,rating,public,talk_seconds,hold_seconds,handled_by,brand"
)
ROWS = [
    'email,m-1,2026-11-20T09:00:00+00:00,inbound,Jane@Example.com,,,Jane,,Order,"Hello,\nwhere is it?",,,,,,',
    "voice,c-1,2026-11-20T09:05:00Z,inbound,,087 123 4567,IE,Carol,,,,,,240,30,,",
    "review,r-1,2026-11-20T09:06:00Z,inbound,bob@example.com,,,,,,Too slow,2,true,,,,",
    "email,m-2,2026-11-20T09:07:00,inbound,jane@example.com,,,,,,no offset,,,,,,",  # rejected: naive time
    "email,m-3,2026-11-20T09:08:00Z,outbound,jane@example.com,,,,,,Sorry,,,,,nobody@lumen.example,",  # no agent
    "email,m-1,2026-11-20T09:00:00+00:00,inbound,jane@example.com,,,,,,changed,,,,,,",  # rejected: conflict
    "chat,t-1,2026-11-20T09:09:00Z,inbound,jane@example.com,,,,chat-9,,Hi,,,,,,",
    "chat,t-2,2026-11-20T09:10:00Z,outbound,jane@example.com,,,,chat-9,,Hello,,,,,agent@lumen.example,",
    "email,m-4,2026-11-20T09:11:00Z,inbound,eve@example.com,,,,,,x,,,,,,Nowhere",  # rejected: brand
    "email,m-5,2026-11-20T09:12:00Z,inbound,eve@example.com,,,,,,x,,,,,",  # rejected: a field short
    "email,m-6,2026-11-20T09:13:00Z,inbound,jane@example.com,,,,,,again,,,,,,",
]


@pytest.fixture(scope="module")
def cxhub(tmp_path_factory: pytest.TempPathFactory) -> live.CommandLine:
    return live.demo_command_line(tmp_path_factory.mktemp("cli-import"))


def _rows(database: Path, sql: str) -> list[Any]:
    with sqlite3.connect(database) as connection:
        return connection.execute(sql).fetchall()


def test_a_csv_file_in_batches_with_its_rejects_then_again(cxhub, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "history.csv"
    path.write_text(HEADER + "\n" + "\n".join(ROWS) + "\n")
    before = _rows(cxhub.database, "SELECT count(*) FROM interactions")[0][0]  # the demo's own contacts
    summary = json.loads(cxhub("import", "interactions", str(path), "--batch-size", "3", "--json").stdout)
    assert summary["created"] == 6
    assert summary["duplicate"] == 0
    assert summary["rejected"] == 5
    rejects = path.with_name("history.rejects.csv")
    assert summary["rejects"] == str(rejects)
    with rejects.open(newline="") as f:
        refused = list(csv.DictReader(f))
    assert [(r["line"], r["external_id"]) for r in refused] == [
        ("6", "m-2"),
        ("7", "m-3"),
        ("8", "m-1"),
        ("11", "m-4"),
        ("12", "m-5"),
    ]
    reasons = [r["reason"] for r in refused]
    assert reasons[0].startswith("occurred_at:")
    assert reasons[1] == "handled_by: no agent has this e-mail"
    assert reasons[2] == "external_id: this key was already used for a different interaction"
    assert reasons[3] == "brand: unknown brand"
    assert "fields" in reasons[4]

    database = cxhub.database
    assert _rows(database, "SELECT text FROM interactions WHERE external_id = 'm-1'") == [("Hello,\nwhere is it?",)]
    assert _rows(database, "SELECT handle_seconds, kind FROM interactions WHERE external_id = 'c-1'") == [
        (270.0, "call")
    ]
    jane = _rows(database, "SELECT DISTINCT customer_id FROM interactions WHERE external_id IN ('m-1', 'm-6', 't-1')")
    assert len(jane) == 1
    answered = "SELECT count(*) FROM conversations WHERE thread_ref = 'chat-9' AND first_response_at IS NOT NULL"
    assert _rows(database, answered) == [(1,)]

    again = json.loads(cxhub("import", "interactions", str(path), "--batch-size", "4", "--json").stdout)
    assert (again["created"], again["duplicate"], again["rejected"]) == (0, 6, 5)
    assert _rows(database, "SELECT count(*) FROM interactions")[0][0] == before + 6

    text = cxhub("import", "interactions", str(path)).stdout
    assert "0 created" in text
    assert "6 duplicate" in text
    assert "history.rejects.csv" in text


def test_gzipped_ndjson_with_a_default_brand(cxhub, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lines = [
        {
            "channel": "chat",
            "external_id": f"nd-{n}",
            "occurred_at": f"2026-11-21T10:{n:02d}:00+00:00",
            "direction": "inbound",
            "customer": {"visitor_id": f"visitor-{n % 3}"},
            "text": "hi",
        }
        for n in range(10)
    ]
    body = "\n".join(json.dumps(line) for line in lines[:5]) + "\n\n{not json\n[1]\n"
    body += "\n".join(json.dumps(line) for line in lines[5:]) + "\n"
    body += json.dumps({**lines[0], "external_id": "nd-x", "customer": {}}) + "\n"
    path = tmp_path / "chats.ndjson.gz"
    path.write_bytes(gzip.compress(body.encode()))
    rejects = tmp_path / "refused.ndjson"
    summary = json.loads(
        cxhub("import", "interactions", str(path), "--brand", "Lumen Home", "--rejects", str(rejects), "--json").stdout
    )
    assert (summary["created"], summary["duplicate"], summary["rejected"]) == (10, 0, 3)
    refused = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [r["line"] for r in refused] == [7, 8, 14]
    assert refused[0]["reason"].startswith("not JSON")
    assert refused[0]["record"] == "{not json"
    assert refused[1]["reason"] == "not a JSON object"
    assert refused[2]["reason"].startswith("customer:")
    assert refused[2]["record"]["external_id"] == "nd-x"
    visitors = _rows(
        cxhub.database, "SELECT count(DISTINCT customer_id) FROM interactions WHERE external_id LIKE 'nd-%'"
    )
    assert visitors == [(3,)]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("missing.csv", None, "cannot open"),
        ("notes.txt", b"hello", "name the file .csv, .ndjson or .jsonl"),
        ("bad.csv", b"channel,external_id,when\nemail,1,now\n", "unknown column 'when'"),
        ("broken.ndjson.gz", b"\x1f\x8b\x08\x00garbage", "stopped reading"),
    ],
)
def test_an_unreadable_file_is_an_error_that_changes_nothing(  # type: ignore[no-untyped-def]
    cxhub, tmp_path: Path, name: str, content: bytes | None, reason: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    before = _rows(cxhub.database, "SELECT count(*) FROM interactions")
    result = cxhub("import", "interactions", str(path), ok=False)
    assert result.returncode == 1
    assert reason in result.stderr.replace("\n", " ")
    assert _rows(cxhub.database, "SELECT count(*) FROM interactions") == before


@pytest.mark.skipif(not PG_URL, reason="set CXHUB_TEST_DATABASE_URL to run on PostgreSQL")
def test_a_large_import_on_postgresql_keeps_the_planner_informed(tmp_path: Path) -> None:
    """Past 10,000 rows the import refreshes the tables' statistics itself (autovacuum may be off)."""
    assert PG_URL is not None
    url = create_database(PG_URL, "cli_import")
    try:
        run = live.CommandLine(tmp_path)
        run.env["CXHUB_DATABASE_URL"] = url
        run("migrate")
        run("demo")
        path = tmp_path / "history.ndjson"
        with path.open("w") as f:
            for n in range(12_000):
                customer = {"email": f"c{n % 3000}@example.com"}
                at = f"2026-11-{1 + n // 1000:02d}T09:{n % 60:02d}:00+00:00"
                item = {"channel": "email", "external_id": f"h-{n}", "occurred_at": at, "direction": "inbound"}
                f.write(json.dumps({**item, "customer": customer, "text": f"message {n}"}) + "\n")
        summary = json.loads(run("import", "interactions", str(path), "--json").stdout)
        assert (summary["created"], summary["duplicate"], summary["rejected"]) == (12_000, 0, 0)
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                analysed = connection.execute(
                    text("SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL")
                ).scalars()
                assert {"customers", "customer_identities", "conversations", "interactions"} <= set(analysed)
                assert (
                    connection.execute(text("SELECT count(*) FROM interactions WHERE external_id LIKE 'h-%'")).scalar()
                    == 12_000
                )
        finally:
            engine.dispose()
    finally:
        drop_database(url)
