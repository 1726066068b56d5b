"""Shared pieces of the command line: Django start-up and the one-line error contract."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import typer


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nurture.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        fail(f"configuration: {exc}")


def fail(message: str, status: int = 2) -> NoReturn:
    """Print one line to stderr and exit with ``status`` (2 for bad input)."""
    typer.echo(f"nurture: error: {message}", err=True)
    raise typer.Exit(status)


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()
