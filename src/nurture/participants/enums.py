from django.db import models


class EnrollmentStatus(models.TextChoices):
    """The furthest stage a dyad has reached (the ``status`` of participants.csv)."""

    REFERRED = "referred", "Referred"
    ELIGIBLE = "eligible", "Eligible"
    INELIGIBLE = "ineligible", "Not eligible"
    CONSENTED = "consented", "Consented"
    ENROLLED = "enrolled", "Enrolled"
    COMPLETED = "completed", "Completed"
    WITHDRAWN = "withdrawn", "Withdrawn"
    LOST = "lost", "Lost to follow-up"

    @classmethod
    def active(cls) -> frozenset["EnrollmentStatus"]:
        """Dyads still moving through the program."""
        return frozenset({cls.REFERRED, cls.ELIGIBLE, cls.CONSENTED, cls.ENROLLED})

    @classmethod
    def in_cohort(cls) -> frozenset["EnrollmentStatus"]:
        """Dyads that belong on a cohort's roster (attendance is taken for them)."""
        return frozenset({cls.ENROLLED, cls.COMPLETED, cls.WITHDRAWN, cls.LOST})

    @classmethod
    def final(cls) -> frozenset["EnrollmentStatus"]:
        return frozenset({cls.INELIGIBLE, cls.COMPLETED, cls.WITHDRAWN, cls.LOST})

    @classmethod
    def ends_follow_up(cls) -> frozenset["EnrollmentStatus"]:
        """Stages after which nobody follows up her answers: her survey links are revoked."""
        return frozenset({cls.COMPLETED, cls.WITHDRAWN, cls.LOST})

    @classmethod
    def needs_reason(cls) -> frozenset["EnrollmentStatus"]:
        return frozenset({cls.INELIGIBLE, cls.WITHDRAWN, cls.LOST})


S = EnrollmentStatus

#: The only moves the status history accepts. Withdrawal (a family declining or
#: leaving) is possible from every active stage; loss to follow-up only once a dyad
#: is in a cohort, because before that nobody is following it up.
TRANSITIONS: dict[EnrollmentStatus, frozenset[EnrollmentStatus]] = {
    S.REFERRED: frozenset({S.ELIGIBLE, S.INELIGIBLE, S.WITHDRAWN}),
    S.ELIGIBLE: frozenset({S.CONSENTED, S.WITHDRAWN}),
    S.CONSENTED: frozenset({S.ENROLLED, S.WITHDRAWN}),
    S.ENROLLED: frozenset({S.COMPLETED, S.WITHDRAWN, S.LOST}),
    S.INELIGIBLE: frozenset(),
    S.COMPLETED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.LOST: frozenset(),
}


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other / not stated"


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    SPANISH = "es", "Spanish"
