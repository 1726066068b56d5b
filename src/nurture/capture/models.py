from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from .enums import AssessmentStatus, Entry, Source, Timepoint

DEFAULT_BATTERY = {
    "screening": ["epds"],
    "pre": ["epds", "gad7", "pss", "kpcs", "rses", "pbq", "ibqr_vsf"],
    "post": ["epds", "gad7", "pss", "kpcs", "rses", "pbq", "ibqr_vsf", "feedback"],
}


def default_battery() -> dict:
    return {k: list(v) for k, v in DEFAULT_BATTERY.items()}


class StudySettings(models.Model):
    """Assessment settings of one study: the battery per timepoint and the post window."""

    study = models.OneToOneField("program.Study", on_delete=models.CASCADE, related_name="assessment_settings")
    battery = models.JSONField(default=default_battery, help_text="Instrument ids per timepoint.")
    post_opens_weeks = models.PositiveSmallIntegerField(default=8)
    post_closes_weeks = models.PositiveSmallIntegerField(default=12)
    link_valid_days = models.PositiveSmallIntegerField(default=28)

    class Meta:
        verbose_name_plural = "study settings"

    def __str__(self) -> str:
        return f"Assessment settings of {self.study}"


class AssessmentQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=list(AssessmentStatus.open()))

    def due(self, today: dt.date):
        return self.open().filter(window_opens__lte=today, window_closes__gte=today)

    def overdue(self, today: dt.date):
        return self.open().filter(window_closes__lt=today)


class Assessment(models.Model):
    dyad = models.ForeignKey("participants.Dyad", on_delete=models.CASCADE, related_name="assessments")
    timepoint = models.CharField(max_length=10, choices=Timepoint.choices)
    status = models.CharField(max_length=12, choices=AssessmentStatus.choices, default=AssessmentStatus.SCHEDULED)
    instruments = models.JSONField(default=list, help_text="The battery, in order of the survey pages.")
    window_opens = models.DateField()
    window_closes = models.DateField()
    source = models.CharField(max_length=6, choices=Source.choices, default=Source.ONLINE)
    language = models.CharField(max_length=8, default="en")
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    out_of_window = models.BooleanField(default=False)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    version = models.PositiveIntegerField(default=0, help_text="Raised on every change (detects concurrent edits).")

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["dyad", "window_opens"]
        constraints = [models.UniqueConstraint(fields=["dyad", "timepoint"], name="one_assessment_per_timepoint")]
        # The dashboard's due and overdue lists, by closing day. (Not led by the status: SQLite,
        # without statistics, would then take it over the dyad index for a one-site user.)
        indexes = [models.Index(fields=["window_closes"], name="assessment_window_closes")]

    def __str__(self) -> str:
        return f"{self.dyad.code} {self.get_timepoint_display()}"

    def in_window(self, day: dt.date) -> bool:
        return self.window_opens <= day <= self.window_closes

    def is_overdue(self, today: dt.date) -> bool:
        return self.status in AssessmentStatus.open() and today > self.window_closes

    @property
    def is_open(self) -> bool:
        return self.status in AssessmentStatus.open()


class ItemResponse(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="responses")
    instrument = models.CharField(max_length=20)
    item = models.CharField(max_length=20)
    value = models.CharField(max_length=2000, blank=True, help_text="Coded value, 'na', or text for open items.")
    entry = models.PositiveSmallIntegerField(choices=Entry.choices, default=Entry.FIRST)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assessment", "instrument", "item", "entry"],
                                               name="one_answer_per_item_and_entry")]
        indexes = [models.Index(fields=["assessment", "instrument"])]

    def __str__(self) -> str:
        return f"{self.assessment} {self.instrument}#{self.item}={self.value}"


class ResponseRevision(models.Model):
    """A corrected answer: what it was, what it became, who changed it and why."""

    response = models.ForeignKey(ItemResponse, on_delete=models.CASCADE, related_name="revisions")
    old_value = models.CharField(max_length=2000, blank=True)
    new_value = models.CharField(max_length=2000, blank=True)
    reason = models.CharField(max_length=300)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.response}: {self.old_value} -> {self.new_value}"


class ScoreQuerySet(models.QuerySet):
    def current(self):
        return self.filter(superseded_at__isnull=True)


class Score(models.Model):
    """A scale score; re-scoring supersedes the old row instead of overwriting it."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    instrument = models.CharField(max_length=20)
    scale = models.CharField(max_length=40)
    score = models.FloatField(null=True, blank=True)
    n_items = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=80, blank=True)
    prorated = models.BooleanField(default=False)
    missing_reason = models.CharField(max_length=200, blank=True)
    instrument_version = models.CharField(max_length=20)
    scoring_version = models.CharField(max_length=40)
    computed_at = models.DateTimeField(default=timezone.now)
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = ScoreQuerySet.as_manager()

    class Meta:
        ordering = ["assessment", "instrument", "id"]
        indexes = [models.Index(fields=["assessment", "instrument", "superseded_at"])]

    def __str__(self) -> str:
        return f"{self.assessment} {self.instrument}.{self.scale}={self.score}"


class SurveyLinkQuerySet(models.QuerySet):
    def usable(self, now):
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class SurveyLink(models.Model):
    """A private participant link. Only the SHA-256 of the token is stored."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = SurveyLinkQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Link for {self.assessment} (expires {self.expires_at:%Y-%m-%d})"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    def is_usable(self, now) -> bool:
        return self.revoked_at is None and self.expires_at > now


class MessageLog(models.Model):
    """Every reminder or notification sent (for the audit trail and to avoid repeats)."""

    kind = models.CharField(max_length=40)
    assessment = models.ForeignKey(Assessment, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [models.UniqueConstraint(fields=["kind", "assessment", "recipient"], name="one_message_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} at {self.sent_at:%Y-%m-%d %H:%M}"
