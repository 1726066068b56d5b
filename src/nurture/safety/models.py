from __future__ import annotations

from django.conf import settings
from django.db import models

from .enums import AlertSeverity, EscalationLevel

DEFAULT_CRISIS_RESOURCES = {
    "en": [
        {"name": "988 Suicide & Crisis Lifeline", "contact": "Call or text 988"},
        {"name": "National Maternal Mental Health Hotline", "contact": "1-833-852-6262 (call or text, 24/7, English and Spanish)"},
        {"name": "Postpartum Support International HelpLine", "contact": "1-800-944-4773"},
        {"name": "Emergency", "contact": "Call 911"},
    ],
    "es": [
        {"name": "988 Línea de Prevención del Suicidio y Crisis", "contact": "Llame o envíe un mensaje de texto al 988"},
        {"name": "Línea Nacional de Salud Mental Materna", "contact": "1-833-852-6262 (llamada o texto, 24/7, en inglés y español)"},
        {"name": "Postpartum Support International, línea de ayuda", "contact": "1-800-944-4773"},
        {"name": "Emergencias", "contact": "Llame al 911"},
    ],
}


def default_resources() -> dict:
    return {k: [dict(r) for r in v] for k, v in DEFAULT_CRISIS_RESOURCES.items()}


class SiteSafety(models.Model):
    """Per-site safety configuration: crisis resources shown to mothers."""

    site = models.OneToOneField("program.Site", on_delete=models.CASCADE, related_name="safety")
    crisis_resources = models.JSONField(default=default_resources)

    class Meta:
        verbose_name_plural = "site safety settings"

    def __str__(self) -> str:
        return f"Safety settings of {self.site}"


class AlertQuerySet(models.QuerySet):
    def open(self):
        return self.filter(acknowledged_at__isnull=True)


class Alert(models.Model):
    dyad = models.ForeignKey("participants.Dyad", on_delete=models.CASCADE, related_name="alerts")
    site = models.ForeignKey("program.Site", on_delete=models.PROTECT, related_name="alerts")
    assessment = models.ForeignKey("capture.Assessment", on_delete=models.CASCADE, related_name="alerts")
    instrument = models.CharField(max_length=20)
    rule = models.CharField(max_length=60)
    severity = models.CharField(max_length=10, choices=AlertSeverity.choices)
    message = models.CharField(max_length=300)
    triggering = models.JSONField(default=dict, help_text="The answers or score that triggered the rule.")
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    action_taken = models.TextField(blank=True)
    escalation_level = models.PositiveSmallIntegerField(choices=EscalationLevel.choices, default=EscalationLevel.NONE)
    escalated_at = models.DateTimeField(null=True, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["acknowledged_at", "-severity", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["assessment", "instrument", "rule"],
                                               name="one_alert_per_rule_and_assessment")]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} alert {self.rule} for {self.dyad.code}"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None
