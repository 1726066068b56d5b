"""Two-factor sign-in for staff: an authenticator app (TOTP, django-otp) and ten one-time
recovery codes.

A second factor is required for the roles in ``NURTURE_TWO_FACTOR_ROLES`` (production
default: coordinator, administrator, researcher; development: none) and for anyone who
set one up. After the password, such a user reaches only the code page (or, with no
authenticator yet, the set-up page) until she enters a code
(:class:`~nurture.accounts.middleware.TwoFactorMiddleware`). Wrong codes are slowed down
by django-otp's throttle (each failure doubles the wait) and audited.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from nurture.common.errors import DomainError, NotPermitted

from . import audit, scoping
from .enums import AuditAction, Role

SESSION_KEY = "nurture_2fa_required"
RECOVERY_CODES = 10
AUTHENTICATOR = "Authenticator app"
RECOVERY = "Recovery codes"


def required_roles() -> frozenset[Role]:
    return frozenset(Role(r) for r in settings.TWO_FACTOR_ROLES)


def has_authenticator(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def is_required(user) -> bool:
    """The role needs a second factor, or she set one up of her own accord."""
    role = scoping.role_of(user)
    return (role is not None and role in required_roles()) or has_authenticator(user)


@receiver(user_logged_in)
def _note_requirement(sender, request, user, **kwargs):
    # Decided once at sign-in and kept in the session, so no page pays a query for it.
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = is_required(user)


@transaction.atomic
def start_setup(user) -> TOTPDevice:
    """A fresh, unconfirmed authenticator for ``user`` (any earlier unconfirmed one is replaced).
    Side effects: a TOTPDevice row."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)


def pending_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


@transaction.atomic
def confirm_setup(request, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the authenticator with a code from it; returns the new recovery codes (shown once).

    Side effects: any older authenticator and recovery codes of the user are removed, the
    device is confirmed, ten recovery codes are written, the session counts as verified,
    an audit entry.
    """
    user = request.user
    if device.user_id != user.pk or device.confirmed:
        raise DomainError("Start the set-up again.")
    if not device.verify_token(_digits(code)):
        audit.record(user, AuditAction.TWO_FACTOR, object_type="auth.User", object_id=str(user.pk),
                     summary="Two-factor set-up: wrong code")
        raise DomainError("That code does not match. Check the time on the phone and type the code now shown.")
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save()
    codes = _new_recovery_codes(user)
    otp_login(request, device)
    request.session[SESSION_KEY] = True
    audit.record(user, AuditAction.TWO_FACTOR, object_type="auth.User", object_id=str(user.pk),
                 summary="Two-factor authentication set up")
    return codes


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


@transaction.atomic
def regenerate_recovery_codes(request) -> list[str]:
    """New recovery codes for a verified user; the old ones stop working. Audited."""
    user = request.user
    if not user.is_verified():
        raise NotPermitted("Enter a code first.")
    codes = _new_recovery_codes(user)
    audit.record(user, AuditAction.TWO_FACTOR, object_type="auth.User", object_id=str(user.pk),
                 summary="New recovery codes")
    return codes


def _digits(code: str) -> str:
    return "".join(str(code or "").split())


def verify(request, code: str) -> bool:
    """Check a code from the authenticator, or a recovery code (used up); on success the
    session counts as verified. Side effects: django-otp's throttle counters, an audit entry."""
    user = request.user
    code = _digits(code).lower()
    device = None
    if code:
        with transaction.atomic():
            for candidate in (*TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True),
                              *StaticDevice.objects.select_for_update().filter(user=user, confirmed=True)):
                if candidate.verify_token(code):
                    device = candidate
                    break
    if device is None:
        audit.record(user, AuditAction.TWO_FACTOR, object_type="auth.User", object_id=str(user.pk),
                     summary="Wrong two-factor code")
        return False
    otp_login(request, device)
    used = "a recovery code" if isinstance(device, StaticDevice) else "the authenticator"
    left = StaticToken.objects.filter(device__user=user).count()
    audit.record(user, AuditAction.TWO_FACTOR, object_type="auth.User", object_id=str(user.pk),
                 summary=f"Signed in with {used}" + (f" ({left} recovery codes left)" if device.name == RECOVERY
                                                     else ""))
    return True


def throttled_for(user) -> int:
    """Seconds until the next code may be tried (0 when it may be tried now)."""
    from django.utils import timezone

    wait = 0
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        allowed, data = device.verify_is_allowed()
        if not allowed and data and data.get("locked_until"):
            wait = max(wait, int((data["locked_until"] - timezone.now()).total_seconds()) + 1)
    return wait


def can_reset(by, user) -> bool:
    """Administrators reset anyone's second factor; coordinators reset their own site's
    staff other than administrators."""
    role = scoping.role_of(by)
    if role == Role.ADMINISTRATOR:
        return True
    target = scoping.role_of(user)
    return (role == Role.COORDINATOR and target not in (None, Role.ADMINISTRATOR)
            and scoping.site_id_of(user) == scoping.site_id_of(by) and user.pk != by.pk)


@transaction.atomic
def reset(by, user) -> None:
    """Remove a user's authenticator and recovery codes (a lost phone): she sets them up
    again at her next sign-in. Side effects: devices deleted, an audit entry."""
    if not can_reset(by, user):
        raise NotPermitted("Only an administrator, or a coordinator of the same site, may reset two-factor sign-in.")
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit.record(by, AuditAction.TWO_FACTOR, object_type="auth.User", object_id=str(user.pk),
                 site_id=scoping.site_id_of(user), summary=f"Reset two-factor sign-in of {user.get_username()}")
