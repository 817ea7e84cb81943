"""The docs name every setting, CLI command and permission; a new one without docs fails here."""

from __future__ import annotations

from pathlib import Path

import typer

from cxhub.auth.permissions import Permission, Role
from cxhub.cli import app as cli_app
from cxhub.config import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text()
    missing = [name for name in Settings.model_fields if f"`CXHUB_{name.upper()}`" not in text]
    assert missing == []


def _commands(app: typer.Typer, prefix: str = "cxhub") -> list[str]:
    names = [f"{prefix} {c.name or (c.callback.__name__ if c.callback else '')}" for c in app.registered_commands]
    for group in app.registered_groups:
        assert group.typer_instance is not None
        names += _commands(group.typer_instance, f"{prefix} {group.name}")
    return names


def test_every_cli_command_is_documented() -> None:
    text = (DOCS / "cli.md").read_text()
    commands = _commands(cli_app)
    assert len(commands) >= 10
    assert [c for c in commands if f"`{c}" not in text] == []


def test_every_permission_and_role_is_documented() -> None:
    text = (DOCS / "roles-and-permissions.md").read_text()
    assert [p.value for p in Permission if f"`{p.value}` | {p.description}" not in text] == []
    assert [r.value for r in Role if f"`{r.value}`" not in text] == []
