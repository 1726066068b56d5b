from django.db import models


class AlertSeverity(models.TextChoices):
    URGENT = "urgent", "Urgent"
    FOLLOW_UP = "follow_up", "Follow-up"


class EscalationLevel(models.IntegerChoices):
    NONE = 0, "Site on-call list"
    COORDINATOR = 1, "Escalated to coordinators"
    ADMINISTRATOR = 2, "Escalated to site administrators"
