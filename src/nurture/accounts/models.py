from __future__ import annotations

from django.conf import settings
from django.db import models

from nurture.notifications.sms import validate_phone

from .enums import AuditAction, Channel, Role


class StaffProfile(models.Model):
    """What a staff user may do, and where.

    Administrators may have no site (they see every site); everyone else belongs to
    exactly one site and sees nothing of another.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField(max_length=20, choices=Role.choices)
    site = models.ForeignKey("program.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="staff")
    mobile = models.CharField(max_length=32, blank=True, validators=[validate_phone],
                              help_text="Mobile number for text messages about urgent safety alerts.")

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.get_role_display()})"

    @property
    def sees_identifiers(self) -> bool:
        return self.role in Role.sees_identifiers()

    @property
    def manages_participants(self) -> bool:
        return self.role in Role.manages_participants()


class AppendOnlyError(Exception):
    """Raised when code tries to change or remove an audit entry."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The audit log is append-only.")

    def delete(self):
        raise AppendOnlyError("The audit log is append-only.")


class AuditEvent(models.Model):
    """One entry of the append-only audit log: who did what, when, before and after."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    username = models.CharField(max_length=150, blank=True, help_text="Kept even if the user is removed.")
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=60, blank=True)
    site_id = models.BigIntegerField(null=True, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    os_user = models.CharField(max_length=64, blank=True, help_text="Command-line actions: the system account.")
    command = models.CharField(max_length=300, blank=True, help_text="Command-line actions: the command run.")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"]), models.Index(fields=["action", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username or '-'} {self.action} {self.object_type} {self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The audit log is append-only.")
