"""Shared pieces of the command line: Django start-up and the one-line error contract.

Every command answers bad input with one line on stderr — ``nurture: error: …`` naming
the file, row and column where there is one — and exit status 2. :class:`NurtureGroup`
holds that line for the problems no command can foresee: a file that cannot be read
or written (``OSError``), and a database that is missing, read-only or unreachable.
Anything else is a bug: one line saying so, exit status 70, and the traceback only when
``NURTURE_TRACEBACK=1``.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import NoReturn

import typer
from typer.core import TyperGroup

INTERNAL_ERROR = 70  # EX_SOFTWARE


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nurture.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        fail(f"configuration: {exc}")
    except OSError as exc:  # the settings create var/ (database, secret key, static files)
        fail(f"configuration: {describe_os_error(exc)}")


def fail(message: str, status: int = 2) -> NoReturn:
    """Print one line to stderr and exit with ``status`` (2 for bad input)."""
    line = " ".join(str(message).split())  # one line, whatever the message held
    typer.echo(f"nurture: error: {line}", err=True)
    raise typer.Exit(status)


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def describe_os_error(exc: OSError) -> str:
    """``path: reason`` for an operating-system error (missing folder, no permission, a folder given as a file)."""
    reason = exc.strerror or str(exc)
    target = exc.filename if exc.filename is not None else ""
    return f"{target}: {reason}" if target else reason


def describe_database_error(exc: Exception) -> str:
    """One line for a database that cannot be used, with what to do about it."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    lowered = text.lower()
    if "no such table" in lowered or ("relation" in lowered and "does not exist" in lowered):
        hint = "the database has no Nurture tables (run `nurture init`)"
    elif "readonly" in lowered or "read-only" in lowered or "read only" in lowered:
        hint = "the database is read-only (check the file's permissions and its folder's)"
    elif "unable to open" in lowered or "not a database" in lowered:
        hint = "the database file cannot be opened (missing folder, no permission, or not a database)"
    elif "connect" in lowered or "could not translate host" in lowered or "timeout" in lowered:
        hint = "cannot reach the database server (check NURTURE_DATABASE_URL and that the server runs)"
    elif "locked" in lowered:
        hint = "the database is busy (another process holds a lock); try again"
    else:
        hint = "the database cannot be used"
    return f"database: {hint}: {text}"


def database_location() -> str:
    """Where the configured database lives, for messages (never the password)."""
    try:
        from django.conf import settings

        db = settings.DATABASES["default"]
    except Exception:  # settings not loaded: nothing useful to add
        return ""
    if "sqlite" in db.get("ENGINE", ""):
        return str(db.get("NAME", ""))
    return f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{db.get('NAME', '')}"


def ensure_writable(path: Path, *, folder: bool = False) -> None:
    """Refuse, before any work is done, an output that cannot be written.

    ``path`` is a file to create (or a folder when ``folder``); its nearest existing
    ancestor must be a writable folder and the path itself must not be the wrong kind.
    """
    path = Path(path)
    if path.exists():
        if folder and not path.is_dir():
            fail(f"{path}: is a file, not a folder")
        if not folder and path.is_dir():
            fail(f"{path}: is a folder; give a file name")
        target = path if folder else path.parent
    else:
        target = path.parent
    ancestor = target
    while not ancestor.exists():
        if ancestor.parent == ancestor:
            break
        ancestor = ancestor.parent
    if ancestor.exists() and not ancestor.is_dir():
        fail(f"{path}: {ancestor} is a file, not a folder")
    if ancestor.exists() and not os.access(ancestor, os.W_OK | os.X_OK):
        fail(f"{path}: cannot write in {ancestor} (permission denied)")


class NurtureGroup(TyperGroup):
    """The ``nurture`` group: turns unforeseen failures into the one-line contract."""

    def invoke(self, ctx):
        from nurture.accounts import context

        # Every audit entry this command writes names the system account and the command line.
        with context.acting_from(context.from_command(["nurture", *sys.argv[1:]])), warnings.catch_warnings():
            if not os.environ.get("NURTURE_TRACEBACK"):
                # Library warnings (numpy casts of absurd values, pandas futures) are noise to a user
                # and would break the one-line contract; the values behind them are refused anyway.
                for category in (RuntimeWarning, FutureWarning, DeprecationWarning, UserWarning):
                    warnings.simplefilter("ignore", category)
            return self._invoke(ctx)

    def _invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except typer.TyperException as exc:
            if getattr(exc, "exit_code", None) == 2 and hasattr(exc, "format_message"):
                # a usage error (missing option, bad number): one line too, with where to look
                ctx = getattr(exc, "ctx", None)
                fail(f"{exc.format_message()} (see `{ctx.command_path if ctx else 'nurture'} --help`)")
            raise
        except (typer.Exit, typer.Abort):
            raise
        except OSError as exc:
            fail(describe_os_error(exc))
        except Exception as exc:
            if _is_database_error(exc):
                where = database_location()
                fail(describe_database_error(exc) + (f" ({where})" if where else ""))
            if os.environ.get("NURTURE_TRACEBACK"):
                raise
            fail(f"internal error ({type(exc).__name__}: {exc}); this is a bug: rerun with NURTURE_TRACEBACK=1 "
                 "and report it", status=INTERNAL_ERROR)


def _is_database_error(exc: Exception) -> bool:
    if "django.db" not in sys.modules:
        return False
    from django.db import DatabaseError

    return isinstance(exc, DatabaseError)
