import typer

from .common import describe_database_error, setup_django


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    threads: int = typer.Option(8, min=1, max=256, help="Worker threads."),
    escalate_every: int = typer.Option(60, min=0, help="Seconds between alert escalation checks (0 = never)."),
    deliver_every: int = typer.Option(10, min=1, help="Seconds between checks for messages to send (alert messages "
                                                      "queued by this server are sent at once)."),
    jobs: bool = typer.Option(True, help="Run the background jobs (messages, escalation) in this process."),
) -> None:
    """Serve the web app with a production-grade WSGI server (waitress)."""
    setup_django()
    from waitress import serve as waitress_serve

    from nurture import jobs as background
    from nurture.wsgi import application

    _check_database()
    if jobs:
        background.start(deliver_every=deliver_every, escalate_every=escalate_every)
    _warm_up()

    typer.echo(f"Nurture is serving on http://{host}:{port}/  (Ctrl+C to stop)")
    waitress_serve(application, host=host, port=port, threads=threads, ident="nurture")


def _check_database() -> None:
    """Say at start-up when the database cannot be used; pages answer 503 until it can."""
    from django.db import DatabaseError, connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM django_migrations")
    except DatabaseError as exc:
        typer.echo(f"warning: {describe_database_error(exc)}; pages answer 503 until it is fixed", err=True)
    finally:
        connection.close()


def _warm_up() -> None:
    """Load the instrument library and the scoring stack before the first mother arrives."""
    from nurture.instruments import library, score

    inst = library().get("epds")
    score(inst, {"1": 0})
