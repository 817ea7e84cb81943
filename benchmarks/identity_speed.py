"""Identity resolution speed: `cxhub customers link` on generated customer records, beside bare Splink.

    make bench                                          # 200,000 records
    .venv/bin/python benchmarks/identity_speed.py --records 1000000

Records are generated in DuckDB (seeded): people with one to three records each across an e-store, a
retailer and a marketplace, names from common Irish, British, Portuguese and Spanish lists, with typos,
missing e-mails and phones, national and international phone forms and transposed birth dates.

Two figures in one run: the whole command (read, normalise, train, score, cluster, write) with its
peak memory, and bare Splink scoring and clustering the prepared records with the same trained model
and settings (the engine's own limit). Their ratio is what the command adds around the engine.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

FIRST = [
    "aoife",
    "ciara",
    "niamh",
    "siobhan",
    "saoirse",
    "orla",
    "roisin",
    "mary",
    "margaret",
    "catherine",
    "elizabeth",
    "anne",
    "sarah",
    "emma",
    "sean",
    "liam",
    "conor",
    "cian",
    "patrick",
    "michael",
    "john",
    "james",
    "thomas",
    "william",
    "robert",
    "david",
    "daniel",
    "jack",
    "joao",
    "jose",
    "antonio",
    "francisco",
    "manuel",
    "pedro",
    "tiago",
    "rui",
    "miguel",
    "ana",
    "maria",
    "ines",
    "beatriz",
    "carolina",
    "sofia",
    "lucia",
    "carmen",
    "pilar",
    "elena",
    "laura",
    "marta",
    "javier",
    "carlos",
    "alejandro",
    "pablo",
    "sergio",
    "alvaro",
    "diego",
]
LAST = [
    "murphy",
    "kelly",
    "byrne",
    "ryan",
    "obrien",
    "walsh",
    "smith",
    "oneill",
    "doyle",
    "mccarthy",
    "lynch",
    "murray",
    "quinn",
    "moore",
    "silva",
    "santos",
    "ferreira",
    "pereira",
    "oliveira",
    "costa",
    "rodrigues",
    "martins",
    "jesus",
    "sousa",
    "fernandes",
    "goncalves",
    "garcia",
    "rodriguez",
    "gonzalez",
    "fernandez",
    "lopez",
    "martinez",
    "sanchez",
    "perez",
    "gomez",
    "martin",
    "jimenez",
    "ruiz",
    "jones",
    "williams",
    "taylor",
    "brown",
    "davies",
    "evans",
    "wilson",
    "thomas",
    "johnson",
    "roberts",
    "nolan",
    "brennan",
    "kavanagh",
]
# surnames are put together from a stem and an ending (about 8,000 of them), so that a million
# records have the spread of names of a real customer base rather than 60 surnames
STEMS = [
    "mur",
    "ken",
    "bry",
    "ry",
    "wal",
    "doy",
    "mac",
    "lyn",
    "quin",
    "mor",
    "sil",
    "san",
    "fer",
    "per",
    "oli",
    "cos",
    "rod",
    "mar",
    "gon",
    "gar",
    "fern",
    "lop",
    "sanch",
    "gom",
    "jim",
    "ru",
    "jon",
    "will",
    "tay",
    "brow",
    "dav",
    "ev",
    "wil",
    "thom",
    "john",
    "rob",
    "nol",
    "bren",
    "kav",
    "fitz",
    "ober",
    "ocon",
    "dal",
    "dun",
]
ENDINGS = [
    "phy",
    "nedy",
    "ne",
    "an",
    "sh",
    "le",
    "arthy",
    "ch",
    "n",
    "re",
    "va",
    "tos",
    "reira",
    "eira",
    "ta",
    "rigues",
    "tins",
    "zalez",
    "cia",
    "andez",
    "ez",
    "ez",
    "son",
    "s",
    "er",
    "ton",
    "ley",
    "ey",
    "ell",
    "ham",
]
CITIES = [
    "dublin",
    "cork",
    "galway",
    "limerick",
    "lisbon",
    "porto",
    "braga",
    "madrid",
    "barcelona",
    "sevilla",
    "london",
    "manchester",
]
DOMAINS = ["gmail.com", "outlook.com", "yahoo.com", "eircom.net", "sapo.pt", "telefonica.es", "btinternet.com"]


def generate(path: Path, records: int, seed: float = 0.42) -> None:
    con = duckdb.connect()
    con.execute(f"select setseed({seed})").fetchall()
    people = records // 2
    con.sql(
        f"""create table people as select i as person,
          list_element({FIRST}, 1 + cast(floor(random() * {len(FIRST)}) as int)) as first_name,
          case when random() < 0.3 then list_element({LAST}, 1 + cast(floor(random() * {len(LAST)}) as int))
               else list_element({STEMS}, 1 + cast(floor(random() * {len(STEMS)}) as int))
                 || list_element({ENDINGS}, 1 + cast(floor(random() * {len(ENDINGS)}) as int))
                 || list_element(['', 'e', 'y', 'o', 'a', 'i'], 1 + cast(floor(random() * 6) as int)) end as last_name,
          date '1940-01-01' + cast(floor(random() * 23000) as int) as dob,
          cast(floor(random() * 90000000) + 10000000 as bigint) as phone,
          list_element({CITIES}, 1 + cast(floor(random() * {len(CITIES)}) as int)) as city,
          list_element({DOMAINS}, 1 + cast(floor(random() * {len(DOMAINS)}) as int)) as domain,
          1 + cast(floor(random() * 3) as int) as copies
        from range({people}) t(i)"""
    )
    con.sql(
        f"""copy (
        select source, source || '-' || person || '-' || k as record_id, person,
          case when random() < 0.08 then overlay(first_name placing 'x' from 2 for 1) else first_name end first_name,
          case when random() < 0.05 then overlay(last_name placing 'e' from 3 for 1) else last_name end last_name,
          case when random() < 0.3 then null else first_name || '.' || last_name || (person % 100) || '@' || domain end
            as email,
          case when random() < 0.3 then null when random() < 0.5 then '+353 8' || phone else '08' || phone end phone,
          case when random() < 0.04 then strftime(dob, '%Y-%d-%m') when random() < 0.1 then null
               else strftime(dob, '%Y-%m-%d') end as date_of_birth,
          city
        from (select *, list_element(['estore', 'retailer', 'marketplace'], k) as source
              from people, range(1, copies + 1) r(k))
        limit {records}) to '{path}' (format parquet)"""
    )


def bare_splink(records: Path, model: Path) -> float:
    """Seconds for Splink alone to score and cluster the prepared records with the trained model."""
    from splink import DuckDBAPI, Linker

    from cxhub.customers.linkage import nickname_rows, prepare_records

    logging.getLogger("splink").setLevel(logging.ERROR)
    con = duckdb.connect()
    present = {"first_name", "last_name", "email", "phone", "date_of_birth", "city"}
    con.sql(
        f"create table raw as select row_number() over () unique_id, * exclude (person) from read_parquet('{records}')"
    )
    con.sql("create table nicknames (name varchar, canonical varchar)")
    con.executemany("insert into nicknames values (?, ?)", nickname_rows()).fetchall()
    prepare_records(con, "raw", "prepared", present=present)
    linker = Linker(DuckDBAPI(connection=con).register("prepared"), json.loads(model.read_text()), log_level=None)
    started = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=0.99)
    linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.99)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data, model = Path(tmp) / "customers.parquet", Path(tmp) / "model.json"
        started = time.perf_counter()
        generate(data, args.records)
        print(f"generated {args.records:,} records in {time.perf_counter() - started:.1f} s")
        command = [sys.executable, "-m", "cxhub", "customers", "link", str(data), "--out", str(Path(tmp) / "c.csv")]
        result = subprocess.run(
            [*command, "--save-model", str(model), "--json"], check=True, capture_output=True, text=True
        )
        summary = json.loads(result.stdout)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        bare = bare_splink(data, model)
    seconds = summary["seconds"]
    print(
        f"cxhub customers link: {summary['records']:,} records, {summary['pairs_scored']:,} pairs scored, "
        f"{summary['clusters']:,} customers in {seconds:.1f} s ({summary['pairs_scored'] / seconds:,.0f} pairs/s), "
        f"peak memory {peak_mb:,.0f} MB"
    )
    print(
        f"bare Splink, score and cluster only, same model: {bare:.1f} s; "
        f"the command takes {seconds / bare:.2f} times as long"
    )


if __name__ == "__main__":
    main()
