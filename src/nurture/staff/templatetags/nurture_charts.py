"""Small inline SVG bar charts for the evaluation page (``{% load nurture_charts %}``):
no script, a text alternative for screen readers, one bar per value."""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()

WIDTH, HEIGHT, GAP = 240, 60, 2


@register.simple_tag
def bar_chart(values, labels, description, *, maximum=None):
    """Bars for ``values`` (numbers, None drawn as nothing) under ``description`` (the
    chart's text alternative); ``labels`` name each bar in its tooltip."""
    values = list(values)
    if not values:
        return ""
    top = maximum if maximum is not None else max([v for v in values if v is not None] or [0]) or 1
    width = (WIDTH - GAP * (len(values) - 1)) / len(values)
    bars = []
    for i, (value, label) in enumerate(zip(values, labels, strict=True)):
        height = 0 if value is None else max(1.0, HEIGHT * value / top) if value else 0
        bars.append((f"{i * (width + GAP):.1f}", f"{HEIGHT - height:.1f}", f"{width:.1f}", f"{height:.1f}", label))
    rects = format_html_join("", '<rect x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>', bars)
    return format_html('<svg class="spark" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="{}">'
                       '<line x1="0" y1="{}" x2="{}" y2="{}" class="base"/>{}</svg>',
                       WIDTH, HEIGHT + 1, WIDTH, HEIGHT + 1, description, HEIGHT + 0.5, WIDTH, HEIGHT + 0.5, rects)
