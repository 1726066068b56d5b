"""Operator commands for assessments and safety: survey-link, alerts, send-reminders,
send-notifications, escalate-alerts."""

import json

import typer

from .common import fail, setup_django


def survey_link(dyad_id: str = typer.Argument(..., help="The dyad's study id, e.g. NC-0007."),
                timepoint: str = typer.Argument(..., help="screening, pre or post")) -> None:
    """Print a participant survey URL (creating the assessment and a link if needed)."""
    setup_django()
    from nurture.capture import domain as capture
    from nurture.capture.domain import survey_url
    from nurture.capture.enums import Timepoint
    from nurture.common.errors import DomainError
    from nurture.participants.models import Dyad

    try:
        tp = Timepoint(timepoint)
    except ValueError:
        fail(f"timepoint must be one of {', '.join(t.value for t in Timepoint)}, not {timepoint!r}")
    dyad = Dyad.objects.filter(code=dyad_id).first()
    if dyad is None:
        fail(f"no dyad with study id {dyad_id!r}")
    try:
        assessment = capture.schedule_assessment(None, dyad, tp)
        _, token = capture.issue_link(None, assessment)
    except DomainError as exc:
        fail(str(exc))
    if dyad.status in ("withdrawn", "lost", "completed"):
        typer.echo(f"nurture: note: {dyad.code} is {dyad.get_status_display().lower()}; this new link works until "
                   "revoked — answers and alerts will reach staff.", err=True)
    typer.echo(survey_url(token))


def alerts(open_only: bool = typer.Option(False, "--open", help="Only alerts not yet acknowledged."),
           format: str = typer.Option("table", "--format", help="table or json")) -> None:
    """List safety alerts."""
    setup_django()
    from nurture.safety.models import Alert

    if format not in ("table", "json"):
        fail(f"--format must be table or json, not {format!r}")
    qs = Alert.objects.select_related("dyad").prefetch_related("notifications").order_by("created_at")
    if open_only:
        qs = qs.open()

    def when(moment):
        return moment.isoformat(timespec="seconds") if moment else None

    rows = [{"id": a.pk, "dyad": a.dyad.code, "dyad_status": a.dyad.status, "severity": a.severity,
             "topic": a.topic, "rule": f"{a.instrument}.{a.rule}", "status": a.status, "path": a.path,
             "created": when(a.created_at), "acknowledged": when(a.acknowledged_at), "closed": when(a.closed_at),
             "outcome": a.outcome or None, "escalation_level": a.escalation_level,
             "escalation_repeats": a.escalation_repeats, "previous": a.previous_id,
             "notifications": [{"channel": n.channel, "to": n.to, "status": n.status, "attempts": n.attempts,
                                "last_error": n.last_error or None, "kind": n.kind}
                               for n in a.notifications.all()]} for a in qs]
    if format == "json":
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "dyad", "severity", "rule", "created", "status", "escalation", "messages")
    for r in rows:
        notes = r["notifications"]
        failing = sum(n["status"] in ("retrying", "failed") for n in notes)
        table.add_row(str(r["id"]), r["dyad"], r["severity"], r["rule"], r["created"],
                      r["status"] + (f" ({r['outcome']})" if r["outcome"] else ""), str(r["escalation_level"]),
                      "nobody notified" if not notes else f"{len(notes)}" + (f", {failing} failing" if failing
                                                                            else ""))
    Console().print(table)


def send_reminders() -> None:
    """Email reminders for windows that open or close soon; logs each message sent."""
    setup_django()
    from nurture.capture.domain import close_expired
    from nurture.capture.messaging import send_reminders as send

    sent = send()
    closed = close_expired()
    for log in sent:
        typer.echo(f"{log.kind} -> assessment {log.assessment_id}")
    typer.echo(f"{len(sent)} reminder(s) sent; {closed} assessment(s) closed as missed or expired.")


def send_notifications() -> None:
    """Send queued alert messages that are due, retrying failures with back-off
    (run by a scheduler every minute, and continuously by nurture serve)."""
    setup_django()
    from nurture.notifications.domain import deliver_due

    report = deliver_due()
    for note in report.failed:
        then = "given up" if note.status == "failed" else "will retry"
        typer.echo(f"failed ({then}): {note.get_channel_display().lower()} to {note.to} "
                   f"(attempt {note.attempts}): {note.last_error}", err=True)
    retrying = sum(note.status != "failed" for note in report.failed)
    typer.echo(f"{len(report.sent)} message(s) sent, {len(report.failed)} failed "
               f"({retrying} will be retried, {len(report.failed) - retrying} given up).")


def escalate_alerts() -> None:
    """Escalate urgent alerts not acknowledged in time (run by a scheduler, and by nurture serve)."""
    setup_django()
    from nurture.safety.domain import escalate_alerts as escalate

    for alert in escalate():
        typer.echo(f"alert {alert.pk} ({alert.dyad.code}) escalated to level {alert.escalation_level}")
