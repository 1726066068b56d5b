"""The study at a glance: live key numbers for the evaluation page, straight from the
database (the full report, from a de-identified snapshot, takes seconds; these take a
handful of queries).

Definitions, kept close to the report's (``analysis/feasibility.py``):

- **Recruitment**: dyads referred and dyads ever enrolled (an enrollment date), with
  enrollments per month over the last twelve months.
- **Retention among dyads due**: of the enrolled dyads whose post-assessment is due —
  its window has closed, or they completed it, or they left the program (withdrawn or
  lost) after their cohort's last session — the share who completed it. Dyads whose
  window is still open are not yet due and are left out, so the share is not pulled
  down by assessments that may still come in.
- **Attendance**: of the group sessions held so far (dated up to today) in the cohorts
  of enrolled dyads, the share each dyad attended, pooled; and the same share per
  week of the program.
- **Open alerts**: safety alerts not yet closed, by severity.

Only what the user may see counts (``accounts.scoping``). No side effects.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Max
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
    from nurture.capture.enums import AssessmentStatus, Timepoint
    from nurture.capture.models import Assessment
    from nurture.participants.enums import EnrollmentStatus
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

    posts = {a["dyad"]: a for a in Assessment.objects.filter(dyad__in=enrolled, timepoint=Timepoint.POST)
             .values("dyad", "status", "window_closes")}
    last_session = dict(enrolled.values_list("pk").annotate(last=Max("cohort__sessions__date")))
    retained = due = waiting = 0
    for pk, status in enrolled.values_list("pk", "status"):
        post = posts.get(pk)
        if post and post["status"] == AssessmentStatus.COMPLETED:
            retained += 1
            due += 1
        elif post and post["window_closes"] < today:
            due += 1
        elif status in (EnrollmentStatus.WITHDRAWN, EnrollmentStatus.LOST) and last_session.get(pk) \
                and last_session[pk] < today:
            due += 1
        else:
            waiting += 1

    per_cohort = dict(enrolled.filter(cohort__isnull=False).values_list("cohort").annotate(n=Count("pk")))
    held = Session.objects.filter(cohort__in=list(per_cohort), date__lte=today)
    offered_by_week: dict[int, int] = {}
    for cohort, week in held.values_list("cohort", "week"):  # each dyad is offered each group
        offered_by_week[week] = offered_by_week.get(week, 0) + per_cohort[cohort]
    present_by_week = dict(Attendance.objects.filter(session__in=held, dyad__in=enrolled,
                                                     status=AttendanceStatus.PRESENT)
                           .values_list("session__week").annotate(n=Count("pk")))
    by_week = [(week, Share(present_by_week.get(week, 0), offered_by_week[week])) for week in sorted(offered_by_week)]

    alerts = dict(Alert.objects.filter(dyad__in=dyads, status__in=list(AlertStatus.unresolved()))
                  .values_list("severity").annotate(n=Count("pk")))
    return Glance(
        referred=dyads.count(), enrolled=enrolled.count(),
        enrolled_by_month=[(m, per_month.get(m, 0)) for m in months],
        retention=Share(retained, due), not_yet_due=waiting,
        attendance=Share(sum(s.successes for _, s in by_week), sum(s.n for _, s in by_week)),
        attendance_by_week=by_week, open_alerts=alerts)
