from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from .enums import WEEKDAYS, AttendanceStatus, CohortStatus, Component, DeliveryMode


def validate_time_zone(value: str) -> None:
    if not value:
        return
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not a time zone name (e.g. America/New_York).") from None


class Site(models.Model):
    """A place that runs the program; staff and participants belong to one site."""

    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=120)
    time_zone = models.CharField(max_length=64, blank=True, validators=[validate_time_zone],
                                 help_text="IANA zone for times in messages, e.g. America/Chicago "
                                           "(blank: the server's NURTURE_TIME_ZONE).")

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone or settings.TIME_ZONE)

    def local(self, moment: dt.datetime) -> dt.datetime:
        """A moment in the site's own time zone."""
        return moment.astimezone(self.zone)


class Study(models.Model):
    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    sites = models.ManyToManyField(Site, related_name="studies")
    id_prefix = models.CharField(max_length=8, default="NC", help_text="Prefix of participant study ids.")

    class Meta:
        verbose_name_plural = "studies"

    def __str__(self) -> str:
        return self.name


class CurriculumVersion(models.Model):
    """A version of the curriculum: how many weeks, and the plan for each week."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    weeks = models.PositiveSmallIntegerField()
    description = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.name


class WeekPlan(models.Model):
    """What one component does in one week of a curriculum version."""

    curriculum = models.ForeignKey(CurriculumVersion, on_delete=models.CASCADE, related_name="plans")
    week = models.PositiveSmallIntegerField()
    component = models.CharField(max_length=10, choices=Component.choices)
    title = models.CharField(max_length=200)
    goals = models.TextField()
    activities = models.JSONField(default=list, help_text="The planned elements, checked off for fidelity.")

    class Meta:
        ordering = ["curriculum", "week", "component"]
        constraints = [
            models.UniqueConstraint(fields=["curriculum", "week", "component"], name="one_plan_per_week_component"),
        ]

    def __str__(self) -> str:
        return f"{self.curriculum.slug} week {self.week} {self.component}: {self.title}"


class CohortQuerySet(models.QuerySet):
    def in_progress(self):
        return self.filter(status=CohortStatus.IN_PROGRESS)


class Cohort(models.Model):
    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="cohorts")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="cohorts")
    name = models.CharField(max_length=80)
    curriculum = models.ForeignKey(CurriculumVersion, on_delete=models.PROTECT, related_name="cohorts")
    start_date = models.DateField()
    meeting_weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    meeting_time = models.TimeField()
    default_mode = models.CharField(max_length=10, choices=DeliveryMode.choices, default=DeliveryMode.IN_PERSON)
    closed_dates = models.JSONField(default=list, blank=True, help_text="ISO dates on which the group does not meet.")
    facilitators = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="facilitated_cohorts")
    status = models.CharField(max_length=12, choices=CohortStatus.choices, default=CohortStatus.PLANNED)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CohortQuerySet.as_manager()

    class Meta:
        ordering = ["start_date", "name"]
        constraints = [models.UniqueConstraint(fields=["study", "name"], name="unique_cohort_name_per_study")]

    def __str__(self) -> str:
        return self.name

    @property
    def weeks(self) -> int:
        return self.curriculum.weeks

    def is_open_for_enrollment(self) -> bool:
        return self.status in CohortStatus.open_for_enrollment()


class Session(models.Model):
    """One component's meeting in one week of a cohort."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="sessions")
    week = models.PositiveSmallIntegerField()
    component = models.CharField(max_length=10, choices=Component.choices)
    date = models.DateField(db_index=True)
    start_time = models.TimeField()
    mode = models.CharField(max_length=10, choices=DeliveryMode.choices)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["date", "week", "component"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "week", "component"], name="one_session_per_week_component"),
        ]

    def __str__(self) -> str:
        return f"{self.cohort.name} week {self.week} · {self.get_component_display()}"

    @property
    def code(self) -> str:
        """A stable id for bundles: cohort-week-component."""
        return f"{self.cohort_id}-w{self.week:02d}-{self.component}"


class Attendance(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendance")
    dyad = models.ForeignKey("participants.Dyad", on_delete=models.CASCADE, related_name="attendance")
    status = models.CharField(max_length=10, choices=AttendanceStatus.choices)
    mode = models.CharField(max_length=10, choices=DeliveryMode.choices,
                            help_text="How the dyad actually joined (may differ from the session's mode).")
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "dyad"], name="one_attendance_per_dyad_session")]

    def __str__(self) -> str:
        return f"{self.dyad} {self.session}: {self.status}"


class FidelityChecklist(models.Model):
    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="fidelity")
    planned = models.JSONField(default=list)
    delivered = models.JSONField(default=list)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Fidelity of session {self.session_id}"

    @property
    def share_delivered(self) -> float | None:
        return len(self.delivered) / len(self.planned) if self.planned else None
