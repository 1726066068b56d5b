"""Participant survey pages. The token in the URL is the only credential: every view
resolves it first; an unknown, expired or revoked token gets a plain explanation.

The pages that save answers take no CSRF check. A forged cross-site request would need the
token already, and with it could post directly; the browser's cookies grant nothing there.
A CSRF check would only add a way to lose answers: a phone or an app's browser that keeps
no cookie would get 403 on every save, a risk answer with them."""

from __future__ import annotations

from functools import wraps
from html import escape  # what Django's escape calls, without its lazy-text wrapper
from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.shortcuts import render as django_render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

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


def _languages() -> dict[str, str]:
    """The site's languages (English and every language with a catalog): code → own name."""
    return dict(settings.LANGUAGES)


def _language(request, assessment: Assessment) -> str:
    """The page language: a switch (?lang=) is remembered on the assessment, so it follows
    the mother to another device, and in a cookie for the error pages."""
    languages = _languages()
    chosen = request.GET.get("lang")
    if chosen in languages and chosen != assessment.language:
        Assessment.objects.filter(pk=assessment.pk).update(language=chosen)
        assessment.language = chosen
    wanted = chosen if chosen in languages else assessment.language or request.COOKIES.get(LANG_COOKIE)
    return wanted if wanted in languages else settings.LANGUAGE_CODE


def _lang_options(request, lang: str, keep: dict | None = None) -> list[dict]:
    """This page in each other language, keeping the (already checked) parameters it
    needs, such as the crisis page's ``next``."""
    return [{"code": code, "name": name, "url": f"{request.path}?{urlencode((keep or {}) | {'lang': code})}"}
            for code, name in _languages().items() if code != lang]


def render(request, template: str, context: dict, status: int = 200):
    """Render a participant page in its language (``context["lang"]``), whatever the
    browser asks for: the mother's choice is kept on her assessment."""
    with translation.override(context.get("lang") or settings.LANGUAGE_CODE):
        return django_render(request, template, context, status=status)


def _remember(response, request, lang: str):
    if request.GET.get("lang"):
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


def _with_pass(view):
    """A page of a valid link adds its assessment to the browser's pass (``throttle``): a
    mother who has opened her link keeps answering when her shared address is blocked."""

    @wraps(view)
    def wrapped(request, token, *args, **kwargs):
        response = view(request, token, *args, **kwargs)
        link = getattr(request, "survey_link", None)
        if link is not None:
            throttle.give_pass(response, request, link)
            carried = throttle.carried_pass(request)
            if carried and response.status_code == 302 and response["Location"].startswith(f"/s/{token}/") \
                    and not throttle.passes_by_cookie(request):
                # A browser without cookies takes its pass along to the page it is sent to:
                # after a risk answer that is the crisis page, which a blocked network must not hide.
                separator = "&" if "?" in response["Location"] else "?"
                response["Location"] += f"{separator}{urlencode({throttle.PASS_FIELD: carried})}"
        return response

    return wrapped


def _resolve(request, token):
    """(link, None) or (None, error response). A blocked address gets 429, except on the
    links of the assessments its browser's pass holds."""
    blocked = throttle.address_blocked(request)
    if (blocked and not throttle.passes(request)) or throttle.link_flooded(token):
        return None, _throttled(request)
    try:
        link = capture.resolve_token(token)
    except capture.InvalidLink as exc:
        if exc.reason == "unknown":
            throttle.record_failure(request)  # also from a blocked address holding a pass
        if blocked:
            return None, _throttled(request)
        lang = request.COOKIES.get(LANG_COOKIE, "en")
        return None, _message(request, lang, f"invalid_{exc.reason}", status=404 if exc.reason == "unknown" else 410)
    if blocked and not throttle.has_pass(request, link.assessment_id):
        return None, _throttled(request)
    request.survey_link = link
    return link, None


def _throttled(request):
    return _message(request, request.COOKIES.get(LANG_COOKIE, "en"), "throttled", status=429)


def _message(request, lang, key, status=200):
    lang = lang if lang in _languages() else settings.LANGUAGE_CODE
    t = texts(lang)
    return render(request, "survey/message.html", {"t": t, "lang": lang, "message": t[key]}, status=status)


def _page_items(inst, lang, answers):
    wording = load_wording(inst, lang)  # read once per page, not once per question
    not_applicable = texts(lang)["not_applicable"]
    items = []
    for item in inst.items:
        options = []
        official_options = (wording or {}).get("options", {}).get(item.id)
        for k, option in enumerate(item.options):
            label = official_options[k] if official_options else option.label.get(lang, option.label["en"])
            options.append({"value": str(option.value), "label": label})
        if item.na_allowed:
            options.append({"value": "na", "label": not_applicable})
        items.append({"id": item.id, "kind": item.kind, "text": item_text(inst, item.id, lang, wording=wording),
                      "options": options, "value": answers.get(item.id, ""), "field": f"item-{item.id}"})
    return items


def _questions_html(items: list[dict], open_placeholder: str) -> str:
    """The page's questions as HTML, built directly: a page of the infant temperament
    questionnaire has some 300 answer options, and Django's template loop over them was
    most of the time a mother waited for the page. Every text is escaped here."""
    parts = []
    number = 0
    for item in items:
        number += 1
        field = escape(item["field"])
        if item["kind"] == "text":
            parts.append(f'<div class="question">\n<label for="{field}" class="qtext">{escape(item["text"])}</label>\n'
                         f'<textarea id="{field}" name="{field}" rows="3" maxlength="{capture.TEXT_ANSWER_LIMIT}" '
                         f'placeholder="{escape(open_placeholder)}">'
                         f'{escape(item["value"])}</textarea>\n</div>')
            continue
        chosen = str(item["value"])
        options = "\n".join(
            f'<label class="option"><input type="radio" name="{field}" value="{escape(o["value"])}"'
            f'{" checked" if o["value"] == chosen else ""}> <span>{escape(o["label"])}</span></label>'
            for o in item["options"])
        parts.append(f'<fieldset class="question">\n<legend class="qtext"><span class="qnum">{number}.</span> '
                     f'{escape(item["text"])}</legend>\n{options}\n</fieldset>')
    return mark_safe("\n".join(parts))  # noqa: S308 — every part above is escaped


def _answers_html(rows: list[dict], not_answered: str) -> str:
    """A review section's questions and answers (the inside of its ``<dl>``), built directly
    like :func:`_questions_html`: the review lists every question of the battery. Every text
    is escaped here."""
    return mark_safe("".join(  # noqa: S308 — every part is escaped
        f"<dt>{escape(row['text'])}</dt><dd>{escape(row['answer'] or not_answered)}</dd>" for row in rows))


def _context(request, link, lang, **extra):
    assessment = link.assessment
    return {"t": texts(lang), "lang": lang, "token_assessment": assessment, "pages": len(assessment.instruments),
            "languages": _lang_options(request, lang, extra.pop("keep", None)), "link_pass": throttle.form_pass(link),
            **extra}


def _next_url(token: str, number: int, pages: int, back: bool) -> str:
    target = number - 1 if back else number + 1
    if target < 1:
        return reverse("survey:start", args=[token])
    if target > pages:
        return reverse("survey:review", args=[token])
    return reverse("survey:page", args=[token, target])


def _crisis_url(token: str, next_url: str, page: int) -> str:
    """The crisis page; ``page`` is the page whose answers led there, so its words fit them."""
    return f"{reverse('survey:support', args=[token])}?{urlencode({'next': next_url, 'page': page})}"


@_with_pass
@never_cache
def start(request, token):
    link, error = _resolve(request, token)
    if error:
        return error
    assessment = link.assessment
    lang = _language(request, assessment)
    if assessment.status == AssessmentStatus.COMPLETED:
        return _remember(redirect("survey:done", token=token), request, lang)
    response = render(request, "survey/start.html", _context(request, link, lang, token=token))
    return _remember(response, request, lang)


@csrf_exempt  # the token is the credential (module docstring)
@_with_pass
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
            switch = request.POST.get("lang")
            if switch in _languages():
                # The language switch submits the page: what she ticked is saved, and the
                # same page comes back in the other language (also without JavaScript).
                next_url = f"{reverse('survey:page', args=[token, number])}?{urlencode({'lang': switch})}"
            else:
                next_url = _next_url(token, number, len(assessment.instruments), back="back" in request.POST)
            if result.urgent:  # every time an urgent answer is saved, even if its alert exists
                crisis = _crisis_url(token, next_url, number)
                return redirect(f"{crisis}&{urlencode({'lang': switch})}" if switch in _languages() else crisis)
            return _remember(redirect(next_url), request, lang)
    else:
        saved = capture.current_answers(assessment, inst.id)
    t = texts(lang)
    context = _context(request, link, lang, token=token, number=number, instrument=inst,
                       recall_label=t["recall"].format(period=inst.recall_period.get(lang, inst.recall_period["en"])),
                       page_label=t["page_of"].format(page=number, pages=len(assessment.instruments)),
                       questions=_questions_html(_page_items(inst, lang, saved), t["open_placeholder"]),
                       error_message=error_message,
                       progress=round(100 * (number - 1) / len(assessment.instruments)))
    return _remember(render(request, "survey/page.html", context, status=400 if error_message else 200),
                     request, lang)


@csrf_exempt  # the token is the credential (module docstring)
@_with_pass
@never_cache
@require_POST
def answer(request, token, number):
    """Save one answer as it is chosen (the page's script calls this; the page's own
    form still saves everything without JavaScript). JSON: ``{"saved": true}``, plus
    ``"crisis_url"`` when the answers now meet an urgent rule."""
    link, error = _resolve(request, token)
    if error:
        lang = request.COOKIES.get(LANG_COOKIE, "en")
        return JsonResponse({"saved": False, "error": texts(lang)["unsaved"]}, status=error.status_code)
    assessment = link.assessment
    lang = _language(request, assessment)
    if assessment.status == AssessmentStatus.COMPLETED or not 1 <= number <= len(assessment.instruments):
        return JsonResponse({"saved": False, "error": texts(lang)["invalid_closed"]}, status=409)
    inst = library().get(assessment.instruments[number - 1])
    field = request.POST.get("item", "")
    item_id = field.removeprefix("item-")
    if not field.startswith("item-") or not inst.has_item(item_id):
        return JsonResponse({"saved": False, "error": texts(lang)["unsaved"]}, status=400)
    try:
        result = capture.save_answers(assessment, inst.id, {item_id: request.POST.get("value", "")})
    except DomainError as exc:
        return JsonResponse({"saved": False, "error": str(exc)}, status=400)
    body = {"saved": True}
    if result.urgent:
        # The help is shown on the page at once, where she can keep answering; the
        # crisis page itself follows when she saves the page.
        t = texts(lang)
        heading, intros = _support_texts(t, {"urgent": result.urgent_topics, "follow_up": set()})
        body["crisis_url"] = _crisis_url(token, reverse("survey:page", args=[token, number]), number)
        body["crisis_html"] = render_to_string("survey/_crisis_panel.html", {
            "heading": heading, "intros": intros, "resources": _resources(assessment.dyad.site, lang, t, urgent=True)})
    return JsonResponse(body)


def _support_texts(t: dict, topics: dict[str, set[str]], first: set[str] = frozenset()) -> tuple[str, list[str]]:
    """(heading, paragraphs) that fit the rules met: the topics of the page just saved
    (``first``) lead, then any other urgent topic; distress alone gets gentler words."""
    urgent = [x for x in ("self_harm", "infant_safety") if x in first] + \
             [x for x in ("self_harm", "infant_safety") if x in topics["urgent"] and x not in first]
    if urgent:
        return t[f"support_{urgent[0]}_title"], [t[f"support_{x}"] for x in urgent]
    return t["support_distress_title"], [t["support_distress"]]


def _resources(site, lang: str, t: dict, *, urgent: bool) -> list[dict]:
    """The services, labelled; after a high score alone, the support lines lead and the
    emergency and crisis numbers follow."""
    resources = crisis_resources(site, lang)
    if not urgent:
        resources.sort(key=lambda r: r["group"] in ("emergency", "crisis"))
    for r in resources:
        r["group_label"] = t.get(f"group_{r['group']}", "")
        r["call_label"] = t["call"].format(number=r.get("phone", ""))
        r["text_label"] = (t["text_word"].format(word=r["sms_body"], number=r["sms"]) if r.get("sms_body")
                           else t["text"].format(number=r.get("sms", "")))
    return resources


@_with_pass
@never_cache
def support(request, token):
    link, error = _resolve(request, token)
    if error:
        return error
    assessment = link.assessment
    lang = _language(request, assessment)
    next_url = request.GET.get("next", "")
    if not next_url.startswith(f"/s/{token}/") or "//" in next_url[1:]:
        next_url = reverse("survey:review", args=[token])
    t = texts(lang)
    page_topics = set()
    number = request.GET.get("page", "")
    if number.isdigit() and 1 <= int(number) <= len(assessment.instruments):
        page_topics = capture.safety_topics(assessment, [assessment.instruments[int(number) - 1]])["urgent"]
    heading, intros = _support_texts(t, capture.safety_topics(assessment), first=page_topics)
    keep = {"next": next_url} | ({"page": number} if page_topics else {})
    return _remember(render(request, "survey/support.html", _context(
        request, link, lang, token=token, next_url=next_url, heading=heading, intros=intros, keep=keep,
        resources=_resources(assessment.dyad.site, lang, t, urgent=True))), request, lang)


@csrf_exempt  # the token is the credential (module docstring)
@_with_pass
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
    t = texts(lang)
    sections = []
    saved = capture.every_current_answer(assessment)
    for number, instrument_id in enumerate(assessment.instruments, start=1):
        inst = library().get(instrument_id)
        answers = saved.get(instrument_id, {})
        rows, missing = [], []
        for position, item in enumerate(_page_items(inst, lang, answers), start=1):
            chosen = next((o["label"] for o in item["options"] if o["value"] == item["value"]), item["value"])
            rows.append({"text": item["text"], "answer": chosen})
            if not item["value"] and item["kind"] != "text":
                missing.append(str(position))
        name = t["feedback_name"] if inst.id == "feedback" else inst.short_name
        n_rated = sum(1 for item in inst.items if item.kind != "text")
        sections.append({"number": number, "name": name, "answers_html": _answers_html(rows, t["not_answered"]),
                         "missing": missing,
                         "summary": t["all_answered"] if not missing else
                         t["answered_of"].format(answered=n_rated - len(missing), total=n_rated),
                         "missing_label": t["unanswered_list"].format(questions=", ".join(missing)),
                         "edit_label": t["edit_section"].format(name=name)})
    return _remember(render(request, "survey/review.html", _context(request, link, lang, token=token,
                                                                     sections=sections, progress=100)),
                     request, lang)


@_with_pass
@never_cache
def done(request, token):
    link, error = _resolve(request, token)
    if error:
        return error
    assessment = link.assessment
    lang = _language(request, assessment)
    t = texts(lang)
    topics = capture.safety_topics(assessment)
    show = bool(topics["urgent"] or topics["follow_up"])
    heading, intros = _support_texts(t, topics)
    return _remember(render(request, "survey/done.html", _context(
        request, link, lang, token=token, show_support=show, heading=heading, intros=intros,
        resources=_resources(assessment.dyad.site, lang, t, urgent=bool(topics["urgent"])) if show else [])),
        request, lang)
