class DomainError(ValueError):
    """A request the program rules refuse; the message is shown to the user as is."""


class NotPermitted(PermissionError):
    """The user's role or site does not allow this action."""
