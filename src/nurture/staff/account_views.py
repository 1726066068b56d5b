"""Your account: two-factor sign-in (set up, enter a code, recovery codes) and, for
coordinators and administrators, lifting sign-in locks and resetting a colleague's
second factor. The rules live in ``accounts.twofactor`` and ``accounts.lockout``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from nurture.accounts import lockout, scoping, twofactor
from nurture.accounts.enums import Role
from nurture.common.errors import DomainError, NotPermitted


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return reverse("staff:dashboard")


@login_required
def account(request):
    role = scoping.role_of(request.user)
    manager = role in (Role.ADMINISTRATOR, Role.COORDINATOR)
    return render(request, "staff/account.html", {
        "has_authenticator": twofactor.has_authenticator(request.user),
        "required": twofactor.is_required(request.user),
        "verified": request.user.is_verified(),
        "locks": lockout.current_locks(request.user) if manager else [],
        "manager": manager,
    })


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Show a new authenticator's QR code; a code from it confirms it and shows the recovery codes once."""
    import segno

    if twofactor.has_authenticator(request.user) and not request.user.is_verified():
        return redirect(reverse("staff:two_factor_verify") + f"?next={reverse('staff:two_factor_setup')}")
    error = ""
    device = twofactor.pending_device(request.user)
    if request.method == "POST" and device is not None:
        try:
            codes = twofactor.confirm_setup(request, device, request.POST.get("code", ""))
        except DomainError as exc:
            error = str(exc)
        else:
            return render(request, "staff/recovery_codes.html", {"codes": codes, "next": _next(request)})
    if device is None or request.method == "GET":
        device = twofactor.start_setup(request.user)
    qr = segno.make(device.config_url, error="m").svg_inline(scale=4, title="Authenticator set-up code")
    secret = _base32(device.bin_key)
    return render(request, "staff/two_factor_setup.html", {"qr": qr, "secret": secret, "error": error,
                                                            "next": request.GET.get("next", "")},
                  status=400 if error else 200)


def _base32(key: bytes) -> str:
    import base64

    text = base64.b32encode(key).decode().rstrip("=")
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """The second step of signing in: a code from the authenticator or a recovery code."""
    if request.user.is_verified():
        return redirect(_next(request))
    if not twofactor.has_authenticator(request.user):
        return redirect("staff:two_factor_setup")
    error, status = "", 200
    wait = twofactor.throttled_for(request.user)
    if request.method == "POST":
        if wait:
            error, status = f"Too many wrong codes. Wait {wait} seconds, then try again.", 429
        elif twofactor.verify(request, request.POST.get("code", "")):
            return redirect(_next(request))
        else:
            error, status = "That code is not right. Type the code your authenticator shows now, or a recovery code.", 400
    return render(request, "staff/two_factor_verify.html", {"error": error, "next": request.GET.get("next", "")
                                                             or request.POST.get("next", "")}, status=status)


@login_required
@require_POST
def recovery_codes(request):
    try:
        codes = twofactor.regenerate_recovery_codes(request)
    except NotPermitted as exc:
        messages.error(request, str(exc))
        return redirect("staff:account")
    return render(request, "staff/recovery_codes.html", {"codes": codes, "next": reverse("staff:account")})


@login_required
@require_POST
def unlock(request):
    try:
        count = lockout.unlock(request.user, request.POST.get("username", ""))
    except NotPermitted as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Sign-in unlocked ({count} failed attempts forgotten).")
    return redirect("staff:account")


@login_required
@require_POST
def reset_two_factor(request):
    user = User.objects.filter(username=request.POST.get("username", "")).select_related("profile").first()
    try:
        if user is None:
            raise NotPermitted("No such user.")
        twofactor.reset(request.user, user)
    except NotPermitted as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Two-factor sign-in of {user.get_username()} was reset; she sets it up again "
                                  "at her next sign-in.")
    return redirect("staff:account")
