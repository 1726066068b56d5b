import typer

from .common import setup_django


def init(
    demo_if_empty: bool = typer.Option(True, "--demo-if-empty/--no-demo", help="Load the demo study into an empty database."),
) -> None:
    """Prepare the database: compile the translation catalogs, migrate, install curriculum versions, and load the demo when empty."""
    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    from nurture.common.catalogs import compile_catalogs
    from nurture.demo.build import DEMO_PASSWORD, build_demo, demo_logins, has_data
    from nurture.program.domain import sync_curricula

    try:
        compile_catalogs(settings.LOCALE_PATHS)
    except (OSError, ValueError) as exc:  # a read-only install keeps the catalogs it was built with
        typer.echo(f"Translation catalogs not compiled: {exc}", err=True)
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
