"""A friendly 503 page when the database cannot be used (never a traceback or a debug page).

A database that is missing, read-only, unreachable or not yet migrated raises an
``OperationalError`` (or, on PostgreSQL, "relation does not exist") wherever the first
query happens: in a view, a template, or a middleware saving the session. Views and
templates are caught by :meth:`DatabaseUnavailableMiddleware.process_exception`; the
rest by the ``got_request_exception`` signal, which marks the request so the outermost
middleware replaces Django's error response — the debug page included — with the same
503 page. The page needs no database and no request context, and it shows the crisis
numbers: a mother who meant to report a risk answer still sees where to turn.
"""

from __future__ import annotations

import logging
import sys

from django.core.signals import got_request_exception
from django.db import DatabaseError, InterfaceError, OperationalError, ProgrammingError
from django.dispatch import receiver
from django.http import HttpResponse
from django.template.loader import get_template

log = logging.getLogger("nurture.database")
MARK = "_nurture_database_unavailable"


def is_unavailable(exc: BaseException | None) -> bool:
    """The database cannot be used (as opposed to a bug such as an integrity error)."""
    if isinstance(exc, OperationalError | InterfaceError) or type(exc) is DatabaseError:
        return True  # a plain DatabaseError is SQLite's "file is not a database" (a damaged file)
    if isinstance(exc, ProgrammingError):
        text = str(exc).lower()
        return "does not exist" in text or "no such table" in text
    return False


def unavailable_response() -> HttpResponse:
    response = HttpResponse(get_template("503.html").render(), status=503)
    response["Retry-After"] = "120"
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Place first in MIDDLEWARE: it must wrap every other layer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, MARK, False):
            return unavailable_response()
        return response

    def process_exception(self, request, exception):
        if is_unavailable(exception):
            log.error("Database unavailable for %s %s: %s", request.method, request.path, exception)
            return unavailable_response()
        return None


@receiver(got_request_exception)
def _mark_request(sender, request=None, **kwargs):
    exc = sys.exc_info()[1]
    if request is not None and is_unavailable(exc):
        log.error("Database unavailable for %s %s: %s", request.method, request.path, exc)
        setattr(request, MARK, True)


__all__ = ["DatabaseError", "DatabaseUnavailableMiddleware", "is_unavailable", "unavailable_response"]
