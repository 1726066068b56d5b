"""Writing the audit log.

Domain functions call :func:`record` inside their own transaction, so an audit entry
exists exactly when the change it describes was committed.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.db import models

from .enums import AuditAction
from .models import AuditEvent


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The concrete field values of ``instance`` as JSON-ready data."""
    names = fields or [f.attname for f in instance._meta.concrete_fields]
    return {name: _jsonable(getattr(instance, name)) for name in names}


def record(
    user,
    action: AuditAction,
    obj: models.Model | None = None,
    *,
    summary: str = "",
    before: dict | None = None,
    after: dict | None = None,
    site_id: int | None = None,
    object_type: str = "",
    object_id: str = "",
    ip_address: str | None = None,
) -> AuditEvent:
    """Append one audit entry. ``user`` may be None for system actions.

    Where it came from (address and browser of a web request; system account and
    command line of a command) is taken from the origin in force (``accounts.context``).
    """
    from .context import current

    origin = current()
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = object_id or str(obj.pk)
        if site_id is None:
            site_id = getattr(obj, "site_id", None)
    is_user = user is not None and getattr(user, "is_authenticated", False)
    return AuditEvent.objects.create(
        user=user if is_user else None,
        username=user.get_username() if is_user else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        site_id=site_id,
        summary=summary[:300],
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        ip_address=ip_address or origin.ip_address,
        user_agent=origin.user_agent,
        channel=origin.channel,
        os_user=origin.os_user,
        command=origin.command,
    )


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose values differ, for compact update entries."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}
