from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from nurture.notifications.sms import validate_phone

from .enums import (
    AlertOutcome,
    AlertPath,
    AlertSeverity,
    AlertStatus,
    AlertTopic,
    EscalationLevel,
    EventKind,
    ResourceGroup,
)

# The services' own published facts, in our words: 911 for danger now; 988 is the crisis
# line (Spanish: press 2 on a call, or text AYUDA); the National Maternal Mental Health
# Hotline and Postpartum Support International both say they are *not* crisis lines.
DEFAULT_CRISIS_RESOURCES = {
    "en": [
        {"group": "emergency", "name": "Emergency services", "phone": "911", "sms": "", "sms_body": "",
         "note": "If you or your baby are in danger right now."},
        {"group": "crisis", "name": "988 Suicide & Crisis Lifeline", "phone": "988", "sms": "988", "sms_body": "",
         "note": "Call or text 988, any time, day or night. Chat at 988lifeline.org."},
        {"group": "maternal", "name": "National Maternal Mental Health Hotline", "phone": "1-833-852-6262",
         "sms": "1-833-852-6262", "sms_body": "",
         "note": "Call or text 1-833-TLC-MAMA, any time, in English or Spanish (interpreters for 60 more "
                 "languages). Support for pregnant and new mothers; not a crisis line."},
        {"group": "support", "name": "Postpartum Support International HelpLine", "phone": "1-800-944-4773",
         "sms": "1-800-944-4773", "sms_body": "",
         "note": "Support and local resources. Leave a message and a trained volunteer calls you back; "
                 "not a crisis line."},
    ],
    "es": [
        {"group": "emergency", "name": "Emergencias", "phone": "911", "sms": "", "sms_body": "",
         "note": "Si usted o su bebé están en peligro ahora mismo."},
        {"group": "crisis", "name": "988 Línea de Prevención del Suicidio y Crisis", "phone": "988", "sms": "988",
         "sms_body": "AYUDA",
         "note": "Llame al 988 y marque 2 para hablar en español, o envíe AYUDA por mensaje de texto al 988. "
                 "A cualquier hora, de día o de noche."},
        {"group": "maternal", "name": "Línea Nacional de Salud Mental Materna", "phone": "1-833-852-6262",
         "sms": "1-833-852-6262", "sms_body": "",
         "note": "Llame o envíe un mensaje de texto al 1-833-TLC-MAMA, a cualquier hora, en español o inglés. "
                 "Apoyo para embarazadas y madres; no es una línea de crisis."},
        {"group": "support", "name": "Postpartum Support International, línea de ayuda", "phone": "1-800-944-4773",
         "sms": "971-203-7773", "sms_body": "",
         "note": "Llame y marque 1 para español, o envíe un mensaje de texto en español al 971-203-7773. Deje "
                 "un mensaje y una voluntaria capacitada le devuelve la llamada; no es una línea de crisis."},
    ],
}


def default_resources(language: str) -> list[dict]:
    rows = DEFAULT_CRISIS_RESOURCES.get(language) or DEFAULT_CRISIS_RESOURCES["en"]
    return [dict(r) for r in rows]


def default_responder_roles() -> list[str]:
    return ["coordinator", "administrator"]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def validate_emails(text: str) -> None:
    check = EmailValidator()
    for line in _lines(text):
        try:
            check(line)
        except ValidationError:
            raise ValidationError(f"{line!r} is not an email address (one address per line).") from None


def validate_phones(text: str) -> None:
    for line in _lines(text):
        validate_phone(line)


class SiteSafety(models.Model):
    """One site's safety arrangements: who is told, how fast it escalates, who may close."""

    site = models.OneToOneField("program.Site", on_delete=models.CASCADE, related_name="safety")
    on_call_emails = models.TextField(blank=True, validators=[validate_emails],
                                      help_text="One address per line; told at once of every alert.")
    on_call_phones = models.TextField(blank=True, validators=[validate_phones],
                                      help_text="One mobile number per line; sent a text message for urgent "
                                                "alerts.")
    escalation_minutes = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(1)], help_text="An urgent alert not acknowledged within this time goes to the site's "
                              "coordinators, and after twice this time to administrators.")
    repeat_minutes = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(1)], help_text="After the administrators, everyone is told again at this interval until "
                              "someone acknowledges.")
    clinical_responder_roles = models.JSONField(
        default=default_responder_roles,
        help_text="Roles that may close an urgent alert (they are trained to assess risk).")

    class Meta:
        verbose_name = "site safety settings"
        verbose_name_plural = "site safety settings"

    def __str__(self) -> str:
        return f"Safety settings of {self.site}"

    def clean(self):
        from nurture.accounts.enums import Role

        allowed = {Role.ADMINISTRATOR, Role.COORDINATOR, Role.FACILITATOR}
        unknown = [r for r in self.clinical_responder_roles or [] if r not in allowed]
        if unknown:
            raise ValidationError({"clinical_responder_roles": f"Not a role that handles alerts: {', '.join(unknown)}."})

    @property
    def emails(self) -> list[str]:
        return _lines(self.on_call_emails)

    @property
    def phones(self) -> list[str]:
        return _lines(self.on_call_phones)


class CrisisResource(models.Model):
    """A service shown to a mother with a risk answer, per site and language."""

    site = models.ForeignKey("program.Site", on_delete=models.CASCADE, related_name="crisis_resources")
    language = models.CharField(max_length=8, default="en")
    group = models.CharField(max_length=12, choices=ResourceGroup.choices)
    name = models.CharField(max_length=120)
    phone = models.CharField(max_length=40, blank=True, validators=[validate_phone],
                             help_text="Shown as a tap-to-call link.")
    sms = models.CharField(max_length=40, blank=True, validators=[validate_phone],
                           help_text="Number for a tap-to-text link.")
    sms_body = models.CharField(max_length=40, blank=True, help_text="Word to start the text with, e.g. AYUDA.")
    note = models.CharField(max_length=400, blank=True, help_text="Hours, languages, what the service is.")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["site", "language", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"


class AlertQuerySet(models.QuerySet):
    def open(self):
        """Not yet acknowledged by anyone: these escalate and fill the banner."""
        return self.filter(status=AlertStatus.OPEN)

    def unresolved(self):
        return self.filter(status__in=list(AlertStatus.unresolved()))


class Alert(models.Model):
    dyad = models.ForeignKey("participants.Dyad", on_delete=models.CASCADE, related_name="alerts")
    site = models.ForeignKey("program.Site", on_delete=models.PROTECT, related_name="alerts")
    assessment = models.ForeignKey("capture.Assessment", on_delete=models.CASCADE, related_name="alerts")
    instrument = models.CharField(max_length=20)
    rule = models.CharField(max_length=60)
    severity = models.CharField(max_length=10, choices=AlertSeverity.choices)
    topic = models.CharField(max_length=16, choices=AlertTopic.choices, default=AlertTopic.DISTRESS)
    path = models.CharField(max_length=16, choices=AlertPath.choices, default=AlertPath.SURVEY)
    message = models.CharField(max_length=300)
    triggering = models.JSONField(default=dict, help_text="The answer or score that triggered the rule.")
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 help_text="The acknowledged alert this one followed after a worse answer.")
    status = models.CharField(max_length=14, choices=AlertStatus.choices, default=AlertStatus.OPEN, db_index=True)
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    action_taken = models.TextField(blank=True, help_text="What the person acknowledging did or is doing.")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    outcome = models.CharField(max_length=20, choices=AlertOutcome.choices, blank=True)
    closing_note = models.TextField(blank=True)
    escalation_level = models.PositiveSmallIntegerField(choices=EscalationLevel.choices, default=EscalationLevel.NONE)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalation_repeats = models.PositiveIntegerField(default=0)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["assessment", "instrument", "rule"],
                                               condition=Q(status="open"), name="one_open_alert_per_rule")]
        indexes = [models.Index(fields=["assessment", "instrument", "rule"]),
                   # The alert list, newest first, a page at a time.
                   models.Index(fields=["-created_at", "-id"], name="alert_newest_first"),
                   # The alert bar on every staff page: open alerts, urgent first, oldest first.
                   models.Index(fields=["status", "-severity", "created_at"], name="alert_bar_order")]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} alert {self.rule} for {self.dyad.code}"

    @property
    def is_open(self) -> bool:
        return self.status == AlertStatus.OPEN

    @property
    def is_closed(self) -> bool:
        return self.status == AlertStatus.CLOSED

    @property
    def is_urgent(self) -> bool:
        return self.severity == AlertSeverity.URGENT

    @property
    def observed(self) -> float | None:
        return self.triggering.get("observed")


class AlertEvent(models.Model):
    """The alert's own history, shown on its page: raised, notified, escalated, acknowledged, closed."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=14, choices=EventKind.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"
