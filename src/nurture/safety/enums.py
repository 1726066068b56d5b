from django.db import models


class AlertSeverity(models.TextChoices):
    URGENT = "urgent", "Urgent"
    FOLLOW_UP = "follow_up", "Follow-up"


class AlertTopic(models.TextChoices):
    """What an alert is about (from the instrument's rule); decides the words shown."""

    SELF_HARM = "self_harm", "Thoughts of self-harm"
    INFANT_SAFETY = "infant_safety", "Risk to the baby"
    DISTRESS = "distress", "High symptom score"
    UNANSWERED = "unanswered", "Safety question unanswered"


class AlertStatus(models.TextChoices):
    """open → acknowledged (someone is on it) → closed (with a structured outcome)."""

    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    CLOSED = "closed", "Closed"

    @classmethod
    def unresolved(cls) -> frozenset["AlertStatus"]:
        return frozenset({cls.OPEN, cls.ACKNOWLEDGED})


class AlertOutcome(models.TextChoices):
    """How an alert was resolved: the categorical record a harms report counts."""

    CONTACTED_MOTHER = "contacted_mother", "Contacted the mother"
    SAFETY_PLAN = "safety_plan", "Safety plan made or reviewed"
    REFERRED = "referred", "Referred for clinical care"
    EMERGENCY_SERVICES = "emergency_services", "Emergency services called"
    COULD_NOT_REACH = "could_not_reach", "Could not reach the mother"
    ALREADY_IN_CARE = "already_in_care", "Already in care; her clinician informed"
    ENTRY_ERROR = "entry_error", "Answer entered in error (corrected)"


class EscalationLevel(models.IntegerChoices):
    NONE = 0, "On-call list notified"
    COORDINATOR = 1, "Escalated to coordinators"
    ADMINISTRATOR = 2, "Escalated to administrators"
    REPEATING = 3, "Repeating to everyone until acknowledged"


class AlertPath(models.TextChoices):
    """The way the triggering answer reached the database."""

    SURVEY = "survey", "Mother's survey"
    SUBMISSION = "submission", "Survey sent"
    PAPER_FIRST = "paper_first", "Paper form, first entry"
    PAPER_SECOND = "paper_second", "Paper form, second entry"
    CORRECTION = "correction", "Staff correction"
    IMPORT = "import", "Import"


class EventKind(models.TextChoices):
    RAISED = "raised", "Raised"
    WORSE = "worse", "Worse answer"
    RAISED_AGAIN = "raised_again", "Raised again after a worse answer"
    NOTIFIED = "notified", "Notified"
    NOBODY = "nobody", "Nobody to notify"
    ESCALATED = "escalated", "Escalated"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    CLOSED = "closed", "Closed"
    DYAD_ENDED = "dyad_ended", "Dyad left the study"


class ResourceGroup(models.TextChoices):
    """How a crisis resource is presented: honest about what each service is."""

    EMERGENCY = "emergency", "Emergency"
    CRISIS = "crisis", "Crisis line"
    MATERNAL = "maternal", "Maternal mental health hotline (not a crisis line)"
    SUPPORT = "support", "Support line (not a crisis line)"
