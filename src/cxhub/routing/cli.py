"""`cxhub routing simulate FILE`: replay work items through the engine and print the decisions, changing nothing."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.config import get_settings
from cxhub.db import make_engine, make_sessionmaker
from cxhub.kit.recordfile import UnreadableFile
from cxhub.routing.simulation import GIVE_UP_AFTER, Arrival, Outcome, World, arrival_of, read_world, replay
from cxhub.routing.workfile import read_rows
from cxhub.workforce.models import Brand

console = Console()
err = Console(stderr=True)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
PROGRESS_FROM = 2000  # items: below this a replay takes well under a second
COLUMNS = (
    "id",
    "line",
    "at",
    "touchpoint",
    "language",
    "queue",
    "rule",
    "organisation",
    "team",
    "agent",
    "agent_email",
    "assigned_at",
    "waited_seconds",
    "relaxed",
)


def register(app: typer.Typer) -> None:
    """Add the `routing` group to the root command."""
    group = typer.Typer(help="Routing: check a configuration before going live.", no_args_is_help=True)
    group.command("simulate")(simulate)
    app.add_typer(group, name="routing")


def simulate(
    file: Annotated[Path, typer.Argument(help="Work items: a .csv, .ndjson or .jsonl file, optionally .gz.")],
    brand: Annotated[str | None, typer.Option(help="Brand name or id (default: the only brand).")] = None,
    presence_from_db: Annotated[
        bool, typer.Option("--presence-from-db", help="Only agents whose stored presence is available take work.")
    ] = False,
    give_up_after: Annotated[
        int, typer.Option(min=0, help="Seconds after the last arrival or release that waiting items are retried.")
    ] = GIVE_UP_AFTER,
    out: Annotated[Path | None, typer.Option("--out", help="Also write the decisions to this CSV file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print decisions and summary as JSON.")] = False,
) -> None:
    """Replay work items through the routing engine on a simulated clock and print its decisions."""
    engine = make_engine(get_settings().effective_database_url)
    try:
        with make_sessionmaker(engine)() as session:
            try:
                world, rejects, arrivals = _prepare(session, file, brand, presence_from_db)
                outcomes = _replay(arrivals, world, give_up_after)
            finally:
                session.rollback()  # a simulation reads the configuration and never writes
    except UnreadableFile as exc:
        err.print(f"[red]error ({file}):[/red] {exc}")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    decisions = [_decision(outcome, world) for outcome in outcomes]
    summary = _summary(outcomes, world, rejected=len(rejects))
    if out is not None:
        _write_csv(out, decisions)
    if as_json:
        sys.stdout.write(json.dumps({"decisions": decisions, "rejects": rejects, "summary": summary}) + "\n")
        return
    for reject in rejects:
        err.print(f"[yellow]line {reject['line']} skipped:[/yellow] {reject['reason']}", soft_wrap=True)
    _print_table(decisions)
    _print_summary(summary)


def _prepare(
    session: Session, file: Path, brand_key: str | None, presence_from_db: bool
) -> tuple[World, list[dict[str, Any]], list[Arrival]]:
    brand_id = _brand(session, brand_key)
    rows = list(read_rows(file))
    start = min((row.contact.at for row in rows if row.contact is not None), default=None)
    world = read_world(session, brand_id=brand_id, presence_from_db=presence_from_db, start=start or EPOCH)
    rejects: list[dict[str, Any]] = []
    arrivals: list[Arrival] = []
    first_line: dict[str, int] = {}
    for row in rows:
        if row.contact is None:
            rejects.append({"line": row.line, "reason": row.error})
            continue
        if row.contact.id in first_line:
            rejects.append(
                {"line": row.line, "reason": f"id: {row.contact.id!r} is used on line {first_line[row.contact.id]}"}
            )
            continue
        first_line[row.contact.id] = row.line
        arrival = arrival_of(row.contact, line=row.line, world=world)
        if isinstance(arrival, str):
            rejects.append({"line": row.line, "reason": arrival})
        else:
            arrivals.append(arrival)
    return world, rejects, arrivals


def _replay(arrivals: Sequence[Arrival], world: World, give_up_after: int) -> list[Outcome]:
    shown = len(arrivals) >= PROGRESS_FROM and console.is_terminal
    columns = [TextColumn("replaying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=True, disable=not shown) as progress:
        task = progress.add_task("replay", total=len(arrivals))
        return replay(arrivals, world, give_up_after=give_up_after, arrived=lambda n: progress.advance(task, n))


def _brand(session: Session, key: str | None) -> str:
    brands = session.execute(select(Brand.id, Brand.name)).all()
    if key is not None:
        found: str | None = next((b.id for b in brands if key in (b.id, b.name)), None)
        if found is None:
            err.print(f"[red]error (brand):[/red] no brand named {key}")
            raise typer.Exit(1)
        return found
    if len(brands) != 1:
        err.print("[red]error (brand):[/red] " + ("no brand yet" if not brands else "name one with --brand"))
        raise typer.Exit(1)
    return str(brands[0].id)


def _decision(outcome: Outcome, world: World) -> dict[str, Any]:
    arrival, decision = outcome.arrival, outcome.decision
    names = world.names
    agent_id = decision.agent_id if decision else None
    return {
        "id": arrival.ref,
        "line": arrival.line,
        "at": arrival.at.isoformat(),
        "touchpoint": names.get(arrival.touchpoint_id or ""),
        "language": arrival.item.language if arrival.item else None,
        "queue": names.get(arrival.queue_id or ""),
        "rule": decision.rule if decision else None,
        "organisation": names.get(decision.organisation_id or "") if decision else None,
        "team": names.get(decision.team_id or "") if decision else None,
        "agent": names.get(agent_id) if agent_id else None,
        "agent_email": world.emails.get(agent_id) if agent_id else None,
        "assigned_at": outcome.assigned_at.isoformat() if outcome.assigned_at else None,
        "waited_seconds": round(outcome.waited_seconds, 1),
        "relaxed": list(decision.relaxed) if decision else [],
    }


def _summary(outcomes: Sequence[Outcome], world: World, *, rejected: int) -> dict[str, Any]:
    assigned = [o for o in outcomes if o.assigned_at is not None]
    by_organisation = Counter(
        world.names.get(o.decision.organisation_id or "", "") for o in assigned if o.decision is not None
    )
    waits = [o.waited_seconds for o in assigned]
    return {
        "items": len(outcomes),
        "assigned": len(assigned),
        "never_assigned": len(outcomes) - len(assigned),
        "rejected": rejected,
        "by_organisation": dict(sorted(by_organisation.items())),
        "mean_wait_seconds": round(sum(waits) / len(waits), 1) if waits else 0.0,
    }


def _write_csv(path: Path, decisions: Sequence[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        for decision in decisions:
            writer.writerow({**decision, "relaxed": " ".join(decision["relaxed"])})


def _print_table(decisions: Sequence[dict[str, Any]]) -> None:
    table = Table(title="routing decisions")
    for column in ("item", "at (UTC)", "queue", "rule", "organisation", "team", "agent", "waited s", "relaxed"):
        table.add_column(column, justify="right" if column == "waited s" else "left")
    for d in decisions:
        agent = (d["agent"] or "[red]never assigned[/red]") if d["queue"] else "[red]unrouted[/red]"
        table.add_row(
            d["id"],
            dt.datetime.fromisoformat(d["at"]).astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
            d["queue"] or "",
            d["rule"] or "",
            d["organisation"] or "",
            d["team"] or "",
            agent,
            f"{d['waited_seconds']:g}",
            ", ".join(d["relaxed"]),
        )
    console.print(table)


def _print_summary(summary: dict[str, Any]) -> None:
    skipped = f"{summary['rejected']} {'row' if summary['rejected'] == 1 else 'rows'} skipped"
    shares = ", ".join(f"{name} {count}" for name, count in summary["by_organisation"].items())
    console.print(
        f"{summary['items']} items: [green]{summary['assigned']} assigned[/green] ({shares or 'none'}), "
        f"{'[red]' if summary['never_assigned'] else ''}{summary['never_assigned']} never assigned"
        f"{'[/red]' if summary['never_assigned'] else ''}, {skipped}; "
        f"mean wait {summary['mean_wait_seconds']:g} s"
    )
