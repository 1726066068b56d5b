"""Program delivery workflows. Views, commands and the demo call these; nothing else
writes cohorts, sessions, attendance or fidelity records.

Every function runs in one transaction and writes its audit entry in it. ``by`` is
the acting user (``None`` only for system actions such as loading the demo).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources

from django.db import transaction
from django.utils.translation import gettext as _

from nurture.accounts import audit, scoping
from nurture.accounts.enums import AuditAction
from nurture.common.errors import DomainError
from nurture.instruments.loader import load_yaml

from .enums import AttendanceStatus, CohortStatus, Component, DeliveryMode
from .models import Attendance, Cohort, CurriculumVersion, FidelityChecklist, Session, WeekPlan


@dataclass(frozen=True)
class PlannedWeek:
    week: int
    date: dt.date


def first_meeting(start_date: dt.date, weekday: int) -> dt.date:
    """The first date on or after ``start_date`` that falls on ``weekday`` (0 = Monday)."""
    return start_date + dt.timedelta(days=(weekday - start_date.weekday()) % 7)


def plan_weeks(weeks: int, start_date: dt.date, weekday: int, closed_dates=()) -> list[PlannedWeek]:
    """Date every program week: weekly from the first meeting day, skipping closed dates.

    A closed date pushes that week (and every later one) to the next meeting day, so
    the cohort still gets all of its weeks.
    """
    if weeks < 1:
        raise DomainError("A curriculum needs at least one week.")
    closed = {d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)) for d in closed_dates}
    day = first_meeting(start_date, weekday)
    planned: list[PlannedWeek] = []
    while len(planned) < weeks:
        if day not in closed:
            planned.append(PlannedWeek(len(planned) + 1, day))
        day += dt.timedelta(days=7)
    return planned


def sync_curricula() -> list[CurriculumVersion]:
    """Install or update the curriculum versions shipped in ``program/curricula``."""
    versions = []
    folder = resources.files("nurture.program") / "curricula"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".yaml"):
            continue
        data = load_yaml(entry.read_text(encoding="utf-8"))
        versions.append(_install_curriculum(data))
    return versions


@transaction.atomic
def _install_curriculum(data: dict) -> CurriculumVersion:
    weeks = data["weeks"]
    version, _ = CurriculumVersion.objects.update_or_create(
        slug=data["slug"],
        defaults={"name": data["name"], "weeks": len(weeks), "description": data.get("description", "")},
    )
    for entry in weeks:
        for component in Component:
            plan = entry[component.value]
            WeekPlan.objects.update_or_create(
                curriculum=version, week=entry["week"], component=component,
                defaults={"title": plan["title"], "goals": plan["goals"], "activities": list(plan["activities"])},
            )
    return version


@transaction.atomic
def create_cohort(
    by,
    *,
    study,
    site,
    name: str,
    curriculum: CurriculumVersion,
    start_date: dt.date,
    meeting_weekday: int,
    meeting_time: dt.time,
    default_mode: DeliveryMode = DeliveryMode.IN_PERSON,
    closed_dates=(),
    facilitators=(),
) -> Cohort:
    """Create a cohort and its sessions: one per week per component.

    Side effects: one Cohort, ``weeks × 3`` Sessions, one audit entry.
    """
    scoping.check_manage(by, site.pk)
    if not study.sites.filter(pk=site.pk).exists():
        raise DomainError(f"{site} does not take part in {study}.")
    name = name.strip()
    if not name:
        raise DomainError("A cohort needs a name.")
    if Cohort.objects.filter(study=study, name=name).exists():
        raise DomainError(f"This study already has a cohort named {name!r}.")
    facilitators = list(facilitators)
    for user in facilitators:
        profile = scoping.profile_of(user)
        if profile is None or profile.site_id not in (None, site.pk):
            raise DomainError(f"{user.get_username()} is not staff at {site}.")
    closed = sorted({d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)) for d in closed_dates})
    planned = plan_weeks(curriculum.weeks, start_date, meeting_weekday, closed)
    cohort = Cohort.objects.create(
        study=study, site=site, name=name, curriculum=curriculum, start_date=start_date,
        meeting_weekday=meeting_weekday, meeting_time=meeting_time, default_mode=default_mode,
        closed_dates=[d.isoformat() for d in closed],
    )
    cohort.facilitators.set(facilitators)
    Session.objects.bulk_create(
        Session(cohort=cohort, week=p.week, component=component, date=p.date,
                start_time=meeting_time, mode=default_mode)
        for p in planned
        for component in Component
    )
    audit.record(by, AuditAction.CREATE, cohort, summary=f"Created cohort {name} ({curriculum.weeks} weeks)",
                 after=audit.snapshot(cohort) | {"facilitators": [u.pk for u in facilitators]})
    return cohort


@transaction.atomic
def set_cohort_status(by, cohort: Cohort, status: CohortStatus) -> Cohort:
    scoping.check_manage(by, cohort.site_id)
    before = cohort.status
    cohort.status = status
    cohort.save(update_fields=["status"])
    audit.record(by, AuditAction.UPDATE, cohort, before={"status": before}, after={"status": status},
                 summary=f"Cohort {cohort.name} is now {CohortStatus(status).label.lower()}")
    return cohort


@transaction.atomic
def set_session_mode(by, session: Session, mode: DeliveryMode) -> Session:
    """Move one session online or back in person (the pilot moved some sessions online)."""
    scoping.check_session_staff(by, session)
    mode = DeliveryMode(mode)
    before = session.mode
    if before == mode:
        return session
    session.mode = mode
    session.save(update_fields=["mode"])
    audit.record(by, AuditAction.UPDATE, session, site_id=session.cohort.site_id,
                 before={"mode": before}, after={"mode": mode}, summary=f"{session}: {mode.label}")
    return session


@transaction.atomic
def record_attendance(by, session: Session, dyad, status: AttendanceStatus, *, mode: DeliveryMode | None = None,
                      note: str = "") -> Attendance:
    """Record (or correct) whether a dyad attended one session.

    Side effects: creates or updates one Attendance row; one audit entry with the
    values before and after. The mode defaults to the session's mode.
    """
    from nurture.participants.enums import EnrollmentStatus

    scoping.check_session_staff(by, session)
    status = AttendanceStatus(status)
    if dyad.cohort_id != session.cohort_id:
        raise DomainError(f"{dyad.code} is not in {session.cohort.name}.")
    if dyad.status not in EnrollmentStatus.in_cohort():
        raise DomainError(f"{dyad.code} is not enrolled, so attendance cannot be recorded.")
    mode = DeliveryMode(mode or session.mode)
    existing = Attendance.objects.select_for_update().filter(session=session, dyad=dyad).first()
    fields = ["status", "mode", "note"]
    if existing is None:
        row = Attendance.objects.create(session=session, dyad=dyad, status=status, mode=mode, note=note,
                                        recorded_by=by)
        audit.record(by, AuditAction.CREATE, row, site_id=dyad.site_id, after=audit.snapshot(row, fields),
                     summary=f"{dyad.code} {status.label.lower()} at {session}")
        return row
    before = audit.snapshot(existing, fields)
    existing.status, existing.mode, existing.note, existing.recorded_by = status, mode, note, by
    existing.save()
    old, new = audit.changed(before, audit.snapshot(existing, fields))
    if new:
        audit.record(by, AuditAction.UPDATE, existing, site_id=dyad.site_id, before=old, after=new,
                     summary=f"{dyad.code} attendance at {session} corrected")
    return existing


@transaction.atomic
def record_fidelity(by, session: Session, delivered: list[str], notes: str = "") -> FidelityChecklist:
    """Record which planned elements of the session were delivered.

    The planned elements are the activities of the curriculum's plan for the
    session's week and component; anything else is refused.
    """
    scoping.check_session_staff(by, session)
    planned = session_plan(session).activities
    unknown = [item for item in delivered if item not in planned]
    if unknown:
        raise DomainError(f"Not in this session's plan: {', '.join(unknown)}")
    delivered = [item for item in planned if item in set(delivered)]
    checklist, created = FidelityChecklist.objects.select_for_update().get_or_create(
        session=session, defaults={"planned": planned, "delivered": delivered, "notes": notes, "recorded_by": by},
    )
    if created:
        audit.record(by, AuditAction.CREATE, checklist, site_id=session.cohort.site_id,
                     after={"delivered": delivered, "notes": notes}, summary=f"Fidelity for {session}")
        return checklist
    before = {"delivered": checklist.delivered, "notes": checklist.notes}
    checklist.planned, checklist.delivered, checklist.notes, checklist.recorded_by = planned, delivered, notes, by
    checklist.save()
    old, new = audit.changed(before, {"delivered": delivered, "notes": notes})
    if new:
        audit.record(by, AuditAction.UPDATE, checklist, site_id=session.cohort.site_id, before=old, after=new,
                     summary=f"Fidelity for {session} corrected")
    return checklist


def session_plan(session: Session) -> WeekPlan:
    return WeekPlan.objects.get(curriculum_id=session.cohort.curriculum_id, week=session.week,
                                component=session.component)


@dataclass(frozen=True)
class CohortUpdate:
    cohort: Cohort
    sessions_moved: int


@transaction.atomic
def update_cohort(by, cohort: Cohort, *, name: str, meeting_weekday: int, meeting_time: dt.time,
                  closed_dates=(), facilitators=(), today: dt.date | None = None) -> CohortUpdate:
    """Change a cohort's name, facilitators and schedule (meeting day, time, closed dates).

    Weeks already held (a session before ``today``) or with attendance or a fidelity
    checklist keep their dates; every other week is dated again from the new meeting
    day, skipping closed dates, starting after the last week kept. Side effects: the
    Cohort row, its facilitators, moved Session rows, one audit entry (before / after and
    the number of sessions moved).
    """
    from django.utils import timezone

    scoping.check_manage(by, cohort.site_id)
    today = today or timezone.localdate()
    cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
    name = name.strip()
    if not name:
        raise DomainError(_("A cohort needs a name."))
    if Cohort.objects.filter(study_id=cohort.study_id, name=name).exclude(pk=cohort.pk).exists():
        raise DomainError(_("This study already has a cohort named %(name)s.") % {"name": repr(name)})
    facilitators = list(facilitators)
    for user in facilitators:
        profile = scoping.profile_of(user)
        if profile is None or profile.site_id not in (None, cohort.site_id):
            raise DomainError(_("%(user)s is not staff at %(site)s.") % {"user": user.get_username(),
                                                                         "site": cohort.site})
    closed = sorted({d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)) for d in closed_dates})
    fields = ["name", "meeting_weekday", "meeting_time", "closed_dates"]
    before = audit.snapshot(cohort, fields) | {"facilitators": sorted(cohort.facilitators.values_list("pk", flat=True))}
    cohort.name, cohort.meeting_weekday, cohort.meeting_time = name, meeting_weekday, meeting_time
    cohort.closed_dates = [d.isoformat() for d in closed]
    cohort.save(update_fields=["name", "meeting_weekday", "meeting_time", "closed_dates"])
    cohort.facilitators.set(facilitators)
    moved = _replan_sessions(cohort, today, closed)
    after = audit.snapshot(cohort, fields) | {"facilitators": sorted(u.pk for u in facilitators)}
    old, new = audit.changed(before, after)
    if new or moved:
        audit.record(by, AuditAction.UPDATE, cohort, before=old, after=new | {"sessions_moved": moved},
                     summary=f"Cohort {name} changed ({moved} sessions moved)")
    return CohortUpdate(cohort, moved)


def _replan_sessions(cohort: Cohort, today: dt.date, closed: list[dt.date]) -> int:
    sessions = list(cohort.sessions.all())
    recorded = set(Attendance.objects.filter(session__cohort=cohort).values_list("session__week", flat=True)) | \
        set(FidelityChecklist.objects.filter(session__cohort=cohort).values_list("session__week", flat=True))
    kept = {s.week for s in sessions if s.date < today or s.week in recorded}
    free = sorted({s.week for s in sessions} - kept)
    if not free:
        return 0
    last_kept = max((s.date for s in sessions if s.week in kept), default=None)
    start = max(today, last_kept + dt.timedelta(days=1)) if last_kept else max(today, cohort.start_date)
    dates = {week: planned.date for week, planned in
             zip(free, plan_weeks(len(free), start, cohort.meeting_weekday, closed), strict=True)}
    moved = 0
    for s in sessions:
        if s.week in dates and (s.date, s.start_time) != (dates[s.week], cohort.meeting_time):
            s.date, s.start_time = dates[s.week], cohort.meeting_time
            s.save(update_fields=["date", "start_time"])
            moved += 1
    return moved
