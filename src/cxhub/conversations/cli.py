"""`cxhub import interactions FILE`: history and channel exports in bulk, one transaction per batch."""

from __future__ import annotations

import csv
import gc
import itertools
import json
import multiprocessing
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import IO, Annotated, Any, cast

import typer
from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from sqlalchemy.orm import Session, sessionmaker

from cxhub.config import get_settings
from cxhub.conversations.bulk import record_interactions, refresh_statistics
from cxhub.conversations.files import InteractionFile, Record, rejects_path
from cxhub.conversations.prepared import Prepared, prepare
from cxhub.conversations.schemas import InteractionCreate
from cxhub.db import make_engine, make_sessionmaker, unit_of_work
from cxhub.errors import CxhubError
from cxhub.kit.recordfile import UnreadableFile

console = Console()
err = Console(stderr=True)
_interaction = TypeAdapter(InteractionCreate)


@dataclass
class Tally:
    created: int = 0
    duplicate: int = 0
    rejected: int = 0
    rejects: Path | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "duplicate": self.duplicate,
            "rejected": self.rejected,
            "rejects": str(self.rejects) if self.rejects else None,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class Rejects:
    """The rejects file, opened at the first reject: each bad row with its line number and the reason."""

    path: Path
    kind: str
    header: list[str]
    stack: ExitStack
    count: int = 0
    _file: IO[str] | None = field(default=None, repr=False)
    _csv: Any = field(default=None, repr=False)

    def add(self, record: Record, reason: str) -> None:
        if self._file is None:
            self._file = self.stack.enter_context(self.path.open("w", encoding="utf-8", newline=""))
            if self.kind == "csv":
                self._csv = csv.writer(self._file)
                self._csv.writerow(["line", "reason", *self.header])
        if self._csv is not None:
            self._csv.writerow([record.line, reason, *record.raw])
        else:
            self._file.write(json.dumps({"line": record.line, "reason": reason, "record": _as_read(record.raw)}) + "\n")
        self.count += 1


def register(app: typer.Typer) -> None:
    """Add `import interactions` to the root command (the `import` group is shared with the channels)."""
    group = next((g.typer_instance for g in app.registered_groups if g.name == "import"), None)
    if group is None:
        group = typer.Typer(help="Import interactions from files.", no_args_is_help=True)
        app.add_typer(group, name="import")
    group.command("interactions")(import_interactions)


def import_interactions(
    file: Annotated[Path, typer.Argument(help="A .csv, .ndjson or .jsonl file, optionally .gz.")],
    brand: Annotated[str | None, typer.Option(help="Brand name or id for rows that name none.")] = None,
    rejects: Annotated[
        Path | None, typer.Option(help="Where to write refused rows (default FILE.rejects.csv or .ndjson).")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Rows per transaction.")] = 5000,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Import interactions; a re-run of the same file records nothing twice (all duplicates)."""
    if brand is not None and not 0 < len(brand) <= 200:
        err.print("[red]error (brand):[/red] give a brand name or id")
        raise typer.Exit(1)
    engine = make_engine(get_settings().effective_database_url)
    gc.freeze()  # what is loaded so far lives to the end: the collections of a long import skip it
    try:
        with ExitStack() as stack:
            source = InteractionFile(file)
            stack.callback(source.close)
            tally = _import(source, make_sessionmaker(engine), brand, rejects or rejects_path(file), batch_size, stack)
    except UnreadableFile as exc:
        err.print(f"[red]error ({file}):[/red] {exc}")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    if as_json:
        sys.stdout.write(json.dumps(tally.as_dict()) + "\n")
        return
    rate = (tally.created + tally.duplicate + tally.rejected) / tally.seconds if tally.seconds else 0
    console.print(
        f"[green]{tally.created} created[/green], {tally.duplicate} duplicate, "
        f"{'[red]' if tally.rejected else ''}{tally.rejected} rejected{'[/red]' if tally.rejected else ''} "
        f"in {tally.seconds:.1f} s ({rate:,.0f} rows/s)"
    )
    if tally.rejects:
        console.print(f"rejected rows, each with its line number and the reason: {tally.rejects}", soft_wrap=True)


def _import(
    source: InteractionFile,
    factory: sessionmaker[Session],
    brand: str | None,
    rejects_file: Path,
    batch_size: int,
    stack: ExitStack,
) -> Tally:
    tally = Tally()
    started = time.perf_counter()
    batches = _prepared_batches(source.path, brand, batch_size, stack)
    header = next(batches)  # the CSV header is read first, so a bad one stops before anything is written
    rejects = Rejects(rejects_file, source.kind, cast(list[str], header), stack)
    columns = [
        TextColumn("importing"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[rows]} rows"),
    ]
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("import", total=source.size or None, rows=0)
        rows = 0
        analysed_at = STATISTICS_FROM
        for batch, position in cast(Iterator[tuple[Checked, int]], batches):
            _record_batch(factory, batch, rejects, tally)
            rows += len(batch)
            if rows >= analysed_at:  # as the tables double, so that their reads stay index lookups
                with unit_of_work(factory) as session:
                    refresh_statistics(session)
                analysed_at = 2 * rows
            progress.update(task, completed=position, rows=f"{rows:,}")
    tally.seconds = time.perf_counter() - started
    tally.rejected = rejects.count
    tally.rejects = rejects_file if rejects.count else None
    return tally


Checked = list[tuple[Record, Prepared | str]]  # each record, prepared or with the reason it is not
DEPTH = 2  # batches prepared ahead of the writer, at most
STATISTICS_FROM = 10_000  # rows imported before the first refresh of the tables' statistics


def _prepared_batches(path: Path, brand: str | None, size: int, stack: ExitStack) -> Iterator[object]:
    """The file's header, then (batch, bytes read) pairs, read and prepared by a second process.

    Parsing, validation and preparing (digests, identifiers, columns) take as long as storing;
    in a process of their own they run on another core while the batches before are written.
    The file's order is kept: one reader, one writer. Its errors are raised here.
    """
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"  # fork: no second start-up
    context = cast(Any, multiprocessing.get_context(method))
    waiting: multiprocessing.Queue[Any] = context.Queue(maxsize=DEPTH)
    reader = context.Process(target=_read, args=(path, brand, size, waiting), name="cxhub-import-reader", daemon=True)
    reader.start()
    stack.callback(_stop, reader)
    while (item := waiting.get()) is not None:
        if isinstance(item, BaseException):
            raise item
        yield item


def _stop(reader: BaseProcess) -> None:
    if reader.is_alive():
        reader.terminate()
    reader.join()


def _read(path: Path, brand: str | None, size: int, waiting: multiprocessing.Queue[Any]) -> None:
    try:
        source = InteractionFile(path)
        try:
            records = source.records()
            first = next(records, None)
            waiting.put(source.header)
            if first is not None:
                batch: Checked = []
                for record in itertools.chain([first], records):
                    batch.append((Record(record.line, None, record.raw), _check(record, brand)))
                    if len(batch) == size:
                        waiting.put((batch, source.position))
                        batch = []
                if batch:
                    waiting.put((batch, source.position))
        finally:
            source.close()
    except Exception as exc:  # handed to the writer, which raises it
        waiting.put(exc)
    else:
        waiting.put(None)


def _check(record: Record, brand: str | None) -> Prepared | str:
    if record.data is None:
        return record.error or "unreadable"
    if brand is not None and not record.data.get("brand"):
        record.data["brand"] = brand
    try:
        return prepare(_interaction.validate_python(record.data))
    except ValidationError as exc:
        return _reason(exc)


def _record_batch(factory: sessionmaker[Session], batch: Checked, rejects: Rejects, tally: Tally) -> None:
    valid: list[tuple[Record, Prepared]] = []
    for record, checked in batch:
        if isinstance(checked, str):
            rejects.add(record, checked)
        else:
            valid.append((record, checked))
    if not valid:
        return
    with unit_of_work(factory) as session:
        outcomes = record_interactions(session, items=[(prepared, None) for _, prepared in valid])
    for (record, _), outcome in zip(valid, outcomes, strict=True):
        if isinstance(outcome, CxhubError):
            rejects.add(record, f"{outcome.field}: {outcome.message}" if outcome.field else outcome.message)
        elif outcome.duplicate:
            tally.duplicate += 1
        else:
            tally.created += 1


def _as_read(raw: Any) -> Any:
    """An NDJSON line as its object when it is one, else its text."""
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def _reason(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'row'}: {error['msg']}" for error in exc.errors()
    )
