import typer

from .common import setup_django


def init(
    demo_if_empty: bool = typer.Option(True, "--demo-if-empty/--no-demo", help="Load the demo study into an empty database."),
) -> None:
    """Prepare the database: migrate, install curriculum versions, and load the demo when empty."""
    setup_django()
    from django.core.management import call_command

    from nurture.demo.build import DEMO_PASSWORD, build_demo, demo_logins, has_data
    from nurture.program.domain import sync_curricula

    call_command("migrate", interactive=False, verbosity=0)
    sync_curricula()
    if demo_if_empty and not has_data():
        typer.echo("Loading the demo study (first run)…")
        build_demo()
    typer.echo("Database ready.")
    logins = demo_logins()
    if logins:
        typer.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role in logins:
            typer.echo(f"  {username:<14} {role}")
