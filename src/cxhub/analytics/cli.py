"""`cxhub metrics report|refresh`: the figures behind dashboards, for scripts, benchmarks and brands' reporting."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cxhub.analytics import service
from cxhub.analytics.definitions import METRICS
from cxhub.config import get_settings
from cxhub.db import make_engine, make_sessionmaker, unit_of_work
from cxhub.errors import CxhubError

console = Console()
err = Console(stderr=True)
_SHOWN = ("contacts", "service_level", "asa_seconds", "aht_seconds", "abandon_rate", "fcr_internal", "csat", "nps")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Metrics: one definition for every provider.", no_args_is_help=True)
    group.command("report")(report)
    group.command("refresh")(refresh)
    app.add_typer(group, name="metrics")


def _day(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a YYYY-MM-DD day", param_hint=name) from exc


def report(
    first: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD, in the brand's time zone.")],
    last: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD, included.")],
    by: Annotated[
        list[str] | None, typer.Option("--by", help=f"Slice by: {', '.join(service.BY)}; repeatable.")
    ] = None,
    period: Annotated[service.Period | None, typer.Option(help="hour, day, week or month.")] = None,
    brand: Annotated[str | None, typer.Option(help="Brand name or id (default: every brand).")] = None,
    no_refresh: Annotated[bool, typer.Option("--no-refresh", help="Read the rollups as they are.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help='Print {"rows": [...]} as JSON.')] = False,
) -> None:
    """Every metric for the days, sliced by the dimensions: null where there is no data."""
    report_request = service.ReportRequest(
        first=_day(first, "--from"),
        last=_day(last, "--to"),
        by=tuple(by or ()),
        period=period,
        brand=brand,
    )
    engine = make_engine(get_settings().effective_database_url)
    try:
        factory = make_sessionmaker(engine)
        service.check_report_request(report_request)
        if not no_refresh:
            with unit_of_work(factory) as session:
                service.refresh_all(session)
        with factory() as session:
            rows = service.report(session, actor=None, report_request=report_request)
    except CxhubError as exc:
        err.print(f"[red]error ({exc.field or 'report'}):[/red] {exc.message}")
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()
    if as_json:
        sys.stdout.write(json.dumps({"rows": rows}) + "\n")
        return
    _print(rows, report_request)


def _print(rows: list[dict[str, Any]], report_request: service.ReportRequest) -> None:
    labels = {m.name: m.label for m in METRICS} | {"contacts": "Contacts"}
    table = Table(title=f"{report_request.first} to {report_request.last}")
    keys = (["period"] if report_request.period else []) + list(report_request.by)
    for key in keys:
        table.add_column(key.replace("_", " ").capitalize())
    for name in _SHOWN:
        table.add_column(labels[name], justify="right")
    for row in rows:
        table.add_row(*(str(row.get(k) or "-") for k in keys), *(_shown(name, row.get(name)) for name in _SHOWN))
    console.print(table)


def _shown(name: str, value: Any) -> str:
    if value is None:
        return "-"
    if name == "contacts":
        return f"{value:,}"
    if name.endswith("_seconds"):
        return f"{value:,.0f} s"
    if name == "nps":
        return f"{value:+.0f}"
    return f"{100 * value:.1f} %"


def refresh(
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Rebuild every day from the start.")] = False,
) -> None:
    """Bring every brand's daily rollups up to date (the `analytics.refresh_rollups` job does this every 5 min)."""
    engine = make_engine(get_settings().effective_database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            if rebuild:
                service.forget_refreshes(session)
            done = service.refresh_all(session)
    finally:
        engine.dispose()
    for refreshed in done:
        console.print(f"brand {refreshed.brand_id}: {len(refreshed.days)} days, {refreshed.rows} rollup rows")
