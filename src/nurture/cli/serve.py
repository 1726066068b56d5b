import typer

from .common import setup_django


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    threads: int = typer.Option(8, help="Worker threads."),
    escalate_every: int = typer.Option(60, help="Seconds between alert escalation checks (0 = never)."),
    deliver_every: int = typer.Option(10, help="Seconds between checks for messages to send (alert messages "
                                               "queued by this server are sent at once)."),
    jobs: bool = typer.Option(True, help="Run the background jobs (messages, escalation) in this process."),
) -> None:
    """Serve the web app with a production-grade WSGI server (waitress)."""
    setup_django()
    from waitress import serve as waitress_serve

    from nurture import jobs as background
    from nurture.wsgi import application

    if jobs:
        background.start(deliver_every=deliver_every, escalate_every=escalate_every)
    _warm_up()

    typer.echo(f"Nurture is serving on http://{host}:{port}/  (Ctrl+C to stop)")
    waitress_serve(application, host=host, port=port, threads=threads, ident="nurture")


def _warm_up() -> None:
    """Load the instrument library and the scoring stack before the first mother arrives."""
    from nurture.instruments import library, score

    inst = library().get("epds")
    score(inst, {"1": 0})
