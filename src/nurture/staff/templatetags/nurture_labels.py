"""Human labels for stored codes (``{% load nurture_labels %}``): see ``nurture.staff.labels``."""

from django import template

from nurture.staff import labels

register = template.Library()
register.filter("instrument_label", labels.instrument_label)
register.filter("instrument_name", labels.instrument_name)


@register.filter
def scale_label(scale_id, instrument_id):
    return labels.scale_label(instrument_id, scale_id)


@register.filter
def subject_label(subject, instrument_id):
    return labels.subject_label(instrument_id, subject)


@register.simple_tag
def answer_label(instrument_id, item_id, value):
    return labels.option_label(instrument_id, item_id, value)
