"""Staff pages. Each view loads objects through the scoping layer, calls one domain
function and presents the result; the rules live in the domain modules."""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from nurture.accounts import scoping
from nurture.accounts.enums import Role
from nurture.capture.enums import AssessmentStatus, Timepoint
from nurture.capture.models import Assessment
from nurture.common.errors import DomainError, NotPermitted
from nurture.participants import domain as participants
from nurture.participants.enums import EnrollmentStatus
from nurture.program import domain as program
from nurture.program.enums import AttendanceStatus, CohortStatus, Component, DeliveryMode
from nurture.program.models import Attendance, FidelityChecklist, WeekPlan

from . import forms
from .actions import attempt as _attempt


class LoginView(auth_views.LoginView):
    template_name = "staff/login.html"
    redirect_authenticated_user = True


def _require_manager(request):
    if not scoping.can_manage_participants(request.user):
        raise PermissionDenied("Only coordinators and administrators may do this.")


def _study_for(cohorts_or_site):
    from nurture.program.models import Study

    study = Study.objects.filter(sites=cohorts_or_site).order_by("pk").first()
    if study is None:
        raise Http404("This site takes part in no study.")
    return study


def _user_site(request):
    site = scoping.visible_sites(request.user).order_by("pk").first()
    if site is None:
        raise PermissionDenied("Your account has no site.")
    return site


@login_required
def dashboard(request):
    today = timezone.localdate()
    sessions = (scoping.visible_sessions(request.user).filter(date=today)
                .select_related("cohort").order_by("cohort__name", "component"))
    todays_weeks = sorted({(s.cohort, s.week) for s in sessions}, key=lambda cw: cw[0].name)
    counts = dict(scoping.visible_dyads(request.user).values_list("status").annotate(n=Count("pk")))
    funnel = [(status, counts.get(status.value, 0)) for status in EnrollmentStatus]
    cohorts = (scoping.visible_cohorts(request.user).in_progress().select_related("curriculum", "site")
               .annotate(n_dyads=Count("dyads", filter=Q(dyads__status__in=list(EnrollmentStatus.in_cohort())))))
    upcoming = (scoping.visible_sessions(request.user).filter(date__gt=today, component=Component.MOTHER)
                .select_related("cohort").order_by("date")[:5])
    assessments = Assessment.objects.filter(dyad__in=scoping.visible_dyads(request.user)).select_related("dyad")
    return render(request, "staff/dashboard.html", {
        "today": today, "todays_weeks": todays_weeks, "funnel": funnel, "cohorts": cohorts,
        "upcoming": upcoming,
        "due": assessments.due(today).order_by("window_closes")[:20],
        "overdue": assessments.overdue(today).order_by("window_closes")[:20],
        "incomplete": assessments.filter(status=AssessmentStatus.IN_PROGRESS).order_by("started_at")[:20],
    })


@login_required
def cohort_list(request):
    cohorts = (scoping.visible_cohorts(request.user).select_related("curriculum", "site")
               .annotate(n_dyads=Count("dyads", filter=Q(dyads__status__in=list(EnrollmentStatus.in_cohort()))))
               .order_by("-start_date"))
    return render(request, "staff/cohort_list.html", {
        "cohorts": cohorts, "can_create": scoping.can_manage_participants(request.user),
    })


@login_required
@require_http_methods(["GET", "POST"])
def cohort_create(request):
    _require_manager(request)
    site = _user_site(request)
    facilitators = User.objects.filter(profile__role=Role.FACILITATOR, profile__site=site, is_active=True)
    form = forms.CohortForm(request.POST or None, facilitator_choices=facilitators)
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
                messages.success(request, f"Created {cohort.name} with {cohort.sessions.count()} sessions.")
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
    })


@login_required
@require_http_methods(["POST"])
def cohort_status(request, pk):
    cohort = get_object_or_404(scoping.visible_cohorts(request.user), pk=pk)
    try:
        program.set_cohort_status(request.user, cohort, CohortStatus(request.POST.get("status")))
    except ValueError:
        messages.error(request, "Choose a cohort status from the list.")
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from exc
    return redirect("staff:cohort", pk=cohort.pk)


def _week_context(request, cohort, week):
    sessions = {s.component: s for s in cohort.sessions.filter(week=week)}
    if not sessions:
        raise Http404("No such week in this cohort.")
    fidelity = {f.session_id: f for f in FidelityChecklist.objects.filter(session__in=sessions.values())}
    plans = {p.component: p for p in WeekPlan.objects.filter(curriculum_id=cohort.curriculum_id, week=week)}
    roster = list(cohort.dyads.filter(status__in=list(EnrollmentStatus.in_cohort())).order_by("code")
                  .select_related("mother__identifiers" if scoping.can_view_identifiers(request.user) else "mother"))
    marks = {(a.dyad_id, a.session_id): a for a in Attendance.objects.filter(session__in=sessions.values())}
    columns = []
    for component in Component:
        session = sessions[component]
        delivered = fidelity.get(session.pk)
        columns.append({
            "component": component, "session": session, "plan": plans.get(component),
            "delivered": set(delivered.delivered) if delivered else set(),
            "fidelity": delivered,
        })
    rows = []
    for dyad in roster:
        cells = []
        for col in columns:
            mark = marks.get((dyad.pk, col["session"].pk))
            cells.append({"session": col["session"], "mark": mark,
                          "field": f"att-{dyad.pk}-{col['session'].pk}",
                          "value": mark.status if mark else ""})
        rows.append({"dyad": dyad, "cells": cells})
    return {"cohort": cohort, "week": week, "columns": columns, "rows": rows,
            "date": columns[0]["session"].date, "n_weeks": cohort.curriculum.weeks,
            "show_names": scoping.can_view_identifiers(request.user),
            "statuses": AttendanceStatus.choices, "modes": DeliveryMode.choices}


@login_required
@require_http_methods(["GET", "POST"])
def cohort_week(request, pk, week):
    """The session page: the week's plan, the attendance grid and the fidelity checklists."""
    cohort = get_object_or_404(scoping.visible_cohorts(request.user).select_related("curriculum"), pk=pk)
    context = _week_context(request, cohort, week)
    if context["show_names"] and context["rows"]:
        from nurture.accounts import audit
        from nurture.accounts.enums import AuditAction

        audit.record(request.user, AuditAction.VIEW_IDENTIFIERS, cohort,
                     summary=f"Viewed first names on the {cohort.name} week {week} roster")
    if request.method == "POST":
        errors = _save_week(request, context)
        if not errors:
            messages.success(request, f"Saved week {week} of {cohort.name}.")
            return redirect("staff:cohort_week", pk=cohort.pk, week=week)
        for error in errors:
            messages.error(request, error)
        # Re-display what was typed: overlay the submitted values on the grid.
        for row in context["rows"]:
            for cell in row["cells"]:
                cell["value"] = request.POST.get(cell["field"], cell["value"])
        for col in context["columns"]:
            col["delivered"] = set(request.POST.getlist(f"fid-{col['session'].pk}"))
        return render(request, "staff/cohort_week.html", context, status=400)
    return render(request, "staff/cohort_week.html", context)


def _save_week(request, context) -> list[str]:
    """Save attendance marks, session modes and fidelity checklists from the week form."""
    errors = []
    try:
        for col in context["columns"]:
            session = col["session"]
            mode = request.POST.get(f"mode-{session.pk}")
            if mode and mode != session.mode:
                try:
                    program.set_session_mode(request.user, session, DeliveryMode(mode))
                except ValueError:
                    errors.append(f"{mode!r} is not a delivery mode.")
        for row in context["rows"]:
            for cell in row["cells"]:
                value = request.POST.get(cell["field"], "")
                if not value or (cell["mark"] and cell["mark"].status == value):
                    continue
                try:
                    program.record_attendance(request.user, cell["session"], row["dyad"], AttendanceStatus(value))
                except ValueError as exc:
                    errors.append(str(exc) if isinstance(exc, DomainError) else f"{value!r} is not an attendance mark.")
        for col in context["columns"]:
            session = col["session"]
            if f"fid-present-{session.pk}" not in request.POST:
                continue
            delivered = request.POST.getlist(f"fid-{session.pk}")
            notes = request.POST.get(f"notes-{session.pk}", "")
            existing = col["fidelity"]
            if existing is None and not delivered and not notes:
                continue
            if existing and existing.delivered == delivered and existing.notes == notes:
                continue
            try:
                program.record_fidelity(request.user, session, delivered, notes)
            except DomainError as exc:
                errors.append(str(exc))
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from exc
    return errors


@login_required
def participant_list(request):
    cohorts = scoping.visible_cohorts(request.user).order_by("name")
    filters = forms.ParticipantFilterForm(request.GET or None, cohorts=cohorts)
    dyads = (scoping.visible_dyads(request.user).select_related("cohort", "mother")
             .prefetch_related("infants").order_by("code"))
    if filters.is_valid():
        if filters.cleaned_data["cohort"]:
            dyads = dyads.filter(cohort=filters.cleaned_data["cohort"])
        if filters.cleaned_data["status"]:
            dyads = dyads.filter(status=filters.cleaned_data["status"])
    return render(request, "staff/participant_list.html", {
        "dyads": dyads, "filters": filters, "can_refer": scoping.can_manage_participants(request.user),
    })


@login_required
def participant_detail(request, pk):
    dyad = get_object_or_404(
        scoping.visible_dyads(request.user).select_related("cohort", "mother", "site")
        .prefetch_related("infants", Prefetch("history"), "screenings", "consents", "assessments"), pk=pk)
    identifiers = None
    if request.GET.get("identifiers") and scoping.can_view_identifiers(request.user):
        identifiers = participants.identifiers_for(request.user, dyad)
    status = EnrollmentStatus(dyad.status)
    can_manage = scoping.can_manage_participants(request.user)
    context = {
        "dyad": dyad, "identifiers": identifiers, "can_manage": can_manage,
        "can_see_identifiers": scoping.can_view_identifiers(request.user),
        "history": dyad.history.select_related("by"),
        "next_step": _next_step(dyad) if can_manage else None,
        "can_end": can_manage and status == EnrollmentStatus.ENROLLED,
        "can_withdraw": can_manage and status in EnrollmentStatus.active(),
        "assessments": dyad.assessments.all(),
        "unscheduled": [tp for tp in Timepoint if tp.value not in {a.timepoint for a in dyad.assessments.all()}],
        "today": timezone.localdate(),
    }
    return render(request, "staff/participant_detail.html", context)


def _next_step(dyad):
    return {
        EnrollmentStatus.REFERRED: ("Screen", reverse("staff:screen", args=[dyad.pk])),
        EnrollmentStatus.ELIGIBLE: ("Record consent", reverse("staff:consent", args=[dyad.pk])),
        EnrollmentStatus.CONSENTED: ("Enroll in a cohort", reverse("staff:enroll", args=[dyad.pk])),
    }.get(EnrollmentStatus(dyad.status))


@login_required
@require_http_methods(["GET", "POST"])
def referral_create(request):
    _require_manager(request)
    site = _user_site(request)
    form = forms.ReferralForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        infant = {"first_name": d["infant_first_name"], "date_of_birth": d["infant_date_of_birth"],
                  "sex": d["infant_sex"], "gestational_age_weeks": d["gestational_age_weeks"]}
        infants = [infant, {**infant, "first_name": ""}] if d["twins"] else [infant]
        dyad = _attempt(form, lambda: participants.refer_dyad(
            request.user, study=_study_for(site), site=site, referred_on=d["referred_on"],
            mother_first_name=d["mother_first_name"], mother_last_name=d["mother_last_name"],
            mother_date_of_birth=d["mother_date_of_birth"], phone=d["phone"], email=d["email"],
            address=d["address"], primiparous=d["primiparous"], language=d["language"],
            infants=infants, referral_source=d["referral_source"]))
        if dyad is not None:
            messages.success(request, f"Referral registered as {dyad.code}.")
            return redirect("staff:participant", pk=dyad.pk)
    return render(request, "staff/form.html", {"form": form, "title": "New referral",
                                               "submit": "Register referral"})


def _dyad_form_view(request, pk, form_class, title, submit, action, form_kwargs=None):
    _require_manager(request)
    dyad = get_object_or_404(scoping.visible_dyads(request.user), pk=pk)
    form = form_class(request.POST or None, **(form_kwargs or {}))
    if request.method == "POST" and form.is_valid():
        if _attempt(form, lambda: action(dyad, form)) is not None:
            return redirect("staff:participant", pk=dyad.pk)
    return render(request, "staff/form.html", {"form": form, "dyad": dyad, "title": f"{title} · {dyad.code}",
                                               "submit": submit})


@login_required
@require_http_methods(["GET", "POST"])
def screen(request, pk):
    def action(dyad, form):
        result = participants.screen(request.user, dyad, criteria=form.criteria(),
                                     screened_on=form.cleaned_data["screened_on"], note=form.cleaned_data["note"])
        messages.success(request, f"{dyad.code} is {'eligible' if result.eligible else 'not eligible'}.")
        return result
    return _dyad_form_view(request, pk, forms.ScreeningForm, "Screening", "Save screening", action)


@login_required
@require_http_methods(["GET", "POST"])
def consent(request, pk):
    def action(dyad, form):
        result = participants.record_consent(request.user, dyad, **form.cleaned_data)
        messages.success(request, f"Consent recorded for {dyad.code}.")
        return result
    return _dyad_form_view(request, pk, forms.ConsentForm, "Consent", "Record consent", action)


@login_required
@require_http_methods(["GET", "POST"])
def enroll(request, pk):
    cohorts = (scoping.visible_cohorts(request.user)
               .filter(status__in=list(CohortStatus.open_for_enrollment())).order_by("start_date"))

    def action(dyad, form):
        result = participants.enroll_dyad(request.user, dyad, form.cleaned_data["cohort"],
                                          enrolled_on=form.cleaned_data["enrolled_on"])
        messages.success(request, f"{dyad.code} enrolled in {form.cleaned_data['cohort'].name}.")
        return result
    return _dyad_form_view(request, pk, forms.EnrollmentForm, "Enrollment", "Enroll", action,
                           {"cohorts": cohorts})


@login_required
@require_http_methods(["GET", "POST"])
def change_status(request, pk):
    def action(dyad, form):
        d = form.cleaned_data
        result = participants.change_status(request.user, dyad, EnrollmentStatus(d["status"]),
                                            effective_on=d["effective_on"], reason=d["reason"])
        revoked = getattr(result, "revoked_links", 0)
        messages.success(request, f"{dyad.code} is now {EnrollmentStatus(d['status']).label.lower()}."
                         + (f" {revoked} survey link(s) revoked; issue a new link if she is still to answer."
                            if revoked else ""))
        return result
    return _dyad_form_view(request, pk, forms.StatusChangeForm, "Change status", "Save", action)
