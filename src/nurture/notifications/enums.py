from django.db import models


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    RETRYING = "retrying", "Failed; will retry"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed; gave up"

    @classmethod
    def waiting(cls) -> frozenset["NotificationStatus"]:
        return frozenset({cls.PENDING, cls.RETRYING})
