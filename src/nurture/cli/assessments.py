"""Operator commands for assessments and safety: survey-link, alerts, send-reminders, escalate-alerts."""

import json

import typer

from .common import fail, setup_django


def survey_link(dyad_id: str = typer.Argument(..., help="The dyad's study id, e.g. NC-0007."),
                timepoint: str = typer.Argument(..., help="screening, pre or post")) -> None:
    """Print a participant survey URL (creating the assessment and a link if needed)."""
    setup_django()
    from django.conf import settings

    from nurture.capture import domain as capture
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
    typer.echo(f"{settings.SITE_URL}/s/{token}/")


def alerts(open_only: bool = typer.Option(False, "--open", help="Only alerts not yet acknowledged."),
           format: str = typer.Option("table", "--format", help="table or json")) -> None:
    """List safety alerts."""
    setup_django()
    from nurture.safety.models import Alert

    if format not in ("table", "json"):
        fail(f"--format must be table or json, not {format!r}")
    qs = Alert.objects.select_related("dyad").order_by("created_at")
    if open_only:
        qs = qs.open()
    rows = [{"id": a.pk, "dyad": a.dyad.code, "severity": a.severity, "rule": f"{a.instrument}.{a.rule}",
             "created": a.created_at.isoformat(timespec="seconds"),
             "acknowledged": a.acknowledged_at.isoformat(timespec="seconds") if a.acknowledged_at else None,
             "escalation_level": a.escalation_level} for a in qs]
    if format == "json":
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "dyad", "severity", "rule", "created", "acknowledged", "escalation")
    for r in rows:
        table.add_row(str(r["id"]), r["dyad"], r["severity"], r["rule"], r["created"], r["acknowledged"] or "open",
                      str(r["escalation_level"]))
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


def escalate_alerts() -> None:
    """Escalate urgent alerts not acknowledged in time (run by a scheduler, and by nurture serve)."""
    setup_django()
    from nurture.safety.domain import escalate_alerts as escalate

    for alert in escalate():
        typer.echo(f"alert {alert.pk} ({alert.dyad.code}) escalated to level {alert.escalation_level}")
