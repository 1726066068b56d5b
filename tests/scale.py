"""A study at scale, built fast: sites, cohorts with their sessions, enrolled dyads with
attendance, fidelity checklists, assessments, and safety alerts with their messages —
all with ``bulk_create``, a few statements per site.

The rows are shaped as the domain functions leave them (a cohort's 36 or 24 sessions
from ``plan_weeks``, study ids ``NC-0001``, a dyad's status history, an alert with its
"raised" event and its queued messages), so the staff pages show them as they would
show real ones. Used by the query-count tests of the staff pages
(``tests/staff/test_query_counts.py``) and by ``bench/staff_pages.py`` (100 sites ×
10 cohorts × 12 dyads). Only synthetic data: names are "Scale" and a number.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from nurture.accounts.enums import Role
from nurture.accounts.models import StaffProfile
from nurture.capture.enums import AssessmentStatus, Timepoint
from nurture.capture.models import DEFAULT_BATTERY, Assessment
from nurture.notifications.enums import Channel, NotificationStatus
from nurture.notifications.models import Notification
from nurture.participants.enums import EnrollmentStatus
from nurture.participants.models import Dyad, Infant, Mother, MotherIdentifiers, StatusEvent
from nurture.program import domain as program
from nurture.program.enums import AttendanceStatus, CohortStatus, Component, DeliveryMode
from nurture.program.models import (
    Attendance,
    Cohort,
    CurriculumVersion,
    FidelityChecklist,
    Session,
    Site,
    WeekPlan,
)
from nurture.safety.enums import (
    AlertOutcome,
    AlertSeverity,
    AlertStatus,
    AlertTopic,
    EscalationLevel,
    EventKind,
)
from nurture.safety.models import Alert, AlertEvent

# How many weeks before "today" the k-th cohort of a site started (negative: not yet):
# one site of ten cohorts has three in progress, six completed and one planned.
WEEKS_AGO = [2, 14, 6, 30, 10, 40, 20, 50, -3, 60]
PASSWORD = "correct-horse-battery"


@dataclass
class Built:
    sites: list = field(default_factory=list)
    cohorts: list = field(default_factory=list)
    coordinators: list = field(default_factory=list)
    facilitators: list = field(default_factory=list)
    n_dyads: int = 0
    n_attendance: int = 0
    n_assessments: int = 0
    n_alerts: int = 0


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def build(study, *, sites: int | list[Site], cohorts: int, dyads: int, today: dt.date,
          referrals: int = 2, progress=None) -> Built:
    """Add ``cohorts`` cohorts of ``dyads`` enrolled dyads to each site (new sites
    ``s001``… when ``sites`` is a number), plus ``referrals`` dyads per site still
    waiting for a cohort. Cohorts meet on ``today``'s weekday; in-progress ones meet
    today. Callable again on the same study to grow it (names and ids continue).

    Side effects: the rows above, a coordinator and a facilitator per new site (password
    ``PASSWORD``), each site joined to ``study``; one transaction per site.
    """
    curricula = {c.weeks: c for c in (CurriculumVersion.objects.filter(slug__in=["standard-12", "shortened-8"])
                                      or program.sync_curricula())}
    plans = {(p.curriculum_id, p.week, p.component): p for p in WeekPlan.objects.all()}
    password = make_password(PASSWORD)
    built = Built()
    if isinstance(sites, int):
        first = Site.objects.count() + 1
        new = [Site(code=f"s{n:03d}", name=f"Site {n:03d}") for n in range(first, first + sites)]
        site_list = Site.objects.bulk_create(new)
        study.sites.add(*site_list)
        for site in site_list:
            users = User.objects.bulk_create([
                User(username=f"coord-{site.code}", password=password),
                User(username=f"fac-{site.code}", password=password)])
            StaffProfile.objects.bulk_create([StaffProfile(user=users[0], role=Role.COORDINATOR, site=site),
                                              StaffProfile(user=users[1], role=Role.FACILITATOR, site=site)])
            built.coordinators.append(users[0])
            built.facilitators.append(users[1])
    else:
        site_list = list(sites)
    built.sites = site_list
    n_dyad = Dyad.objects.filter(study=study).count()
    n_cohort = Cohort.objects.filter(study=study).count()
    for site in site_list:
        facilitator = User.objects.filter(profile__site=site, profile__role=Role.FACILITATOR).first()
        with transaction.atomic():
            n_dyad, n_cohort = _build_site(built, study, site, facilitator, cohorts, dyads, referrals, today,
                                           curricula, plans, n_dyad, n_cohort)
        if progress:
            progress(site)
    return built


def _build_site(built, study, site, facilitator, n_cohorts, n_dyads, referrals, today, curricula, plans,
                n_dyad, n_cohort):
    new_cohorts = []
    existing = Cohort.objects.filter(site=site).count()
    for k in range(existing, existing + n_cohorts):
        n_cohort += 1
        curriculum = curricula[8 if k % 5 == 4 else 12]
        start = today - dt.timedelta(weeks=WEEKS_AGO[k % len(WEEKS_AGO)])
        end = start + dt.timedelta(weeks=curriculum.weeks - 1)
        status = (CohortStatus.PLANNED if start > today else
                  CohortStatus.COMPLETED if end < today else CohortStatus.IN_PROGRESS)
        new_cohorts.append(Cohort(study=study, site=site, name=f"Cohort {n_cohort:04d}", curriculum=curriculum,
                                  start_date=start, meeting_weekday=today.weekday(), meeting_time=dt.time(10, 0),
                                  default_mode=DeliveryMode.ONLINE if k % 3 == 2 else DeliveryMode.IN_PERSON,
                                  status=status))
    new_cohorts = Cohort.objects.bulk_create(new_cohorts)
    if facilitator is not None:
        Cohort.facilitators.through.objects.bulk_create(
            [Cohort.facilitators.through(cohort=c, user=facilitator) for c in new_cohorts])
    sessions = Session.objects.bulk_create([
        Session(cohort=c, week=p.week, component=component, date=p.date, start_time=c.meeting_time,
                mode=c.default_mode)
        for c in new_cohorts
        for p in program.plan_weeks(c.curriculum.weeks, c.start_date, c.meeting_weekday)
        for component in Component])
    past = [s for s in sessions if s.date <= today]
    FidelityChecklist.objects.bulk_create([
        FidelityChecklist(session=s, planned=list(plans[(s.cohort.curriculum_id, s.week, s.component)].activities),
                          delivered=list(plans[(s.cohort.curriculum_id, s.week, s.component)].activities)[
                              : 1 + s.week % 3], recorded_by=facilitator)
        for s in past if (s.cohort.curriculum_id, s.week, s.component) in plans])

    # Mothers and dyads: ``n_dyads`` per cohort, then the referrals still waiting.
    placed = [(c, i) for c in new_cohorts for i in range(n_dyads)] + [(None, i) for i in range(referrals)]
    mothers = Mother.objects.bulk_create([Mother(site=site, age_at_referral=19 + (n_dyad + j) % 22,
                                                 primiparous=j % 2 == 0)
                                          for j in range(len(placed))])
    MotherIdentifiers.objects.bulk_create([
        MotherIdentifiers(mother=m, first_name="Scale", last_name=f"Mother{n_dyad + j + 1}", phone="555-0100",
                          email=f"scale{n_dyad + j + 1}@example.org") for j, m in enumerate(mothers)])
    dyads = []
    for (cohort, i), mother in zip(placed, mothers, strict=True):
        n_dyad += 1
        dyad = Dyad(code=f"{study.id_prefix}-{n_dyad:04d}", study=study, site=site, mother=mother,
                    referred_on=today - dt.timedelta(days=30))
        if cohort is not None:
            dyad.cohort = cohort
            dyad.referred_on = cohort.start_date - dt.timedelta(days=30)
            dyad.screened_on = cohort.start_date - dt.timedelta(days=25)
            dyad.consented_on = cohort.start_date - dt.timedelta(days=21)
            dyad.enrolled_on = cohort.start_date - dt.timedelta(days=14)
            dyad.status = EnrollmentStatus.ENROLLED
            if cohort.status == CohortStatus.COMPLETED:
                dyad.status = EnrollmentStatus.LOST if i % 12 == 11 else EnrollmentStatus.COMPLETED
                dyad.ended_on = cohort.start_date + dt.timedelta(weeks=cohort.curriculum.weeks)
            elif cohort.status == CohortStatus.IN_PROGRESS and i % 12 == 11:
                dyad.status = EnrollmentStatus.WITHDRAWN
                dyad.ended_on = today - dt.timedelta(days=3)
                dyad.end_reason_code = "schedule"
        elif i % 2:
            dyad.status, dyad.screened_on = EnrollmentStatus.ELIGIBLE, today - dt.timedelta(days=20)
        dyad.number = n_dyad  # the study-id number: stable, unlike primary keys
        dyads.append(dyad)
    Dyad.objects.bulk_create(dyads)
    Infant.objects.bulk_create([Infant(dyad=d, birth_order=1, age_weeks_at_referral=4 + d.number % 20,
                                       gestational_age_weeks=36 + d.number % 5) for d in dyads])
    StatusEvent.objects.bulk_create(itertools.chain.from_iterable(_history(d) for d in dyads))

    # Attendance: every enrolled dyad at every session held so far (until she left).
    by_cohort: dict[int, list] = {}
    for s in past:
        by_cohort.setdefault(s.cohort_id, []).append(s)
    marks = []
    for d in dyads:
        for s in by_cohort.get(d.cohort_id, ()) if d.cohort_id else ():
            if d.ended_on and d.status == EnrollmentStatus.WITHDRAWN and s.date > d.ended_on:
                continue
            status = (AttendanceStatus.ABSENT if (d.number + s.week) % 7 == 0 else
                      AttendanceStatus.EXCUSED if (d.number + s.week) % 11 == 0 else AttendanceStatus.PRESENT)
            marks.append(Attendance(session=s, dyad=d, status=status, mode=s.mode, recorded_by=facilitator))
    Attendance.objects.bulk_create(marks, batch_size=5000)

    # Assessments: the pre battery at entry; the post battery from week 8 to week 12.
    assessments = []
    for d in dyads:
        c = d.cohort
        if c is None:
            continue
        for t, (timepoint, opens, closes) in enumerate((
                (Timepoint.PRE, c.start_date - dt.timedelta(days=14), c.start_date + dt.timedelta(days=7)),
                (Timepoint.POST, c.start_date + dt.timedelta(weeks=8), c.start_date + dt.timedelta(weeks=12)))):
            if timepoint == Timepoint.POST and c.status == CohortStatus.PLANNED:
                continue
            a = Assessment(dyad=d, timepoint=timepoint, instruments=list(DEFAULT_BATTERY[timepoint.value]),
                           window_opens=opens, window_closes=closes, status=AssessmentStatus.INVITED)
            if opens <= today:
                choice = (7 * d.number + 3 * t) % 10
                if closes < today:  # window over: mostly done, some missed, a few still open (overdue)
                    a.status = (AssessmentStatus.MISSED if choice == 0 else
                                AssessmentStatus.INVITED if choice == 1 else AssessmentStatus.COMPLETED)
                elif choice < 3:
                    a.status = AssessmentStatus.IN_PROGRESS
                elif choice < 6:
                    a.status = AssessmentStatus.COMPLETED
                if a.status == AssessmentStatus.IN_PROGRESS:  # started in the last few days
                    a.started_at = _at(max(opens, today - dt.timedelta(days=d.number % 4)), 9)
                elif a.status == AssessmentStatus.COMPLETED:
                    a.started_at = _at(min(today, opens + dt.timedelta(days=2)), 9)
                if a.status == AssessmentStatus.COMPLETED:
                    a.completed_at = a.started_at + dt.timedelta(minutes=25)
            else:
                a.status = AssessmentStatus.SCHEDULED
            assessments.append(a)
    Assessment.objects.bulk_create(assessments)

    # Alerts: one dyad in four answered EPDS item 10 above zero or scored high. Alerts of
    # the last two months are still open (urgent ones escalated) or acknowledged; older
    # ones are closed.
    alerts = []
    for a in assessments:
        if a.started_at is None or a.dyad.number % 4 != 1:
            continue
        urgent = (a.dyad.number // 4) % 2 == 0
        raised = a.started_at + dt.timedelta(minutes=5)
        alert = Alert(dyad=a.dyad, site=site, assessment=a, instrument="epds",
                      rule="self_harm" if urgent else "probable_depression",
                      severity=AlertSeverity.URGENT if urgent else AlertSeverity.FOLLOW_UP,
                      topic=AlertTopic.SELF_HARM if urgent else AlertTopic.DISTRESS,
                      message=("EPDS item 10 indicates thoughts of self-harm." if urgent else
                               "EPDS total of 13 or more (probable depression)."),
                      triggering={"item": "10", "observed": 1} if urgent else {"scale": "total", "observed": 15},
                      created_at=raised)
        age = (today - raised.date()).days
        if age > 60:
            alert.status, alert.outcome = AlertStatus.CLOSED, AlertOutcome.CONTACTED_MOTHER
            alert.acknowledged_at, alert.closed_at = raised + dt.timedelta(minutes=20), raised + dt.timedelta(days=2)
            alert.closing_note = "Called her; she is seeing her midwife."
        elif (a.dyad.number // 4) % 3 == 2:
            alert.status, alert.acknowledged_at = AlertStatus.ACKNOWLEDGED, raised + dt.timedelta(minutes=20)
            alert.action_taken = "Calling her this afternoon."
        elif urgent and age > 0:
            alert.escalation_level, alert.escalated_at = EscalationLevel.REPEATING, raised + dt.timedelta(hours=2)
        if alert.acknowledged_at:
            alert.acknowledged_by = facilitator
            alert.closed_by = facilitator if alert.closed_at else None
        alerts.append(alert)
    Alert.objects.bulk_create(alerts)
    AlertEvent.objects.bulk_create([AlertEvent(alert=x, at=x.created_at, kind=EventKind.RAISED, note="Mother's survey")
                                    for x in alerts])
    Notification.objects.bulk_create([
        Notification(alert=x, kind="alert", channel=channel, to=to, subject="Safety alert", body="A safety alert.",
                     created_at=x.created_at, next_attempt_at=x.created_at,
                     status=NotificationStatus.FAILED if channel == Channel.SMS and x.dyad.number % 3 == 0 else
                     NotificationStatus.SENT, sent_at=x.created_at)
        for x in alerts
        for channel, to in ((Channel.EMAIL, f"oncall@{site.code}.example.org"), (Channel.SMS, "+15555550100"))
        if channel == Channel.EMAIL or x.severity == AlertSeverity.URGENT])
    built.cohorts.extend(new_cohorts)
    built.n_dyads += len(dyads)
    built.n_attendance += len(marks)
    built.n_assessments += len(assessments)
    built.n_alerts += len(alerts)
    return n_dyad, n_cohort


def _history(d):
    steps = [(EnrollmentStatus.REFERRED, d.referred_on)]
    if d.screened_on:
        steps.append((EnrollmentStatus.ELIGIBLE, d.screened_on))
    if d.consented_on:
        steps.append((EnrollmentStatus.CONSENTED, d.consented_on))
    if d.enrolled_on:
        steps.append((EnrollmentStatus.ENROLLED, d.enrolled_on))
    if d.ended_on:
        steps.append((EnrollmentStatus(d.status), d.ended_on))
    previous = ""
    for status, on in steps:
        yield StatusEvent(dyad=d, from_status=previous, to_status=status, effective_on=on)
        previous = status
