"""Login lockout (django-axes), read and lifted by people.

Failed passwords are counted per username *and* client address together — the real
address behind a trusted proxy (``nurture.common.proxy.client_key``), so people behind
one proxy or one clinic network never share a count. ``NURTURE_LOGIN_FAILURE_LIMIT``
failures lock that username from that address for ``NURTURE_LOGIN_COOLOFF_MINUTES``;
a stranger typing someone's username elsewhere cannot lock her out. A coordinator
unlocks her own site's staff; an administrator anyone.
"""

from __future__ import annotations

from dataclasses import dataclass

from axes.models import AccessAttempt
from axes.signals import user_locked_out
from axes.utils import reset
from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Max, Sum
from django.dispatch import receiver

from nurture.common.errors import NotPermitted

from . import audit, scoping
from .enums import AuditAction, Role


@dataclass
class Lock:
    username: str
    address: str
    failures: int
    last: object
    user: User | None = None


def _cutoff():
    from axes.helpers import get_cool_off
    from django.utils import timezone

    cool_off = get_cool_off()
    return timezone.now() - cool_off if cool_off else None


def current_locks(by) -> list[Lock]:
    """The (username, address) pairs locked now that ``by`` may unlock, latest first."""
    role = scoping.role_of(by)
    if role not in (Role.ADMINISTRATOR, Role.COORDINATOR):
        return []
    attempts = AccessAttempt.objects.all()
    cutoff = _cutoff()
    if cutoff is not None:
        attempts = attempts.filter(attempt_time__gte=cutoff)
    rows = (attempts.values("username", "ip_address")
            .annotate(n=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(n__gte=settings.AXES_FAILURE_LIMIT).order_by("-last"))
    users = {u.username: u for u in User.objects.filter(username__in={r["username"] for r in rows})
             .select_related("profile")}
    locks = []
    for row in rows:
        user = users.get(row["username"])
        if role == Role.ADMINISTRATOR or (user is not None and _same_site(by, user)):
            locks.append(Lock(row["username"], row["ip_address"], row["n"], row["last"], user))
    return locks


def _same_site(by, user) -> bool:
    return scoping.role_of(user) != Role.ADMINISTRATOR and scoping.site_id_of(user) == scoping.site_id_of(by)


def unlock(by, username: str) -> int:
    """Lift every lock on ``username`` (from any address); returns the failed attempts forgotten.
    Side effects: django-axes attempt rows removed, an audit entry."""
    role = scoping.role_of(by)
    if role not in (Role.ADMINISTRATOR, Role.COORDINATOR):
        raise NotPermitted("Only coordinators and administrators unlock sign-in.")
    user = User.objects.filter(username=username).select_related("profile").first()
    if role != Role.ADMINISTRATOR and (user is None or not _same_site(by, user)):
        raise NotPermitted("A coordinator unlocks only her own site's staff.")
    count = reset(username=username)
    audit.record(by, AuditAction.UNLOCK, object_type="auth.User", object_id=str(user.pk) if user else "",
                 site_id=scoping.site_id_of(user) if user else None,
                 summary=f"Unlocked sign-in for {username[:60]!r} ({count} failed attempts forgotten)")
    return count


@receiver(user_locked_out)
def _audit_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    audit.record(None, AuditAction.LOCKED_OUT, object_type="auth.User",
                 summary=f"Sign-in locked after repeated failures: username {str(username or '')[:60]!r}, "
                         f"address {ip_address}")
