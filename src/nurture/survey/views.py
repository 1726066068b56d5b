"""Participant survey pages. The token in the URL is the only credential: every view
resolves it first; an unknown, expired or revoked token gets a plain explanation."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from nurture.capture import domain as capture
from nurture.capture.enums import AssessmentStatus
from nurture.capture.models import Assessment
from nurture.common.errors import DomainError
from nurture.instruments import library
from nurture.instruments.wording import item_text, load_wording
from nurture.safety.domain import crisis_resources

from . import throttle
from .texts import texts

LANG_COOKIE = "nurture_lang"


def _language(request, assessment: Assessment) -> str:
    """The page language: a switch (?lang=) is remembered on the assessment, so it follows
    the mother to another device, and in a cookie for the error pages."""
    chosen = request.GET.get("lang")
    if chosen in ("en", "es") and chosen != assessment.language:
        Assessment.objects.filter(pk=assessment.pk).update(language=chosen)
        assessment.language = chosen
    wanted = chosen or assessment.language or request.COOKIES.get(LANG_COOKIE)
    return wanted if wanted in ("en", "es") else "en"


def _remember(response, request, lang: str):
    if request.GET.get("lang"):
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def _resolve(request, token):
    """(link, None) or (None, error response)."""
    if throttle.is_blocked(request):
        return None, _message(request, "en", "throttled", status=429)
    try:
        return capture.resolve_token(token), None
    except capture.InvalidLink as exc:
        if exc.reason == "unknown":
            throttle.record_failure(request)
        lang = request.COOKIES.get(LANG_COOKIE, "en")
        return None, _message(request, lang, f"invalid_{exc.reason}", status=404 if exc.reason == "unknown" else 410)


def _message(request, lang, key, status=200):
    t = texts(lang)
    return render(request, "survey/message.html", {"t": t, "lang": lang, "message": t[key]}, status=status)


def _page_items(inst, lang, answers):
    wording = load_wording(inst, lang)
    items = []
    for item in inst.items:
        options = []
        official_options = (wording or {}).get("options", {}).get(item.id)
        for k, option in enumerate(item.options):
            label = official_options[k] if official_options else option.label.get(lang, option.label["en"])
            options.append({"value": str(option.value), "label": label})
        if item.na_allowed:
            options.append({"value": "na", "label": "No aplica" if lang == "es" else "Does not apply"})
        items.append({"id": item.id, "kind": item.kind, "text": item_text(inst, item.id, lang),
                      "options": options, "value": answers.get(item.id, ""), "field": f"item-{item.id}"})
    return items


def _context(link, lang, **extra):
    assessment = link.assessment
    return {"t": texts(lang), "lang": lang, "token_assessment": assessment, "pages": len(assessment.instruments),
            **extra}


@never_cache
def start(request, token):
    link, error = _resolve(request, token)
    if error:
        return error
    assessment = link.assessment
    lang = _language(request, assessment)
    if assessment.status == AssessmentStatus.COMPLETED:
        return _remember(redirect("survey:done", token=token), request, lang)
    response = render(request, "survey/start.html", _context(link, lang, token=token))
    return _remember(response, request, lang)


@never_cache
@require_http_methods(["GET", "POST"])
def page(request, token, number):
    link, error = _resolve(request, token)
    if error:
        return error
    assessment = link.assessment
    lang = _language(request, assessment)
    if assessment.status == AssessmentStatus.COMPLETED:
        return redirect("survey:done", token=token)
    if not 1 <= number <= len(assessment.instruments):
        return redirect("survey:page", token=token, number=1)
    inst = library().get(assessment.instruments[number - 1])
    error_message = None
    if request.method == "POST":
        answers = {item.id: request.POST.get(f"item-{item.id}", "") for item in inst.items}
        try:
            result = capture.save_answers(assessment, inst.id, answers)
        except DomainError as exc:
            error_message = str(exc)
            saved = answers  # keep what was chosen
        else:
            target = number - 1 if "back" in request.POST else number + 1
            if target < 1:
                next_url = reverse("survey:start", args=[token])
            elif target > len(assessment.instruments):
                next_url = reverse("survey:review", args=[token])
            else:
                next_url = reverse("survey:page", args=[token, target])
            if result.urgent:
                return redirect(f"{reverse('survey:support', args=[token])}?next={next_url}")
            return _remember(redirect(next_url), request, lang)
    else:
        saved = capture.current_answers(assessment, inst.id)
    t = texts(lang)
    context = _context(link, lang, token=token, number=number, instrument=inst,
                       recall_label=t["recall"].format(period=inst.recall_period.get(lang, inst.recall_period["en"])),
                       page_label=t["page_of"].format(page=number, pages=len(assessment.instruments)),
                       items=_page_items(inst, lang, saved), error_message=error_message,
                       progress=round(100 * (number - 1) / len(assessment.instruments)))
    return _remember(render(request, "survey/page.html", context, status=400 if error_message else 200),
                     request, lang)


@never_cache
def support(request, token):
    link, error = _resolve(request, token)
    if error:
        return error
    lang = _language(request, link.assessment)
    next_url = request.GET.get("next", "")
    if not next_url.startswith(f"/s/{token}/"):
        next_url = reverse("survey:review", args=[token])
    return render(request, "survey/support.html", _context(
        link, lang, token=token, next_url=next_url,
        resources=crisis_resources(link.assessment.dyad.site, lang)))


@never_cache
@require_http_methods(["GET", "POST"])
def review(request, token):
    link, error = _resolve(request, token)
    if error:
        return error
    assessment = link.assessment
    lang = _language(request, assessment)
    if request.method == "POST":
        try:
            capture.submit_assessment(assessment)
        except DomainError:
            return _message(request, lang, "invalid_closed", status=409)
        return redirect("survey:done", token=token)
    if assessment.status == AssessmentStatus.COMPLETED:
        return redirect("survey:done", token=token)
    sections = []
    for number, instrument_id in enumerate(assessment.instruments, start=1):
        inst = library().get(instrument_id)
        answers = capture.current_answers(assessment, instrument_id)
        rows = []
        for item in _page_items(inst, lang, answers):
            chosen = next((o["label"] for o in item["options"] if o["value"] == item["value"]), item["value"])
            rows.append({"text": item["text"], "answer": chosen})
        sections.append({"number": number, "name": inst.short_name if inst.id != "feedback" else
                         ("Opinión sobre el programa" if lang == "es" else "About the program"), "rows": rows})
    return _remember(render(request, "survey/review.html", _context(link, lang, token=token, sections=sections)),
                     request, lang)


@never_cache
def done(request, token):
    link, error = _resolve(request, token)
    if error:
        return error
    lang = _language(request, link.assessment)
    urgent = link.assessment.alerts.filter(severity="urgent").exists()
    return render(request, "survey/done.html", _context(
        link, lang, token=token, urgent=urgent,
        resources=crisis_resources(link.assessment.dyad.site, lang) if urgent else []))
