"""Human labels for the codes the data keeps: instruments, scales, answers, safety
subjects — in the page's language where the instrument definition has it, English
otherwise. Templates use them through ``{% load nurture_labels %}``."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from nurture.instruments import library


def _lang_text(texts: dict[str, str] | str) -> str:
    if isinstance(texts, str):
        return texts
    lang = (translation.get_language() or "en").split("-")[0]
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")


def _instrument(instrument_id: str):
    lib = library()
    return lib.get(instrument_id) if instrument_id in lib else None


def instrument_label(instrument_id: str) -> str:
    """``epds`` → ``EPDS``; an instrument not in the library keeps its id, upper-cased."""
    inst = _instrument(instrument_id)
    if inst is None:
        return instrument_id.upper()
    return _("Program feedback") if inst.id == "feedback" else inst.short_name


def instrument_name(instrument_id: str) -> str:
    """The full name: ``Edinburgh Postnatal Depression Scale``."""
    inst = _instrument(instrument_id)
    return inst.name if inst else instrument_id.upper()


def scale_label(instrument_id: str, scale_id: str) -> str:
    """``epds``, ``anxiety_3a`` → the scale's own name (``Anxiety subscale (items 3, 4, 5)``)."""
    inst = _instrument(instrument_id)
    try:
        return _lang_text(inst.scale(scale_id).name) if inst else scale_id
    except KeyError:
        return scale_id


def option_label(instrument_id: str, item_id: str, value: str) -> str:
    """An answer code with its label: ``2 · Sometimes``; blank → "blank", ``na`` → does not apply."""
    if value in ("", None):
        return _("blank")
    if value == "na":
        return _("does not apply")
    inst = _instrument(instrument_id)
    if inst is None or not inst.has_item(item_id):
        return str(value)
    item = inst.item(item_id)
    for option in item.options:
        if str(option.value) == str(value):
            return f"{value} · {_lang_text(option.label)}"
    return str(value)


def item_label(instrument_id: str, item_id: str) -> str:
    """``item 10 · <our label of the item>``."""
    inst = _instrument(instrument_id)
    if inst is None or not inst.has_item(item_id):
        return _("item %(item)s") % {"item": item_id}
    return _("item %(item)s · %(label)s") % {"item": item_id, "label": _lang_text(inst.item(item_id).label)}


def subject_label(instrument_id: str, subject: str) -> str:
    """A safety rule's subject (``item 10``, ``scale total``) in words."""
    kind, _sep, ident = (subject or "").partition(" ")
    if kind == "item":
        return item_label(instrument_id, ident)
    if kind == "scale":
        return scale_label(instrument_id, ident)
    return subject
