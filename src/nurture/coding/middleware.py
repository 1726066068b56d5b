"""Coders are confined to their coding pages.

Scoping already gives a coder no dyads, cohorts, sessions or sites; this keeps every
other page (including pages added later) out of reach as well, so a coder cannot
learn who or when from any screen of the study.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from nurture.accounts import scoping
from nurture.accounts.enums import Role

ALLOWED_PREFIXES = ("/coding/", "/login/", "/logout/", "/i18n/")


class CoderConfinementMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and scoping.role_of(user) == Role.CODER:
            path = request.path
            allowed = path.startswith(ALLOWED_PREFIXES) or path.startswith(settings.STATIC_URL)
            if path == "/":
                return redirect("coding:mine")
            if not allowed:
                raise PermissionDenied("Coders see only their coding assignments.")
        return self.get_response(request)
