"""The `cxhub` command: serve, worker, migrate, demo, users, tokens, orgs."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.auth import repository as auth_repository
from cxhub.auth import service as auth_service
from cxhub.auth.models import ApiToken, User
from cxhub.auth.permissions import Role
from cxhub.config import get_settings
from cxhub.db import make_engine, make_sessionmaker, unit_of_work
from cxhub.errors import CxhubError
from cxhub.workforce import service as workforce_service
from cxhub.workforce.models import Organisation
from cxhub.workforce.schemas import OrganisationCreate, OrganisationKind

app = typer.Typer(help="cxhub: the Customer Experience Hub.", no_args_is_help=True, add_completion=False)
users_app = typer.Typer(help="Staff users.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens.", no_args_is_help=True)
orgs_app = typer.Typer(help="Organisations: in-house, insourced, outsourced partners.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(orgs_app, name="orgs")
console = Console()
err = Console(stderr=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@contextmanager
def transaction() -> Iterator[Session]:
    """The CLI's unit of work; a CxhubError becomes a clear message and exit code 1."""
    engine = make_engine(get_settings().effective_database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            yield session
    except CxhubError as exc:
        field = f" ({exc.field})" if exc.field else ""
        err.print(f"[red]error{field}:[/red] {exc.message}")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()


def _print(rows: list[dict[str, Any]], columns: list[str], as_json: bool, title: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps(rows, default=str, indent=2) + "\n")
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row.get(c, "")) for c in columns))
    console.print(table)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from cxhub.migrate import upgrade

    settings = get_settings()
    if settings.effective_database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    engine.dispose()
    console.print("[green]database is up to date[/green]")


@app.command()
def demo(reset: Annotated[bool, typer.Option("--reset", help="Rebuild the demo from scratch.")] = False) -> None:
    """Load the demo world (Lumen Home and its partners); leaves an existing demo as it is."""
    from cxhub import demo as demo_world

    with transaction() as session:
        if demo_world.has_demo(session) and not reset:
            console.print("the demo world is already loaded (use --reset to rebuild it)")
            return
        if reset:
            demo_world.reset(session)
        with console.status("loading the demo world"):
            demo_world.load(session)
    console.print(f"[green]demo world loaded:[/green] brand {demo_world.DEMO_BRAND}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (CXHUB_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (CXHUB_PORT).")] = None,
) -> None:
    """Serve the hub (with an in-process job worker unless CXHUB_IN_PROCESS_WORKER=false)."""
    import uvicorn

    from cxhub.app import create_app

    settings = get_settings()
    console.print(f"cxhub serving on [bold]http://{host or settings.host}:{port or settings.port}[/bold]")
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port, log_level="warning")


# users


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Login e-mail.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    role: Annotated[Role, typer.Option(help="Role.")],
    organisation: Annotated[str, typer.Option(help="Organisation name or id.")],
    password: Annotated[str | None, typer.Option(help="Password; generated (and must be changed) if omitted.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a staff user."""
    with transaction() as session:
        org = _organisation(session, organisation)
        user, generated = workforce_service.create_user(
            session, email=email, name=name, role=role, organisation_id=org.id, password=password, actor=None
        )
        row = {
            "id": user.id,
            "email": user.email,
            "role": user.role,
            "organisation": org.name,
            "temporary_password": generated,
        }
    _print([row], list(row), as_json, "user created")


@users_app.command("list")
def users_list(as_json: JsonOption = False) -> None:
    """List staff users."""
    with transaction() as session:
        rows = [
            {
                "id": u.id,
                "email": u.email,
                "name": u.name,
                "role": u.role,
                "organisation": o.name,
                "active": u.is_active,
            }
            for u, o in session.execute(
                select(User, Organisation)
                .join(Organisation, Organisation.id == User.organisation_id)
                .order_by(User.email)
            )
        ]
    _print(rows, ["email", "name", "role", "organisation", "active", "id"], as_json, "users")


@users_app.command("disable")
def users_disable(email: Annotated[str, typer.Argument(help="The user's e-mail.")]) -> None:
    """Disable a user: they can no longer log in and their sessions end."""
    with transaction() as session:
        user = _user(session, email)
        workforce_service.update_user(session, user=user, is_active=False, actor=None)
    console.print(f"{email} is disabled")


# tokens


@tokens_app.command("create")
def tokens_create(
    user: Annotated[str, typer.Option("--user", help="E-mail of the user the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
    as_json: JsonOption = False,
) -> None:
    """Create an API token; the secret is printed once."""
    with transaction() as session:
        api_token, secret = auth_service.create_api_token(session, user=_user(session, user), name=name, actor=None)
        token_id = api_token.id
    if as_json:
        sys.stdout.write(json.dumps({"token": secret, "id": token_id}) + "\n")
    else:
        console.print(f"token {token_id} (shown once): [bold]{secret}[/bold]")


@tokens_app.command("revoke")
def tokens_revoke(token_id: Annotated[str, typer.Argument(help="The token's id.")]) -> None:
    """Revoke an API token."""
    with transaction() as session:
        api_token = session.get(ApiToken, token_id)
        if api_token is None:
            raise CxhubError("no such token", status=404)
        auth_service.revoke_api_token(session, api_token=api_token, actor=None)
    console.print(f"token {token_id} revoked")


# organisations


@orgs_app.command("list")
def orgs_list(as_json: JsonOption = False) -> None:
    """List organisations."""
    with transaction() as session:
        rows = [
            {"id": o.id, "name": o.name, "kind": o.kind, "country": o.country, "data_policy": o.data_policy}
            for o in session.scalars(select(Organisation).order_by(Organisation.name))
        ]
    _print(rows, ["name", "kind", "country", "id"], as_json, "organisations")


@orgs_app.command("create")
def orgs_create(
    name: Annotated[str, typer.Option(help="Organisation name.")],
    kind: Annotated[str, typer.Option(help="in_house, insourced or outsourced.")],
    country: Annotated[str, typer.Option(help="ISO country code, e.g. PT.")],
    as_json: JsonOption = False,
) -> None:
    """Create an organisation."""
    from pydantic import ValidationError

    try:
        organisation_create = OrganisationCreate(name=name, kind=_kind(kind), country=country)
    except ValidationError as exc:
        first = exc.errors()[0]
        err.print(f"[red]error ({'.'.join(map(str, first['loc']))}):[/red] {first['msg']}")
        raise typer.Exit(1) from exc
    with transaction() as session:
        org = workforce_service.create_organisation(session, organisation_create=organisation_create, actor=None)
        row = {"id": org.id, "name": org.name, "kind": org.kind, "country": org.country}
    _print([row], list(row), as_json, "organisation created")


def _kind(value: str) -> OrganisationKind:
    kinds: dict[str, OrganisationKind] = {"in_house": "in_house", "insourced": "insourced", "outsourced": "outsourced"}
    if value not in kinds:
        err.print("[red]error (kind):[/red] must be in_house, insourced or outsourced")
        raise typer.Exit(1)
    return kinds[value]


def _organisation(session: Session, key: str) -> Organisation:
    org = session.get(Organisation, key) or session.scalar(select(Organisation).where(Organisation.name == key))
    if org is None:
        raise CxhubError(f"no organisation named {key}", status=404, field="organisation")
    return org


def _user(session: Session, email: str) -> User:
    user = auth_repository.user_by_email(session, email)
    if user is None:
        raise CxhubError(f"no user with e-mail {email}", status=404, field="user")
    return user


def _register_worker() -> None:
    from cxhub.jobs.cli import worker

    app.command("worker", help="Run a job worker (any number, on any machine).")(worker)


_register_worker()
