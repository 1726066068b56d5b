"""Formatting for display, in one place (templates, reports and the CLI use these)."""

from __future__ import annotations

import datetime as dt
import math


def fmt_date(value: dt.date | None) -> str:
    return value.strftime("%a %d %b %Y") if value else "—"


def fmt_short_date(value: dt.date | None) -> str:
    return value.strftime("%d %b") if value else "—"


def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value)


def fmt_percent(part: int | float, whole: int | float, digits: int = 0) -> str:
    if not is_number(part) or not is_number(whole) or not whole:
        return "—"
    return f"{100 * part / whole:.{digits}f}%"


def fmt_number(value: float | None, digits: int = 2) -> str:
    """A number to ``digits`` decimals; an absent value (None, NaN, or a template's "") is a dash."""
    if not is_number(value):
        return "—"
    return f"{value:.{digits}f}"


def fmt_p(p: float | None) -> str:
    """APA style: no leading zero, three decimals, ``< .001`` for small values."""
    if not is_number(p):
        return "—"
    if p < 0.001:
        return "< .001"
    text = f"{p:.3f}"
    return text[1:] if text.startswith("0") else text


def fmt_ci(lo: float | None, hi: float | None, digits: int = 2) -> str:
    """APA style interval: ``[lo, hi]``."""
    if not is_number(lo) or not is_number(hi):
        return "—"
    return f"[{fmt_number(lo, digits)}, {fmt_number(hi, digits)}]"
