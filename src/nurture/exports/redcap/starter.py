"""The starter mapping: a proposal, from the data dictionary alone, for a person to check.

Instruments are proposed by structure — the number of rated fields and the number of
choices of each — and never by name alone: a form is proposed as an instrument only
when its structure fits *and* either its name (form or field names) or its choice
labels point to that instrument. So a 10-item Perceived Stress Scale named ``pss_*``
is not taken for Nurture's 18-item Parental Stress Scale, and an unnamed 7-item form
is not taken for the GAD-7 unless its labels are the GAD-7's.

Items are matched by the number in the field name when the numbers are exactly the
instrument's item numbers, else by order. Where a field's codes differ from the item's
coding, a ``values:`` block is proposed (from the labels when they name the answers,
else by position) and marked CHECK; the import refuses it until a mapping file
confirms it. Two administrations in separate fields (``epds_1`` and ``epds_1_fu``)
get timepoints from their names. Events are guessed from their names; an event that
fits no timepoint, or two events that fit the same one, are left for the user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nurture.instruments import Library, library
from nurture.instruments.model import Instrument

from .common import MISSING_CODES, NOT_DATA
from .dictionary import Dictionary, Field, compare_coding, label_values
from .mapping import Mapping, Target

PRE_NAME = re.compile(r"(^|[^a-z])(pre|base|baseline|entry|intake|t1|time_?1|visit_?1|bl)([^a-z]|$)", re.I)
POST_NAME = re.compile(r"(^|[^a-z])(post|follow|followup|fu|exit|end|t2|time_?2|visit_?2|12_?w\w*|8_?w\w*)([^a-z]|$)",
                       re.I)
NUMBER = re.compile(r"(\d+)(?!.*\d)")  # the last number in a name


@dataclass
class Group:
    form: str
    stem: str  # the field name with its item number replaced by '#', or the form name
    fields: list[Field]
    numbers: list[str | None]

    @property
    def label(self) -> str:
        return f"form {self.form!r}" + (f" fields {self.stem}" if "#" in self.stem else "")


def _guess_timepoint(text: str) -> str | None:
    pre, post = bool(PRE_NAME.search(text)), bool(POST_NAME.search(text))
    if pre == post:
        return None
    return "pre" if pre else "post"


def guess_events(events: list[str], mapping: Mapping) -> None:
    guesses: dict[str, list[str]] = {}
    for event in events:
        timepoint = _guess_timepoint(event.removesuffix("_arm_1").replace("arm_", "arm"))
        if timepoint is None:
            mapping.event_notes[event] = "its name fits no timepoint"
        else:
            guesses.setdefault(timepoint, []).append(event)
    for timepoint, names in guesses.items():
        if len(names) == 1:
            mapping.events[names[0]] = timepoint
        else:
            for name in names:
                mapping.event_notes[name] = f"{len(names)} events look like {timepoint}"


def _groups(dictionary: Dictionary) -> list[Group]:
    groups: dict[tuple[str, str], Group] = {}
    for f in dictionary:
        if f.type in NOT_DATA or f.type == "checkbox" or not f.has_choices:
            continue
        match = NUMBER.search(f.name)
        if match:
            stem = f.name[:match.start()] + "#" + f.name[match.end():]
            number = str(int(match.group(1)))
        else:
            stem, number = f.form, None
        group = groups.setdefault((f.form, stem), Group(f.form, stem, [], []))
        group.fields.append(f)
        group.numbers.append(number)
    return list(groups.values())


def _name_hints(inst: Instrument) -> set[str]:
    hints = {inst.id.lower(), re.sub(r"[^a-z0-9]", "", inst.short_name.lower())}
    hints |= {w for w in re.findall(r"[a-z]+", inst.name.lower()) if len(w) >= 6}
    return {h for h in hints if len(h) >= 3}


def _named(group: Group, inst: Instrument) -> bool:
    text = re.sub(r"[^a-z0-9]", " ", f"{group.form} {group.stem}".lower())
    squashed = text.replace(" ", "")
    return any(h in squashed if len(h) >= 5 or h == inst.id else h in text.split() for h in _name_hints(inst))


def _fits(group: Group, inst: Instrument) -> list | None:
    """The instrument's rated items in the group's order, when the group's structure is the instrument's."""
    rated = list(inst.rated_items)
    if len(group.fields) != len(rated):
        return None
    ids = [i.id for i in rated]
    if all(n is not None for n in group.numbers) and sorted(group.numbers, key=int) == sorted(ids, key=int) \
            and len(set(group.numbers)) == len(ids):
        items = [inst.item(n) for n in group.numbers]
    else:
        items = rated
    for f, item in zip(group.fields, items, strict=True):
        scored = [c for c in f.codes if c not in MISSING_CODES and c.lower() != "na"]
        if len(scored) != len(item.values):
            return None
    return items


def _labels_agree(group: Group, items) -> bool:
    return all(all(label_values(item, lab) for _, lab in f.choices if lab) for f, item in zip(group.fields, items,
                                                                                              strict=True))


def starter_mapping(dictionary: Dictionary, events: list[str], lib: Library | None = None) -> Mapping:
    """A proposed mapping (see the module docstring). ``explicit`` is False: proposals need checking."""
    lib = lib or library()
    mapping = Mapping(record_id=dictionary.first, repeat="last", explicit=False)
    guess_events(events, mapping)
    candidates = [inst for inst in lib if not inst.structure_only and inst.rated_items]
    proposals: list[tuple[Group, Instrument, list]] = []
    for group in _groups(dictionary):
        fits = [(inst, items) for inst in candidates if (items := _fits(group, inst)) is not None]
        chosen = [(inst, items) for inst, items in fits if _named(group, inst)]
        if not chosen:
            chosen = [(inst, items) for inst, items in fits if _labels_agree(group, items)]
        fitted = {inst.id for inst, _ in fits}
        named_only = [inst for inst in candidates if inst.id not in fitted and _named(group, inst)]
        if len(chosen) == 1:
            proposals.append((group, *chosen[0]))
        elif len(chosen) > 1:
            mapping.notes.append(f"{group.label}: fits {', '.join(i.short_name for i, _ in chosen)}; map it "
                                 "by hand")
        elif named_only and len(group.fields) > 1:
            inst = named_only[0]
            mapping.notes.append(f"{group.label}: named like {inst.short_name} but has {len(group.fields)} rated "
                                 f"fields; Nurture's {inst.short_name} ({inst.name}) has {len(inst.rated_items)} "
                                 "items: not mapped")
    # Two administrations of one instrument in separate fields: timepoints from their names.
    by_instrument: dict[str, list[tuple[Group, Instrument, list]]] = {}
    for proposal in proposals:
        by_instrument.setdefault(proposal[1].id, []).append(proposal)
    for inst_id, found in by_instrument.items():
        timepoints: list[str | None] = [None] * len(found)
        if len(found) > 1:
            timepoints = [_guess_timepoint(f"{g.form} {g.stem}") for g, _, _ in found]
            if None in timepoints or len(set(timepoints)) != len(timepoints):
                mapping.notes.append(f"{inst_id}: {len(found)} sets of fields ("
                                     f"{'; '.join(g.label for g, _, _ in found)}) and their names do not say which "
                                     "timepoint each is: map them by hand with timepoint:")
                continue
        for (group, inst, items), timepoint in zip(found, timepoints, strict=True):
            _propose_group(mapping, dictionary, group, inst, items, timepoint)
    return mapping


def _propose_group(mapping: Mapping, dictionary: Dictionary, group: Group, inst: Instrument, items,
                   timepoint: str | None) -> None:
    for f, item in zip(group.fields, items, strict=True):
        check = compare_coding(f, item, mapping.missing_codes)
        target = Target(inst.id, item.id, timepoint=timepoint)
        if not check.ok:
            target.values = check.proposal
            target.comment = check.problem + (f"; proposed by {check.basis}" if check.proposal else
                                              "; no proposal: write values: by hand")
            mapping.unconfirmed.add(f.name)
        mapping.fields[f.name] = target
    # Open questions keep their ids in Nurture's own REDCap export (feedback_open_helpful).
    for item in inst.items:
        name = f"{inst.id}_{item.id}"
        if item.kind == "text" and timepoint is None and name in dictionary \
                and dictionary[name].type in ("text", "notes"):
            mapping.fields.setdefault(name, Target(inst.id, item.id))
