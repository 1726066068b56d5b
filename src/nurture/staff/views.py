"""Staff pages. Each view loads objects through the scoping layer, calls one domain
function and presents the result; the rules live in the domain modules."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from nurture.accounts import scoping
from nurture.accounts.enums import Role
from nurture.capture.enums import AssessmentStatus
from nurture.capture.models import Assessment
from nurture.common.errors import NotPermitted
from nurture.participants.enums import EnrollmentStatus
from nurture.participants.models import Dyad
from nurture.program import domain as program
from nurture.program.enums import AttendanceStatus, CohortStatus, Component
from nurture.program.models import Attendance

from . import forms
from .actions import attempt as _attempt


class LoginView(auth_views.LoginView):
    template_name = "staff/login.html"
    redirect_authenticated_user = True


def _require_manager(request):
    if not scoping.can_manage_participants(request.user):
        raise PermissionDenied(_("Only coordinators and administrators may do this."))


def _study_for(cohorts_or_site):
    from nurture.program.models import Study

    study = Study.objects.filter(sites=cohorts_or_site).order_by("pk").first()
    if study is None:
        raise Http404(_("This site takes part in no study."))
    return study


def _user_site(request):
    site = scoping.visible_sites(request.user).order_by("pk").first()
    if site is None:
        raise PermissionDenied(_("Your account has no site."))
    return site


def _site_facilitators(site):
    return User.objects.filter(profile__role=Role.FACILITATOR, profile__site=site, is_active=True).order_by("username")


DASHBOARD_ROWS = 25
COHORT_PAGE_SIZE = 50  # the cohort list, newest first, a page at a time


def _first(assessments, order: str, n: int = 20):
    """The first ``n`` of ``assessments`` by ``order``, with their dyads: the cut is made on
    the assessments' own index, and only those ``n`` rows are joined to their dyads (one
    query; joining first made PostgreSQL hash every dyad of the study)."""
    return (Assessment.objects.filter(pk__in=assessments.order_by(order, "pk").values("pk")[:n])
            .select_related("dyad").order_by(order, "pk"))


@login_required
def dashboard(request):
    today = timezone.localdate()
    # One row per cohort and week meeting today (its three groups share the day).
    todays_weeks = [({"pk": pk, "name": name}, week) for pk, name, week in
                    scoping.visible_sessions(request.user).filter(date=today)
                    .values_list("cohort_id", "cohort__name", "week").distinct().order_by("cohort__name", "week")]
    counts = dict(scoping.visible_dyads(request.user).values_list("status").annotate(n=Count("pk")))
    funnel = [(status, counts.get(status.value, 0)) for status in EnrollmentStatus]
    in_progress = scoping.visible_cohorts(request.user).in_progress()
    n_in_progress = in_progress.count()
    # Dyads counted for the rows shown only (a subquery each), not by joining every dyad.
    on_roster = (Dyad.objects.filter(cohort=OuterRef("pk"), status__in=list(EnrollmentStatus.in_cohort()))
                 .order_by().values("cohort").annotate(n=Count("pk")).values("n"))
    cohorts = in_progress.select_related("curriculum").annotate(
        n_dyads=Coalesce(Subquery(on_roster), 0)).order_by("start_date", "name")[:DASHBOARD_ROWS]
    upcoming = (scoping.visible_sessions(request.user).filter(date__gt=today, component=Component.MOTHER)
                .select_related("cohort").order_by("date")[:5])
    assessments = scoping.of_visible_dyads(request.user, Assessment.objects.all())
    return render(request, "staff/dashboard.html", {
        # Someone who sees a hundred sites gets the first rows and how many more (the cohort list has all).
        "today": today, "todays_weeks": todays_weeks[:DASHBOARD_ROWS],
        "todays_more": max(0, len(todays_weeks) - DASHBOARD_ROWS), "funnel": funnel,
        "cohorts": cohorts, "cohorts_more": max(0, n_in_progress - DASHBOARD_ROWS),
        "upcoming": upcoming,
        "due": _first(assessments.due(today), "window_closes"),
        "overdue": _first(assessments.overdue(today), "window_closes"),
        "incomplete": _first(assessments.filter(status=AssessmentStatus.IN_PROGRESS), "started_at"),
    })


@login_required
def cohort_list(request):
    cohorts = (scoping.visible_cohorts(request.user).select_related("curriculum", "site")
               .annotate(n_dyads=Count("dyads", filter=Q(dyads__status__in=list(EnrollmentStatus.in_cohort()))))
               .order_by("-start_date", "-pk"))
    page = Paginator(cohorts, COHORT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "staff/cohort_list.html", {
        "cohorts": page.object_list, "page": page, "can_create": scoping.can_manage_participants(request.user),
    })


@login_required
@require_http_methods(["GET", "POST"])
def cohort_create(request):
    _require_manager(request)
    site = _user_site(request)
    form = forms.CohortForm(request.POST or None, facilitator_choices=_site_facilitators(site))
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        preview = program.plan_weeks(data["curriculum"].weeks, data["start_date"], data["meeting_weekday"],
                                     data["closed_dates"])
        if "create" in request.POST:
            cohort = _attempt(form, lambda: program.create_cohort(
                request.user, study=_study_for(site), site=site, name=data["name"],
                curriculum=data["curriculum"], start_date=data["start_date"],
                meeting_weekday=data["meeting_weekday"], meeting_time=data["meeting_time"],
                default_mode=data["default_mode"], closed_dates=data["closed_dates"],
                facilitators=data["facilitators"]))
            if cohort is not None:
                messages.success(request, _("Created %(cohort)s with %(n)s sessions.")
                                 % {"cohort": cohort.name, "n": cohort.sessions.count()})
                return redirect("staff:cohort", pk=cohort.pk)
    return render(request, "staff/cohort_form.html", {"form": form, "preview": preview})


@login_required
def cohort_detail(request, pk):
    cohort = get_object_or_404(scoping.visible_cohorts(request.user).select_related("curriculum", "site"), pk=pk)
    sessions = list(cohort.sessions.all())
    weeks: dict[int, dict] = {}
    for s in sessions:
        week = weeks.setdefault(s.week, {"week": s.week, "date": s.date, "modes": set()})
        week["modes"].add(s.mode)
    attended = Counter(
        Attendance.objects.filter(session__cohort=cohort, status=AttendanceStatus.PRESENT)
        .values_list("dyad_id", flat=True)
    )
    roster = list(cohort.dyads.filter(status__in=list(EnrollmentStatus.in_cohort())).order_by("code"))
    for dyad in roster:
        dyad.sessions_attended = attended.get(dyad.pk, 0)
    return render(request, "staff/cohort_detail.html", {
        "cohort": cohort, "weeks": sorted(weeks.values(), key=lambda w: w["week"]), "roster": roster,
        "n_sessions": len(sessions), "today": timezone.localdate(),
        "can_manage": scoping.can_manage_participants(request.user),
        "statuses": CohortStatus.choices,
        "facilitators": cohort.facilitators.order_by("username"),
        "closed_dates": [dt.date.fromisoformat(d) for d in cohort.closed_dates],
    })


@login_required
@require_http_methods(["POST"])
def cohort_status(request, pk):
    cohort = get_object_or_404(scoping.visible_cohorts(request.user), pk=pk)
    try:
        program.set_cohort_status(request.user, cohort, CohortStatus(request.POST.get("status")))
    except ValueError:
        messages.error(request, _("Choose a cohort status from the list."))
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from exc
    return redirect("staff:cohort", pk=cohort.pk)


@login_required
@require_http_methods(["GET", "POST"])
def cohort_edit(request, pk):
    """Change a cohort's name, facilitators and schedule; weeks already held keep their dates."""
    _require_manager(request)
    cohort = get_object_or_404(scoping.visible_cohorts(request.user).select_related("site"), pk=pk)
    form = forms.CohortEditForm(request.POST or None, cohort=cohort, facilitator_choices=_site_facilitators(cohort.site))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        result = _attempt(form, lambda: program.update_cohort(
            request.user, cohort, name=d["name"], meeting_weekday=d["meeting_weekday"],
            meeting_time=d["meeting_time"], closed_dates=d["closed_dates"], facilitators=d["facilitators"]))
        if result is not None:
            messages.success(request, _("Saved %(cohort)s; %(n)s sessions moved to the new schedule.")
                             % {"cohort": result.cohort.name, "n": result.sessions_moved})
            return redirect("staff:cohort", pk=cohort.pk)
    return render(request, "staff/form.html", {
        "form": form, "title": _("Edit %(cohort)s") % {"cohort": cohort.name}, "submit": _("Save"),
        "back": (cohort.name, reverse("staff:cohort", args=[cohort.pk])),
        "intro": _("Weeks already held, or with attendance or a fidelity checklist, keep their dates; the "
                   "other weeks move to the new meeting day and time, skipping closed dates."),
    }, status=400 if request.method == "POST" else 200)
