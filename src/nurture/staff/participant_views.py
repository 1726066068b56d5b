"""Staff pages for participants: the searchable list, a dyad's page, the steps from
referral to enrollment, status changes, and corrections of a mother's and her infants'
details."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from nurture.accounts import scoping
from nurture.capture.enums import Timepoint
from nurture.participants import domain as participants
from nurture.participants.enums import EnrollmentStatus
from nurture.program.enums import CohortStatus

from . import forms
from .actions import attempt as _attempt
from .views import _require_manager, _study_for, _user_site

PAGE_SIZE = 25


@login_required
def participant_list(request):
    cohorts = scoping.visible_cohorts(request.user).order_by("name")
    names = scoping.can_view_identifiers(request.user)
    filters = forms.ParticipantFilterForm(request.GET or None, cohorts=cohorts, names=names)
    dyads = scoping.visible_dyads(request.user).order_by("code")
    query = ""
    if filters.is_valid():
        d = filters.cleaned_data
        if d["cohort"]:
            dyads = dyads.filter(cohort=d["cohort"])
        if d["status"]:
            dyads = dyads.filter(status=d["status"])
        query = d["q"].strip()
        dyads = participants.search_dyads(request.user, dyads, query)
    # The page's ids first (the study-id index; no joins to sort through), then its rows.
    page = Paginator(dyads.values_list("pk", flat=True), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = (dyads.filter(pk__in=list(page.object_list)).select_related(
        "cohort", "mother__identifiers" if query and names else "mother").prefetch_related("infants"))
    keep = request.GET.copy()
    keep.pop("page", None)
    return render(request, "staff/participant_list.html", {
        "page": page, "dyads": rows, "filters": filters, "query": query,
        "show_names": bool(query) and names, "keep": keep.urlencode(),
        "can_refer": scoping.can_manage_participants(request.user),
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
        EnrollmentStatus.REFERRED: (_("Screen"), reverse("staff:screen", args=[dyad.pk])),
        EnrollmentStatus.ELIGIBLE: (_("Record consent"), reverse("staff:consent", args=[dyad.pk])),
        EnrollmentStatus.CONSENTED: (_("Enroll in a cohort"), reverse("staff:enroll", args=[dyad.pk])),
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
            messages.success(request, _("Referral registered as %(code)s.") % {"code": dyad.code})
            return redirect("staff:participant", pk=dyad.pk)
    return render(request, "staff/form.html", {"form": form, "title": _("New referral"),
                                               "submit": _("Register referral")})


def _dyad_form_view(request, pk, form_class, title, submit, action, form_kwargs=None):
    _require_manager(request)
    dyad = get_object_or_404(scoping.visible_dyads(request.user), pk=pk)
    kwargs = form_kwargs(dyad) if callable(form_kwargs) else (form_kwargs or {})
    form = form_class(request.POST or None, **kwargs)
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
        text = _("%(code)s is eligible.") if result.eligible else _("%(code)s is not eligible.")
        messages.success(request, text % {"code": dyad.code})
        return result
    return _dyad_form_view(request, pk, forms.ScreeningForm, _("Screening"), _("Save screening"), action)


@login_required
@require_http_methods(["GET", "POST"])
def consent(request, pk):
    def action(dyad, form):
        result = participants.record_consent(request.user, dyad, **form.cleaned_data)
        messages.success(request, _("Consent recorded for %(code)s.") % {"code": dyad.code})
        return result
    return _dyad_form_view(request, pk, forms.ConsentForm, _("Consent"), _("Record consent"), action)


@login_required
@require_http_methods(["GET", "POST"])
def enroll(request, pk):
    cohorts = (scoping.visible_cohorts(request.user)
               .filter(status__in=list(CohortStatus.open_for_enrollment())).order_by("start_date"))

    def action(dyad, form):
        result = participants.enroll_dyad(request.user, dyad, form.cleaned_data["cohort"],
                                          enrolled_on=form.cleaned_data["enrolled_on"])
        messages.success(request, _("%(code)s enrolled in %(cohort)s.")
                         % {"code": dyad.code, "cohort": form.cleaned_data["cohort"].name})
        return result
    return _dyad_form_view(request, pk, forms.EnrollmentForm, _("Enrollment"), _("Enroll"), action,
                           {"cohorts": cohorts})


@login_required
@require_http_methods(["GET", "POST"])
def change_status(request, pk):
    def action(dyad, form):
        d = form.cleaned_data
        result = participants.change_status(request.user, dyad, EnrollmentStatus(d["status"]),
                                            effective_on=d["effective_on"], reason=d["reason"],
                                            reason_code=d["reason_code"] or None)
        revoked = getattr(result, "revoked_links", 0)
        text = _("%(code)s is now %(status)s.") % {"code": dyad.code,
                                                   "status": EnrollmentStatus(d["status"]).label.lower()}
        if revoked:
            text += " " + _("%(n)s survey link(s) revoked; issue a new link if she is still to answer.") % {"n": revoked}
        messages.success(request, text)
        return result
    return _dyad_form_view(request, pk, forms.StatusChangeForm, _("Change status"), _("Save"), action,
                           lambda dyad: {"current": dyad.status})


INFANT_PREFIX = "infant-{}"
EDIT_TITLE = gettext_lazy("Edit details")


@login_required
@require_http_methods(["GET", "POST"])
def participant_edit(request, pk):
    """Correct the mother's and her infants' details (names, contacts, dates of birth, language…)."""
    _require_manager(request)
    dyad = get_object_or_404(scoping.visible_dyads(request.user).select_related("mother"), pk=pk)
    current = participants.identifiers_for(request.user, dyad)  # audited: the form shows them
    mother_initial = {k: current[k] for k in participants.MOTHER_FIELDS} | {
        "language": dyad.mother.language,
        "primiparous": {None: "unknown", True: "true", False: "false"}[dyad.mother.primiparous]}
    infants = list(dyad.infants.order_by("birth_order"))
    named = {i["birth_order"]: i for i in current["infants"]}
    data = request.POST if request.method == "POST" else None
    mother_form = forms.MotherForm(data, initial=mother_initial, prefix="mother")
    infant_forms = [(infant, forms.InfantForm(data, prefix=INFANT_PREFIX.format(infant.birth_order), initial={
        "first_name": named.get(infant.birth_order, {}).get("first_name", ""),
        "date_of_birth": named.get(infant.birth_order, {}).get("date_of_birth"),
        "sex": infant.sex, "gestational_age_weeks": infant.gestational_age_weeks})) for infant in infants]
    if data is not None and mother_form.is_valid() and all(f.is_valid() for _i, f in infant_forms):
        changes = {i.birth_order: f.cleaned_data for i, f in infant_forms}
        if _attempt(mother_form, lambda: participants.update_details(
                request.user, dyad, mother=mother_form.cleaned_data, infants=changes)) is not None:
            messages.success(request, _("Details of %(code)s saved.") % {"code": dyad.code})
            return redirect("staff:participant", pk=dyad.pk)
    return render(request, "staff/participant_edit.html", {
        "dyad": dyad, "mother_form": mother_form, "infant_forms": infant_forms,
        "title": f"{EDIT_TITLE} · {dyad.code}"}, status=400 if data is not None else 200)
