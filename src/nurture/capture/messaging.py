"""Messages to mothers: survey links and reminders (Django email backend)."""

from __future__ import annotations

import datetime as dt

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from nurture.accounts import audit, scoping
from nurture.accounts.enums import AuditAction
from nurture.common.errors import DomainError

from .enums import AssessmentStatus
from .models import Assessment, MessageLog, SurveyLink

SUBJECT = {"en": "Your Nurturing Connections questionnaire", "es": "Su cuestionario de Nurturing Connections"}
BODY = {
    "en": "Hello,\n\nYour questionnaire is ready. Open it on your phone or computer with this private link:\n{url}\n\n"
          "Please do not share the link. Thank you,\nthe Nurturing Connections team\n",
    "es": "Hola:\n\nSu cuestionario está listo. Ábralo en su teléfono o computadora con este enlace privado:\n{url}\n\n"
          "Por favor, no comparta el enlace. Gracias,\nel equipo de Nurturing Connections\n",
}
REMINDER = {
    "en": "Hello,\n\nA reminder from Nurturing Connections: your questionnaire {when}. Use the link we sent you, "
          "or this new private link:\n{url}\n\nThank you.\n",
    "es": "Hola:\n\nUn recordatorio de Nurturing Connections: su cuestionario {when}. Use el enlace que le "
          "enviamos o este nuevo enlace privado:\n{url}\n\nGracias.\n",
}
WHEN = {"opens": {"en": "is ready to fill in", "es": "ya está listo para responder"},
        "closes": {"en": "closes in a few days", "es": "se cierra en unos días"}}


def _mother_email(assessment: Assessment) -> str:
    from nurture.participants.models import MotherIdentifiers

    ids = MotherIdentifiers.objects.filter(mother_id=assessment.dyad.mother_id).first()
    return ids.email if ids else ""


def email_new_link(by, assessment: Assessment) -> tuple[str, SurveyLink]:
    """Issue a new private link and email it to the mother; returns the address and the link.

    The link is built here from the site address — never taken from a browser — so a
    message can only ever point at this server. Side effects: a SurveyLink row and its
    audit entry (``issue_link``), the email, a MessageLog row, an audit entry naming the
    recipient and the link.
    """
    from .domain import issue_link, survey_url

    scoping.check_manage(by, assessment.dyad.site_id)
    address = _mother_email(assessment)
    if not address:
        raise DomainError("No email address is recorded for this mother.")
    lang = assessment.language if assessment.language in SUBJECT else "en"
    with transaction.atomic():
        link, token = issue_link(by, assessment)
        send_mail(SUBJECT[lang], BODY[lang].format(url=survey_url(token)), None, [address])
        MessageLog.objects.create(kind=f"link:{link.pk}", assessment=assessment, recipient=address,
                                  subject=SUBJECT[lang])
        audit.record(by, AuditAction.UPDATE, assessment, site_id=assessment.dyad.site_id,
                     after={"recipient": address, "link_id": link.pk},
                     summary=f"Emailed survey link {link.pk} for {assessment} to {address}")
    return address, link


def send_reminders(now: dt.datetime | None = None) -> list[MessageLog]:
    """Remind mothers whose window opens today (or opened in the last 3 days) or closes
    within 3 days. Each reminder is sent once and logged."""

    from .domain import issue_link, survey_url

    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = []
    candidates = Assessment.objects.filter(status__in=list(AssessmentStatus.open())).select_related("dyad__study")
    for assessment in candidates:
        if assessment.window_opens <= today <= assessment.window_opens + dt.timedelta(days=3):
            kind = "reminder:opens"
        elif today <= assessment.window_closes <= today + dt.timedelta(days=3):
            kind = "reminder:closes"
        else:
            continue
        address = _mother_email(assessment)
        if not address or MessageLog.objects.filter(kind=kind, assessment=assessment, recipient=address).exists():
            continue
        lang = assessment.language if assessment.language in SUBJECT else "en"
        try:
            with transaction.atomic():
                log = MessageLog.objects.create(kind=kind, assessment=assessment, recipient=address,
                                                subject=SUBJECT[lang])
                _, token = issue_link(None, assessment, now)
                body = REMINDER[lang].format(when=WHEN[kind.split(":")[1]][lang], url=survey_url(token))
                send_mail(SUBJECT[lang], body, None, [address])
        except IntegrityError:
            continue  # another run sent it first
        sent.append(log)
    return sent
