"""Identity resolution accuracy: pairwise precision, recall and F1 of `cxhub customers link` on labelled data,
and the recall of its blocking rules.

    make bench
    .venv/bin/python benchmarks/identity_accuracy.py [--threshold P] [--people N] [--json]

Data sets, each run through the command as a user would (training included):

- `fake_1000` and `historical_50k` (historical_figures_with_errors_50k) from ../shared/data/identity
  beside the repository, Splink's public data sets with their true `cluster`, their columns given with
  `--map` and `--compare`;
- `synthetic`: benchmarks/identity_synth.py's e-store, retailer, marketplace, e-mail and chat records of
  `--people` people (default 20,000, about 61,000 records, seed 7), with its truth file.

Pairs are counted from the contingency table of (true person, predicted customer), never listed
(identity_metrics.py). Blocking recall is measured on the engine's own normalised records and rules:
"direct" is the share of true pairs some rule compares, "reachable" the share connected through
compared true pairs (what clustering can find; the >= 0.99 target is on this one).

Beside our engine, the same 50k records go through Splink's own published example for them
("Deduplicating 50k rows of historical persons", docs/demos/examples/duckdb/deduplicate_50k_synthetic
in Splink's repository): its ten blocking rules, its comparisons (forename/surname, date of birth,
postcode, birth place, occupation), its training (prior from three rules at recall 0.6, u from 1e7
random pairs, EM blocked on first name + surname and on date of birth without term frequencies) and
its clustering at 0.95, in this one run, on this machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from identity_metrics import blocking_recall, pair_scores_sql
from identity_synth import source_files
from identity_synth import write as write_synthetic

from cxhub.customers.linkage import blocking_rules, open_linkage
from cxhub.customers.linkfiles import load_records

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "identity"
CXHUB = [sys.executable, "-m", "cxhub"]
SPLINK_ID = ["--map", "unique_id=record_id", "--map", "surname=last_name", "--map", "dob=date_of_birth"]


@dataclass
class Dataset:
    name: str
    files: list[Path]
    args: list[str]
    truth: str  # SQL relation of (source, record_id, truth)


def _reader(path: Path) -> str:
    return f"read_parquet('{path}')" if path.suffix == ".parquet" else f"read_csv('{path}', all_varchar = true)"


def labelled(name: str, file: str, args: list[str]) -> Dataset:
    path = DATA / file
    source = path.name.split(".")[0]
    truth = (
        f"(select '{source}' as source, cast(unique_id as varchar) as record_id, "
        f"cast(cluster as varchar) as truth from {_reader(path)})"
    )
    return Dataset(name, [path], args, truth)


def synthetic(people: int, folder: Path) -> Dataset:
    write_synthetic(folder, people)
    truth = (
        f"(select source, record_id, cast(person_id as varchar) as truth "
        f"from read_csv('{folder / 'truth.csv'}', all_varchar = true))"
    )
    return Dataset("synthetic", source_files(folder), [], truth)


def ours(data: Dataset, threshold: float | None, tmp: Path) -> dict[str, Any]:
    out = tmp / f"{data.name}.clusters.csv"
    extra = ["--threshold", str(threshold)] if threshold is not None else []
    command = [*CXHUB, "customers", "link", *map(str, data.files), *data.args, *extra, "--out", str(out), "--json"]
    summary = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    con = duckdb.connect()
    con.sql(
        f"""create table joined as select t.truth, c.customer_key predicted
        from read_csv('{out}', all_varchar = true) c join {data.truth} t
        on t.source = c.source and t.record_id = c.record_id"""
    )
    joined = con.execute("select count(*) from joined").fetchall()[0][0]
    if joined != summary["records"]:
        raise SystemExit(f"{data.name}: {joined} of {summary['records']} records found in the truth")
    return {
        **pair_scores_sql(con, "joined").as_dict(),
        "records": summary["records"],
        "clusters": summary["clusters"],
        "seconds": summary["seconds"],
        "threshold": summary["threshold"],
    }


def _options(args: list[str]) -> tuple[dict[str, str], list[str]]:
    renames = dict(v.split("=", 1) for flag, v in zip(args[::2], args[1::2], strict=True) if flag == "--map")
    compared = [v for flag, v in zip(args[::2], args[1::2], strict=True) if flag == "--compare"]
    return renames, compared


def our_blocking(data: Dataset) -> dict[str, Any]:
    """Recall of the engine's blocking rules on its normalised records, and Splink's count of the pairs."""
    from splink import DuckDBAPI
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    logging.getLogger("splink").setLevel(logging.ERROR)
    con = duckdb.connect()
    renames, compared = _options(data.args)
    table = load_records(con, data.files, renames=renames, compared=compared)
    open_linkage(con, "raw_records", present=table.present, compared=table.compared)
    con.sql(
        f"""create table labelled as select r.*, t.truth from __cxhub_records r
        join {data.truth} t on t.source = r.source and t.record_id = r.record_id"""
    )
    rules = blocking_rules(table.present, table.compared)
    recall = blocking_recall(con, "labelled", [r.get_blocking_rule("duckdb").blocking_rule_sql for r in rules])
    counts = count_comparisons_from_blocking_rules(
        DuckDBAPI(connection=con).register("__cxhub_records"),
        blocking_rules=rules,
        link_type="dedupe_only",
        record_sample_proportion=1.0,
    )
    return {**recall.as_dict(), "rules": len(rules), "candidate_pairs": counts[-1]["cumulative_comparison_count"]}


EXAMPLE_BLOCKING = (
    ("substr(first_name,1,3)", "substr(surname,1,4)"),
    ("surname", "dob"),
    ("first_name", "dob"),
    ("postcode_fake", "first_name"),
    ("postcode_fake", "surname"),
    ("dob", "birth_place"),
    ("substr(postcode_fake,1,3)", "dob"),
    ("substr(postcode_fake,1,3)", "first_name"),
    ("substr(postcode_fake,1,3)", "surname"),
    ("substr(first_name,1,2)", "substr(surname,1,2)", "substr(dob,1,4)"),
)


def splink_example() -> dict[str, Any]:
    """Splink's published example for historical_50k, trained and clustered as the example does."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    started = time.perf_counter()
    con = duckdb.connect()
    con.sql(
        "create table people as select *, first_name || ' ' || surname as first_name_surname_concat "
        f"from {_reader(DATA / 'historical_figures_with_errors_50k.parquet')}"
    )
    rules = [block_on(*keys) for keys in EXAMPLE_BLOCKING]
    settings = SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=list(rules),
        comparisons=[
            cl.ForenameSurnameComparison(
                "first_name", "surname", forename_surname_concat_col_name="first_name_surname_concat"
            ),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.PostcodeComparison("postcode_fake"),
            cl.ExactMatch("birth_place").configure(term_frequency_adjustments=True),
            cl.ExactMatch("occupation").configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=True,
    )
    linker = Linker(DuckDBAPI(connection=con).register("people"), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [
            block_on("first_name", "surname", "dob"),
            block_on("substr(first_name,1,2)", "surname", "substr(postcode_fake,1,2)"),
            block_on("dob", "postcode_fake"),
        ],
        recall=0.6,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7)
    for rule in (block_on("first_name", "surname"), block_on("dob")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule, estimate_without_term_frequencies=True)
    predictions = linker.inference.predict()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.95)
    con.sql(
        f"""create table joined as select cast(p.cluster as varchar) truth, cast(c.cluster_id as varchar) predicted
        from {clusters.physical_name} c join people p on p.unique_id = c.unique_id"""
    )
    seconds = round(time.perf_counter() - started, 2)
    con.sql("create table labelled as select *, cast(cluster as varchar) truth from people")
    recall = blocking_recall(con, "labelled", [r.get_blocking_rule("duckdb").blocking_rule_sql for r in rules])
    records = int(con.execute("select count(*) from people").fetchall()[0][0])
    return {
        **pair_scores_sql(con, "joined").as_dict(),
        "records": records,
        "seconds": seconds,
        "blocking": recall.as_dict(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=None, help="link threshold (default: the CLI's)")
    parser.add_argument("--people", type=int, default=20_000, help="people in the synthetic data")
    parser.add_argument("--only", choices=["fake_1000", "historical_50k", "synthetic", "example"], action="append")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    only = set(args.only or ["fake_1000", "historical_50k", "synthetic", "example"])
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        datasets: list[Dataset] = []
        if DATA.is_dir():
            datasets.append(labelled("fake_1000", "fake_1000.csv", SPLINK_ID))
            datasets.append(
                labelled(
                    "historical_50k",
                    "historical_figures_with_errors_50k.parquet",
                    [
                        *SPLINK_ID,
                        "--map",
                        "postcode_fake=postcode",
                        "--compare",
                        "birth_place",
                        "--compare",
                        "occupation",
                    ],
                )
            )
        else:
            print(f"no labelled data at {DATA}: synthetic data only", file=sys.stderr)
        datasets.append(synthetic(args.people, Path(tmp) / "synthetic"))
        for data in datasets:
            if data.name in only:
                results[data.name] = {**ours(data, args.threshold, Path(tmp)), "blocking": our_blocking(data)}
    if DATA.is_dir() and "example" in only:
        results["splink_example_historical_50k"] = splink_example()
    if args.json:
        print(json.dumps(results, indent=1))
        return
    head = f"{'engine and data':32} {'records':>8} {'precision':>9} {'recall':>7} {'F1':>6}"
    print(head + f" {'blocking direct':>15} {'reachable':>9} {'seconds':>8}")
    for name, r in results.items():
        label = "Splink example  historical_50k" if name.startswith("splink") else f"cxhub  {name}"
        b = r["blocking"]
        print(
            f"{label:32} {int(r['records']):>8,} {r['precision']:>9.4f} {r['recall']:>7.4f} {r['f1']:>6.4f} "
            f"{b['direct']:>15.4f} {b['reachable']:>9.4f} {r['seconds']:>8.1f}"
        )
    if "historical_50k" in results and "splink_example_historical_50k" in results:
        ours_50k, example = results["historical_50k"], results["splink_example_historical_50k"]
        print(f"F1 on historical_50k: cxhub {ours_50k['f1']:.4f} vs Splink's example {example['f1']:.4f}")


if __name__ == "__main__":
    main()
