"""Coding pages. Coders: their list, the rating and code forms, the comparison after both
codings are in. Coordinators: recordings, transcripts, assignment, consensus,
reliability. Each view loads through the domain's visibility functions and calls one
domain function."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from nurture.accounts import scoping
from nurture.accounts.enums import Role
from nurture.common.errors import DomainError, NotPermitted
from nurture.participants.enums import EnrollmentStatus
from nurture.program.models import Study
from nurture.staff.actions import attempt

from . import domain, forms, schemes
from .enums import Resolution, UnitKind
from .models import Assignment, Recording, Segment


def _require(request, *roles: Role) -> Role:
    try:
        return scoping.require_role(request.user, *roles)
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from exc


def _study(request) -> Study:
    study = Study.objects.filter(sites__in=scoping.visible_sites(request.user)).distinct().order_by("pk").first()
    if study is None:
        raise Http404("No study at your site.")
    return study


def _describe(assignment: Assignment) -> dict:
    """What a coder may know of a unit: its blind code and what kind of thing it is."""
    unit = assignment.unit
    if assignment.kind == UnitKind.RECORDING:
        minutes, seconds = divmod(unit.duration_seconds, 60)
        return {"what": f"Recording · {unit.get_task_display()} · {minutes}:{seconds:02d}",
                "where": unit.coder_location}
    if unit.question:
        return {"what": "Open answer · " + domain.feedback_questions().get(unit.question, unit.question)}
    return {"what": "Focus-group transcript segment"}


# ---------------------------------------------------------------- coders


@login_required
def mine(request):
    role = scoping.role_of(request.user)
    if role in domain.MANAGERS or role == Role.RESEARCHER:
        return redirect("coding:manage" if role in domain.MANAGERS else "coding:reliability")
    _require(request, Role.CODER)
    assignments = list(domain.visible_assignments(request.user).select_related(
        "recording", "segment").prefetch_related("recording__assignments", "segment__assignments"))
    todo = [(a, _describe(a)) for a in assignments if a.is_open]
    done = sorted((a for a in assignments if not a.is_open), key=lambda a: a.submitted_at, reverse=True)
    done = [(a, domain.can_see_comparison(request.user, a.unit)) for a in done]
    return render(request, "coding/mine.html", {"todo": todo, "done": done})


@login_required
@require_http_methods(["GET", "POST"])
def code(request, token):
    _require(request, Role.CODER)
    assignment = get_object_or_404(domain.visible_assignments(request.user), token=token)
    if not assignment.is_open:
        messages.info(request, f"{assignment.unit.blind_code} is already submitted.")
        return redirect("coding:mine")
    unit = assignment.unit
    data = request.POST if request.method == "POST" else None  # an empty POST is still a submission
    if assignment.kind == UnitKind.RECORDING:
        form = forms.RatingForm(data, scheme=schemes.rating_scheme(unit.scheme))
        submit = lambda: domain.submit_ratings(request.user, assignment, form.values(),  # noqa: E731
                                               note=form.cleaned_data["note"])
    else:
        form = forms.CodesForm(data, codebook=schemes.codebook(unit.scheme))
        submit = lambda: domain.submit_codes(request.user, assignment, form.cleaned_data["codes"],  # noqa: E731
                                             note=form.cleaned_data["note"])
    if request.method == "POST" and form.is_valid() and attempt(form, submit) is not None:
        messages.success(request, f"{unit.blind_code} submitted.")
        following = domain.visible_assignments(request.user).open().first()
        return redirect("coding:code", token=following.token) if following else redirect("coding:mine")
    remaining = domain.visible_assignments(request.user).open().count()
    return render(request, "coding/code.html", {"assignment": assignment, "unit": unit, "form": form,
                                                "about": _describe(assignment), "remaining": remaining})


def _unit_by_code(request, blind_code):
    for model in (Recording, Segment):
        unit = model.objects.filter(blind_code=blind_code).first()
        if unit is not None:
            submitted = unit.assignments.submitted().count()
            if submitted < 2 or not domain.can_see_comparison(request.user, unit):
                raise Http404("No such coded unit.")
            return unit
    raise Http404("No such coded unit.")


@login_required
@require_http_methods(["GET", "POST"])
def compare(request, blind_code):
    """Both codings side by side (once both are in), and the consensus form where they disagree."""
    unit = _unit_by_code(request, blind_code)
    codings = sorted(unit.assignments.submitted().select_related("coder"), key=lambda a: (a.assigned_at, a.pk))[:2]
    can_settle = unit.resolution in (Resolution.NEEDS_CONSENSUS, Resolution.CONSENSUS)
    data = request.POST if request.method == "POST" else None
    if isinstance(unit, Recording):
        scheme = schemes.rating_scheme(unit.scheme)
        agreed = {k: v for k, v in codings[0].values.items() if codings[1].values.get(k) == v}
        form = forms.RatingForm(data, scheme=scheme, initial_values=unit.final or agreed)
        values = form.values if request.method == "POST" else None
        rows = [{"item": item, "values": [c.values.get(item.id) for c in codings],
                 "differs": item.id in scheme.disagreements(codings[0].values, codings[1].values),
                 "field": form[f"item_{item.id}"]} for item in scheme.items]
    else:
        book = schemes.codebook(unit.scheme)
        form = forms.CodesForm(data, codebook=book,
                               initial={"codes": unit.final or sorted(set(codings[0].values) & set(codings[1].values))})
        values = (lambda: form.cleaned_data["codes"]) if request.method == "POST" else None
        rows = [{"item": c, "values": [c.id in a.values for a in codings],
                 "differs": (c.id in codings[0].values) != (c.id in codings[1].values)}
                for c in book.leaves if any(c.id in a.values for a in codings)]
    if request.method == "POST":
        if not can_settle:
            raise PermissionDenied("This unit does not need a consensus.")
        if form.is_valid():
            result = attempt(form, lambda: domain.record_consensus(request.user, unit, values(),
                                                                   note=form.cleaned_data["note"]))
            if result is not None:
                messages.success(request, f"Consensus recorded for {unit.blind_code}.")
                return redirect("coding:compare", blind_code=unit.blind_code)
    return render(request, "coding/compare.html", {
        "unit": unit, "codings": codings, "rows": rows, "form": form, "can_settle": can_settle,
        "is_recording": isinstance(unit, Recording), "manager": scoping.role_of(request.user) in domain.MANAGERS,
        "about": _describe(codings[0]) if codings else {}})


# ---------------------------------------------------------------- coordinators


@login_required
def manage(request):
    _require(request, *domain.MANAGERS)
    study = _study(request)
    cfg = domain.coding_settings(study)
    recordings = (domain.visible_recordings(request.user).filter(study=study)
                  .select_related("dyad").prefetch_related("assignments__coder").order_by("dyad__code", "timepoint"))
    segments = domain.visible_segments(request.user).filter(study=study)
    coders = domain.eligible_coders(study)
    return render(request, "coding/manage.html", {
        "study": study, "settings": cfg, "recordings": recordings,
        "segment_counts": _counts(segments), "recording_counts": _counts(recordings),
        "needs_consensus": list(recordings.filter(resolution=Resolution.NEEDS_CONSENSUS))
                           + list(segments.filter(resolution=Resolution.NEEDS_CONSENSUS)),
        "assign_recordings": forms.AssignForm(coders=coders, share=cfg.double_share, prefix="recording"),
        "assign_segments": forms.AssignForm(coders=coders, share=cfg.double_share, prefix="segment"),
        "transcripts": study.transcripts.all(),
    })


def _counts(qs) -> list[tuple[str, int]]:
    counts = dict(qs.values_list("resolution").order_by().annotate(n=Count("pk")))
    return [(label, counts.get(value, 0)) for value, label in Resolution.choices]


@login_required
@require_http_methods(["GET", "POST"])
def recording_new(request):
    _require(request, *domain.MANAGERS)
    dyads = scoping.visible_dyads(request.user).filter(
        status__in=[EnrollmentStatus.ENROLLED, EnrollmentStatus.COMPLETED, EnrollmentStatus.WITHDRAWN]
    ).exclude(cohort=None).order_by("code")
    form = forms.RecordingForm(request.POST or None, dyads=dyads)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        recording = attempt(form, lambda: domain.register_recording(
            request.user, dyad=data["dyad"], timepoint=data["timepoint"], recorded_on=data["recorded_on"],
            task=data["task"], duration_seconds=data["duration_seconds"], location=data["location"],
            coder_location=data["coder_location"]))
        if recording is not None:
            messages.success(request, f"Recording of {recording.dyad.code} registered: coders will see it as "
                                      f"{recording.blind_code}.")
            return redirect("coding:manage")
    return render(request, "staff/form.html", {"form": form, "title": "Register a recorded interaction",
                                               "submit": "Register recording"})


@login_required
@require_http_methods(["GET", "POST"])
def transcript_new(request):
    _require(request, *domain.MANAGERS)
    study = _study(request)
    form = forms.TranscriptForm(request.POST or None, request.FILES or None,
                                cohorts=scoping.visible_cohorts(request.user).filter(study=study))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        transcript = attempt(form, lambda: domain.add_transcript(request.user, study, title=data["title"],
                                                                  held_on=data["held_on"], body=data["text"],
                                                                  cohort=data["cohort"]))
        if transcript is not None:
            messages.success(request, f"{transcript.title}: {transcript.segments.count()} segments ready to assign.")
            return redirect("coding:manage")
    return render(request, "coding/transcript_form.html", {"form": form})


@login_required
@require_POST
def segment_feedback(request):
    _require(request, *domain.MANAGERS)
    try:
        n = domain.segment_feedback(request.user, _study(request))
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from exc
    messages.success(request, f"{n} new segment{'s' if n != 1 else ''} from open feedback answers."
                     if n else "Every submitted open answer is already split into segments.")
    return redirect("coding:manage")


@login_required
@require_POST
def assign(request, kind):
    _require(request, *domain.MANAGERS)
    if kind not in UnitKind.values:
        raise Http404("Unknown kind.")
    study = _study(request)
    cfg = domain.coding_settings(study)
    form = forms.AssignForm(request.POST, coders=domain.eligible_coders(study), share=cfg.double_share, prefix=kind)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("coding:manage")
    try:
        result = domain.assign(request.user, study, UnitKind(kind), form.cleaned_data["coders"],
                               share=form.cleaned_data["share"] / 100)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("coding:manage")
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from exc
    messages.success(request, f"Assigned {result.units} {UnitKind(kind).label.lower()}s "
                              f"({result.double} double-coded, {result.assignments} assignments).")
    for warning in result.warnings:
        messages.warning(request, warning)
    return redirect("coding:manage")


@login_required
def reliability(request):
    _require(request, *domain.READERS)
    study = _study(request)
    data = domain.reliability(request.user, study)
    return render(request, "coding/reliability.html", {"study": study, **data,
                                                       "manager": scoping.role_of(request.user) in domain.MANAGERS})
