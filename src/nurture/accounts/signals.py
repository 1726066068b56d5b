from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import audit
from .enums import AuditAction


def _client_ip(request) -> str | None:
    from nurture.common.proxy import client_ip

    return client_ip(request)


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    audit.record(user, AuditAction.LOGIN, object_type="auth.User", object_id=str(user.pk),
                 summary="Logged in", ip_address=_client_ip(request))


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record(user, AuditAction.LOGOUT, object_type="auth.User", object_id=str(user.pk),
                     summary="Logged out", ip_address=_client_ip(request))


@receiver(user_login_failed)
def audit_failed_login(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    audit.record(None, AuditAction.LOGIN_FAILED, object_type="auth.User", object_id="",
                 summary=f"Failed login for {username!r}", ip_address=_client_ip(request))
