from django.db import models


class Component(models.TextChoices):
    """The three concurrent groups that make up every program week."""

    MOTHER = "mother", "Mothers' group"
    INFANT = "infant", "Infant developmental group"
    DYAD = "dyad", "Dyadic group"


class DeliveryMode(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    ONLINE = "online", "Online"


class CohortStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"

    @classmethod
    def open_for_enrollment(cls) -> frozenset["CohortStatus"]:
        return frozenset({cls.PLANNED, cls.IN_PROGRESS})


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", "Present"
    ABSENT = "absent", "Absent"
    EXCUSED = "excused", "Excused"


WEEKDAYS = [(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday"),
            (5, "Saturday"), (6, "Sunday")]
