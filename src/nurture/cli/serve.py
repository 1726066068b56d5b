"""``nurture serve``: the web app behind a production server, and the background jobs.

On Linux and macOS the server is gunicorn: one worker process per CPU core (``--workers``),
each with ``--threads`` request threads and room for many idle keep-alive connections
(``worker_connections``), so a room full of mothers on phones is served by every core.
The background jobs (alert messages, escalation) run in exactly one worker at a time,
chosen by a lock file (:func:`nurture.jobs.start_elected`). Where gunicorn cannot run
(Windows) — or with ``--server waitress`` — the app is served by waitress in one process
with threads, and the jobs loop runs in that process.
"""

from __future__ import annotations

import gc
import os
import sys

import typer

from .common import describe_database_error, fail, setup_django

#: Idle keep-alive connections each worker holds open (a phone between two pages).
KEEPALIVE_SECONDS = 5
#: Connections each process accepts at once; sized so 500 mothers' phones keep theirs.
CONNECTION_LIMIT = 1000
#: Each gunicorn worker listens on its own socket (SO_REUSEPORT) and Linux shares new
#: connections out among them. With one shared socket, whichever worker was waiting took
#: them: a phone keeps its connection from page to page, and in a crowd of 50 one worker
#: was left with 46 of them while the other core sat idle. (Only on Linux: elsewhere the
#: option does not share connections out.)
BALANCE_CONNECTIONS = sys.platform.startswith("linux")


def cpu_count() -> int:
    """The cores this process may run on (a container's share, not the whole machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(0, min=0, max=64, help="Worker processes (0 = one per CPU core)."),
    threads: int = typer.Option(4, min=1, max=256, help="Request threads per worker process."),
    server: str = typer.Option("auto", help="auto (gunicorn where it runs, else waitress), gunicorn or waitress."),
    escalate_every: int = typer.Option(60, min=0, help="Seconds between alert escalation checks (0 = never)."),
    deliver_every: int = typer.Option(10, min=1, help="Seconds between checks for messages to send (alert messages "
                                                      "queued by this server are sent at once)."),
    jobs: bool = typer.Option(True, help="Run the background jobs (messages, escalation) in this server."),
) -> None:
    """Serve the web app with a production server (gunicorn worker processes; waitress on Windows)."""
    if server not in {"auto", "gunicorn", "waitress"}:
        fail(f"--server {server!r}: use auto, gunicorn or waitress")
    if server == "auto":
        server = "gunicorn" if _gunicorn_runs_here() else "waitress"
    elif server == "gunicorn" and not _gunicorn_runs_here():
        fail("--server gunicorn: gunicorn does not run on this system; use --server waitress")
    _check_port(host, port)
    setup_django()
    from nurture.wsgi import application

    _check_database()
    _warm_up()
    # Everything loaded so far (Django, the instrument library) lives as long as the server:
    # the garbage collector need not walk it on every collection during a request, and
    # gunicorn's forked workers keep sharing its memory pages.
    gc.collect()
    gc.freeze()
    workers = workers or cpu_count()
    typer.echo(f"Nurture is serving on http://{host}:{port}/  ({server}, "
               f"{f'{workers} worker processes × ' if server == 'gunicorn' else ''}{threads} threads; Ctrl+C to stop)")
    sys.stdout.flush()
    if server == "gunicorn":
        _serve_gunicorn(application, host=host, port=port, workers=workers, threads=threads, jobs=jobs,
                        deliver_every=deliver_every, escalate_every=escalate_every)
    else:
        from waitress import serve as waitress_serve

        from nurture import jobs as background

        if jobs:
            background.start(deliver_every=deliver_every, escalate_every=escalate_every)
        # Forwarded headers reach Django untouched: nurture.common.proxy believes them from
        # NURTURE_TRUSTED_PROXIES only and drops them from anyone else.
        waitress_serve(application, host=host, port=port, threads=threads, ident="nurture",
                       connection_limit=CONNECTION_LIMIT, channel_timeout=KEEPALIVE_SECONDS * 12,
                       clear_untrusted_proxy_headers=False)


def _check_port(host: str, port: int) -> None:
    """Refuse, in one line, an address something already listens on — another program, or
    another ``nurture serve`` (whose workers would otherwise share the port with these, each
    taking part of the mothers, see :data:`BALANCE_CONNECTIONS`)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        fail(f"--host {host}: {exc.strerror or exc}")
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server itself binds
        try:
            probe.bind(address)
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc.strerror or exc} (is another server running there?)")


def _gunicorn_runs_here() -> bool:
    if os.name != "posix":
        return False
    try:
        import gunicorn.app.base  # noqa: F401
    except ImportError:
        return False
    return True


def _serve_gunicorn(application, *, host: str, port: int, workers: int, threads: int, jobs: bool,
                    deliver_every: int, escalate_every: int) -> None:
    """Run the gunicorn arbiter in this process until it is stopped (SIGTERM / Ctrl+C)."""
    from django.conf import settings
    from gunicorn.app.base import BaseApplication

    from nurture import jobs as background

    lock = settings.VAR_DIR / "jobs.lock"

    def post_worker_init(worker) -> None:
        if jobs:
            background.start_elected(
                lock, deliver_every=deliver_every, escalate_every=escalate_every,
                on_elected=lambda: worker.log.info("Background jobs (alert messages, escalation) run in worker %s",
                                                   os.getpid()))

    options = {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        # gthread parks idle keep-alive connections in a poller, not in a thread
        "worker_connections": CONNECTION_LIMIT,
        "keepalive": KEEPALIVE_SECONDS,
        "backlog": 2048,
        "reuse_port": BALANCE_CONNECTIONS,
        "timeout": 60,
        "graceful_timeout": 10,
        "preload_app": True,  # Django and the instrument library load once, before the workers fork
        "post_worker_init": post_worker_init,
        "control_socket_disable": True,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "nurture",
        # gunicorn decides nothing from forwarded headers: nurture.common.proxy believes them
        # from NURTURE_TRUSTED_PROXIES only (scheme, client address) and drops them otherwise.
        "forwarded_allow_ips": "",
        "secure_scheme_headers": {},
    }

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                if key in self.cfg.settings:
                    self.cfg.set(key, value)

        def load(self):
            return application

    Server().run()


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
    """Load before the first mother arrives (and, with gunicorn, once before the workers
    fork, not in each worker while the first requests wait): the instrument library and
    the scoring stack, every view module (the URL patterns) and the survey's templates."""
    from django.template.loader import get_template
    from django.urls import get_resolver

    from nurture.instruments import library, score

    inst = library().get("epds")
    score(inst, {"1": 0})
    get_resolver().url_patterns  # noqa: B018 (imports every view module)
    for name in ("page", "start", "review", "done", "support", "message"):
        get_template(f"survey/{name}.html")  # compiled once and kept by the cached template loader
