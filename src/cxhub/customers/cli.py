"""`cxhub customers ...`: identity resolution and privacy work in batch."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the `customers` group to the root command."""
    group = typer.Typer(help="Customers: link records into people, merge, export and erase.", no_args_is_help=True)
    app.add_typer(group, name="customers")
