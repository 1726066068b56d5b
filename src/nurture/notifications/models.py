from __future__ import annotations

from django.db import models

from .enums import Channel, NotificationStatus


class NotificationQuerySet(models.QuerySet):
    def waiting(self):
        return self.filter(status__in=list(NotificationStatus.waiting()))


class Notification(models.Model):
    """The outbox: one message to one recipient on one channel.

    Written in the same transaction as the event it reports (an alert, an
    escalation), so a committed alert always has its messages queued. Delivery
    happens later, outside any request, with retries (``domain.deliver_due``).
    """

    alert = models.ForeignKey("safety.Alert", null=True, blank=True, on_delete=models.CASCADE,
                              related_name="notifications")
    kind = models.CharField(max_length=40, help_text="What the message reports, e.g. alert or escalation.")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING,
                              db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True,
                                         help_text="A sender is working on it until then (crash-safe lease).")
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.to}: {self.get_status_display()}"
