import typer

from .common import setup_django


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    threads: int = typer.Option(8, help="Worker threads."),
) -> None:
    """Serve the web app with a production-grade WSGI server (waitress)."""
    setup_django()
    from waitress import serve as waitress_serve

    from nurture.wsgi import application

    typer.echo(f"Nurture is serving on http://{host}:{port}/  (Ctrl+C to stop)")
    waitress_serve(application, host=host, port=port, threads=threads, ident="nurture")
