"""Safety alerts: raising, notifying, acknowledging and escalating.

:func:`raise_alerts` is called by the capture domain *inside* the transaction that
saves the answers, so an answer is never committed without its alert. Emails go out
after the commit (``transaction.on_commit(..., robust=True)``): a mail server failure
can delay a message but can never lose the alert or the answers.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from nurture.accounts import audit, scoping
from nurture.accounts.enums import AuditAction, Role
from nurture.common.errors import DomainError

from .enums import AlertSeverity, EscalationLevel
from .models import Alert, SiteSafety, default_resources

log = logging.getLogger(__name__)


def raise_alerts(assessment, instrument_id: str, flags, now: dt.datetime) -> list[Alert]:
    """Create one alert per safety flag not already alerted for this assessment.

    Side effects: Alert rows; after commit, an email to the site's on-call list.
    Must be called inside the transaction that saved the answers.
    """
    created = []
    dyad = assessment.dyad
    for flag in flags:
        triggering = {"subject": flag.subject}
        if flag.observed is not None:
            triggering["observed"] = flag.observed
        alert, is_new = Alert.objects.get_or_create(
            assessment=assessment, instrument=instrument_id, rule=flag.rule,
            defaults={"dyad": dyad, "site_id": dyad.site_id, "severity": flag.severity,
                      "message": (flag.message or {}).get("en", f"{instrument_id}: {flag.rule}")[:300],
                      "triggering": triggering, "created_at": now})
        if is_new:
            created.append(alert)
            audit.record(None, AuditAction.CREATE, alert, site_id=dyad.site_id,
                         after={"rule": flag.rule, "severity": flag.severity, "dyad": dyad.code},
                         summary=f"{AlertSeverity(flag.severity).label} alert for {dyad.code}: {alert.message}")
    if created:
        ids = [a.pk for a in created]
        transaction.on_commit(lambda: notify_on_call(ids), robust=True)
    return created


def _staff_emails(site_id: int, roles: set[Role]) -> list[str]:
    users = User.objects.filter(is_active=True, profile__role__in=[r.value for r in roles]).exclude(email="")
    at_site = Q(profile__site_id=site_id)
    if Role.ADMINISTRATOR in roles:  # administrators without a site cover every site
        at_site |= Q(profile__site__isnull=True)
    return sorted(set(users.filter(at_site).values_list("email", flat=True)))


def _alert_url(alert: Alert) -> str:
    return f"{settings.SITE_URL}/alerts/{alert.pk}/"


def notify_on_call(alert_ids: list[int]) -> None:
    """Email the site's on-call list. No names: the study id and a link to the alert."""
    for alert in Alert.objects.filter(pk__in=alert_ids).select_related("dyad", "site"):
        recipients = [line.strip() for line in alert.site.on_call_emails.splitlines() if line.strip()]
        if not recipients:
            recipients = _staff_emails(alert.site_id, {Role.COORDINATOR})
        if not recipients:
            log.error("Alert %s has nobody to notify at site %s", alert.pk, alert.site_id)
            continue
        send_mail(
            subject=f"[Nurture] {alert.get_severity_display()} safety alert: {alert.dyad.code}",
            message=(f"{alert.message}\n\nDyad: {alert.dyad.code}\nRaised: {alert.created_at:%Y-%m-%d %H:%M}\n\n"
                     f"Open and acknowledge it: {_alert_url(alert)}\n"),
            from_email=None, recipient_list=recipients, fail_silently=False)


def visible_alerts(user):
    """Alerts of dyads the user is responsible for (researchers handle no alerts)."""
    role = scoping.role_of(user)
    if role is None or role == Role.RESEARCHER:
        return Alert.objects.none()
    return Alert.objects.filter(dyad__in=scoping.visible_dyads(user))


@transaction.atomic
def acknowledge_alert(by, alert: Alert, action_taken: str, now: dt.datetime | None = None) -> Alert:
    """Record who acknowledged the alert and the action taken. Audited."""
    if not visible_alerts(by).filter(pk=alert.pk).exists():
        from nurture.common.errors import NotPermitted

        raise NotPermitted("This alert is not one of yours.")
    action_taken = action_taken.strip()
    if len(action_taken) < 5:
        raise DomainError("Describe the action taken (for example: called the mother, safety plan made).")
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.acknowledged_at is not None:
        raise DomainError(f"Already acknowledged by {alert.acknowledged_by} at "
                          f"{timezone.localtime(alert.acknowledged_at):%H:%M on %d %b}.")
    alert.acknowledged_at = now or timezone.now()
    alert.acknowledged_by = by
    alert.action_taken = action_taken
    alert.save(update_fields=["acknowledged_at", "acknowledged_by", "action_taken"])
    audit.record(by, AuditAction.UPDATE, alert, site_id=alert.site_id, before={"acknowledged": False},
                 after={"acknowledged": True, "action_taken": action_taken},
                 summary=f"Acknowledged alert for {alert.dyad.code}")
    return alert


def escalation_minutes(alert: Alert) -> int:
    from nurture.capture.models import StudySettings

    settings_row = StudySettings.objects.filter(study_id=alert.dyad.study_id).first()
    return settings_row.escalation_minutes if settings_row else 60


def escalate_alerts(now: dt.datetime | None = None) -> list[Alert]:
    """Escalate unacknowledged urgent alerts: to coordinators after the escalation time,
    to site administrators after twice that. Returns the alerts escalated now."""
    now = now or timezone.now()
    escalated = []
    for alert in Alert.objects.open().filter(severity=AlertSeverity.URGENT,
                                             escalation_level__lt=EscalationLevel.ADMINISTRATOR
                                             ).select_related("dyad", "site"):
        minutes = escalation_minutes(alert)
        due_level = min(int((now - alert.created_at) / dt.timedelta(minutes=minutes)), EscalationLevel.ADMINISTRATOR)
        if due_level <= alert.escalation_level:
            continue
        with transaction.atomic():
            locked = Alert.objects.select_for_update().get(pk=alert.pk)
            if locked.acknowledged_at is not None or locked.escalation_level >= due_level:
                continue
            before = locked.escalation_level
            locked.escalation_level = due_level
            locked.escalated_at = now
            locked.save(update_fields=["escalation_level", "escalated_at"])
            audit.record(None, AuditAction.UPDATE, locked, site_id=locked.site_id,
                         before={"escalation_level": before}, after={"escalation_level": due_level},
                         summary=f"Escalated alert for {locked.dyad.code}: "
                                 f"{EscalationLevel(due_level).label.lower()}")
            roles = {Role.COORDINATOR} if due_level == EscalationLevel.COORDINATOR else {Role.ADMINISTRATOR}
            recipients = _staff_emails(locked.site_id, roles)
            pk = locked.pk
            transaction.on_commit(lambda pk=pk, recipients=recipients: _send_escalation(pk, recipients),
                                  robust=True)
        escalated.append(locked)
    return escalated


def _send_escalation(alert_id: int, recipients: list[str]) -> None:
    if not recipients:
        log.error("Escalation of alert %s has no recipients", alert_id)
        return
    alert = Alert.objects.select_related("dyad").get(pk=alert_id)
    send_mail(subject=f"[Nurture] ESCALATED urgent alert not acknowledged: {alert.dyad.code}",
              message=(f"An urgent safety alert raised {alert.created_at:%Y-%m-%d %H:%M} has not been acknowledged.\n"
                       f"{alert.message}\n\nAcknowledge it: {_alert_url(alert)}\n"),
              from_email=None, recipient_list=recipients, fail_silently=False)


def crisis_resources(site, language: str) -> list[dict]:
    row = SiteSafety.objects.filter(site=site).first()
    resources = row.crisis_resources if row else default_resources()
    return resources.get(language) or resources.get("en") or []
