"""Staff pages for assessments (links, paper entry, corrections) and safety alerts."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from nurture.accounts import scoping
from nurture.capture import domain as capture
from nurture.capture.enums import Entry, Timepoint
from nurture.capture.models import Assessment
from nurture.common.errors import DomainError, NotPermitted
from nurture.instruments import library
from nurture.instruments.wording import has_official_wording

from .actions import attempt


def _assessment(request, pk) -> Assessment:
    return get_object_or_404(Assessment.objects.select_related("dyad__site", "dyad__study")
                             .filter(dyad__in=scoping.visible_dyads(request.user)), pk=pk)


def _refused(request, exc):
    if isinstance(exc, NotPermitted):
        raise PermissionDenied(str(exc)) from exc
    messages.error(request, str(exc))


@login_required
@require_POST
def schedule(request, pk):
    dyad = get_object_or_404(scoping.visible_dyads(request.user), pk=pk)
    try:
        assessment = capture.schedule_assessment(request.user, dyad, Timepoint(request.POST.get("timepoint")))
    except ValueError:
        messages.error(request, "Choose a timepoint.")
        return redirect("staff:participant", pk=dyad.pk)
    except (DomainError, NotPermitted) as exc:
        _refused(request, exc)
        return redirect("staff:participant", pk=dyad.pk)
    messages.success(request, f"Scheduled: {assessment}. Window {assessment.window_opens:%d %b} – "
                              f"{assessment.window_closes:%d %b %Y}.")
    return redirect("staff:assessment", pk=assessment.pk)


@login_required
def assessment_detail(request, pk):
    assessment = _assessment(request, pk)
    lib = library()
    scores = assessment.scores.current().order_by("instrument", "id")
    instruments = []
    for instrument_id in assessment.instruments:
        inst = lib.get(instrument_id)
        instruments.append({"id": inst.id, "name": inst.name, "short": inst.short_name,
                            "placeholder": not has_official_wording(inst, assessment.language),
                            "answered": assessment.responses.filter(instrument=inst.id, entry=Entry.FIRST)
                            .exclude(value="").count(), "items": len(inst.items),
                            "discrepancies": capture.compare_entries(assessment, inst.id)})
    return render(request, "staff/assessment_detail.html", {
        "assessment": assessment, "dyad": assessment.dyad, "scores": scores, "instruments": instruments,
        "links": assessment.links.order_by("-created_at"), "alerts": assessment.alerts.all(),
        "can_manage": scoping.can_manage_participants(request.user), "now": timezone.now(),
        "today": timezone.localdate(),
    })


@login_required
@require_POST
def issue_link(request, pk):
    assessment = _assessment(request, pk)
    try:
        link, token = capture.issue_link(request.user, assessment, revoke_others="reissue" in request.POST)
    except (DomainError, NotPermitted) as exc:
        _refused(request, exc)
        return redirect("staff:assessment", pk=assessment.pk)
    url = capture.survey_url(token)
    import segno

    qr = segno.make(url, error="m").svg_inline(scale=4, title="Survey link")
    email = None
    if scoping.can_view_identifiers(request.user):
        from nurture.participants.domain import identifiers_for

        email = identifiers_for(request.user, assessment.dyad).get("email") or None
    return render(request, "staff/link_issued.html", {"assessment": assessment, "url": url, "qr": qr,
                                                      "link": link, "email": email})


@login_required
@require_POST
def email_link(request, pk):
    """Email the mother a new link, built on the server (nothing the browser sends is used)."""
    from nurture.capture.messaging import email_new_link

    assessment = _assessment(request, pk)
    try:
        sent_to, link = email_new_link(request.user, assessment)
    except (DomainError, NotPermitted) as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"A new private link (link {link.pk}) was emailed to {sent_to}.")
    return redirect("staff:assessment", pk=assessment.pk)


@login_required
@require_POST
def revoke_links(request, pk):
    assessment = _assessment(request, pk)
    try:
        count = capture.revoke_links(request.user, assessment)
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from exc
    messages.success(request, f"Revoked {count} link(s).")
    return redirect("staff:assessment", pk=assessment.pk)


def _paper_form(inst, data=None, initial=None):
    form = forms.Form(data, initial=initial)
    form.fields["version"] = forms.IntegerField(widget=forms.HiddenInput)
    for item in inst.items:
        if item.kind == "text":
            form.fields[f"item-{item.id}"] = forms.CharField(label=f"{item.id}. {item.label['en']}", required=False,
                                                             widget=forms.Textarea(attrs={"rows": 2}))
            continue
        choices = [("", "— not answered —")] + [(str(o.value), f"{o.value} · {o.label['en']}") for o in item.options]
        if item.na_allowed:
            choices.append(("na", "na · does not apply"))
        form.fields[f"item-{item.id}"] = forms.ChoiceField(label=f"{item.id}. {item.label['en']}", choices=choices,
                                                           required=False)
    return form


@login_required
@require_http_methods(["GET", "POST"])
def paper_entry(request, pk, instrument, entry):
    assessment = _assessment(request, pk)
    if not scoping.can_manage_participants(request.user):
        raise PermissionDenied("Only coordinators enter paper forms.")
    if instrument not in assessment.instruments:
        messages.error(request, f"{instrument} is not part of this assessment.")
        return redirect("staff:assessment", pk=assessment.pk)
    inst = library().get(instrument)
    entry = Entry(entry)
    saved = capture.current_answers(assessment, inst.id, entry)
    form = _paper_form(inst, request.POST or None,
                       initial={"version": assessment.version} | {f"item-{k}": v for k, v in saved.items()})
    if request.method == "POST" and form.is_valid():
        answers = {item.id: form.cleaned_data[f"item-{item.id}"] for item in inst.items}
        result = attempt(form, lambda: capture.enter_paper_form(request.user, assessment, inst.id, answers,
                                                                entry=entry,
                                                                expected_version=form.cleaned_data["version"]))
        if result is not None:
            if result.alerts:
                messages.warning(request, f"{len(result.alerts)} safety alert(s) raised by these answers.")
            messages.success(request, f"Saved the {entry.label.lower()} of {inst.short_name}.")
            return redirect("staff:assessment", pk=assessment.pk)
    return render(request, "staff/paper_entry.html", {"assessment": assessment, "instrument": inst, "form": form,
                                                      "entry": entry})


class CorrectionForm(forms.Form):
    instrument = forms.CharField(widget=forms.HiddenInput)
    item = forms.CharField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    value = forms.CharField(required=False, max_length=2000)
    reason = forms.CharField(max_length=300)


@login_required
@require_http_methods(["GET", "POST"])
def correct(request, pk):
    assessment = _assessment(request, pk)
    form = CorrectionForm(request.POST or None, initial={
        "instrument": request.GET.get("instrument", ""), "item": request.GET.get("item", ""),
        "version": assessment.version, "value": request.GET.get("value", "")})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if attempt(form, lambda: capture.correct_response(request.user, assessment, d["instrument"], d["item"],
                                                          d["value"], reason=d["reason"],
                                                          expected_version=d["version"])) is not None:
            messages.success(request, f"Corrected {d['instrument']} item {d['item']}; scores recomputed.")
            return redirect("staff:assessment", pk=assessment.pk)
    return render(request, "staff/form.html", {"form": form, "title": f"Correct an answer · {assessment}",
                                               "submit": "Save correction"})
