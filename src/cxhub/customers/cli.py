"""`cxhub customers ...`: identity resolution and privacy work in batch."""

from __future__ import annotations

import json
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from cxhub.config import get_settings
from cxhub.customers.linkage import open_linkage
from cxhub.customers.linkfiles import RecordFileError, load_records

err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add the `customers` group to the root command."""
    group = typer.Typer(help="Customers: link records into people, merge, export and erase.", no_args_is_help=True)
    group.command("link")(link)
    group.command("resolve")(resolve)
    from cxhub.customers.privacy_cli import erase, export

    group.command("export")(export)
    group.command("erase")(erase)
    app.add_typer(group, name="customers")


def _renames(pairs: list[str]) -> dict[str, str]:
    renames: dict[str, str] = {}
    for pair in pairs:
        column, sep, target = pair.partition("=")
        if not sep or not column or not target:
            raise RecordFileError(f"--map {pair!r}: expected FILE_COLUMN=FIELD")
        renames[column] = target
    return renames


def link(
    files: Annotated[list[Path], typer.Argument(help="Record files: .csv, .csv.gz or .parquet, one record per row.")],
    out: Annotated[Path, typer.Option("--out", help="Write source,record_id,customer_key here (CSV).")],
    pairs: Annotated[
        Path | None,
        typer.Option("--pairs", help="Also write the scored pairs (CSV) at or above --pairs-min."),
    ] = None,
    pairs_min: Annotated[
        float, typer.Option("--pairs-min", min=0, max=1, help="Lowest match probability kept in --pairs.")
    ] = 0.01,
    threshold: Annotated[
        float | None,
        typer.Option("--threshold", min=0, max=1, help="Match probability that links a pair (default: auto-merge)."),
    ] = None,
    renames: Annotated[
        list[str] | None, typer.Option("--map", help="FILE_COLUMN=FIELD, e.g. --map surname=last_name (repeatable).")
    ] = None,
    compare: Annotated[
        list[str] | None, typer.Option("--compare", help="Another column to compare fuzzily (repeatable).")
    ] = None,
    model_file: Annotated[
        Path | None, typer.Option("--model", help="Use this saved model (JSON) instead of training.")
    ] = None,
    save_model: Annotated[Path | None, typer.Option("--save-model", help="Write the trained model (JSON).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Link customer records into people: train on them (unless --model), score pairs, cluster."""
    started = time.perf_counter()
    link_at = get_settings().match_auto_merge if threshold is None else threshold
    con = duckdb.connect()
    con.sql("set preserve_insertion_order = false")
    show = err.is_terminal and not as_json
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err)
    with progress if show else nullcontext():
        task = progress.add_task("reading records", total=None)

        def feedback(step: str) -> None:
            progress.update(task, description=step)

        try:
            table = load_records(con, files, renames=_renames(renames or []), compared=compare or [])
            model: dict[str, Any] | None = None
            if model_file is not None:
                model = json.loads(model_file.read_text(encoding="utf-8"))
            linkage = open_linkage(
                con, "raw_records", present=table.present, compared=table.compared, model=model, feedback=feedback
            )
        except (RecordFileError, ValueError, OSError) as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(2) from exc
        if model is None:
            linkage.train(present=table.present)
        if save_model is not None:
            save_model.write_text(json.dumps(linkage.model(), indent=1), encoding="utf-8")
        scored = linkage.predict(min(pairs_min, link_at) if pairs else link_at)
        clusters = linkage.cluster(scored, link_at)
        feedback("writing clusters")
        counts = _write(con, scored.physical_name, clusters, out=out, pairs=pairs, pairs_min=pairs_min)
    summary = {
        "records": table.records,
        "pairs_scored": counts["pairs"],
        "clusters": counts["clusters"],
        "threshold": link_at,
        "seconds": round(time.perf_counter() - started, 2),
    }
    if as_json:
        sys.stdout.write(json.dumps(summary) + "\n")
    else:
        err.print(
            f"{summary['records']:,} records → {summary['clusters']:,} customers "
            f"({summary['pairs_scored']:,} pairs scored) in {summary['seconds']} s; clusters in {out}"
        )


def _write(
    con: duckdb.DuckDBPyConnection, scored: str, clusters: str, *, out: Path, pairs: Path | None, pairs_min: float
) -> dict[str, int]:
    con.sql(
        f"""
        create or replace temp table keyed as
        select r.source, r.record_id, 'C' || lpad(cast(dense_rank() over (order by c.cluster_id) as varchar), 7, '0')
               as customer_key
        from __cxhub_records r join {clusters} c on c.unique_id = r.unique_id
        """
    )
    con.sql(f"copy (select * from keyed order by customer_key, source, record_id) to '{_path(out)}' (header)")
    if pairs is not None:
        con.sql(
            f"""copy (select source_l, record_id_l, source_r, record_id_r, round(match_probability, 6)
                as match_probability from {scored} where match_probability >= {pairs_min}
                order by match_probability desc) to '{_path(pairs)}' (header)"""
        )
    pair_count = con.execute(f"select count(*) from {scored}").fetchall()[0][0]
    cluster_count = con.execute("select count(distinct customer_key) from keyed").fetchall()[0][0]
    return {"pairs": int(pair_count), "clusters": int(cluster_count)}


def _path(path: Path) -> str:
    return str(path).replace("'", "''")


def resolve(
    brand: Annotated[str | None, typer.Option("--brand", help="Brand name or id (default: the only brand).")] = None,
    retrain: Annotated[
        bool, typer.Option("--retrain", help="Train a new model version on the customers first.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Resolve the hub's own customers: merge the sure pairs, queue the doubtful ones for review."""
    from sqlalchemy import or_, select

    from cxhub.customers.decisions import Thresholds
    from cxhub.customers.resolution import resolve as resolve_customers
    from cxhub.db import make_engine, make_sessionmaker
    from cxhub.workforce.models import Brand

    settings = get_settings()
    factory = make_sessionmaker(make_engine(settings.effective_database_url))
    with factory() as session:
        query = select(Brand)
        if brand:
            query = query.where(or_(Brand.id == brand, Brand.name == brand))
        brands = list(session.scalars(query))
        if len(brands) != 1:
            err.print(f"[red]error:[/red] {'no brand ' + escape(brand) if brand else 'name the brand with --brand'}")
            raise typer.Exit(2)
        default = Thresholds(auto_merge=settings.match_auto_merge, review=settings.match_review)
        try:
            summary = resolve_customers(session, brand_id=brands[0].id, default=default, retrain=retrain)
        except ValueError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(2) from exc
        session.commit()
    if as_json:
        sys.stdout.write(json.dumps(summary.__dict__) + "\n")
    else:
        err.print(
            f"{summary.customers:,} customers, {summary.pairs:,} pairs scored: {summary.merged:,} merged, "
            f"{summary.queued:,} queued for review, {summary.apart:,} left apart, {summary.skipped:,} skipped "
            f"(model version {summary.model_version})"
        )
