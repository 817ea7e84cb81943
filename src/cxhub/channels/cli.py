"""`cxhub sources ...` (webhook sources) and `cxhub import social|reviews|commerce FILE`."""

from __future__ import annotations

import csv
import itertools
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from cxhub.channels import service
from cxhub.channels.imports import ImportTally, Row, import_rows, rows_in
from cxhub.channels.models import ChannelSource
from cxhub.channels.schemas import ChannelSourceCreate
from cxhub.config import get_settings
from cxhub.conversations.service import resolve_brand
from cxhub.db import make_engine, make_sessionmaker, unit_of_work
from cxhub.errors import CxhubError
from cxhub.workforce.models import Brand

sources_app = typer.Typer(
    help="Webhook sources: phone platforms, review sites, social tools, shops.", no_args_is_help=True
)
console = Console()
err = Console(stderr=True)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
BrandOption = Annotated[str | None, typer.Option("--brand", help="Brand id or name; default: the only brand.")]
BATCH_SIZE = 500


@contextmanager
def _engine() -> Iterator[Engine]:
    engine = make_engine(get_settings().effective_database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work; a CxhubError becomes a clear message and exit code 1."""
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            yield session
    except CxhubError as exc:
        field = f" ({exc.field})" if exc.field else ""
        err.print(f"[red]error{field}:[/red] {exc.message}")
        raise typer.Exit(1) from exc


@sources_app.command("create")
def sources_create(
    name: Annotated[str, typer.Argument(help="The source's name, used in the webhook URL.")],
    adapter: Annotated[str, typer.Option("--adapter", help="api, voice, social, review or commerce.")],
    brand: BrandOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register a webhook source; its signing secret is printed once."""
    source_create = _source_create(name, adapter, brand)
    with _engine() as engine, _transaction(engine) as session:
        source, secret = service.create_source(session, source_create=source_create, actor=None)
        row = {"id": source.id, "name": source.name, "adapter": source.adapter, "secret": secret}
    if as_json:
        sys.stdout.write(json.dumps(row) + "\n")
        return
    console.print(f"source [bold]{name}[/bold] ({adapter}) posts to /api/v1/webhooks/{name}")
    console.print(f"signing secret (shown once): [bold]{secret}[/bold]")


@sources_app.command("list")
def sources_list(as_json: JsonOption = False) -> None:
    """List webhook sources (their secrets are never shown again)."""
    with _engine() as engine, _transaction(engine) as session:
        rows = [
            {
                "id": s.id,
                "name": s.name,
                "adapter": s.adapter,
                "brand": b.name,
                "created_at": s.created_at.isoformat(),
                "disabled_at": s.disabled_at.isoformat() if s.disabled_at else None,
            }
            for s, b in session.execute(
                select(ChannelSource, Brand)
                .join(Brand, Brand.id == ChannelSource.brand_id)
                .order_by(ChannelSource.name)
            )
        ]
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table(title="webhook sources")
    for column in ("name", "adapter", "brand", "created_at", "disabled_at", "id"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row[c] or "") for c in ("name", "adapter", "brand", "created_at", "disabled_at", "id")))
    console.print(table)


def _source_create(name: str, adapter: str, brand: str | None) -> ChannelSourceCreate:
    try:
        return ChannelSourceCreate.model_validate({"name": name, "adapter": adapter, "brand": brand})
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc


FileArgument = Annotated[
    Path, typer.Argument(help="A CSV (header row first) or NDJSON file.", exists=True, dir_okay=False, readable=True)
]
RejectsOption = Annotated[
    Path | None, typer.Option("--rejects", help="Where rejected rows go; default: FILE.rejects.csv beside the file.")
]
BatchOption = Annotated[int, typer.Option("--batch-size", min=1, max=10_000, help="Rows per transaction.")]


def import_social(
    file: FileArgument,
    brand: BrandOption = None,
    rejects: RejectsOption = None,
    batch_size: BatchOption = BATCH_SIZE,
    as_json: JsonOption = False,
) -> None:
    """Import social posts (the social webhook's flat fields, one row each)."""
    _import("social", file, brand=brand, rejects=rejects, batch_size=batch_size, as_json=as_json)


def import_reviews(
    file: FileArgument,
    brand: BrandOption = None,
    rejects: RejectsOption = None,
    batch_size: BatchOption = BATCH_SIZE,
    as_json: JsonOption = False,
) -> None:
    """Import reviews (the review webhook's flat fields, one row each)."""
    _import("review", file, brand=brand, rejects=rejects, batch_size=batch_size, as_json=as_json)


def import_commerce(
    file: FileArgument,
    brand: BrandOption = None,
    rejects: RejectsOption = None,
    batch_size: BatchOption = BATCH_SIZE,
    as_json: JsonOption = False,
) -> None:
    """Import order and return events (the commerce webhook's flat fields, one row each)."""
    _import("commerce", file, brand=brand, rejects=rejects, batch_size=batch_size, as_json=as_json)


def _import(
    adapter_name: str, file: Path, *, brand: str | None, rejects: Path | None, batch_size: int, as_json: bool
) -> None:
    rejects = rejects or file.with_name(file.name + ".rejects.csv")
    total_lines = _count_lines(file)
    tally = ImportTally()
    with _engine() as engine:
        with _transaction(engine) as session:
            brand_id = resolve_brand(session, brand).id  # a wrong brand stops the import before any row
        rows = rows_in(file)
        with Progress(
            TextColumn(f"importing {file.name}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err,
            disable=as_json,
        ) as progress:
            task = progress.add_task("rows", total=total_lines)
            while batch := list(itertools.islice(rows, batch_size)):
                with _transaction(engine) as session:
                    done = import_rows(session, adapter_name=adapter_name, rows=batch, brand=brand_id)
                tally.add(done)
                progress.update(task, completed=min(batch[-1].line, total_lines))
            progress.update(task, completed=total_lines)
    if tally.rejected:
        _write_rejects(rejects, tally.rejected)
    summary = {
        "created": tally.created,
        "duplicate": tally.duplicate,
        "rejected": len(tally.rejected),
        "rejects_file": str(rejects) if tally.rejected else None,
    }
    if as_json:
        sys.stdout.write(json.dumps(summary) + "\n")
        return
    table = Table(title=f"{file.name}: {adapter_name} import")
    for column in ("created", "duplicate", "rejected"):
        table.add_column(column, justify="right")
    table.add_row(str(tally.created), str(tally.duplicate), str(len(tally.rejected)))
    console.print(table)
    if tally.rejected:
        console.print(f"rejected rows, with line numbers and reasons: {rejects}")


def _count_lines(file: Path) -> int:
    with file.open("rb") as handle:
        return sum(1 for _ in handle)


def _write_rejects(path: Path, rejected: list[tuple[Row, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["line", "reason", "row"])
        for row, reason in rejected:
            writer.writerow([row.line, reason, row.text])


def register(app: typer.Typer) -> None:
    """Add `sources` and the `import` commands to the root command (the `import` group is shared)."""
    app.add_typer(sources_app, name="sources")
    group = next((g.typer_instance for g in app.registered_groups if g.name == "import"), None)
    if group is None:
        group = typer.Typer(help="Import interactions from files.", no_args_is_help=True)
        app.add_typer(group, name="import")
    group.command("social")(import_social)
    group.command("reviews")(import_reviews)
    group.command("commerce")(import_commerce)
