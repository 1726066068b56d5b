"""Template filters over ``nurture.common.formatting`` — used by the staff pages and the reports."""

from django import template

from . import formatting

register = template.Library()
register.filter("p_value", formatting.fmt_p)


@register.filter
def nice_date(value):
    """``Mon 05 Jan 2026`` — day and month names in the page's language."""
    from django.utils.dateformat import format as date_format

    return date_format(value, "D d M Y") if value else "—"


@register.filter
def short_date(value):
    from django.utils.dateformat import format as date_format

    return date_format(value, "d M") if value else "—"


@register.filter
def mode_label(value):
    """A delivery mode's label (``online`` → Online)."""
    from nurture.program.enums import DeliveryMode

    try:
        return DeliveryMode(value).label
    except ValueError:
        return value


@register.filter
def percent_of(part, whole):
    return formatting.fmt_percent(part, whole)


@register.filter
def pct(share, digits=0):
    """A share (0–1) as a percentage."""
    return formatting.fmt_percent(share, 1, int(digits))


@register.filter
def num(value, digits=2):
    return formatting.fmt_number(value, int(digits))


@register.filter
def ci(interval, digits=2):
    if not interval or len(interval) != 2:
        return "—"
    return formatting.fmt_ci(interval[0], interval[1], int(digits))


@register.filter
def pct_ci(interval):
    if not interval or not all(formatting.is_number(v) for v in interval):
        return "—"
    return f"[{100 * interval[0]:.0f}%, {100 * interval[1]:.0f}%]"


@register.filter
def language_name(code):
    """A language code as the language's own name ("es" → "Español")."""
    from nurture.common.catalogs import language_name as name

    return name(code) if code else "—"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None
