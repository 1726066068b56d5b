"""Coded data: recorded interactions rated by coders, and text segments tagged with themes.

A coded *unit* is a ``Recording`` (rated on a rating scale) or a ``Segment`` (a piece of
an open answer or a transcript, tagged with codes). Coders reach units only through
their ``Assignment`` rows, which carry a random token and a random order and show
the unit's random ``blind_code`` — never the dyad, the timepoint or the date.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from .enums import (
    AssignmentStatus,
    ObservationTask,
    ObservedTimepoint,
    Resolution,
    SegmentSource,
    UnitKind,
)


class CodingSettings(models.Model):
    """How a study codes: the share double-coded and the schemes used."""

    study = models.OneToOneField("program.Study", on_delete=models.CASCADE, related_name="coding_settings")
    double_share = models.FloatField(default=0.2, validators=[MinValueValidator(0), MaxValueValidator(1)],
                                     help_text="Share of units coded by a second coder (0.2 = 20%).")
    observation_scheme = models.CharField(max_length=40, default="dyadic_interaction")
    feedback_codebook = models.CharField(max_length=40, default="feedback_themes")

    class Meta:
        verbose_name_plural = "coding settings"

    def __str__(self) -> str:
        return f"Coding settings of {self.study}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from .schemes import Codebook, RatingScheme, library

        schemes = library()
        if not isinstance(schemes.get(self.observation_scheme), RatingScheme):
            raise ValidationError({"observation_scheme": f"No rating scale {self.observation_scheme!r} in the "
                                                         f"coding library ({', '.join(schemes)})."})
        if not isinstance(schemes.get(self.feedback_codebook), Codebook):
            raise ValidationError({"feedback_codebook": f"No codebook {self.feedback_codebook!r} in the coding "
                                                        f"library ({', '.join(schemes)})."})


class CodedUnit(models.Model):
    """What recordings and segments share: a blind code, the final values and how they were reached."""

    study = models.ForeignKey("program.Study", on_delete=models.PROTECT, related_name="+")
    scheme = models.CharField(max_length=40)
    scheme_version = models.CharField(max_length=20)
    blind_code = models.CharField(max_length=12, unique=True)
    resolution = models.CharField(max_length=16, choices=Resolution.choices, default=Resolution.UNASSIGNED)
    final = models.JSONField(null=True, blank=True,
                             help_text="Item ratings (recordings) or sorted code ids (segments) used in analysis.")
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    consensus_note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.blind_code

    @property
    def is_final(self) -> bool:
        return self.resolution in Resolution.final()


class Recording(CodedUnit):
    """A recorded mother-infant interaction of one dyad at one timepoint.

    The video stays outside Nurture: ``location`` says where it is kept (staff only);
    ``coder_location`` where coders find the copy renamed to the blind code.
    """

    dyad = models.ForeignKey("participants.Dyad", on_delete=models.PROTECT, related_name="recordings")
    timepoint = models.CharField(max_length=10, choices=ObservedTimepoint.choices)
    recorded_on = models.DateField()
    task = models.CharField(max_length=20, choices=ObservationTask.choices, default=ObservationTask.FREE_PLAY)
    duration_seconds = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    location = models.CharField(max_length=300, help_text="Where the recording is kept (never shown to coders).")
    coder_location = models.CharField(max_length=300, blank=True,
                                      help_text="Where coders find the blinded copy; must not reveal who or when.")
    final_scores = models.JSONField(null=True, blank=True, help_text="Subscale scores of the final ratings.")

    class Meta:
        ordering = ["dyad__code", "timepoint", "task"]
        constraints = [models.UniqueConstraint(fields=["dyad", "timepoint", "task"],
                                               name="one_recording_per_dyad_timepoint_task")]

    kind = UnitKind.RECORDING


class Transcript(models.Model):
    """An uploaded plain-text transcript (a focus group), split into segments for theme coding."""

    study = models.ForeignKey("program.Study", on_delete=models.PROTECT, related_name="transcripts")
    title = models.CharField(max_length=200)
    held_on = models.DateField()
    cohort = models.ForeignKey("program.Cohort", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(help_text="As uploaded; coders see only the redacted segments.")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["held_on", "pk"]

    def __str__(self) -> str:
        return self.title


class Segment(CodedUnit):
    """A piece of text to tag with codes: part of an open feedback answer, or of a transcript."""

    source = models.CharField(max_length=12, choices=SegmentSource.choices)
    response = models.ForeignKey("capture.ItemResponse", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="segments")
    dyad = models.ForeignKey("participants.Dyad", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="segments")
    question = models.CharField(max_length=40, blank=True, help_text="The feedback item id of the open answer.")
    transcript = models.ForeignKey(Transcript, null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="segments")
    position = models.PositiveIntegerField(default=1)
    text = models.TextField(help_text="Names, contacts and addresses replaced before coders see it.")

    class Meta:
        ordering = ["source", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["response", "position"], name="one_segment_per_answer_position"),
            models.UniqueConstraint(fields=["transcript", "position"], name="one_segment_per_transcript_position"),
            models.CheckConstraint(condition=Q(response__isnull=False) | Q(transcript__isnull=False),
                                   name="segment_has_a_source"),
        ]

    kind = UnitKind.SEGMENT


class AssignmentQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=AssignmentStatus.ASSIGNED)

    def submitted(self):
        return self.filter(status=AssignmentStatus.SUBMITTED)


class Assignment(models.Model):
    """One unit for one coder. ``token`` addresses it in URLs (so ids reveal no order);
    ``order_key`` is the random position in the coder's list. Whether the unit is
    double-coded is not shown to the coder."""

    token = models.CharField(max_length=32, unique=True)
    coder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="coding_assignments")
    recording = models.ForeignKey(Recording, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="assignments")
    segment = models.ForeignKey(Segment, null=True, blank=True, on_delete=models.CASCADE, related_name="assignments")
    order_key = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.ASSIGNED)
    values = models.JSONField(null=True, blank=True, help_text="Item ratings, or sorted code ids.")
    scores = models.JSONField(null=True, blank=True, help_text="Subscale scores of this coder's ratings.")
    note = models.CharField(max_length=500, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["order_key"]
        constraints = [
            models.CheckConstraint(condition=(Q(recording__isnull=False) & Q(segment__isnull=True))
                                   | (Q(recording__isnull=True) & Q(segment__isnull=False)),
                                   name="assignment_has_one_unit"),
            models.UniqueConstraint(fields=["coder", "recording"], name="one_assignment_per_coder_recording"),
            models.UniqueConstraint(fields=["coder", "segment"], name="one_assignment_per_coder_segment"),
        ]

    def __str__(self) -> str:
        return f"{self.unit.blind_code} for {self.coder.get_username()}"

    @property
    def unit(self) -> Recording | Segment:
        return self.recording if self.recording_id else self.segment

    @property
    def kind(self) -> UnitKind:
        return UnitKind.RECORDING if self.recording_id else UnitKind.SEGMENT

    @property
    def is_open(self) -> bool:
        return self.status == AssignmentStatus.ASSIGNED
