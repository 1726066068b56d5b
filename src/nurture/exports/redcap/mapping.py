"""The mapping file: which REDCap field is which instrument item, at which timepoint.

```yaml
record_id: record_id          # REDCap's record key (default: the dictionary's first field)
participant_id: study_id      # optional: a field holding the Nurture study id
events: {baseline_arm_1: pre, followup_arm_1: post, month_6_arm_1: skip}
repeat: last                  # several instances of a repeating form: error, first or last
missing_codes: [UNK, NASK]    # REDCap missing-data codes (default: REDCap's standard list)
fields:
  epds_1: {instrument: epds, item: 1}
  epds_3: {instrument: epds, item: 3, values: {3: 0, 2: 1, 1: 2, 0: 3}}
  epds_fu_1: {instrument: epds, item: 1, timepoint: post}   # a second administration in its own fields
  staff_notes: skip
```

Keys are checked (a typo is refused with a suggestion, never ignored); YAML integer
keys and values (``3: 0``) work as well as quoted ones. ``values:`` maps REDCap codes to
the item's coding; a code mapped to ``null`` is an unanswered item.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from nurture.instruments import Library, library

from .common import MISSING_CODES, RedcapError, read_text

TOP_KEYS = ("record_id", "participant_id", "events", "repeat", "missing_codes", "fields")
FIELD_KEYS = ("instrument", "item", "values", "timepoint")
SKIP = "skip"


@dataclass
class Target:
    instrument: str
    item: str
    values: dict[str, str | None] | None = None  # REDCap code -> item value ("0"…, "na") or None (unanswered)
    timepoint: str | None = None  # overrides the event's timepoint (separate-field administrations)
    comment: str = ""  # written beside the entry by --write-map

    def describe(self) -> str:
        text = f"{self.instrument} item {self.item}"
        if self.timepoint:
            text += f" ({self.timepoint})"
        if self.values is not None:
            text += " (values mapped)"
        return text


@dataclass
class Mapping:
    record_id: str | None = None  # None: the first field of the data dictionary, as in REDCap
    participant_id: str | None = None
    events: dict[str, str] = field(default_factory=dict)  # event -> timepoint or "skip"
    fields: dict[str, Target | None] = field(default_factory=dict)  # None: skip the field
    repeat: str = "error"
    missing_codes: list[str] = field(default_factory=lambda: list(MISSING_CODES))
    explicit: bool = True  # read from a file: its values: maps are the user's word
    unconfirmed: set[str] = field(default_factory=set)  # starter proposals that need a person's check
    notes: list[str] = field(default_factory=list)  # what the starter mapping could not decide
    event_notes: dict[str, str] = field(default_factory=dict)  # events left open, and why

    def targets(self) -> dict[str, Target]:
        return {name: t for name, t in self.fields.items() if t is not None}

    def to_yaml(self) -> str:
        """The mapping as a commented YAML file (what --write-map writes)."""
        q = json.dumps  # a JSON string is a valid YAML scalar, quoted safely
        out = ["# Nurture mapping of REDCap fields to instrument items (nurture import-redcap --map FILE).",
               "# See docs/data-formats.md. Lines marked CHECK were proposed from the data dictionary:",
               "# compare them with the REDCap form before importing with this file."]
        out += [f"# note: {n}" for n in self.notes]
        out.append(f"record_id: {q(self.record_id) if self.record_id else 'null'}")
        if self.participant_id:
            out.append(f"participant_id: {q(self.participant_id)}")
        out.append("events:" if self.events or self.event_notes else "events: {}")
        for event, timepoint in self.events.items():
            out.append(f"  {q(event)}: {q(timepoint)}")
        for event, why in self.event_notes.items():
            out.append(f"  # {q(event)}: ?   # {why}: write pre, post or skip")
        out.append(f"repeat: {self.repeat}")
        out.append(f"missing_codes: [{', '.join(q(c) for c in self.missing_codes)}]")
        out.append("fields:" if self.fields else "fields: {}")
        for name, target in self.fields.items():
            if target is None:
                out.append(f"  {q(name)}: skip")
                continue
            parts = [f"instrument: {target.instrument}", f"item: {q(target.item)}"]
            if target.timepoint:
                parts.append(f"timepoint: {target.timepoint}")
            if target.values is not None:
                values = ", ".join(f"{q(k)}: {'null' if v is None else q(v)}" for k, v in target.values.items())
                parts.append(f"values: {{{values}}}")
            comment = f"  # {target.comment}" if target.comment else ""
            if name in self.unconfirmed:
                comment = f"  # CHECK: {target.comment}" if target.comment else "  # CHECK"
            out.append(f"  {q(name)}: {{{', '.join(parts)}}}{comment}")
        return "\n".join(out) + "\n"


def _suggest(key: str, allowed) -> str:
    close = difflib.get_close_matches(str(key), list(allowed), n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (allowed: {', '.join(allowed)})"


def _scalar(value) -> str:
    """A YAML key or value as text: 3, '3' and 3.0 are all the code "3"."""
    if isinstance(value, bool):
        raise TypeError("a yes/no value is not a code")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int | float | str):
        return str(value).strip()
    raise TypeError(f"{value!r} is not a code")


def load_mapping(path: Path, lib: Library | None = None) -> Mapping:
    """Read and check a mapping file. Every problem names the file and the key."""
    lib = lib or library()
    raw, name = read_text(path)
    try:
        data = yaml.safe_load(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise RedcapError("is not UTF-8 text", file=name) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RedcapError(f"is not valid YAML ({getattr(exc, 'problem', None) or exc})", file=name,
                          row=mark.line + 1 if mark else None) from None

    def refuse(where: str, problem: str):
        raise RedcapError(f"{where}: {problem}", file=name)

    if not isinstance(data, dict):
        refuse("the file", "must be a mapping with a 'fields' section")
    for key in data:
        if key not in TOP_KEYS:
            refuse(str(key), "is not a mapping key" + _suggest(key, TOP_KEYS))
    fields = data.get("fields")
    if not isinstance(fields, dict) or not fields:
        refuse("fields", "must map REDCap fields to {instrument, item} (or skip)")
    repeat = data.get("repeat", "error")
    if repeat not in ("error", "first", "last"):
        refuse("repeat", f"must be error, first or last, not {repeat!r}")
    mapping = Mapping(repeat=repeat, explicit=True)
    for key in ("record_id", "participant_id"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            refuse(key, "must be a field name")
        setattr(mapping, key, value.strip() if isinstance(value, str) else None)
    events = data.get("events") or {}
    if not isinstance(events, dict):
        refuse("events", "must map REDCap event names to a timepoint or skip")
    for event, timepoint in events.items():
        if not isinstance(timepoint, str) or not timepoint.strip():
            refuse(f"events.{event}", "must be a timepoint (pre, post) or skip")
        mapping.events[str(event).strip()] = timepoint.strip()
    codes = data.get("missing_codes", MISSING_CODES)
    if not isinstance(codes, list):
        refuse("missing_codes", "must be a list of codes")
    try:
        mapping.missing_codes = [_scalar(c) for c in codes]
    except TypeError as exc:
        refuse("missing_codes", str(exc))
    for variable, target in fields.items():
        where = f"fields.{variable}"
        variable = str(variable).strip()
        if target == SKIP or target is None:
            mapping.fields[variable] = None
            continue
        if not isinstance(target, dict):
            refuse(where, "must be {instrument: ID, item: N} or skip")
        for key in target:
            if key not in FIELD_KEYS:
                refuse(f"{where}.{key}", "is not a field key" + _suggest(key, FIELD_KEYS))
        if "instrument" not in target or "item" not in target:
            refuse(where, "needs instrument and item")
        instrument = str(target["instrument"]).strip()
        if instrument not in lib:
            refuse(f"{where}.instrument", f"unknown instrument {instrument!r}" + _suggest(instrument, lib.ids()))
        inst = lib.get(instrument)
        try:
            item = _scalar(target["item"])
        except TypeError as exc:
            refuse(f"{where}.item", str(exc))
        if not inst.has_item(item):
            refuse(f"{where}.item", f"{instrument} has no item {item!r}")
        timepoint = target.get("timepoint")
        if timepoint is not None and (not isinstance(timepoint, str) or not timepoint.strip()):
            refuse(f"{where}.timepoint", "must be a timepoint name (pre, post)")
        values = target.get("values")
        if values is not None:
            if not isinstance(values, dict) or not values:
                refuse(f"{where}.values", "must map REDCap codes to the item's codes")
            allowed = {str(v) for v in inst.item(item).values} | ({"na"} if inst.item(item).na_allowed else set())
            parsed: dict[str, str | None] = {}
            for code, value in values.items():
                try:
                    code = _scalar(code)
                    value = None if value is None else _scalar(value)
                except TypeError as exc:
                    refuse(f"{where}.values", str(exc))
                if value is not None and value not in allowed:
                    refuse(f"{where}.values.{code}", f"{value!r} is not a code of {inst.short_name} item {item} "
                                                     f"({', '.join(sorted(allowed, key=_order))}; null = unanswered)")
                parsed[code] = value
            values = parsed
        mapping.fields[variable] = Target(instrument, item, values, timepoint.strip() if timepoint else None)
    return mapping


def _order(code: str):
    return (0, int(code)) if code.lstrip("-").isdigit() else (1, code)
