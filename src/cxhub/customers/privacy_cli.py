"""`cxhub customers export` and `cxhub customers erase`: privacy requests handled at the command line."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from cxhub.config import get_settings
from cxhub.customers import privacy
from cxhub.db import make_engine, make_sessionmaker, unit_of_work
from cxhub.errors import CxhubError

err = Console(stderr=True)


class ExportFormat(StrEnum):
    JSON = "json"
    HTML = "html"


def export(
    customer_id: Annotated[str, typer.Argument(help="The customer's id.")],
    out: Annotated[Path, typer.Option("--out", help="Write the export here.")],
    output_format: Annotated[
        ExportFormat, typer.Option("--format", help="json (machine-readable) or html (printable).")
    ] = ExportFormat.JSON,
) -> None:
    """Write everything held on a customer (and the customers merged into them); audited."""
    engine = make_engine(get_settings().effective_database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            document = privacy.export_customer(session, customer_id=customer_id, actor=None)
            body = (
                privacy.export_html(document)
                if output_format == ExportFormat.HTML
                else json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"
            )
    except CxhubError as exc:
        err.print(f"[red]error:[/red] {escape(exc.message)}")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    try:
        out.write_text(body, encoding="utf-8")
    except OSError as exc:
        err.print(f"[red]error:[/red] cannot write {escape(str(out))}: {escape(exc.strerror or str(exc))}")
        raise typer.Exit(2) from exc
    err.print(f"exported customer {escape(document['customer']['id'])} to {escape(str(out))}")


def erase(
    customer_id: Annotated[str, typer.Argument(help="The customer's id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit log; no personal data).")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a customer's personal data for good, keeping anonymised facts for the metrics; audited."""
    if not reason.strip():
        err.print("[red]error:[/red] --reason must say why")
        raise typer.Exit(2)
    if not yes and not typer.confirm(f"Erase customer {customer_id} for good? Their merges can no longer be undone"):
        err.print("nothing erased")
        raise typer.Exit(1)
    engine = make_engine(get_settings().effective_database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            result = privacy.erase_customer(session, customer_id=customer_id, reason=reason.strip(), actor=None)
    except CxhubError as exc:
        err.print(f"[red]error:[/red] {escape(exc.message)}")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    counts = ", ".join(f"{table} {n}" for table, n in result["erased"].items() if n)
    err.print(f"erased customer {escape(result['customer_id'])}: {escape(counts or 'nothing else held')}")
