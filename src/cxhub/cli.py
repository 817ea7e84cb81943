"""The `cxhub` command: serve, worker, migrate, demo, import, routing, users, tokens, orgs."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
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
from cxhub.workforce.models import Agent, Brand, Organisation, Site, Team
from cxhub.workforce.schemas import BrandCreate, OrganisationCreate, OrganisationKind, SiteCreate, TeamCreate

app = typer.Typer(help="cxhub: the Customer Experience Hub.", no_args_is_help=True, add_completion=False)
users_app = typer.Typer(help="Staff users.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens.", no_args_is_help=True)
orgs_app = typer.Typer(help="Organisations: in-house, insourced, outsourced partners.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(orgs_app, name="orgs")
brands_app = typer.Typer(help="Brands.", no_args_is_help=True)
sites_app = typer.Typer(help="Sites of organisations.", no_args_is_help=True)
teams_app = typer.Typer(help="Teams at sites.", no_args_is_help=True)
agents_app = typer.Typer(help="Agent profiles.", no_args_is_help=True)
app.add_typer(brands_app, name="brands")
app.add_typer(sites_app, name="sites")
app.add_typer(teams_app, name="teams")
app.add_typer(agents_app, name="agents")
console = Console()
err = Console(stderr=True)

ModelT = TypeVar("ModelT", bound=BaseModel)
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
    from cxhub.analytics.service import refresh_all
    from cxhub.demo_contacts import load_contacts

    with transaction() as session:
        if demo_world.has_demo(session) and not reset:
            console.print("the demo world is already loaded (use --reset to rebuild it)")
            return
        if reset:
            demo_world.reset(session)
        with console.status("loading the demo world"):
            demo_world.load(session)
            contacts = load_contacts(session)
            demo_world.load_evaluations(session)
            refresh_all(session)  # the dashboards show the demo's figures at once, not after the first refresh
    console.print(f"[green]demo world loaded:[/green] brand {demo_world.DEMO_BRAND}, {contacts} customer contacts")


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
    app = create_app(settings)
    gc.freeze()  # what start-up made lives as long as the process: keep it out of every collection
    uvicorn.run(app, host=host or settings.host, port=port or settings.port, log_level="warning")


@app.command()
def smtp(
    host: Annotated[str | None, typer.Option(help="Address to receive mail on (CXHUB_SMTP_LISTEN_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to receive mail on (CXHUB_SMTP_LISTEN_PORT).")] = None,
) -> None:
    """Receive e-mail by SMTP: each message is recorded (or kept as a dead letter) before it is acknowledged."""
    import signal
    import threading

    from cxhub.channels import smtp as smtp_server

    settings = get_settings()
    host, port = host or settings.smtp_listen_host, port or settings.smtp_listen_port
    engine = make_engine(settings.effective_database_url)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server = smtp_server.mail_server(make_sessionmaker(engine), settings, host=host, port=port)
    try:
        server.start()
    except OSError as exc:
        engine.dispose()
        err.print(f"[red]error:[/red] cannot receive mail on {host}:{port}: {exc.strerror or exc}")
        raise typer.Exit(1) from exc
    console.print(f"cxhub receiving mail on [bold]smtp://{host}:{port}[/bold]")
    try:
        stop.wait()
    finally:
        server.stop()
        engine.dispose()


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
    organisation_create = _validated(OrganisationCreate, {"name": name, "kind": _kind(kind), "country": country})
    with transaction() as session:
        org = workforce_service.create_organisation(session, organisation_create=organisation_create, actor=None)
        row = {"id": org.id, "name": org.name, "kind": org.kind, "country": org.country}
    _print([row], list(row), as_json, "organisation created")


def _validated(model: type[ModelT], data: dict[str, Any]) -> ModelT:
    """Input checked by the same schema as the API; a bad field is a clear error and exit code 1."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        err.print(f"[red]error ({'.'.join(map(str, first['loc']))}):[/red] {first['msg']}")
        raise typer.Exit(1) from exc


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


# brands, sites, teams, agents


@brands_app.command("list")
def brands_list(as_json: JsonOption = False) -> None:
    """List brands."""
    with transaction() as session:
        rows = [
            {"id": b.id, "name": b.name, "home_country": b.home_country, "time_zone": b.time_zone}
            for b in session.scalars(select(Brand).order_by(Brand.name))
        ]
    _print(rows, ["name", "home_country", "time_zone", "id"], as_json, "brands")


@brands_app.command("create")
def brands_create(
    name: Annotated[str, typer.Option(help="Brand name.")],
    home_country: Annotated[str, typer.Option(help="ISO country code, e.g. IE.")],
    time_zone: Annotated[str, typer.Option(help="IANA time zone, e.g. Europe/Dublin.")],
    as_json: JsonOption = False,
) -> None:
    """Create a brand."""
    brand_create = _validated(BrandCreate, {"name": name, "home_country": home_country, "time_zone": time_zone})
    with transaction() as session:
        brand = workforce_service.create_brand(session, brand_create=brand_create, actor=None)
        row = {"id": brand.id, "name": brand.name}
    _print([row], list(row), as_json, "brand created")


@sites_app.command("list")
def sites_list(as_json: JsonOption = False) -> None:
    """List sites with their organisation, time zone and location band."""
    with transaction() as session:
        rows = [
            {
                "id": s.id,
                "organisation": o.name,
                "name": s.name,
                "city": s.city,
                "country": s.country,
                "time_zone": s.time_zone,
                "location_band": s.location_band,
                "opening_hours": s.opening_hours,
            }
            for s, o in session.execute(
                select(Site, Organisation)
                .join(Organisation, Organisation.id == Site.organisation_id)
                .order_by(Organisation.name, Site.name)
            )
        ]
    _print(rows, ["organisation", "name", "city", "time_zone", "location_band", "id"], as_json, "sites")


@sites_app.command("create")
def sites_create(
    organisation: Annotated[str, typer.Option(help="Organisation name or id.")],
    name: Annotated[str, typer.Option(help="Site name.")],
    city: Annotated[str, typer.Option(help="City.")],
    country: Annotated[str, typer.Option(help="ISO country code.")],
    time_zone: Annotated[str, typer.Option(help="IANA time zone of the site.")],
    location_band: Annotated[str, typer.Option(help="onshore, nearshore or offshore.")],
    hours: Annotated[str, typer.Option(help="Opening hours every listed day, e.g. 08:00-18:00.")] = "09:00-17:00",
    days: Annotated[str, typer.Option(help="Days open, comma-separated.")] = "mon,tue,wed,thu,fri",
    as_json: JsonOption = False,
) -> None:
    """Create a site with its opening hours."""
    opens, _, closes = hours.partition("-")
    with transaction() as session:
        org = _organisation(session, organisation)
        site_create = _validated(
            SiteCreate,
            {
                "organisation_id": org.id,
                "name": name,
                "city": city,
                "country": country,
                "time_zone": time_zone,
                "location_band": location_band,
                "opening_hours": {day: [[opens, closes]] for day in _split(days)},
            },
        )
        site = workforce_service.create_site(session, site_create=site_create, actor=None)
        row = {"id": site.id, "name": site.name, "organisation": org.name}
    _print([row], list(row), as_json, "site created")


@teams_app.command("list")
def teams_list(as_json: JsonOption = False) -> None:
    """List teams with their site, channels, languages and skills."""
    with transaction() as session:
        rows = [
            {
                "id": t.id,
                "site": s.name,
                "name": t.name,
                "channels": t.channels,
                "languages": t.languages,
                "skills": t.skills,
            }
            for t, s in session.execute(select(Team, Site).join(Site, Site.id == Team.site_id).order_by(Team.name))
        ]
    _print(rows, ["name", "site", "channels", "languages", "skills", "id"], as_json, "teams")


@teams_app.command("create")
def teams_create(
    site: Annotated[str, typer.Option(help="Site id.")],
    name: Annotated[str, typer.Option(help="Team name.")],
    channels: Annotated[str, typer.Option(help="Comma-separated: email, chat, voice, social, reviews, commerce.")] = "",
    languages: Annotated[str, typer.Option(help="Comma-separated language tags, e.g. pt,es.")] = "",
    skills: Annotated[str, typer.Option(help="Comma-separated skills.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Create a team at a site."""
    team_create = _validated(
        TeamCreate,
        {
            "site_id": site,
            "name": name,
            "channels": _split(channels),
            "languages": _split(languages),
            "skills": _split(skills),
        },
    )
    with transaction() as session:
        team = workforce_service.create_team(session, team_create=team_create, actor=None)
        row = {"id": team.id, "name": team.name}
    _print([row], list(row), as_json, "team created")


@agents_app.command("list")
def agents_list(as_json: JsonOption = False) -> None:
    """List agent profiles."""
    with transaction() as session:
        rows = [
            {
                "id": a.id,
                "email": u.email,
                "team": t.name,
                "languages": a.languages,
                "skills": a.skills,
                "max_concurrent": a.max_concurrent,
                "hourly_cost": a.hourly_cost,
                "cost_currency": a.cost_currency,
            }
            for a, u, t in session.execute(
                select(Agent, User, Team)
                .join(User, User.id == Agent.user_id)
                .join(Team, Team.id == Agent.team_id)
                .order_by(User.email)
            )
        ]
    _print(rows, ["email", "team", "hourly_cost", "cost_currency", "id"], as_json, "agents")


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


def _register_import() -> None:
    from cxhub.conversations.cli import register

    register(app)


def _register_channels() -> None:
    from cxhub.channels.cli import register

    register(app)


def _register_routing() -> None:
    from cxhub.routing.cli import register

    register(app)


def _register_measurement() -> None:
    from cxhub.analytics.cli import register as register_metrics
    from cxhub.quality.cli import register as register_surveys

    register_surveys(app)
    register_metrics(app)


def _register_customers() -> None:
    import cxhub.tasks  # noqa: F401  personal-data holders register on import: export and erase walk them
    from cxhub.customers.cli import register

    register(app)


_register_import()
_register_channels()
_register_routing()
_register_customers()
_register_measurement()
