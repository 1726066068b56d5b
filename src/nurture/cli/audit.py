import json
import re

import typer

from .common import fail, setup_django

_AGO = re.compile(r"^(\d+)([dhm])$")


def audit(since: str = typer.Option("", "--since", help="From this date (2026-05-01), time (2026-05-01T09:00) or "
                                                         "this long ago (7d, 12h, 30m). Default: the last 7 days."),
          action: str = typer.Option("", "--action", help="Only this action (login_failed, export, refused, …)."),
          user: str = typer.Option("", "--user", help="Only this username."),
          format: str = typer.Option("table", "--format", help="table or json")) -> None:
    """Read the audit log: who did what, when, from where (address and browser, or system account and command)."""
    setup_django()
    import datetime as dt

    from django.utils import timezone

    from nurture.accounts.enums import AuditAction
    from nurture.accounts.models import AuditEvent

    if format not in ("table", "json"):
        fail(f"--format must be table or json, not {format!r}")
    if action and action not in AuditAction.values:
        fail(f"--action {action!r} is not an audit action (use {', '.join(AuditAction.values)})")
    now = timezone.now()
    start = now - dt.timedelta(days=7)
    if since:
        ago = _AGO.match(since.strip())
        if ago:
            start = now - dt.timedelta(**{{"d": "days", "h": "hours", "m": "minutes"}[ago[2]]: int(ago[1])})
        else:
            try:
                moment = dt.datetime.fromisoformat(since.strip())
            except ValueError:
                fail(f"--since {since!r} is not a date (2026-05-01), a time (2026-05-01T09:00) or an age (7d, 12h)")
            start = moment if timezone.is_aware(moment) else timezone.make_aware(moment)
    events = AuditEvent.objects.filter(at__gte=start).order_by("at", "id")
    if action:
        events = events.filter(action=action)
    if user:
        events = events.filter(username=user)
    rows = [{"at": e.at.isoformat(timespec="seconds"), "user": e.username or None, "action": e.action,
             "object_type": e.object_type or None, "object_id": e.object_id or None, "site": e.site_id,
             "summary": e.summary, "channel": e.channel or None, "ip_address": e.ip_address,
             "user_agent": e.user_agent or None, "os_user": e.os_user or None, "command": e.command or None}
            for e in events.iterator()]
    if format == "json":
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("at", "user", "action", "object", "from", "summary")
    for r in rows:
        origin = r["ip_address"] or ""
        if r["channel"] == "cli":
            origin = f"{r['os_user']}: {r['command']}"
        table.add_row(r["at"], r["user"] or "-", r["action"],
                      f"{r['object_type'] or ''} {r['object_id'] or ''}".strip(), origin, r["summary"])
    Console(width=200).print(table)
