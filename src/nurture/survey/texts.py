"""Interface text of the participant pages, through the translation catalogs.

The English words are the message ids; every other language comes from its catalog
(``src/nurture/locale/<lang>/LC_MESSAGES/django.po``, or a site's own), so a site adds a
language without touching this file. The crisis words are kept together here because
they are chosen by the rule an answer met (``survey.views._support_texts``); the
services' names, numbers and notes are facts from the services themselves and live in
``safety.models.DEFAULT_CRISIS_RESOURCES`` (per language) or the site's own list.
"""

import functools

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

TEXTS = {
    "title": _("Nurturing Connections questionnaires"),
    "welcome": _("Thank you for taking part. These questions ask how you and your baby have been. There are no "
                 "right or wrong answers. Your answers are saved on every page, so you can stop and come back "
                 "later with the same link, on any device."),
    "start": pgettext_lazy("survey", "Start"), "continue": _("Save and continue"), "back": _("Save and go back"),
    "review": _("Review answers"),
    "page_of": _("Page {page} of {pages}"), "recall": _("Thinking about {period}:"),
    "skip_note": _("You may leave a question blank if you prefer not to answer."),
    "review_title": _("Check your answers"), "review_intro": _("You can change any page before you send."),
    "not_answered": _("not answered"), "edit": _("Change"), "submit": _("Send my answers"),
    "done_title": pgettext_lazy("survey", "Thank you"),
    "done": _("Your answers have been sent. You can close this page."),
    "support_continue": _("Continue with the questions"),
    "invalid_unknown": _("This link is not valid. Please check that you copied the whole link, or ask your "
                         "program coordinator for a new one."),
    "invalid_expired": _("This link has expired. Please ask your program coordinator for a new one."),
    "invalid_revoked": _("This link is no longer active. Please ask your program coordinator for a new one."),
    "invalid_closed": _("This questionnaire is closed. Thank you."),
    "throttled": _("Too many attempts from this network. Please wait a few minutes and try again."),
    "error_intro": _("Please check the answer marked below."),
    "open_placeholder": _("Write your answer here (optional)"),
    "saved": _("Answer saved."), "unsaved": _("Not saved yet: your answers on this page are kept when you press "
                                              "the button below."),
    "support_self_harm_title": _("You are not alone"),
    "support_self_harm": _("Thank you for telling us how you feel. Someone from our team will contact you soon. "
                           "If you might act on thoughts of harming yourself, or you feel unsafe right now, "
                           "please reach out now:"),
    "support_infant_safety_title": _("Help is here for you and your baby"),
    "support_infant_safety": _("Thank you for your honest answers. Caring for a baby can feel overwhelming, and "
                               "many mothers have moments like this. Someone from our team will contact you "
                               "soon. If you feel you might hurt your baby, or your baby is in danger right now, "
                               "put your baby somewhere safe, such as the crib, and call for help now:"),
    "support_distress_title": _("We are here for you"),
    "support_distress": _("Your answers tell us this has been a hard time. Someone from our team will contact "
                          "you to see how you are. If you would like to talk with someone sooner:"),
    "group_emergency": _("In danger right now"), "group_crisis": _("Crisis line, any time"),
    "group_maternal": _("Support for mothers, any time (not a crisis line)"),
    "group_support": _("Support line (not a crisis line)"),
    "call": _("Call {number}"), "text": _("Text {number}"), "text_word": _("Text {word} to {number}"),
    # Added with the catalogs: the review in one summary per questionnaire, the progress bar
    # and the language switch that saves the page first.
    "not_applicable": _("Does not apply"),
    "feedback_name": _("About the program"),
    "answered_of": _("{answered} of {total} answered"),
    "all_answered": _("All answered"),
    "unanswered_list": _("Not answered: {questions}"),
    "edit_section": _("Change answers: {name}"),
    # xgettext:no-python-format
    "progress": _("{percent}% done"),
    "language_label": _("Language"),
    "show_answers": _("Show my answers"),
}


def texts(language: str) -> dict[str, str]:
    """Every text of the participant pages in ``language`` (English where the catalog has none).

    Translated once per language and process (Django too reads a catalog once per process),
    then copied, so a caller that changes its dict changes nobody else's.
    """
    return dict(_translated(language))


@functools.lru_cache(maxsize=32)
def _translated(language: str) -> dict[str, str]:
    with translation.override(language):
        return {key: str(value) for key, value in TEXTS.items()}
