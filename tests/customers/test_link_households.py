"""`cxhub customers link` on a brand's customers with households in them: twins who share a home and a
landline stay two people, while one person's records with a nickname behind a typo or swapped names,
or from before a move, become one."""

from __future__ import annotations

import csv
import json

import pytest

from tests import live
from tests.customers.benchmark_code import load

pytestmark = pytest.mark.integration

HOME = {"address_line": "14 Rosemount Grove", "postcode": "D14 R2X7", "city": "Dublin"}
LANDLINE = "01 555 0147"

# record id -> (file, row); the people they belong to are in the tests below
RECORDS: dict[str, tuple[str, dict[str, str]]] = {
    # twins: one birthday, one home, one landline, first names of their own
    "T1": (
        "estore",
        {
            "first_name": "Aoife",
            "last_name": "Quinlivan",
            "email": "aoife.quinlivan@example.ie",
            "phone": "087 431 2211",
            "date_of_birth": "1990-04-12",
            **HOME,
        },
    ),
    "T2": (
        "estore",
        {
            "first_name": "Ciara",
            "last_name": "Quinlivan",
            "email": "ciara.quinlivan@example.ie",
            "phone": "086 977 0145",
            "date_of_birth": "1990-04-12",
            **HOME,
        },
    ),
    "T3": ("retailer_north", {"full_name": "Aoife Quinlivan", "phone": LANDLINE, **HOME}),
    "T4": ("retailer_north", {"full_name": "Ciara Quinlivan", "phone": LANDLINE, **HOME}),
    # Jack is John; the retailer has the names the other way round and the phone in another form
    "T5": (
        "estore",
        {
            "first_name": "Jack",
            "last_name": "Tierney",
            "email": "jt.tierney@example.ie",
            "phone": "087 111 2233",
            "address_line": "3 Mill Lane",
            "city": "Galway",
        },
    ),
    "T6": (
        "retailer_north",
        {"full_name": "Tierney Johnny", "phone": "+353871112233", "address_line": "3 Mill Lane", "city": "Galway"},
    ),
    # Paddy is Patrick, misspelt Pahrick on an order
    "T7": (
        "estore",
        {
            "first_name": "Paddy",
            "last_name": "Fennelly",
            "email": "paddy.fennelly@example.ie",
            "address_line": "27 Abbey Road",
            "postcode": "T12 K8W3",
            "city": "Cork",
        },
    ),
    "T8": (
        "retailer_north",
        {
            "full_name": "Pahrick Fennelly",
            "phone": "085 201 7788",
            "address_line": "27 Abbey Road",
            "postcode": "T12 K8W3",
            "city": "Cork",
        },
    ),
    # the same e-mail before and after a move
    "T9": (
        "estore",
        {
            "first_name": "Niamh",
            "last_name": "Gilsenan",
            "email": "niamh.gilsenan@example.ie",
            "address_line": "8 Strand Road",
            "postcode": "A98 F4K2",
            "city": "Bray",
        },
    ),
    "T10": (
        "retailer_north",
        {
            "full_name": "Niamh Gilsenan",
            "email": "niamh.gilsenan@example.ie",
            "address_line": "41 Castle Street",
            "postcode": "H91 E2D6",
            "city": "Galway",
        },
    ),
}


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The customer key of each record above, linked among 1,500 generated customers to train on."""
    tmp = tmp_path_factory.mktemp("households")
    synth = load("identity_synth")
    synth.write(tmp, 1500, seed=5)
    for record_id, (source, row) in RECORDS.items():
        with (tmp / f"{source}.csv").open("a", newline="") as f:
            csv.DictWriter(f, synth.COLUMNS[source]).writerow({"record_id": record_id, **row})
    out = tmp / "clusters.csv"
    run = live.CommandLine(tmp)
    result = run("customers", "link", *map(str, synth.source_files(tmp)), "--out", str(out), "--json")
    assert json.loads(result.stdout)["records"] > 4000
    with out.open() as f:
        return {row["record_id"]: row["customer_key"] for row in csv.DictReader(f) if row["record_id"] in RECORDS}


def test_twins_sharing_a_home_and_a_landline_stay_two_customers(keys: dict[str, str]) -> None:
    assert keys["T1"] == keys["T3"]
    assert keys["T2"] == keys["T4"]
    assert keys["T1"] != keys["T2"]


def test_a_nickname_with_the_names_swapped_is_one_customer(keys: dict[str, str]) -> None:
    assert keys["T5"] == keys["T6"]


def test_a_nickname_behind_a_typo_is_one_customer(keys: dict[str, str]) -> None:
    assert keys["T7"] == keys["T8"]


def test_a_customer_who_moved_is_one_customer(keys: dict[str, str]) -> None:
    assert keys["T9"] == keys["T10"]
