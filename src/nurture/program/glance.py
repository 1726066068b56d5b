"""The study at a glance: live key numbers for the evaluation page, straight from the
database (the full report, from a de-identified snapshot, takes seconds; these take a
handful of queries).

Definitions, kept close to the report's (``analysis/feasibility.py``):

- **Recruitment**: dyads referred and dyads ever enrolled (an enrollment date), with
  enrollments per month over the last twelve months.
- **Retention among dyads due**: of the enrolled dyads whose post-assessment is due —
  its window has closed, or they completed it (``capture.domain.post_due``, the same
  definition as the report's) — the share who completed it. Dyads whose window is still
  open are not yet due and are left out, so the share is not pulled down by assessments
  that may still come in.
- **Attendance**: of the group sessions held so far (dated up to today) in each enrolled
  dyad's cohort from her enrollment on, the share she attended, pooled; and the same
  share per week of the program (the report's denominator: sessions *held*).
- **Open alerts**: safety alerts not yet closed, by severity.

Only what the user may see counts (``accounts.scoping``). No side effects.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count
from django.db.models.functions import TruncMonth

from nurture.accounts import scoping

MONTHS = 12


@dataclass(frozen=True)
class Share:
    """``successes`` of ``n`` (``share`` is None when nobody is counted)."""

    successes: int
    n: int

    @property
    def share(self) -> float | None:
        return self.successes / self.n if self.n else None


@dataclass(frozen=True)
class Glance:
    referred: int
    enrolled: int
    enrolled_by_month: list[tuple[dt.date, int]]
    retention: Share
    not_yet_due: int
    attendance: Share
    attendance_by_week: list[tuple[int, Share]]
    open_alerts: dict[str, int] = field(default_factory=dict)

    @property
    def open_alert_total(self) -> int:
        return sum(self.open_alerts.values())

    # For the page: whole percentages and the charts' values and labels.
    @property
    def retention_percent(self) -> int | None:
        return None if self.retention.share is None else round(100 * self.retention.share)

    @property
    def attendance_percent(self) -> int | None:
        return None if self.attendance.share is None else round(100 * self.attendance.share)

    @property
    def enrolled_by_month_values(self) -> list[int]:
        return [n for _, n in self.enrolled_by_month]

    @property
    def enrolled_by_month_labels(self) -> list[str]:
        from django.utils.formats import date_format

        return [f"{date_format(month, 'M Y')}: {n}" for month, n in self.enrolled_by_month]

    @property
    def attendance_by_week_values(self) -> list[float | None]:
        return [s.share for _, s in self.attendance_by_week]

    @property
    def attendance_by_week_labels(self) -> list[str]:
        return [f"{week}: {s.successes}/{s.n}" for week, s in self.attendance_by_week]


def _month_starts(today: dt.date, months: int) -> list[dt.date]:
    first = today.replace(day=1)
    out = []
    for _ in range(months):
        out.append(first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return out[::-1]


def study_at_a_glance(user, study, today: dt.date) -> Glance:
    """Key numbers of ``study`` as ``user`` may see them, on ``today``. Reads only."""
    from nurture.capture.domain import post_due
    from nurture.capture.enums import AssessmentStatus, Timepoint
    from nurture.capture.models import Assessment
    from nurture.program.enums import AttendanceStatus
    from nurture.program.models import Attendance, Session
    from nurture.safety.enums import AlertStatus
    from nurture.safety.models import Alert

    dyads = scoping.visible_dyads(user).filter(study=study)
    enrolled = dyads.filter(enrolled_on__isnull=False)

    months = _month_starts(today, MONTHS)
    per_month = dict(enrolled.filter(enrolled_on__gte=months[0]).annotate(month=TruncMonth("enrolled_on"))
                     .values_list("month").annotate(n=Count("pk")))
    per_month = {(k.date() if isinstance(k, dt.datetime) else k): v for k, v in per_month.items()}

    due_of = post_due(list(enrolled.select_related("cohort")), today)
    completed = set(Assessment.objects.filter(dyad__in=[pk for pk, is_due in due_of.items() if is_due],
                                              timepoint=Timepoint.POST, status=AssessmentStatus.COMPLETED)
                    .values_list("dyad", flat=True))
    due = sum(due_of.values())
    retained = len(completed)
    waiting = len(due_of) - due

    # each dyad is offered each group held from her enrollment on (the report's first_week)
    joined = dict(enrolled.filter(cohort__isnull=False).values_list("pk", "enrolled_on"))
    cohort_of = dict(enrolled.filter(cohort__isnull=False).values_list("pk", "cohort"))
    held = Session.objects.filter(cohort__in=set(cohort_of.values()), date__lte=today)
    sessions_of: dict[int, list[tuple[int, dt.date, int]]] = {}
    for pk, cohort, week, day in held.values_list("pk", "cohort", "week", "date"):
        sessions_of.setdefault(cohort, []).append((pk, day, week))
    offered_by_week: dict[int, int] = {}
    offered: set[tuple[int, int]] = set()
    for dyad, cohort in cohort_of.items():
        for session, day, week in sessions_of.get(cohort, []):
            if day >= joined[dyad]:
                offered.add((dyad, session))
                offered_by_week[week] = offered_by_week.get(week, 0) + 1
    present_by_week: dict[int, int] = {}
    for dyad, session, week in (Attendance.objects.filter(session__in=held, dyad__in=list(cohort_of),
                                                          status=AttendanceStatus.PRESENT)
                                .values_list("dyad", "session", "session__week")):
        if (dyad, session) in offered:
            present_by_week[week] = present_by_week.get(week, 0) + 1
    by_week = [(week, Share(present_by_week.get(week, 0), offered_by_week[week])) for week in sorted(offered_by_week)]

    alerts = dict(Alert.objects.filter(dyad__in=dyads, status__in=list(AlertStatus.unresolved()))
                  .values_list("severity").annotate(n=Count("pk")))
    return Glance(
        referred=dyads.count(), enrolled=enrolled.count(),
        enrolled_by_month=[(m, per_month.get(m, 0)) for m in months],
        retention=Share(retained, due), not_yet_due=waiting,
        attendance=Share(sum(s.successes for _, s in by_week), sum(s.n for _, s in by_week)),
        attendance_by_week=by_week, open_alerts=alerts)
