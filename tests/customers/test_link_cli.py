"""`cxhub customers link`: record files in, one key per person out, as a batch user runs it."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import duckdb
import pytest

from tests import live

pytestmark = pytest.mark.integration

FIRST = ["Robert", "Margaret", "William", "Catherine", "Siobhan", "Joao", "Lucia", "Pedro", "Aoife", "Ines"]
NICK = {"Robert": "Bob", "Margaret": "Maggie", "William": "Bill", "Catherine": "Kate"}
LAST = ["Murphy", "Kelly", "Byrne", "Silva", "Santos", "Garcia", "Walsh", "Ferreira", "Lopez", "Doyle", "Nolan"]
CITIES = ["Dublin", "Cork", "Lisbon", "Porto", "Madrid", "Galway"]
FIELDS = ["record_id", "first_name", "last_name", "email", "phone", "date_of_birth", "city", "postcode"]


def _people(n: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    people = []
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        people.append(
            {
                "person": str(i),
                "first_name": first,
                "last_name": last,
                "email": f"{first.lower()}.{last.lower()}{i}@example.ie",
                "phone": f"+353 87 {rng.randrange(1000000, 9999999)}",
                "date_of_birth": f"{rng.randrange(1950, 2003)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
                "city": rng.choice(CITIES),
                "postcode": f"D{rng.randrange(1, 24):02d} {rng.choice('ABCXYZ')}{rng.randrange(100, 999)}",
            }
        )
    return people


def _files(tmp: Path, people: list[dict[str, str]]) -> dict[tuple[str, str], str]:
    """An e-store CSV with everyone and a marketplace CSV with two thirds, with a nickname or a typo."""
    truth: dict[tuple[str, str], str] = {}
    with (tmp / "estore.csv").open("w", newline="") as f:
        out = csv.DictWriter(f, FIELDS)
        out.writeheader()
        for p in people:
            out.writerow({"record_id": f"E{p['person']}", **{k: p[k] for k in FIELDS[1:]}})
            truth[("estore", f"E{p['person']}")] = p["person"]
    with (tmp / "marketplace.csv").open("w", newline="") as f:
        out = csv.DictWriter(f, ["order_customer", "first_name", "surname", "phone", "dob", "city"])
        out.writeheader()
        for i, p in enumerate(people):
            if i % 3 == 2:
                continue
            first = NICK.get(p["first_name"], p["first_name"]) if i % 2 else p["first_name"]
            last = p["last_name"] if i % 5 else p["last_name"][:-1] + "e"
            phone = p["phone"].replace("+353 ", "0").replace(" ", "")  # the national form of the same number
            row = {"order_customer": f"M-{i}", "first_name": first, "surname": last, "phone": phone}
            out.writerow({**row, "dob": p["date_of_birth"], "city": p["city"]})
            truth[("marketplace", f"M-{i}")] = p["person"]
    return truth


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[tuple[str, str], str], dict[str, object]]:
    tmp = tmp_path_factory.mktemp("link")
    truth = _files(tmp, _people(300, seed=7))
    run = live.CommandLine(tmp)
    result = run(
        "customers",
        "link",
        str(tmp / "estore.csv"),
        str(tmp / "marketplace.csv"),
        "--map",
        "order_customer=record_id",
        "--map",
        "surname=last_name",
        "--map",
        "dob=date_of_birth",
        "--out",
        str(tmp / "clusters.csv"),
        "--pairs",
        str(tmp / "pairs.csv"),
        "--save-model",
        str(tmp / "model.json"),
        "--json",
    )
    return tmp, truth, json.loads(result.stdout)


def _keys(path: Path) -> dict[tuple[str, str], str]:
    with path.open() as f:
        return {(row["source"], row["record_id"]): row["customer_key"] for row in csv.DictReader(f)}


def test_every_record_once_and_one_key_per_person(linked) -> None:  # type: ignore[no-untyped-def]
    tmp, truth, summary = linked
    with (tmp / "clusters.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(truth) == summary["records"]
    keys = _keys(tmp / "clusters.csv")
    assert set(keys) == set(truth)
    people_per_key: dict[str, set[str]] = {}
    keys_per_person: dict[str, set[str]] = {}
    for record, key in keys.items():
        people_per_key.setdefault(key, set()).add(truth[record])
        keys_per_person.setdefault(truth[record], set()).add(key)
    split = [p for p, k in keys_per_person.items() if len(k) > 1]
    lumped = [k for k, p in people_per_key.items() if len(p) > 1]
    assert not lumped, "records of different people share a key"
    assert len(split) <= 3, f"people left in pieces: {split}"
    assert summary["clusters"] == len(people_per_key)


def test_pairs_file_scores_the_linked_pairs(linked) -> None:  # type: ignore[no-untyped-def]
    tmp, truth, _summary = linked
    with (tmp / "pairs.csv").open() as f:
        pairs = list(csv.DictReader(f))
    assert list(pairs[0]) == ["source_l", "record_id_l", "source_r", "record_id_r", "match_probability"]
    assert all(0.01 <= float(p["match_probability"]) <= 1 for p in pairs)
    sure = [p for p in pairs if float(p["match_probability"]) >= 0.99]
    same = [p for p in sure if truth[(p["source_l"], p["record_id_l"])] == truth[(p["source_r"], p["record_id_r"])]]
    assert len(same) == len(sure) > 150


def test_a_saved_model_links_the_same_way_without_training(linked) -> None:  # type: ignore[no-untyped-def]
    tmp, _truth, _summary = linked
    model = json.loads((tmp / "model.json").read_text())
    assert model["link_type"] == "dedupe_only"
    assert model["comparisons"]
    run = live.CommandLine(tmp)
    run(
        "customers",
        "link",
        str(tmp / "estore.csv"),
        str(tmp / "marketplace.csv"),
        *("--map", "order_customer=record_id", "--map", "surname=last_name", "--map", "dob=date_of_birth"),
        *("--model", str(tmp / "model.json"), "--out", str(tmp / "again.csv")),
    )
    first, again = _keys(tmp / "clusters.csv"), _keys(tmp / "again.csv")
    groups = lambda keys: {frozenset(r for r in keys if keys[r] == k) for k in set(keys.values())}  # noqa: E731
    assert groups(first) == groups(again)


def test_parquet_input_and_a_lower_threshold(tmp_path: Path) -> None:
    truth = _files(tmp_path, _people(120, seed=3))
    duckdb.read_csv(str(tmp_path / "estore.csv"), all_varchar=True).to_parquet(str(tmp_path / "estore.parquet"))
    run = live.CommandLine(tmp_path)
    common = [str(tmp_path / "estore.parquet"), str(tmp_path / "marketplace.csv")]
    common += ["--map", "order_customer=record_id", "--map", "surname=last_name", "--map", "dob=date_of_birth"]
    strict = json.loads(run("customers", "link", *common, "--out", str(tmp_path / "a.csv"), "--json").stdout)
    loose = json.loads(
        run("customers", "link", *common, "--threshold", "0.5", "--out", str(tmp_path / "b.csv"), "--json").stdout
    )
    assert strict["records"] == loose["records"] == len(truth)
    assert loose["clusters"] <= strict["clusters"] < len(truth)
    assert {s for s, _ in _keys(tmp_path / "a.csv")} == {"estore", "marketplace"}


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("id,first_name\n1,Ann\n", [], "no record_id column"),
        ("record_id,first_name\n1,Ann\n1,Anne\n", [], "record_id '1' occurs 2 times"),
        ("record_id,first_name\n1,Ann\n,Bo\n", [], "1 records without a record_id"),
        ("record_id,first_name\n1,Ann\n", ["--map", "first_name=given"], "unknown fields: given"),
        ("record_id,first_name\n1,Ann\n", ["--compare", "shoe_size"], "no column shoe_size"),
        ("record_id,first_name\n1,Ann\n", ["--map", "first_name"], "expected FILE_COLUMN=FIELD"),
    ],
)
def test_bad_input_is_refused_with_the_reason(tmp_path: Path, content: str, args: list[str], message: str) -> None:
    (tmp_path / "shop.csv").write_text(content)
    run = live.CommandLine(tmp_path)
    result = run("customers", "link", str(tmp_path / "shop.csv"), "--out", str(tmp_path / "c.csv"), *args, ok=False)
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "c.csv").exists()


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    run = live.CommandLine(tmp_path)
    result = run("customers", "link", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "c.csv"), ok=False)
    assert result.returncode == 2
    assert "nope.csv: no such file" in result.stderr
