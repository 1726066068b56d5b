from django.db import models


class ObservationTask(models.TextChoices):
    FREE_PLAY = "free_play", "Free play"
    TEACHING = "teaching", "Teaching task"
    FEEDING = "feeding", "Feeding"
    BOOK_SHARING = "book_sharing", "Book sharing"
    FACE_TO_FACE = "face_to_face", "Face-to-face play"
    OTHER = "other", "Other"


class ObservedTimepoint(models.TextChoices):
    """When a recording was made: the assessment timepoints that carry observation."""

    PRE = "pre", "Pre (entry)"
    POST = "post", "Post"


class UnitKind(models.TextChoices):
    """What is coded: a recorded interaction (rated on a scale) or a text segment (tagged with themes)."""

    RECORDING = "recording", "Recorded interaction"
    SEGMENT = "segment", "Text segment"


class SegmentSource(models.TextChoices):
    FEEDBACK = "feedback", "Program feedback answer"
    TRANSCRIPT = "transcript", "Focus-group transcript"


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", "To code"
    SUBMITTED = "submitted", "Submitted"


class Resolution(models.TextChoices):
    """Where a coded unit stands, and where its final values came from."""

    UNASSIGNED = "unassigned", "Not assigned"
    CODING = "coding", "Being coded"
    NEEDS_CONSENSUS = "needs_consensus", "Needs consensus"
    SINGLE = "single", "Coded once"
    AGREED = "agreed", "Double-coded, coders agreed"
    CONSENSUS = "consensus", "Double-coded, consensus"

    @classmethod
    def final(cls) -> frozenset["Resolution"]:
        """Units whose final values may be analysed."""
        return frozenset({cls.SINGLE, cls.AGREED, cls.CONSENSUS})

    @classmethod
    def double_coded(cls) -> frozenset["Resolution"]:
        return frozenset({cls.NEEDS_CONSENSUS, cls.AGREED, cls.CONSENSUS})
