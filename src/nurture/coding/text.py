"""Splitting text into segments and removing identifiers before coders or readers see it.

Plain Python (no Django). Redaction replaces every known name (the study's mothers,
infants and staff), e-mail addresses, phone numbers and street addresses; it is the
one policy used for what coders see and for exemplar quotes in reports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
PHONE = re.compile(r"(?<!\w)(\+?\d[\d\s().-]{6,}\d)(?!\w)")
STREET = re.compile(r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|"
                    r"Boulevard|Blvd|Court|Ct|Way|Place|Pl|Calle|Avenida)\b\.?")
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# Words that are also common given names in our demo lists but are ordinary words in text.
NOT_NAMES = frozenset({"may", "grace", "rose", "rosa", "will", "faith", "hope", "joy", "sam", "ava", "eli", "rae"})


def name_pattern(names: Iterable[str]) -> re.Pattern | None:
    """One case-insensitive, whole-word pattern for every name of two letters or more."""
    tokens = set()
    for name in names:
        for part in re.split(r"[\s,]+", name or ""):
            part = part.strip(".'’")
            if len(part) >= 2:
                tokens.add(part)
    if not tokens:
        return None
    ordered = sorted(tokens, key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(t) for t in ordered) + r")(?!\w)", re.IGNORECASE)


def redact(text: str, names: re.Pattern | None) -> str:
    """Replace names, e-mail addresses, phone numbers and street addresses with placeholders.

    A name that is also an ordinary English word (``Grace``, ``May``) is replaced only
    where it is capitalised mid-sentence or stands alone, to keep "by the grace of" readable.
    """
    text = EMAIL.sub("[email]", text)
    text = STREET.sub("[address]", text)
    text = PHONE.sub(lambda m: "[phone]" if sum(c.isdigit() for c in m.group(0)) >= 7 else m.group(0), text)
    if names is not None:
        def replace(match: re.Match) -> str:
            word = match.group(0)
            if word.lower() in NOT_NAMES and not word[:1].isupper():
                return word
            return "[name]"

        text = names.sub(replace, text)
    return text


def split_segments(text: str) -> list[str]:
    """Paragraphs (separated by a blank line) become segments; blank ones are dropped.

    An open answer is usually one paragraph and so one segment; in a transcript each
    speaker turn is written as its own paragraph.
    """
    parts = [" ".join(p.split()) for p in PARAGRAPH_BREAK.split(text.replace("\r\n", "\n"))]
    return [p for p in parts if p]
