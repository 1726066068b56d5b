"""Template access to the one set of display formatters in ``nurture.common.formatting``."""

from django import template

from nurture.common import formatting

register = template.Library()
register.filter("nice_date", formatting.fmt_date)
register.filter("short_date", formatting.fmt_short_date)
register.filter("p_value", formatting.fmt_p)


@register.filter
def percent_of(part, whole):
    return formatting.fmt_percent(part, whole)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None
