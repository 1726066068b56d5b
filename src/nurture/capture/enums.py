from django.db import models


class Timepoint(models.TextChoices):
    SCREENING = "screening", "Screening"
    PRE = "pre", "Pre (entry)"
    POST = "post", "Post"


class AssessmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    INVITED = "invited", "Invited"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    EXPIRED = "expired", "Expired"
    MISSED = "missed", "Missed"

    @classmethod
    def open(cls) -> frozenset["AssessmentStatus"]:
        """Still expecting answers."""
        return frozenset({cls.SCHEDULED, cls.INVITED, cls.IN_PROGRESS})

    @classmethod
    def closed(cls) -> frozenset["AssessmentStatus"]:
        return frozenset({cls.COMPLETED, cls.EXPIRED, cls.MISSED})


class Source(models.TextChoices):
    ONLINE = "online", "Online survey"
    PAPER = "paper", "Paper form (staff entry)"
    IMPORT = "import", "Imported (REDCap)"


class Entry(models.IntegerChoices):
    """Double data entry of paper forms: the first entry is the record; the second checks it."""

    FIRST = 1, "First entry"
    SECOND = 2, "Second entry"
