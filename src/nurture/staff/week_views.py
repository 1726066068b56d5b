"""The week page: a cohort's three groups of one week — the plan, attendance and the
fidelity checklist — made for a facilitator with a phone in one hand.

Each group has an "All present" and an "All delivered" button (a script ticks the
boxes; without JavaScript the button saves the page and ticks them on the server), so
a facilitator marks the week with a few taps for the exceptions and saves it in one.
Roles that cannot record sessions (researchers) get the same page read-only.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from nurture.accounts import audit, scoping
from nurture.accounts.enums import AuditAction
from nurture.common.errors import DomainError, NotPermitted
from nurture.participants.enums import EnrollmentStatus
from nurture.program import domain as program
from nurture.program.enums import AttendanceStatus, Component, DeliveryMode
from nurture.program.models import Attendance, FidelityChecklist, WeekPlan


def can_record(user, cohort) -> bool:
    """May this user record the cohort's sessions (the rule of ``scoping.check_session_staff``)?"""
    try:
        scoping.check_session_staff(user, cohort.sessions.first())
    except NotPermitted:
        return False
    return True


def _week_context(request, cohort, week):
    sessions = {s.component: s for s in cohort.sessions.filter(week=week)}
    if not sessions:
        raise Http404(_("No such week in this cohort."))
    fidelity = {f.session_id: f for f in FidelityChecklist.objects.filter(session__in=sessions.values())}
    plans = {p.component: p for p in WeekPlan.objects.filter(curriculum_id=cohort.curriculum_id, week=week)}
    show_names = scoping.can_view_identifiers(request.user)
    roster = list(cohort.dyads.filter(status__in=list(EnrollmentStatus.in_cohort())).order_by("code")
                  .select_related("mother__identifiers" if show_names else "mother"))
    marks = {(a.dyad_id, a.session_id): a for a in Attendance.objects.filter(session__in=sessions.values())}
    groups = []
    for component in Component:
        session = sessions[component]
        delivered = fidelity.get(session.pk)
        rows = []
        for dyad in roster:
            mark = marks.get((dyad.pk, session.pk))
            rows.append({"dyad": dyad, "session": session, "mark": mark, "field": f"att-{dyad.pk}-{session.pk}",
                         "value": mark.status if mark else "", "active": dyad.status == EnrollmentStatus.ENROLLED})
        groups.append({"component": component, "session": session, "plan": plans.get(component), "rows": rows,
                       "delivered": set(delivered.delivered) if delivered else set(), "fidelity": delivered,
                       "notes": delivered.notes if delivered else ""})
    return {"cohort": cohort, "week": week, "groups": groups, "columns": groups, "roster": roster,
            "date": groups[0]["session"].date, "n_weeks": cohort.curriculum.weeks, "show_names": show_names,
            "can_record": can_record(request.user, cohort),
            "statuses": AttendanceStatus.choices, "modes": DeliveryMode.choices}


@login_required
@require_http_methods(["GET", "POST"])
def cohort_week(request, pk, week):
    """The session page: the week's plan, attendance and fidelity checklists per group."""
    cohort = get_object_or_404(scoping.visible_cohorts(request.user).select_related("curriculum"), pk=pk)
    context = _week_context(request, cohort, week)
    if context["show_names"] and context["roster"]:
        audit.record(request.user, AuditAction.VIEW_IDENTIFIERS, cohort,
                     summary=f"Viewed first names on the {cohort.name} week {week} roster")
    if request.method == "POST":
        if not context["can_record"]:
            raise PermissionDenied(_("Only this cohort's facilitators and coordinators record its sessions."))
        bulk = _bulk_request(request, context)
        errors = _save_week(request, context, bulk)
        if not errors and not bulk:
            messages.success(request, _("Saved week %(week)s of %(cohort)s.") % {"week": week, "cohort": cohort.name})
            return redirect("staff:cohort_week", pk=cohort.pk, week=week)
        if not errors:
            messages.info(request, _("Saved. %(what)s: now change the exceptions, then save the week.")
                          % {"what": bulk["label"]})
            return redirect("staff:cohort_week", pk=cohort.pk, week=week)
        for error in errors:
            messages.error(request, error)
        # Re-display what was typed: overlay the submitted values on the page.
        for group in context["groups"]:
            for row in group["rows"]:
                row["value"] = request.POST.get(row["field"], row["value"])
            group["delivered"] = set(request.POST.getlist(f"fid-{group['session'].pk}"))
            group["notes"] = request.POST.get(f"notes-{group['session'].pk}", group["notes"])
        return render(request, "staff/cohort_week.html", context, status=400)
    return render(request, "staff/cohort_week.html", context)


def _bulk_request(request, context) -> dict | None:
    """The "All present" / "All delivered" button pressed without JavaScript, if any."""
    for key, what in (("all_present", _("%(group)s: everyone not yet marked is present")),
                      ("all_delivered", _("%(group)s: every planned element is delivered"))):
        value = request.POST.get(key)
        for group in context["groups"]:
            if value == str(group["session"].pk):
                return {"kind": key, "group": group, "label": what % {"group": group["component"].label}}
    return None


def _save_week(request, context, bulk: dict | None = None) -> list[str]:
    """Save attendance marks, session modes and fidelity checklists from the week form.
    ``bulk`` (a button pressed without JavaScript) first fills in its group."""
    post = request.POST.copy()
    if bulk and bulk["kind"] == "all_present":
        for row in bulk["group"]["rows"]:
            if row["active"] and not post.get(row["field"]):
                post[row["field"]] = AttendanceStatus.PRESENT
    if bulk and bulk["kind"] == "all_delivered" and bulk["group"]["plan"]:
        session = bulk["group"]["session"]
        post.setlist(f"fid-{session.pk}", list(bulk["group"]["plan"].activities))
        post[f"fid-present-{session.pk}"] = "1"
    errors = []
    try:
        for group in context["groups"]:
            session = group["session"]
            mode = post.get(f"mode-{session.pk}")
            if mode and mode != session.mode:
                try:
                    program.set_session_mode(request.user, session, DeliveryMode(mode))
                except ValueError:
                    errors.append(_("%(mode)s is not a delivery mode.") % {"mode": repr(mode)})
        for group in context["groups"]:
            for row in group["rows"]:
                value = post.get(row["field"], "")
                if not value or (row["mark"] and row["mark"].status == value):
                    continue
                try:
                    program.record_attendance(request.user, row["session"], row["dyad"], AttendanceStatus(value))
                except ValueError as exc:
                    errors.append(str(exc) if isinstance(exc, DomainError) else
                                  _("%(value)s is not an attendance mark.") % {"value": repr(value)})
        for group in context["groups"]:
            session = group["session"]
            if f"fid-present-{session.pk}" not in post:
                continue
            delivered = post.getlist(f"fid-{session.pk}")
            notes = post.get(f"notes-{session.pk}", "")
            existing = group["fidelity"]
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
