"""``/healthz``: for the reverse proxy, systemd and monitoring. Answers before host checks,
the HTTPS redirect and sessions, so a probe on the loopback address works; it says only
whether the database answers."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import HttpResponse

PATH = "/healthz"


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info != PATH:
            return self.get_response(request)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM django_migrations LIMIT 1")
            body, status = "ok\n", 200
        except DatabaseError:
            body, status = "database unavailable\n", 503
        response = HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")
        response["Cache-Control"] = "no-store"
        return response
