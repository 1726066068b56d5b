from django.core.exceptions import PermissionDenied

from nurture.common.errors import DomainError, NotPermitted


def attempt(form, action):
    """Run a domain action; a refusal goes onto the form (kept as typed), a permission error is a 403.

    Returns the action's result, or None when it was refused.
    """
    try:
        return action()
    except DomainError as exc:
        form.add_error(None, str(exc))
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from exc
    return None
