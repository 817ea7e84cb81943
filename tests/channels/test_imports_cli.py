"""`cxhub sources` and `cxhub import social|reviews|commerce` end to end, on a database of their own."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cxhub.conversations.models import Conversation, Interaction
from cxhub.db import make_engine
from tests import live

pytestmark = pytest.mark.integration
SAMPLES = Path(__file__).parent / "samples"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("imports")


@pytest.fixture(scope="module")
def cxhub(data_dir: Path) -> live.CommandLine:
    return live.demo_command_line(data_dir)


def _count(data_dir: Path, channel: str) -> int:
    engine = make_engine(f"sqlite:///{data_dir / 'cxhub.sqlite3'}")
    with engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(Interaction).where(Interaction.channel == channel))
    engine.dispose()
    return count or 0


def test_sources_are_created_with_a_secret_shown_once_and_listed(cxhub) -> None:  # type: ignore[no-untyped-def]
    created = json.loads(cxhub("sources", "create", "phone-ie", "--adapter", "voice", "--json").stdout)
    assert created["adapter"] == "voice"
    assert len(created["secret"]) >= 40
    printed = cxhub("sources", "create", "reviews-site", "--adapter", "review", "--brand", "Lumen Home").stdout
    assert "signing secret (shown once)" in printed
    listed = json.loads(cxhub("sources", "list", "--json").stdout)
    assert [(s["name"], s["adapter"], s["brand"]) for s in listed] == [
        ("phone-ie", "voice", "Lumen Home"),
        ("reviews-site", "review", "Lumen Home"),
    ]
    assert all("secret" not in s for s in listed)
    again = cxhub("sources", "create", "phone-ie", "--adapter", "voice", ok=False)
    assert again.returncode == 1
    assert "exists" in again.stderr
    wrong = cxhub("sources", "create", "fax", "--adapter", "fax", ok=False)
    assert wrong.returncode == 1
    assert "adapter" in wrong.stderr


def test_commerce_import_counts_rejects_with_line_numbers_and_a_rerun_is_all_duplicates(  # type: ignore[no-untyped-def]
    cxhub, data_dir: Path
) -> None:
    before = _count(data_dir, "commerce")  # the demo world has orders of its own
    source = data_dir / "commerce_events.csv"
    shutil.copy(SAMPLES / "commerce_events.csv", source)
    first = json.loads(cxhub("import", "commerce", str(source), "--batch-size", "2", "--json").stdout)
    assert first == {"created": 4, "duplicate": 0, "rejected": 2, "rejects_file": f"{source}.rejects.csv"}
    with Path(f"{source}.rejects.csv").open(newline="") as file:
        rejects = list(csv.DictReader(file))
    assert [r["line"] for r in rejects] == ["6", "7"]
    assert rejects[0]["reason"].startswith("event: must be one of order_placed")
    assert "occurred_at: must carry a UTC offset" in rejects[1]["reason"]
    assert "customer_email: give customer_email, customer_phone or customer_ref" in rejects[1]["reason"]
    assert "items[0].quantity" in rejects[1]["reason"]
    again = json.loads(cxhub("import", "commerce", str(source), "--json").stdout)
    assert (again["created"], again["duplicate"], again["rejected"]) == (0, 4, 2)
    assert _count(data_dir, "commerce") == before + 4
    engine = make_engine(f"sqlite:///{data_dir / 'cxhub.sqlite3'}")
    with engine.connect() as connection:
        threads = connection.execute(
            select(Conversation.thread_ref, Conversation.needs_answer).where(
                Conversation.thread_ref.in_(["Harvey Home Stores:HHS-55012", "shop.lumenhome.example:LH-100234"])
            )
        ).all()
    engine.dispose()
    assert sorted(threads) == [
        ("Harvey Home Stores:HHS-55012", False),
        ("shop.lumenhome.example:LH-100234", True),  # the return came with the customer's comment
    ]


def test_reviews_and_social_posts_from_csv_and_a_table_summary(cxhub, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    before = (_count(data_dir, "review"), _count(data_dir, "social"))
    rejects = data_dir / "reviews-rejected.csv"
    output = cxhub("import", "reviews", str(SAMPLES / "reviews.csv"), "--rejects", str(rejects)).stdout
    assert "created" in output
    assert "duplicate" in output
    assert str(rejects) in output.replace("\n", "")
    assert rejects.read_text().splitlines()[1].startswith("4,rating: must be a whole number from 1 to 5")
    social = json.loads(
        cxhub(
            "import", "social", str(SAMPLES / "social_posts.csv"), "--rejects", str(data_dir / "s.csv"), "--json"
        ).stdout
    )
    assert (social["created"], social["rejected"]) == (3, 2)
    assert (_count(data_dir, "review"), _count(data_dir, "social")) == (before[0] + 2, before[1] + 3)


def test_ndjson_lines_that_are_not_json_are_rejected(cxhub, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    rejects = data_dir / "ndjson-rejected.csv"
    result = json.loads(
        cxhub("import", "commerce", str(SAMPLES / "commerce_events.ndjson"), "--rejects", str(rejects), "--json").stdout
    )
    assert (result["created"], result["rejected"]) == (2, 1)
    assert rejects.read_text().splitlines()[1].startswith("3,not JSON")


def test_an_unknown_brand_stops_before_any_row(cxhub, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    before = _count(data_dir, "social")
    result = cxhub("import", "social", str(SAMPLES / "social_posts.csv"), "--brand", "Nobody", ok=False)
    assert result.returncode == 1
    assert "unknown brand" in result.stderr
    assert _count(data_dir, "social") == before
