"""The redaction policy (``nurture.accounts.redaction``) in templates.

``{% free_text value %}`` shows staff-typed free text, or a withheld marker to researchers.
``{% study_date value dyad %}`` / ``{% study_date value cohort %}`` shows a date (or a
time, with ``time=True``) as usual, or to researchers as "day N" from the participant's
enrollment or the cohort's start.
"""

from django import template
from django.utils import timezone

from nurture.accounts import redaction
from nurture.common import formatting

register = template.Library()


def _policy(context) -> redaction.Policy:
    policy = context.get("redaction_policy")
    if policy is None:
        request = context.get("request")
        policy = redaction.policy_for(getattr(request, "user", None))
    return policy


@register.simple_tag(takes_context=True)
def free_text(context, value):
    return redaction.text(_policy(context), value)


@register.simple_tag(takes_context=True)
def study_date(context, value, anchor_of, time=False, short=False):
    if value is None or value == "":
        return ""
    if _policy(context).exact_dates:
        if time:
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        if hasattr(value, "hour"):
            value = timezone.localdate(value)
        return formatting.fmt_short_date(value) if short else formatting.fmt_date(value)
    from nurture.program.models import Cohort

    anchor = (redaction.cohort_anchor(anchor_of) if isinstance(anchor_of, Cohort)
              else redaction.dyad_anchor(anchor_of))
    days = redaction.day_offset(value, anchor)
    return "day ?" if days is None else f"day {days}"
