import typer

from .common import setup_django


def demo(seed: int = typer.Option(2021, min=0, max=2**32 - 1, help="Random seed; the same seed gives the same study.")) -> None:
    """Create (or recreate) the synthetic demo study shaped like the pilot."""
    setup_django()
    from django.core.management import call_command

    from nurture.demo.build import DEMO_PASSWORD, build_demo

    call_command("migrate", interactive=False, verbosity=0)
    summary = build_demo(seed=seed)
    typer.echo(f"Demo study created: {summary}")
    typer.echo(f"Log in as coordinator / {DEMO_PASSWORD} (also facilitator, researcher, admin).")
