from django.db import models


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", "Administrator"
    COORDINATOR = "coordinator", "Coordinator"
    FACILITATOR = "facilitator", "Facilitator"
    RESEARCHER = "researcher", "Researcher"
    CODER = "coder", "Coder"

    @classmethod
    def sees_identifiers(cls) -> frozenset["Role"]:
        """Roles that work with families directly and so may see names and contacts."""
        return frozenset({cls.ADMINISTRATOR, cls.COORDINATOR, cls.FACILITATOR})

    @classmethod
    def sees_study_data(cls) -> frozenset["Role"]:
        """Roles that see participants, cohorts and sessions at all. Coders see only their
        coding assignments, blind to who and when (``coding.domain.visible_assignments``)."""
        return frozenset({cls.ADMINISTRATOR, cls.COORDINATOR, cls.FACILITATOR, cls.RESEARCHER})

    @classmethod
    def manages_participants(cls) -> frozenset["Role"]:
        return frozenset({cls.ADMINISTRATOR, cls.COORDINATOR})


class AuditAction(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    DELETE = "delete", "Deleted"
    VIEW_IDENTIFIERS = "view_identifiers", "Viewed identifiers"
    EXPORT = "export", "Exported"
    LOGIN = "login", "Logged in"
    LOGIN_FAILED = "login_failed", "Failed login"
    LOGOUT = "logout", "Logged out"
    LOCKED_OUT = "locked_out", "Locked out"
    UNLOCK = "unlock", "Unlocked"
    REFUSED = "refused", "Refused request"
    TWO_FACTOR = "two_factor", "Two-factor"
    BACKUP = "backup", "Backup"
    RESTORE = "restore", "Restore"


class Channel(models.TextChoices):
    """Where an audited action came from."""

    WEB = "web", "Web"
    CLI = "cli", "Command line"
    SYSTEM = "system", "Background job"
