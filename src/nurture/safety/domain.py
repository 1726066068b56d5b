"""Safety alerts: raising, notifying, acknowledging, closing and escalating.

:func:`raise_alerts` is called by the capture domain *inside* the transaction that
saves the answers — whatever the path: the mother's survey, her final send, either
paper entry, a staff correction, an import — so an answer is never committed without
its alert. Messages are queued in the notifications outbox in that same transaction
and delivered afterwards, outside the mother's request (``nurture.notifications``).

Lifecycle: open → acknowledged (someone is on it) → closed (a structured outcome). A
later answer worse than the one alerted updates an open alert, or raises a new alert
linked to an acknowledged or closed one; either way the on-call list hears again.
Urgent alerts escalate until acknowledged: coordinators, administrators, then everyone
again at the site's repeat interval. A late checker still notifies each level in order.
"""

from __future__ import annotations

import datetime as dt
import math
import urllib.parse

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from nurture.accounts import audit, scoping
from nurture.accounts.enums import AuditAction, Role
from nurture.common.errors import DomainError, NotPermitted
from nurture.notifications import domain as outbox
from nurture.notifications.enums import Channel
from nurture.notifications.sms import normalise_phone

from .enums import (
    AlertOutcome,
    AlertPath,
    AlertSeverity,
    AlertStatus,
    AlertTopic,
    EscalationLevel,
    EventKind,
    ResourceGroup,
)
from .models import Alert, AlertEvent, CrisisResource, SiteSafety, default_resources

UNANSWERED = "safety_item_unanswered"
ESSENTIAL = (ResourceGroup.EMERGENCY, ResourceGroup.CRISIS)


# --------------------------------------------------------------------------- settings


def site_safety(site_id: int) -> SiteSafety:
    row = SiteSafety.objects.filter(site_id=site_id).first()
    return row if row is not None else SiteSafety(site_id=site_id)


def crisis_resources(site, language: str) -> list[dict]:
    """The services to show a mother, in her language: the site's own list when it has
    one for that language (edited in the admin), else the defaults."""
    rows = list(CrisisResource.objects.filter(site=site, language=language).values(
        "group", "name", "phone", "sms", "sms_body", "note"))
    resources = rows or default_resources(language)
    # A site's own list adds to the emergency number and the crisis line; it can replace
    # them with its own entries of those groups, never drop them.
    have = {r["group"] for r in resources}
    resources += [r for r in default_resources(language) if r["group"] in ESSENTIAL and r["group"] not in have]
    order = {g: i for i, g in enumerate(ResourceGroup.values)}
    for r in resources:
        r["tel"] = _dial(r.get("phone", ""))
        r["sms_link"] = _sms_link(r.get("sms", ""), r.get("sms_body", ""))
    return sorted(resources, key=lambda r: order.get(r["group"], len(order)))


def _dial(number: str) -> str:
    digits = normalise_phone(number) or ""
    return f"tel:{digits}" if digits else ""


def _sms_link(number: str, body: str) -> str:
    digits = normalise_phone(number) or ""
    if not digits:
        return ""
    # "?&body=" is read by both iOS and Android messaging apps.
    return f"sms:{digits}" + (f"?&body={urllib.parse.quote(body)}" if body else "")


# --------------------------------------------------------------------------- raising


def _observed(flag) -> float | None:
    return None if flag.observed is None or (isinstance(flag.observed, float) and math.isnan(flag.observed)) \
        else float(flag.observed)


def _is_worse(rule_op: str, new: float | None, old: float | None) -> bool:
    if new is None or old is None:
        return False
    return new > old if rule_op in (">", ">=") else new < old if rule_op in ("<", "<=") else False


def _topic(flag) -> str:
    return AlertTopic.UNANSWERED if flag.rule == UNANSWERED else AlertTopic(getattr(flag, "topic", "distress"))


def raise_alerts(assessment, instrument_id: str, flags, now: dt.datetime, *, path: AlertPath = AlertPath.SURVEY,
                 by=None) -> list[Alert]:
    """Create or update alerts for the safety flags of one instrument's saved answers.

    - A rule not yet alerted for this assessment raises a new alert.
    - A rule already alerted: nothing, unless the answer is *worse* than the one
      alerted. Then an open alert is updated; an acknowledged or closed one gets a new
      alert that points back to it.

    Side effects: Alert and AlertEvent rows, audit entries, and queued notifications
    (the on-call list), all in the caller's transaction, which must be the one that
    saved the answers. Returns the alerts created or made worse.
    """
    from nurture.instruments import library

    if not flags:
        return []
    rule_ops = {r.id: r.op for r in library().get(instrument_id).safety} if instrument_id in library() else {}
    changed = []
    dyad = assessment.dyad
    # Every earlier alert of these rules, newest first, in one locked read.
    earlier: dict[str, list[Alert]] = {}
    for alert in (Alert.objects.select_for_update()
                  .filter(assessment=assessment, instrument=instrument_id, rule__in={f.rule for f in flags})
                  .order_by("-created_at", "-pk")):
        earlier.setdefault(alert.rule, []).append(alert)
    for flag in flags:
        observed = _observed(flag)
        # An alert closed as "entered in error" says nothing about her real answer: the
        # comparison is with the latest alert that stands.
        same_rule = earlier.get(flag.rule, [])
        latest = next((a for a in same_rule if a.outcome != AlertOutcome.ENTRY_ERROR), None)
        error = (next((a for a in same_rule if a.outcome == AlertOutcome.ENTRY_ERROR), None)
                 if latest is None else None)
        triggering = {"subject": flag.subject, "observed": observed, "partial": bool(getattr(flag, "partial", False)),
                      "path": AlertPath(path).value}
        if latest is not None and not _is_worse(rule_ops.get(flag.rule, ">"), observed, latest.observed):
            continue
        if latest is not None and latest.is_open:
            before = latest.observed
            latest.triggering = triggering | {"earlier": (latest.triggering.get("earlier") or []) + [before]}
            latest.save(update_fields=["triggering"])
            _event(latest, now, EventKind.WORSE, by, f"{flag.subject}: {_fmt(before)} → {_fmt(observed)} "
                                                     f"({AlertPath(path).label.lower()})")
            audit.record(by, AuditAction.UPDATE, latest, site_id=dyad.site_id, before={"observed": before},
                         after={"observed": observed}, summary=f"Worse answer on open alert for {dyad.code}")
            _notify_on_call(latest, now, worse=True)
            changed.append(latest)
            continue
        alert = Alert.objects.create(
            assessment=assessment, instrument=instrument_id, rule=flag.rule, dyad=dyad, site_id=dyad.site_id,
            severity=flag.severity, topic=_topic(flag), path=path, previous=latest or error, created_at=now,
            message=(flag.message or {}).get("en", f"{instrument_id}: {flag.rule}")[:300], triggering=triggering)
        earlier.setdefault(flag.rule, []).insert(0, alert)  # the newest of its rule, for a later flag
        note = AlertPath(path).label
        if error is not None:
            note += f"; alert #{error.pk} was closed as entered in error, and this answer still meets the rule"
        if latest is not None:
            note += f"; worse than the answer of alert #{latest.pk} ({_fmt(latest.observed)} → {_fmt(observed)})"
            _event(latest, now, EventKind.RAISED_AGAIN, by, f"A worse answer raised alert #{alert.pk}.")
        if ended := _ended(dyad, now):
            note += f"; {ended}"
        _event(alert, now, EventKind.RAISED, by, note)
        audit.record(by, AuditAction.CREATE, alert, site_id=dyad.site_id,
                     after={"rule": flag.rule, "severity": flag.severity, "dyad": dyad.code, "path": path,
                            "previous": latest.pk if latest else None},
                     summary=f"{AlertSeverity(flag.severity).label} alert for {dyad.code}: {alert.message}")
        _notify_on_call(alert, now)
        changed.append(alert)
    return changed


def _ended(dyad, at: dt.datetime) -> str:
    """'withdrew on 02 Mar 2026' when the dyad left the study by ``at``, else ''."""
    from nurture.participants.enums import EnrollmentStatus

    if dyad.status not in EnrollmentStatus.ends_follow_up():
        return ""
    if dyad.ended_on and dyad.ended_on > timezone.localdate(at):
        return ""
    verb = {"withdrawn": "withdrew", "lost": "was lost to follow-up", "completed": "completed the program"}
    return verb[dyad.status] + (f" on {dyad.ended_on:%d %b %Y}" if dyad.ended_on else "")


def ended_text(dyad) -> str:
    """For staff pages: 'withdrew on 02 Mar 2026' when the dyad has left the study."""
    return _ended(dyad, timezone.now())


def _fmt(value) -> str:
    if value is None:
        return "—"
    return f"{value:g}"


def _event(alert: Alert, at: dt.datetime, kind: EventKind, by=None, note: str = "") -> AlertEvent:
    return AlertEvent.objects.create(alert=alert, at=at, kind=kind, by=by if getattr(by, "pk", None) else None,
                                     note=note[:500])


# --------------------------------------------------------------------------- notifying


def _alert_url(alert: Alert) -> str:
    return f"{settings.SITE_URL}/alerts/{alert.pk}/"


def _staff_contacts(site_id: int, roles: set[Role]) -> tuple[list[str], list[str]]:
    users = User.objects.filter(is_active=True, profile__role__in=[r.value for r in roles])
    at_site = Q(profile__site_id=site_id)
    if Role.ADMINISTRATOR in roles:  # administrators without a site cover every site
        at_site |= Q(profile__site__isnull=True)
    rows = users.filter(at_site).values_list("email", "profile__mobile")
    emails = sorted({e for e, _ in rows if e})
    phones = sorted({p for _, m in rows if m and (p := normalise_phone(m))})
    return emails, phones


def _message(alert: Alert, headline: str) -> tuple[str, str, str]:
    """(subject, email body, text message). Severity, study id, site, local time and a link:
    never the answer, the question or the mother's name."""
    site = alert.site
    raised = site.local(alert.created_at)
    when = f"{raised:%d %b %Y %H:%M} {raised.tzname()}"
    ended = _ended(alert.dyad, timezone.now())
    ended = f" The dyad {ended}." if ended else ""
    severity = alert.get_severity_display()
    subject = f"[Nurture] {headline}: {severity} safety alert, {alert.dyad.code}"
    body = (f"{headline}: {severity.lower()} safety alert for {alert.dyad.code} at {site.name}, raised {when}."
            f"{ended}\n\nOpen it, acknowledge it and record what was done:\n{_alert_url(alert)}\n\n"
            "This message holds no answers and no names; sign in to see the alert.\n")
    text = f"Nurture: {headline.lower()}: {severity.lower()} alert {alert.dyad.code}, {when}.{ended} {_alert_url(alert)}"
    return subject, body, text


def texts_enabled() -> bool:
    """Whether text messages can be sent at all (``NURTURE_SMS_URL`` names a backend)."""
    return bool(settings.SMS_URL) and not settings.SMS_URL.startswith("none:")


def _reachable(alert: Alert, emails: list[str], phones: list[str]) -> tuple[list[str], list[str]]:
    """What will really be sent: text messages only for urgent alerts, and only when
    texts are configured."""
    return list(emails), (list(phones) if alert.is_urgent and texts_enabled() else [])


def _queue(alert: Alert, kind: str, headline: str, emails: list[str], phones: list[str], now) -> int:
    subject, body, text = _message(alert, headline)
    for number in phones:  # the fastest channel first
        outbox.enqueue(alert=alert, kind=kind, channel=Channel.SMS, to=number, body=text, now=now)
    for address in emails:
        outbox.enqueue(alert=alert, kind=kind, channel=Channel.EMAIL, to=address, subject=subject, body=body, now=now)
    count = len(emails) + len(phones)
    if count:
        _event(alert, now, EventKind.NOTIFIED, None, f"{headline}: {count} message(s) queued to "
                                                     f"{', '.join(phones + emails)}")
    else:
        _event(alert, now, EventKind.NOBODY, None, f"{headline}: nobody could be told — no on-call address or "
                                                   "coordinator email at the site (phone numbers receive texts only "
                                                   "for urgent alerts, and only when texts are configured).")
    return count


def _notify_on_call(alert: Alert, now, *, worse: bool = False) -> int:
    """The site's on-call list; when nothing on it can be reached for this alert (say a
    list of mobiles for a follow-up alert, or with texts off), the site's coordinators."""
    cfg = site_safety(alert.site_id)
    emails, phones = _reachable(alert, cfg.emails, [p for p in (normalise_phone(x) for x in cfg.phones) if p])
    if not emails and not phones:
        emails, phones = _reachable(alert, *_staff_contacts(alert.site_id, {Role.COORDINATOR}))
    headline = "Worse answer" if worse else "New alert"
    return _queue(alert, "alert_worse" if worse else "alert", headline, emails, phones, now)


# --------------------------------------------------------------------------- reading


def visible_alerts(user):
    """Alerts of dyads the user is responsible for (researchers handle no alerts)."""
    role = scoping.role_of(user)
    if role is None or role == Role.RESEARCHER:
        return Alert.objects.none()
    return scoping.of_visible_dyads(user, Alert.objects.all())


def is_clinical_responder(user, site_id: int) -> bool:
    role = scoping.role_of(user)
    return role is not None and role.value in (site_safety(site_id).clinical_responder_roles or [])


def can_close(user, alert: Alert) -> bool:
    """Anyone responsible for the dyad may close a follow-up alert; an urgent one only a
    clinical responder of the site."""
    return not alert.is_urgent or is_clinical_responder(user, alert.site_id)


# --------------------------------------------------------------------------- acting


MIN_NOTE_LETTERS = 12
MIN_NOTE_WORDS = 3


def _check_note(text: str, what: str) -> str:
    """A note a colleague can act on: at least three words and twelve letters."""
    text = (text or "").strip()
    words = [w for w in text.split() if sum(ch.isalpha() for ch in w) >= 2]
    if sum(ch.isalpha() for ch in text) < MIN_NOTE_LETTERS or len(words) < MIN_NOTE_WORDS:
        raise DomainError(f"Describe {what} in a few words a colleague could act on "
                          "(for example: called her at 14:10, she is safe, safety plan reviewed).")
    return text


def _check_visible(by, alert: Alert) -> None:
    if not visible_alerts(by).filter(pk=alert.pk).exists():
        raise NotPermitted("This alert is not one of yours.")


def seen_marker(alert: Alert) -> str:
    """What the person acknowledging has seen of the alert: its answer, and how often it got worse."""
    return f"{alert.observed}:{len(alert.triggering.get('earlier') or [])}"


@transaction.atomic
def acknowledge_alert(by, alert: Alert, action_taken: str, now: dt.datetime | None = None,
                      seen: str | None = None) -> Alert:
    """Say that someone is on it, and what they are doing. Stops escalation.

    ``seen`` is the :func:`seen_marker` of the page the note was written on: if a worse
    answer arrived meanwhile, the acknowledgement is refused so it is read first.
    Side effects: the alert's status and acknowledgement, an AlertEvent, an audit entry.
    """
    _check_visible(by, alert)
    action_taken = _check_note(action_taken, "the action taken")
    alert = Alert.objects.select_for_update().select_related("dyad").get(pk=alert.pk)
    if seen is not None and alert.is_open and seen != seen_marker(alert):
        raise DomainError("A worse answer arrived while you were writing: read the alert again, then acknowledge "
                          "it (your note is kept below).")
    if not alert.is_open:
        who = alert.acknowledged_by.get_username() if alert.acknowledged_by else "someone"
        when = timezone.localtime(alert.acknowledged_at) if alert.acknowledged_at else None
        raise DomainError(f"Already acknowledged by {who}" + (f" at {when:%H:%M on %d %b}." if when else "."))
    now = now or timezone.now()
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at, alert.acknowledged_by, alert.action_taken = now, by, action_taken
    alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "action_taken"])
    _event(alert, now, EventKind.ACKNOWLEDGED, by, action_taken)
    audit.record(by, AuditAction.UPDATE, alert, site_id=alert.site_id, before={"status": AlertStatus.OPEN},
                 after={"status": alert.status, "action_taken": action_taken},
                 summary=f"Acknowledged alert for {alert.dyad.code}")
    return alert


@transaction.atomic
def close_alert(by, alert: Alert, outcome: str, note: str, now: dt.datetime | None = None) -> Alert:
    """Close an alert with a structured outcome and a note. An urgent alert may be closed
    only by a clinical responder of its site. Closing an open alert acknowledges it too.

    Side effects: the alert's status, outcome and note, AlertEvents, an audit entry.
    """
    _check_visible(by, alert)
    if not can_close(by, alert):
        roles = ", ".join(Role(r).label.lower() + "s" for r in site_safety(alert.site_id).clinical_responder_roles
                          if r in Role.values) or "nobody yet"
        raise NotPermitted(f"Only the site's clinical responders ({roles}) may close an urgent alert. "
                           "Acknowledge it and tell one of them.")
    try:
        outcome = AlertOutcome(outcome)
    except ValueError:
        raise DomainError("Choose the outcome.") from None
    note = _check_note(note, "what was done and how she is")
    now = now or timezone.now()
    alert = Alert.objects.select_for_update().select_related("dyad").get(pk=alert.pk)
    if alert.is_closed:
        raise DomainError(f"Already closed ({alert.get_outcome_display().lower()}).")
    before = {"status": alert.status}
    if alert.is_open:
        alert.acknowledged_at, alert.acknowledged_by, alert.action_taken = now, by, note
        _event(alert, now, EventKind.ACKNOWLEDGED, by, "Acknowledged on closing.")
    alert.status, alert.closed_at, alert.closed_by = AlertStatus.CLOSED, now, by
    alert.outcome, alert.closing_note = outcome, note
    alert.save()
    _event(alert, now, EventKind.CLOSED, by, f"{outcome.label}. {note}")
    audit.record(by, AuditAction.UPDATE, alert, site_id=alert.site_id, before=before,
                 after={"status": alert.status, "outcome": outcome.value, "note": note},
                 summary=f"Closed alert for {alert.dyad.code}: {outcome.label.lower()}")
    return alert


def note_dyad_ended(by, dyad, now: dt.datetime | None = None) -> int:
    """Record on the dyad's unresolved alerts that she withdrew, was lost or completed.
    The alerts stay open until someone closes them. Call inside the status change."""
    now = now or timezone.now()
    count = 0
    ended = _ended(dyad, now) or f"is now {dyad.get_status_display().lower()}"
    for alert in Alert.objects.unresolved().filter(dyad=dyad):
        _event(alert, now, EventKind.DYAD_ENDED, by, f"The dyad {ended}; this alert stays open until someone "
                                                     "closes it.")
        count += 1
    return count


# --------------------------------------------------------------------------- escalating


def _steps(cfg: SiteSafety, age: dt.timedelta) -> tuple[int, int]:
    """(level due, repeats due) for an open urgent alert of this age."""
    m = dt.timedelta(minutes=max(cfg.escalation_minutes, 1))
    r = dt.timedelta(minutes=max(cfg.repeat_minutes, 1))
    if age < m:
        return EscalationLevel.NONE, 0
    if age < 2 * m:
        return EscalationLevel.COORDINATOR, 0
    repeats = int((age - 2 * m) / r) if age >= 2 * m + r else 0
    return (EscalationLevel.REPEATING if repeats else EscalationLevel.ADMINISTRATOR), repeats


def escalate_alerts(now: dt.datetime | None = None) -> list[Alert]:
    """Escalate open urgent alerts that nobody has acknowledged in time.

    Coordinators after the site's escalation time, administrators after twice that,
    then everyone (on-call list, coordinators, administrators) again every repeat
    interval, without end, until someone acknowledges. When the checker ran late,
    each level it missed is still notified, in order; missed repeats collapse into one.
    Side effects: alert escalation fields, AlertEvents, audit entries, queued messages.
    Returns the alerts escalated now.
    """
    now = now or timezone.now()
    escalated = []
    configs: dict[int, SiteSafety] = {}
    for alert in Alert.objects.open().filter(severity=AlertSeverity.URGENT).select_related("dyad", "site"):
        cfg = configs.setdefault(alert.site_id, site_safety(alert.site_id))
        due_level, due_repeats = _steps(cfg, now - alert.created_at)
        if due_level <= alert.escalation_level and due_repeats <= alert.escalation_repeats:
            continue
        with transaction.atomic():
            locked = Alert.objects.select_for_update().select_related("dyad", "site").get(pk=alert.pk)
            if not locked.is_open or (due_level <= locked.escalation_level
                                      and due_repeats <= locked.escalation_repeats):
                continue  # acknowledged meanwhile, or another checker got here first
            before = {"escalation_level": locked.escalation_level, "repeats": locked.escalation_repeats}
            for level in range(locked.escalation_level + 1, min(due_level, EscalationLevel.ADMINISTRATOR) + 1):
                roles = {Role.COORDINATOR} if level == EscalationLevel.COORDINATOR else {Role.ADMINISTRATOR}
                emails, phones = _reachable(locked, *_staff_contacts(locked.site_id, roles))
                label = EscalationLevel(level).label
                _event(locked, now, EventKind.ESCALATED, None, f"{label} (not acknowledged after "
                                                               f"{cfg.escalation_minutes * level} minutes).")
                _queue(locked, f"escalation_{level}", "Not yet acknowledged", emails, phones, now)
            if due_repeats > locked.escalation_repeats:
                emails, phones = _reachable(locked, *_everyone(locked.site_id, cfg))
                _event(locked, now, EventKind.ESCALATED, None, f"Still not acknowledged: everyone told again "
                                                               f"(repeat {due_repeats}).")
                _queue(locked, "escalation_repeat", "Still not acknowledged", emails, phones, now)
                locked.escalation_repeats = due_repeats
            locked.escalation_level = max(locked.escalation_level, due_level)
            locked.escalated_at = now
            locked.save(update_fields=["escalation_level", "escalation_repeats", "escalated_at"])
            audit.record(None, AuditAction.UPDATE, locked, site_id=locked.site_id, before=before,
                         after={"escalation_level": locked.escalation_level, "repeats": locked.escalation_repeats},
                         summary=f"Escalated alert for {locked.dyad.code}: "
                                 f"{EscalationLevel(locked.escalation_level).label.lower()}")
        escalated.append(locked)
    return escalated


def _everyone(site_id: int, cfg: SiteSafety) -> tuple[list[str], list[str]]:
    emails, phones = _staff_contacts(site_id, {Role.COORDINATOR, Role.ADMINISTRATOR})
    on_call_phones = [p for p in (normalise_phone(x) for x in cfg.phones) if p]
    return sorted(set(emails) | set(cfg.emails)), sorted(set(phones) | set(on_call_phones))
