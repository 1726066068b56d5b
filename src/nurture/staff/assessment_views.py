"""Staff pages for assessments: links, paper entry from first entry to submission,
the side-by-side reconciliation of double entry, and corrections."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from nurture.accounts import scoping
from nurture.capture import domain as capture
from nurture.capture.enums import Entry, Source, Timepoint
from nurture.capture.models import Assessment
from nurture.common.errors import DomainError, NotPermitted
from nurture.instruments import library
from nurture.instruments.wording import has_official_wording
from nurture.safety.domain import visible_alerts
from nurture.safety.enums import AlertPath

from . import labels
from .actions import attempt


def _assessment(request, pk) -> Assessment:
    return get_object_or_404(Assessment.objects.select_related("dyad__site", "dyad__study")
                             .filter(dyad__in=scoping.visible_dyads(request.user)), pk=pk)


def _refused(request, exc):
    if isinstance(exc, NotPermitted):
        raise PermissionDenied(str(exc)) from exc
    messages.error(request, str(exc))


def _require_manager(request):
    if not scoping.can_manage_participants(request.user):
        raise PermissionDenied(_("Only coordinators and administrators enter and correct questionnaires."))


def alert_message(request, alerts) -> None:
    """Tell the person who entered the answers, as an alert with links, that safety alerts were raised."""
    alerts = list(alerts)
    if not alerts:
        return
    links = format_html_join(", ", '<a href="{}">{} · {}</a>', (
        (reverse("staff:alert", args=[a.pk]), a.get_severity_display(), a.get_topic_display()) for a in alerts))
    text = ngettext("%(n)s safety alert raised by these answers:", "%(n)s safety alerts raised by these answers:",
                    len(alerts)) % {"n": len(alerts)}
    messages.warning(request, format_html("{} {}. {}", text, links, _("Open it now and act on it.")),
                     extra_tags="safety")


@login_required
@require_POST
def schedule(request, pk):
    dyad = get_object_or_404(scoping.visible_dyads(request.user), pk=pk)
    try:
        assessment = capture.schedule_assessment(request.user, dyad, Timepoint(request.POST.get("timepoint")))
    except ValueError:
        messages.error(request, _("Choose a timepoint."))
        return redirect("staff:participant", pk=dyad.pk)
    except (DomainError, NotPermitted) as exc:
        _refused(request, exc)
        return redirect("staff:participant", pk=dyad.pk)
    messages.success(request, _("Scheduled: %(assessment)s. Window %(opens)s – %(closes)s.") % {
        "assessment": assessment, "opens": f"{assessment.window_opens:%d %b}",
        "closes": f"{assessment.window_closes:%d %b %Y}"})
    return redirect("staff:assessment", pk=assessment.pk)


def _instrument_rows(assessment, lib):
    rows = []
    answered = {}
    for instrument, entry, value in assessment.responses.values_list("instrument", "entry", "value"):
        if value != "":
            answered[(instrument, entry)] = answered.get((instrument, entry), 0) + 1
    for instrument_id in assessment.instruments:
        inst = lib.get(instrument_id)
        differences = capture.compare_entries(assessment, inst.id)
        for d in differences:
            d["first_label"] = labels.option_label(inst.id, d["item"], d["first"])
            d["second_label"] = labels.option_label(inst.id, d["item"], d["second"])
        rows.append({"id": inst.id, "name": inst.name, "short": labels.instrument_label(inst.id),
                     "placeholder": not has_official_wording(inst, assessment.language),
                     "answered": answered.get((inst.id, Entry.FIRST), 0),
                     "second": answered.get((inst.id, Entry.SECOND), 0),
                     "items": len(inst.items), "discrepancies": differences})
    return rows


@login_required
def assessment_detail(request, pk):
    assessment = _assessment(request, pk)
    lib = library()
    scores = assessment.scores.current().order_by("instrument", "id")
    instruments = _instrument_rows(assessment, lib)
    can_manage = scoping.can_manage_participants(request.user)
    entered = sum(1 for i in instruments if i["answered"])
    differences = sum(len(i["discrepancies"]) for i in instruments)
    return render(request, "staff/assessment_detail.html", {
        "assessment": assessment, "dyad": assessment.dyad, "scores": scores, "instruments": instruments,
        "links": assessment.links.order_by("-created_at"), "alerts": assessment.alerts.all(),
        "alert_ids": set(visible_alerts(request.user).filter(assessment=assessment).values_list("pk", flat=True)),
        "can_manage": can_manage, "now": timezone.now(), "today": timezone.localdate(),
        "can_submit": can_manage and assessment.is_open and entered > 0 and not differences,
        "entered": entered, "differences": differences,
    })


@login_required
@require_POST
def submit(request, pk):
    """Submit an assessment entered by staff (a paper form): score it, run every safety rule, close it."""
    assessment = _assessment(request, pk)
    _require_manager(request)
    path = AlertPath.PAPER_FIRST if assessment.source == Source.PAPER else AlertPath.SUBMISSION
    before = set(assessment.alerts.values_list("pk", flat=True))
    if assessment.is_open and any(capture.compare_entries(assessment, i) for i in assessment.instruments):
        # Safety rules already ran on both entries; the scores wait for the paper form's values.
        messages.error(request, _("The two entries of the paper form still differ: reconcile them, then submit."))
        return redirect("staff:assessment", pk=assessment.pk)
    try:
        result = capture.submit_assessment(assessment, by=request.user, path=path)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("staff:assessment", pk=assessment.pk)
    messages.success(request, _("%(assessment)s submitted: scores computed and safety rules run.")
                     % {"assessment": assessment})
    alert_message(request, [a for a in result.alerts if a.pk not in before])
    return redirect("staff:assessment", pk=assessment.pk)


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

    qr = segno.make(url, error="m").svg_inline(scale=4, title=_("Survey link"))
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
        messages.success(request, _("A new private link (link %(link)s) was emailed to %(to)s.")
                         % {"link": link.pk, "to": sent_to})
    return redirect("staff:assessment", pk=assessment.pk)


@login_required
@require_POST
def revoke_links(request, pk):
    assessment = _assessment(request, pk)
    try:
        count = capture.revoke_links(request.user, assessment)
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from exc
    messages.success(request, ngettext("Revoked %(n)s link.", "Revoked %(n)s links.", count) % {"n": count})
    return redirect("staff:assessment", pk=assessment.pk)


def _paper_form(inst, data=None, initial=None):
    form = forms.Form(data, initial=initial)
    form.fields["version"] = forms.IntegerField(widget=forms.HiddenInput)
    for item in inst.items:
        label = f"{item.id}. {labels._lang_text(item.label)}"
        if item.kind == "text":
            form.fields[f"item-{item.id}"] = forms.CharField(label=label, required=False,
                                                             widget=forms.Textarea(attrs={"rows": 2}))
            continue
        choices = [("", _("— not answered —"))] + [
            (str(o.value), f"{o.value} · {labels._lang_text(o.label)}") for o in item.options]
        if item.na_allowed:
            choices.append(("na", _("na · does not apply")))
        form.fields[f"item-{item.id}"] = forms.ChoiceField(label=label, choices=choices, required=False)
    return form


def _next_instrument(assessment, instrument_id):
    order = assessment.instruments
    position = order.index(instrument_id)
    return order[position + 1] if position + 1 < len(order) else None


@login_required
@require_http_methods(["GET", "POST"])
def paper_entry(request, pk, instrument, entry):
    assessment = _assessment(request, pk)
    _require_manager(request)
    if instrument not in assessment.instruments:
        messages.error(request, _("%(instrument)s is not part of this assessment.") % {"instrument": instrument})
        return redirect("staff:assessment", pk=assessment.pk)
    inst = library().get(instrument)
    entry = Entry(entry)
    saved = capture.current_answers(assessment, inst.id, entry)
    form = _paper_form(inst, request.POST or None,
                       initial={"version": assessment.version} | {f"item-{k}": v for k, v in saved.items()})
    following = _next_instrument(assessment, inst.id)
    if request.method == "POST" and form.is_valid():
        answers = {item.id: form.cleaned_data[f"item-{item.id}"] for item in inst.items}
        result = attempt(form, lambda: capture.enter_paper_form(request.user, assessment, inst.id, answers,
                                                                entry=entry,
                                                                expected_version=form.cleaned_data["version"]))
        if result is not None:
            messages.success(request, _("Saved the %(entry)s of %(instrument)s.")
                             % {"entry": entry.label.lower(), "instrument": labels.instrument_label(inst.id)})
            alert_message(request, result.alerts)
            if "next" in request.POST and following:
                return redirect("staff:paper_entry", pk=assessment.pk, instrument=following, entry=entry.value)
            return redirect("staff:assessment", pk=assessment.pk)
    return render(request, "staff/paper_entry.html", {
        "assessment": assessment, "instrument": inst, "form": form, "entry": entry,
        "position": assessment.instruments.index(inst.id) + 1, "following": following and
        labels.instrument_label(following)}, status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def reconcile(request, pk, instrument):
    """First and second paper entries side by side; for each difference, the value on the paper wins."""
    assessment = _assessment(request, pk)
    _require_manager(request)
    if instrument not in assessment.instruments:
        return redirect("staff:assessment", pk=assessment.pk)
    inst = library().get(instrument)
    differences = capture.compare_entries(assessment, inst.id)
    error = None
    if request.method == "POST":
        chosen = {}
        for d in differences:
            pick = request.POST.get(f"item-{d['item']}")
            if pick in ("first", "second"):
                chosen[d["item"]] = d[pick]
        try:
            version = int(request.POST.get("version", ""))
            result = capture.reconcile_entries(request.user, assessment, inst.id, chosen, expected_version=version)
        except ValueError as exc:  # DomainError is a ValueError; a missing version too
            error = str(exc) if isinstance(exc, DomainError) else _("Reload the page and reconcile again.")
        except NotPermitted as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, ngettext("Reconciled %(n)s difference of %(instrument)s.",
                                               "Reconciled %(n)s differences of %(instrument)s.", len(chosen))
                             % {"n": len(chosen), "instrument": labels.instrument_label(inst.id)})
            alert_message(request, result.alerts)
            return redirect("staff:assessment", pk=assessment.pk)
    rows = [d | {"label": labels.item_label(inst.id, d["item"]),
                 "first_label": labels.option_label(inst.id, d["item"], d["first"]),
                 "second_label": labels.option_label(inst.id, d["item"], d["second"]),
                 "picked": request.POST.get(f"item-{d['item']}", "")} for d in differences]
    return render(request, "staff/reconcile.html", {
        "assessment": assessment, "instrument": inst, "rows": rows, "error": error,
        "version": assessment.version}, status=400 if error else 200)


class CorrectionForm(forms.Form):
    instrument = forms.CharField(widget=forms.HiddenInput)
    item = forms.CharField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    value = forms.CharField(required=False, max_length=2000, label=gettext_lazy("New value"))
    reason = forms.CharField(max_length=300, label=gettext_lazy("Reason"))


@login_required
@require_http_methods(["GET", "POST"])
def correct(request, pk):
    assessment = _assessment(request, pk)
    _require_manager(request)
    form = CorrectionForm(request.POST or None, initial={
        "instrument": request.GET.get("instrument", ""), "item": request.GET.get("item", ""),
        "version": assessment.version, "value": request.GET.get("value", "")})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        result = attempt(form, lambda: capture.correct_response(
            request.user, assessment, d["instrument"], d["item"], d["value"], reason=d["reason"],
            expected_version=d["version"]))
        if result is not None:
            messages.success(request, _("Corrected %(instrument)s item %(item)s; scores recomputed.")
                             % {"instrument": labels.instrument_label(d["instrument"]), "item": d["item"]})
            alert_message(request, result.alerts)
            return redirect("staff:assessment", pk=assessment.pk)
    return render(request, "staff/form.html", {
        "form": form, "title": _("Correct an answer · %(assessment)s") % {"assessment": assessment},
        "submit": _("Save correction"), "back": (str(assessment), reverse("staff:assessment", args=[assessment.pk]))})

