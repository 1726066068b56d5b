"""Participants.

A **dyad** is one mother with her participating infant(s) in one program episode.
Twins (or more) are *one* dyad with two infants: the mother's questionnaires are
answered once and counted once in the analysis, attendance is taken once, and
infant measures are kept per infant. A mother who joins again with a later baby
gets a new dyad that shares the same ``Mother``.

Identifying details (names, contacts, dates of birth, address) live only in
``MotherIdentifiers`` and ``InfantIdentifiers``; everything else uses the study id.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .enums import EndReason, EnrollmentStatus, Language, Sex


class Mother(models.Model):
    site = models.ForeignKey("program.Site", on_delete=models.PROTECT, related_name="mothers")
    age_at_referral = models.PositiveSmallIntegerField(null=True, blank=True)
    primiparous = models.BooleanField(null=True, blank=True, help_text="First-time mother")
    # Any language of the site's interface (settings.LANGUAGES: English and every language
    # with a translation catalog), so a site adds one without a code change.
    language = models.CharField(max_length=8, default=Language.ENGLISH)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Mother {self.pk}"


class MotherIdentifiers(models.Model):
    mother = models.OneToOneField(Mother, on_delete=models.CASCADE, related_name="identifiers")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "mother identifiers"

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Dyad(models.Model):
    code = models.CharField("study ID", max_length=20, unique=True)
    study = models.ForeignKey("program.Study", on_delete=models.PROTECT, related_name="dyads")
    site = models.ForeignKey("program.Site", on_delete=models.PROTECT, related_name="dyads")
    mother = models.ForeignKey(Mother, on_delete=models.PROTECT, related_name="dyads")
    cohort = models.ForeignKey("program.Cohort", null=True, blank=True, on_delete=models.PROTECT, related_name="dyads")
    status = models.CharField(max_length=12, choices=EnrollmentStatus.choices, default=EnrollmentStatus.REFERRED)
    referred_on = models.DateField()
    referral_source = models.CharField(max_length=120, blank=True)
    screened_on = models.DateField(null=True, blank=True)
    consented_on = models.DateField(null=True, blank=True)
    enrolled_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True, help_text="Completed, withdrawn or lost on this date.")
    end_reason = models.CharField(max_length=300, blank=True)
    end_reason_code = models.CharField("reason (category)", max_length=20, choices=EndReason.choices, blank=True,
                                       help_text="Why the family declined, withdrew or was lost.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        # The dashboard's referral-to-completion counts and the participant list's filter.
        indexes = [models.Index(fields=["status"], name="dyad_status")]

    def __str__(self) -> str:
        return self.code

    @property
    def index_infant(self) -> Infant | None:
        infants = list(self.infants.all())
        return infants[0] if infants else None


class Infant(models.Model):
    dyad = models.ForeignKey(Dyad, on_delete=models.CASCADE, related_name="infants")
    birth_order = models.PositiveSmallIntegerField(default=1, help_text="1 for a singleton or first-born twin.")
    sex = models.CharField(max_length=6, choices=Sex.choices, blank=True)
    age_weeks_at_referral = models.PositiveSmallIntegerField(null=True, blank=True)
    gestational_age_weeks = models.PositiveSmallIntegerField(null=True, blank=True,
                                                             help_text="At birth; under 37 is preterm.")

    class Meta:
        ordering = ["dyad", "birth_order"]
        constraints = [models.UniqueConstraint(fields=["dyad", "birth_order"], name="unique_birth_order_per_dyad")]

    def __str__(self) -> str:
        return f"{self.dyad.code} infant {self.birth_order}"

    @property
    def is_preterm(self) -> bool | None:
        return None if self.gestational_age_weeks is None else self.gestational_age_weeks < 37


class InfantIdentifiers(models.Model):
    infant = models.OneToOneField(Infant, on_delete=models.CASCADE, related_name="identifiers")
    first_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "infant identifiers"

    def __str__(self) -> str:
        return self.first_name or f"Infant {self.infant_id}"


class StatusEvent(models.Model):
    """One step in a dyad's status history."""

    dyad = models.ForeignKey(Dyad, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=12, choices=EnrollmentStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=EnrollmentStatus.choices)
    effective_on = models.DateField()
    reason = models.CharField(max_length=300, blank=True)
    reason_code = models.CharField(max_length=20, choices=EndReason.choices, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.dyad_id}: {self.from_status or '-'} -> {self.to_status} on {self.effective_on}"


class Screening(models.Model):
    dyad = models.ForeignKey(Dyad, on_delete=models.CASCADE, related_name="screenings")
    screened_on = models.DateField()
    criteria = models.JSONField(help_text="Criterion key -> met (true/false).")
    eligible = models.BooleanField()
    reason = models.CharField(max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"Screening of {self.dyad_id} on {self.screened_on}"


class Consent(models.Model):
    dyad = models.ForeignKey(Dyad, on_delete=models.CASCADE, related_name="consents")
    consented_on = models.DateField()
    form_version = models.CharField(max_length=40)
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    notes = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"Consent of {self.dyad_id} on {self.consented_on} ({self.form_version})"
