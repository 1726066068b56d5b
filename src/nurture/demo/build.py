"""Build the demo study through the same domain functions staff use.

Shape (from the pilot): one site, five cohorts — cohorts 1–3 on the standard
12-week curriculum in person, cohorts 4–5 on the shortened 8-week curriculum with
part of the sessions online; about 60 referrals and 34 enrolled dyads; mothers aged
19–41, mostly first-time mothers; infants under 12 months; lower attendance at some
online weeks; a few withdrawals with reasons.

Dates are laid out backwards from today so that the last cohort is in progress and
meets today. Everything else depends only on the seed. All names are invented.
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from nurture.accounts.enums import Role
from nurture.accounts.models import StaffProfile
from nurture.capture.models import StudySettings
from nurture.coding.models import Recording, Segment, Transcript
from nurture.notifications.enums import NotificationStatus
from nurture.notifications.models import Notification
from nurture.participants import domain as participants
from nurture.participants.eligibility import CRITERIA
from nurture.participants.enums import EndReason, EnrollmentStatus, Language
from nurture.participants.models import Dyad, Mother
from nurture.program import domain as program
from nurture.program.enums import AttendanceStatus, CohortStatus, DeliveryMode
from nurture.program.models import Attendance, CurriculumVersion, Site, Study
from nurture.safety.models import SiteSafety

from . import assessments as demo_assessments
from . import coding as demo_coding

DEMO_PASSWORD = "nurture-demo"
DEMO_STUDY = "nurturing-connections-demo"
DEMO_USERS = [
    ("admin", Role.ADMINISTRATOR),
    ("coordinator", Role.COORDINATOR),
    ("facilitator", Role.FACILITATOR),
    ("facilitator2", Role.FACILITATOR),
    ("researcher", Role.RESEARCHER),
    ("coder", Role.CODER),
    ("coder2", Role.CODER),
]

FIRST_NAMES = ["Ana", "Brianna", "Carmen", "Danielle", "Elena", "Fatima", "Grace", "Hannah", "Isabel", "Jasmine",
               "Keisha", "Lucia", "Maya", "Nadia", "Olivia", "Paola", "Rosa", "Sofia", "Tanya", "Valeria",
               "Whitney", "Ximena", "Yolanda", "Zoe"]
LAST_NAMES = ["Alvarez", "Brooks", "Castillo", "Dawson", "Estrada", "Fleming", "Garcia", "Hughes", "Ibarra",
              "Jordan", "Keller", "Lopez", "Morales", "Nguyen", "Ortiz", "Porter", "Quinn", "Ramirez", "Santos",
              "Turner", "Vargas", "Walsh"]
INFANT_NAMES = ["Leo", "Mia", "Noah", "Ava", "Mateo", "Emma", "Liam", "Luna", "Eli", "Isla", "Sam", "Rae"]
SOURCES = ["Obstetric clinic", "Pediatric clinic", "Community health worker", "Self-referral", "Home visiting program"]
# (category, what the coordinator typed)
DECLINE_REASONS = [(EndReason.SCHEDULE, "Could not commit to the weekly schedule"),
                   (EndReason.WORK_OR_SCHOOL, "Returned to work"), (EndReason.TRANSPORT, "Transport difficulties"),
                   (EndReason.FAMILY, "Family did not want to take part")]
WITHDRAW_REASONS = [(EndReason.MOVED, "Moved out of the area"), (EndReason.WORK_OR_SCHOOL, "Returned to work full time"),
                    (EndReason.INFANT_HEALTH, "Infant illness"),
                    (EndReason.OTHER_SERVICE, "Chose individual therapy instead")]

# Cohort plan: (name, curriculum slug, dyads, online weeks, status)
COHORTS = [
    ("Cohort 1", "standard-12", 7, (), CohortStatus.COMPLETED),
    ("Cohort 2", "standard-12", 7, (), CohortStatus.COMPLETED),
    ("Cohort 3", "standard-12", 7, (), CohortStatus.COMPLETED),
    ("Cohort 4", "shortened-8", 7, (3, 4, 6), CohortStatus.COMPLETED),
    ("Cohort 5", "shortened-8", 6, (2, 5, 6), CohortStatus.IN_PROGRESS),
]
REFERRALS = 60


def has_data() -> bool:
    return Study.objects.exists()


def demo_logins() -> list[tuple[str, str]]:
    names = [u for u, _ in DEMO_USERS]
    present = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    return [(u, r.label) for u, r in DEMO_USERS if u in present]


def _users(site: Site) -> dict[str, User]:
    users = {}
    for username, role in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.org"})
        user.set_password(DEMO_PASSWORD)
        user.is_staff = user.is_superuser = role == Role.ADMINISTRATOR
        user.first_name = username.capitalize()
        user.save()
        StaffProfile.objects.update_or_create(
            user=user, defaults={"role": role, "site": None if role == Role.ADMINISTRATOR else site})
        users[username] = user
    return users


def _clear() -> None:
    study = Study.objects.filter(slug=DEMO_STUDY).first()
    if study is None:
        return
    dyads = Dyad.objects.filter(study=study)
    mother_ids = list(dyads.values_list("mother_id", flat=True))
    for coded in (Segment, Recording, Transcript):  # they protect their dyads and study
        coded.objects.filter(study=study).delete()
    Attendance.objects.filter(dyad__in=dyads).delete()
    dyads.delete()
    Mother.objects.filter(pk__in=mother_ids).delete()
    study.cohorts.all().delete()
    sites = list(study.sites.all())
    study.delete()
    for site in sites:
        if not site.studies.exists() and not site.dyads.exists():
            StaffProfile.objects.filter(site=site).update(site=None)
            site.delete()


def build_demo(seed: int = 2021, today: dt.date | None = None) -> str:
    """Create (or recreate) the demo study; returns a one-line summary.

    Alert emails raised while building the demo are kept in memory, not sent.
    """
    from django.test.utils import override_settings

    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        return _build(seed, today)


@transaction.atomic
def _build(seed: int, today: dt.date | None) -> str:
    rng = random.Random(seed)
    today = today or timezone.localdate()
    _clear()
    program.sync_curricula()
    site = Site.objects.create(code="demo", name="Riverside Family Center")
    SiteSafety.objects.create(site=site, on_call_emails="oncall@example.org", on_call_phones="+1 555 010 0100")
    # Primary measures declared up front (maternal depression and parenting stress): the report adjusts p values
    # across these two and labels the other measures descriptive.
    study = Study.objects.create(slug=DEMO_STUDY, name="Nurturing Connections (demo)", id_prefix="NC",
                                 primary_measures="epds:total, pss:total")
    study.sites.add(site)
    StudySettings.objects.create(study=study)
    users = _users(site)
    coordinator = users["coordinator"]
    curricula = {c.slug: c for c in CurriculumVersion.objects.all()}

    # Cohort 5 started 3 weeks before today (so it meets today); earlier cohorts
    # are spaced back in time, one after another, as in the pilot.
    weekday = today.weekday()
    starts = []
    start = today - dt.timedelta(weeks=3)
    for _name, slug, *_ in reversed(COHORTS):
        starts.append(start)
        start = start - dt.timedelta(weeks=curricula[slug].weeks + 6)
    starts.reverse()

    cohorts = []
    for (name, slug, _, online_weeks, _status), start in zip(COHORTS, starts, strict=True):
        facilitator = users["facilitator"] if name in ("Cohort 1", "Cohort 4", "Cohort 5") else users["facilitator2"]
        closed = [start + dt.timedelta(weeks=5)] if slug == "standard-12" else []
        cohort = program.create_cohort(
            coordinator, study=study, site=site, name=name, curriculum=curricula[slug], start_date=start,
            meeting_weekday=weekday, meeting_time=dt.time(10, 0), default_mode=DeliveryMode.IN_PERSON,
            closed_dates=closed, facilitators=[facilitator])
        for session in cohort.sessions.filter(week__in=online_weeks):
            program.set_session_mode(coordinator, session, DeliveryMode.ONLINE)
        cohorts.append(cohort)

    # Referrals are spread over the weeks before each cohort starts.
    slots = [c for c, (_, _, size, _, _) in zip(cohorts, COHORTS, strict=True) for _ in range(size)]
    dyads_by_cohort: dict[int, list[Dyad]] = {c.pk: [] for c in cohorts}
    extra = REFERRALS - len(slots)
    plan = [("enroll", c) for c in slots] + [("drop", cohorts[i % len(cohorts)]) for i in range(extra)]
    rng.shuffle(plan)
    plan.sort(key=lambda p: p[1].start_date)
    n_ineligible = 0
    for i, (fate, cohort) in enumerate(plan):
        referred_on = cohort.start_date - dt.timedelta(days=rng.randint(14, 40))
        age = rng.randint(19, 41)
        birth = referred_on - dt.timedelta(days=age * 365 + rng.randint(0, 300))
        infant_weeks = rng.randint(2, 40)
        twins = i == 17
        infant = {"first_name": rng.choice(INFANT_NAMES),
                  "date_of_birth": referred_on - dt.timedelta(weeks=infant_weeks),
                  "sex": rng.choice(["female", "male"]),
                  "gestational_age_weeks": rng.choice([34, 36] if twins else [35, 37, 38, 39, 39, 40, 40, 41])}
        dyad = participants.refer_dyad(
            coordinator, study=study, site=site, referred_on=referred_on,
            mother_first_name=rng.choice(FIRST_NAMES), mother_last_name=rng.choice(LAST_NAMES),
            mother_date_of_birth=birth, phone=f"555-01{i:02d}", email=f"mother{i:02d}@example.org",
            address=f"{100 + i} Example Street", primiparous=rng.random() < 0.8,
            language=Language.SPANISH if rng.random() < 0.3 else Language.ENGLISH,
            infants=[infant, {**infant, "first_name": rng.choice(INFANT_NAMES)}] if twins else [infant],
            referral_source=rng.choice(SOURCES))
        screened_on = referred_on + dt.timedelta(days=rng.randint(2, 7))
        criteria = dict.fromkeys(CRITERIA, True)
        if fate == "drop" and n_ineligible < 12:
            n_ineligible += 1
            criteria[rng.choice(["infant_under_12_months", "elevated_risk", "can_attend", "no_acute_crisis"])] = False
            participants.screen(coordinator, dyad, criteria=criteria, screened_on=screened_on)
            continue
        participants.screen(coordinator, dyad, criteria=criteria, screened_on=screened_on)
        if fate == "drop":
            code, text = rng.choice(DECLINE_REASONS)
            participants.change_status(coordinator, dyad, EnrollmentStatus.WITHDRAWN,
                                       effective_on=screened_on + dt.timedelta(days=3), reason=text, reason_code=code)
            continue
        consented_on = screened_on + dt.timedelta(days=rng.randint(1, 5))
        participants.record_consent(coordinator, dyad, consented_on=consented_on, form_version="v2.1")
        participants.enroll_dyad(coordinator, dyad, cohort, enrolled_on=min(consented_on + dt.timedelta(days=1),
                                                                            cohort.start_date))
        dyads_by_cohort[cohort.pk].append(dyad)

    for cohort, (_, _, _, _, status) in zip(cohorts, COHORTS, strict=True):
        _attend(rng, cohort, dyads_by_cohort[cohort.pk], coordinator, today, finished=status == CohortStatus.COMPLETED)
        program.set_cohort_status(coordinator, cohort, status)
    assessments = demo_assessments.build(rng, coordinator, cohorts, dyads_by_cohort, today)
    coded = demo_coding.build(seed, coordinator, [users["coder"], users["coder2"]], study, today)
    # The messages about the demo's alerts belong to its invented past: record them as
    # delivered when they were queued, rather than sending them at the first start.
    Notification.objects.filter(alert__dyad__study=study).update(status=NotificationStatus.SENT,
                                                                 sent_at=F("created_at"), attempts=1)

    dyads = Dyad.objects.filter(study=study)
    return (f"{len(cohorts)} cohorts, {dyads.count()} referrals, {dyads.exclude(cohort=None).count()} enrolled dyads, "
            f"{assessments['post']} with pre and post assessments, {assessments['alerts_open']} open alerts, "
            f"{coded['recordings']} recorded interactions")


def _attend(rng, cohort, dyads, by, today, finished: bool) -> None:
    """Attendance and fidelity for past sessions; withdrawals and completion."""
    sessions = list(cohort.sessions.filter(date__lte=today).order_by("week", "component"))
    leavers = {}
    if dyads:
        # About one dyad in seven leaves part-way (withdrawn or lost).
        for dyad in rng.sample(dyads, k=max(0, round(len(dyads) / 7))):
            leavers[dyad.pk] = rng.randint(3, max(3, cohort.curriculum.weeks - 2))
    propensity = {d.pk: rng.uniform(0.6, 0.97) for d in dyads}
    for session in sessions:
        online_penalty = 0.15 if session.mode == DeliveryMode.ONLINE else 0.0
        for dyad in dyads:
            if dyad.pk in leavers and session.week >= leavers[dyad.pk]:
                continue
            r = rng.random()
            p = propensity[dyad.pk] - online_penalty
            status = AttendanceStatus.PRESENT if r < p else (
                AttendanceStatus.EXCUSED if r < p + (1 - p) / 2 else AttendanceStatus.ABSENT)
            program.record_attendance(by, session, dyad, status)
        plan = program.session_plan(session).activities
        delivered = [a for a in plan if rng.random() < 0.9]
        program.record_fidelity(by, session, delivered,
                                "Ran short of time." if len(delivered) < len(plan) else "")
    week_dates = {s.week: s.date for s in sessions}
    for dyad in dyads:
        if dyad.pk in leavers:
            left_week = leavers[dyad.pk]
            if left_week not in week_dates:
                continue
            on = week_dates[left_week]
            if rng.random() < 0.75:
                code, text = rng.choice(WITHDRAW_REASONS)
                participants.change_status(by, dyad, EnrollmentStatus.WITHDRAWN, effective_on=on, reason=text,
                                           reason_code=code)
            else:
                participants.change_status(by, dyad, EnrollmentStatus.LOST, effective_on=on,
                                           reason="No contact after three attempts", reason_code=EndReason.NO_CONTACT)
        elif finished:
            participants.change_status(by, dyad, EnrollmentStatus.COMPLETED, effective_on=max(week_dates.values()))
