"""Request-wide pieces of access control: the audit origin of each request, the second
factor for the roles that need one, and an audit entry for every refused request on a
participant object."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from . import context, twofactor

SESSION_2FA = twofactor.SESSION_KEY


class AuditContextMiddleware:
    """Every audit entry written during a request carries its client address and browser."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = context.set_origin(context.from_request(request))
        try:
            return self.get_response(request)
        finally:
            context._current.reset(token)


class TwoFactorMiddleware:
    """A user whose role needs a second factor (or who set one up) reaches nothing but the
    code page — or the set-up page when she has no authenticator yet — until she enters a code."""

    OPEN = ("/account/two-factor/verify/", "/account/two-factor/setup/", "/logout/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and request.session.get(SESSION_2FA)
                and not user.is_verified()):
            path = request.path_info
            if not (path.startswith(self.OPEN) or path.startswith(settings.STATIC_URL)):
                target = "two_factor_verify" if twofactor.has_authenticator(user) else "two_factor_setup"
                query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
                return redirect(reverse(f"staff:{target}") + (f"?{query}" if query else ""))
        return self.get_response(request)


# URL name -> the participant object its first argument names
OBJECT_PAGES = {
    "staff:participant": "participants.Dyad", "staff:screen": "participants.Dyad",
    "staff:consent": "participants.Dyad", "staff:enroll": "participants.Dyad",
    "staff:change_status": "participants.Dyad", "staff:schedule": "participants.Dyad",
    "staff:assessment": "capture.Assessment", "staff:issue_link": "capture.Assessment",
    "staff:email_link": "capture.Assessment", "staff:revoke_links": "capture.Assessment",
    "staff:paper_entry": "capture.Assessment", "staff:correct": "capture.Assessment",
    "staff:alert": "safety.Alert", "staff:cohort": "program.Cohort", "staff:cohort_week": "program.Cohort",
    "staff:cohort_status": "program.Cohort", "coding:compare": "coding.unit",
}


class RefusalAuditMiddleware:
    """Audit a signed-in user's refused requests: every 403, and a 404 on a participant
    object (someone trying ids of dyads, assessments or alerts she may not see)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code in (403, 404):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                self._record(request, user, response.status_code)
        return response

    def _record(self, request, user, status: int) -> None:
        from . import audit
        from .enums import AuditAction

        try:
            match = resolve(request.path_info)
        except Resolver404:
            match = None
        name = f"{match.namespace}:{match.url_name}" if match and match.namespace else (match and match.url_name)
        object_type = OBJECT_PAGES.get(name or "", "")
        if status == 404 and not object_type:
            return  # a mistyped address, not an attempt on an object
        kwargs = match.kwargs if match else {}
        object_id = str(kwargs.get("pk") or kwargs.get("blind_code") or "")
        audit.record(user, AuditAction.REFUSED, object_type=object_type, object_id=object_id,
                     summary=f"Refused {request.method} {request.path_info[:200]} ({status})")
