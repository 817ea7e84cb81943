"""`cxhub import surveys FILE`: answers collected by another survey tool, tied to the conversations they rate."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from cxhub.config import get_settings
from cxhub.db import make_engine, make_sessionmaker, unit_of_work
from cxhub.kit.recordfile import UnreadableFile, read_records, reason
from cxhub.kit.time import utcnow
from cxhub.quality import invitations, service
from cxhub.quality.schemas import SurveyAnswerImport

console = Console()
err = Console(stderr=True)
COLUMNS = tuple(SurveyAnswerImport.model_fields)
BATCH = 1_000


def register(app: typer.Typer) -> None:
    """Add `import surveys` to the shared `import` group."""
    group = next((g.typer_instance for g in app.registered_groups if g.name == "import"), None)
    if group is None:
        group = typer.Typer(help="Import data in bulk.", no_args_is_help=True)
        app.add_typer(group, name="import")
    group.command("surveys")(import_surveys)
    surveys = typer.Typer(help="Surveys sent by the hub after a resolution.", no_args_is_help=True)
    surveys.command("send")(send_surveys)
    app.add_typer(surveys, name="surveys")


def send_surveys(as_json: Annotated[bool, typer.Option("--json", help="Print the tally as JSON.")] = False) -> None:
    """Send the surveys that are due now (the `quality.send_surveys` job does it every minute)."""
    settings = get_settings()
    engine = make_engine(settings.effective_database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            tally = invitations.send_due_surveys(session, now=utcnow(), settings=settings)
    finally:
        engine.dispose()
    if as_json:
        sys.stdout.write(json.dumps({"invited": tally.invited, "skipped": dict(tally.skipped)}) + "\n")
        return
    skipped = ", ".join(f"{count} {why.replace('_', ' ')}" for why, count in sorted(tally.skipped.items()))
    console.print(f"[green]{tally.invited} invited[/green]" + (f"; skipped: {skipped}" if skipped else ""))


def import_surveys(
    file: Annotated[Path, typer.Argument(help="A .csv, .ndjson or .jsonl file, optionally .gz.")],
    rejects: Annotated[
        Path | None, typer.Option(help="Where to write refused rows (default FILE.rejects.ndjson).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Import survey answers (csat 1-5, nps 0-10, ces 1-7, fcr 0/1); a re-run records nothing twice."""
    engine = make_engine(get_settings().effective_database_url)
    factory = make_sessionmaker(engine)
    tally = {"created": 0, "duplicate": 0, "rejected": 0}
    refused: list[dict[str, Any]] = []
    try:
        records = [(r.line, r.fields, r.error) for r in read_records(file, columns=COLUMNS, required=("question",))]
        with Progress(
            TextColumn("importing answers"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as progress:
            task = progress.add_task("import", total=len(records))
            for offset in range(0, len(records), BATCH):
                with unit_of_work(factory) as session:
                    for line, data, problem in records[offset : offset + BATCH]:
                        reason = problem or _record(session, data or {}, tally)
                        if reason is not None:
                            refused.append({"line": line, "reason": reason, "record": data})
                progress.advance(task, min(BATCH, len(records) - offset))
    except UnreadableFile as exc:
        err.print(f"[red]error ({file}):[/red] {exc}")
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    tally["rejected"] = len(refused)
    rejects_file = None
    if refused:
        rejects_file = rejects or file.with_name(file.name.split(".")[0] + ".rejects.ndjson")
        rejects_file.write_text("".join(json.dumps(r, default=str) + "\n" for r in refused), encoding="utf-8")
    summary = {**tally, "rejects": str(rejects_file) if rejects_file else None}
    if as_json:
        sys.stdout.write(json.dumps(summary) + "\n")
        return
    console.print(f"[green]{tally['created']} created[/green], {tally['duplicate']} duplicate, {len(refused)} rejected")
    for r in refused[:20]:
        err.print(f"[yellow]line {r['line']}:[/yellow] {r['reason']}", soft_wrap=True)
    if rejects_file:
        console.print(f"rejected rows, each with its line number and the reason: {rejects_file}", soft_wrap=True)


def _record(session: Any, data: dict[str, Any], tally: dict[str, int]) -> str | None:
    try:
        answer_import = SurveyAnswerImport.model_validate(data)
        conversation = service.conversation_of(session, answer_import)
    except ValidationError as exc:
        return reason(exc)
    except service.UnknownConversation as exc:
        return str(exc)
    recorded = service.record_answer(session, conversation=conversation, answer_import=answer_import, source="import")
    tally["duplicate" if recorded.duplicate else "created"] += 1
    return None
