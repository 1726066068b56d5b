"""REDCap interchange: Nurture instruments as a REDCap project, and REDCap exports into a bundle.

Export writes a data dictionary (our paraphrased labels, the coding as choices, and
calculated fields for totals where REDCap can express them) and records in REDCap's
import format (``record_id``, ``redcap_event_name`` = ``pre_arm_1`` / ``post_arm_1``,
``<form>_complete``).

Import reads a data dictionary and a "raw" records export (longitudinal events,
repeating instruments, checkbox columns ``field___code``), maps fields to instrument
items with a mapping file — a starter mapping is generated for names such as
``epds_1`` — and writes ``item_responses.csv`` of a bundle. Nothing is silently dropped:
the summary lists every field used, ignored and why; a bad code, an unknown field or an
unmapped event stops with the file, row and column.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from nurture.analysis.bundle import BundleError
from nurture.instruments import Library, library

DICTIONARY_COLUMNS = [
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
    "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
    "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name", "Matrix Ranking?",
    "Field Annotation",
]
EVENTS = {"pre": "pre_arm_1", "post": "post_arm_1"}
# REDCap's standard missing-data codes. "NA" (not applicable) becomes Nurture's "na" for
# items that allow it; every other code is an unanswered item, counted in the summary.
MISSING_CODES = ["UNK", "NASK", "NAVU", "ASKU", "NI", "INV", "OTH", "MSK", "NP", "QS", "QI", "NAV", "NA"]
PRE_EVENT = re.compile(r"(pre|base|baseline|entry|intake|t1|time_?1|visit_?1)", re.I)
POST_EVENT = re.compile(r"(post|follow|exit|end|t2|time_?2|visit_?2|12_?w|8_?w)", re.I)
FIELD_PATTERN = re.compile(r"^(?P<inst>[a-z0-9_]+?)_?(?:q|item_?)?(?P<item>\d+)$", re.I)


class RedcapError(BundleError):
    pass


# --------------------------------------------------------------------------- export


def _choices(item) -> str:
    parts = [f"{o.value}, {o.label['en']}" for o in item.options]
    if item.na_allowed:
        parts.append("na, Does not apply")
    return " | ".join(parts)


def _term(inst, item_id: str) -> str | None:
    item = inst.item(item_id)
    ref = f"[{inst.id}_{item.id}]"
    if item.score_map is not None:
        return None
    if item.na_allowed:
        if item.na_score is None:
            return None  # "does not apply" is unscored: REDCap cannot leave it out of a mean
        ref = f"if({ref}='na',{item.na_score:g},{ref})"
    if item.reverse:
        return f"({item.min_value + item.max_value}-{ref})"
    return ref


def data_dictionary(instruments: list[str], lib: Library | None = None) -> pd.DataFrame:
    lib = lib or library()
    rows = [{"Variable / Field Name": "record_id", "Form Name": instruments[0], "Field Type": "text",
             "Field Label": "Record ID"}]
    for instrument_id in instruments:
        inst = lib.get(instrument_id)
        for item in inst.items:
            rows.append({"Variable / Field Name": f"{inst.id}_{item.id}", "Form Name": inst.id,
                         "Field Type": "notes" if item.kind == "text" else "radio",
                         "Field Label": f"{inst.short_name} {item.id}. {item.label['en']}",
                         "Choices, Calculations, OR Slider Labels": "" if item.kind == "text" else _choices(item),
                         "Field Note": "Nurture paraphrased label; load licensed wording in REDCap if you hold it."})
        for scale in inst.scales:
            terms = [_term(inst, i) for i in scale.items]
            if any(t is None for t in terms):
                continue
            function = "sum" if scale.method.value == "sum" else "mean"
            rows.append({"Variable / Field Name": f"{inst.id}_{scale.id}_calc", "Form Name": inst.id,
                         "Field Type": "calc", "Field Label": f"{inst.short_name} {scale.name['en']} (REDCap)",
                         "Choices, Calculations, OR Slider Labels": f"{function}({','.join(terms)})",
                         "Field Note": "Simple sum or mean of answered items; Nurture's score also applies the "
                                       "missing-item rule and prorating."})
    return pd.DataFrame(rows, columns=DICTIONARY_COLUMNS).fillna("")


def records(item_responses: pd.DataFrame, instruments: list[str]) -> pd.DataFrame:
    """Item responses (bundle format) as REDCap import rows: one per record × event."""
    rows: dict[tuple[str, str], dict] = {}
    for r in item_responses.itertuples(index=False):
        key = (r.participant_id, EVENTS.get(r.timepoint, r.timepoint))
        row = rows.setdefault(key, {"record_id": key[0], "redcap_event_name": key[1]})
        row[f"{r.instrument}_{r.item}"] = r.value
        row[f"{r.instrument}_complete"] = 2
    lib = library()
    columns = ["record_id", "redcap_event_name"]
    for instrument_id in instruments:
        columns += [f"{instrument_id}_{i.id}" for i in lib.get(instrument_id).items] + [f"{instrument_id}_complete"]
    return pd.DataFrame(list(rows.values()), columns=columns).fillna("")


def export_redcap(item_responses: pd.DataFrame, folder: Path) -> list[Path]:
    instruments = sorted(item_responses["instrument"].unique()) or ["epds"]
    folder.mkdir(parents=True, exist_ok=True)
    dd, rec = folder / "data_dictionary.csv", folder / "records.csv"
    data_dictionary(instruments).to_csv(dd, index=False, quoting=csv.QUOTE_MINIMAL)
    records(item_responses, instruments).to_csv(rec, index=False)
    return [dd, rec]


# --------------------------------------------------------------------------- import


@dataclass
class Mapping:
    record_id: str | None = None  # None: the first field of the data dictionary, as in REDCap
    events: dict[str, str] = field(default_factory=dict)
    fields: dict[str, dict] = field(default_factory=dict)
    repeat: str = "error"  # what to do when a repeating instrument has several instances: error, first, last
    missing_codes: list[str] = field(default_factory=lambda: list(MISSING_CODES))

    def to_yaml(self) -> str:
        return yaml.safe_dump({"record_id": self.record_id, "events": self.events, "repeat": self.repeat,
                               "missing_codes": self.missing_codes, "fields": self.fields}, sort_keys=False,
                              allow_unicode=True)


@dataclass
class Summary:
    used: dict[str, str] = field(default_factory=dict)  # column -> instrument item
    ignored: dict[str, str] = field(default_factory=dict)  # column -> why
    missing_codes: dict[str, int] = field(default_factory=dict)
    repeat_instances_dropped: int = 0
    rows: int = 0
    responses: int = 0

    def as_dict(self) -> dict:
        return {"rows_read": self.rows, "item_responses": self.responses, "fields_used": self.used,
                "fields_ignored": self.ignored, "missing_codes": self.missing_codes,
                "repeat_instances_dropped": self.repeat_instances_dropped}


def _read_csv(path: Path, name: str) -> pd.DataFrame:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RedcapError("no such file", file=str(path)) from None
    except UnicodeDecodeError:
        raise RedcapError("is not UTF-8 text", file=name) from None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise RedcapError(f"is not a readable CSV file ({str(exc).strip()})", file=name) from None
    frame.columns = [c.strip() for c in frame.columns]
    return frame


def read_dictionary(path: Path) -> dict[str, dict]:
    name = Path(path).name
    frame = _read_csv(path, name)
    for column in ("Variable / Field Name", "Form Name", "Field Type"):
        if column not in frame.columns:
            raise RedcapError(f"missing column {column!r}: is this a REDCap data dictionary?", file=name, row=1,
                              column=column)
    fields = {}
    choice_column = "Choices, Calculations, OR Slider Labels"
    for i, row in frame.iterrows():
        variable = row["Variable / Field Name"].strip()
        choices = {}
        if row["Field Type"] in ("radio", "dropdown", "checkbox") and choice_column in frame.columns:
            for part in row[choice_column].split("|"):
                code, _, label = part.partition(",")
                if code.strip():
                    choices[code.strip()] = label.strip()
        fields[variable] = {"form": row["Form Name"], "type": row["Field Type"], "choices": choices, "row": i + 2}
    return fields


def starter_mapping(dictionary: dict[str, dict], events: list[str], lib: Library | None = None) -> Mapping:
    """Guess a mapping from common names (``epds_1``, ``gad7_q3``, ``pss12``) and event names."""
    lib = lib or library()
    mapping = Mapping(repeat="last")
    for variable, spec in dictionary.items():
        match = FIELD_PATTERN.match(variable)
        if not match or spec["type"] in ("calc", "descriptive", "checkbox"):
            continue
        instrument = match["inst"].lower()
        item = str(int(match["item"]))
        if instrument in lib and lib.get(instrument).has_item(item):
            mapping.fields[variable] = {"instrument": instrument, "item": item}
    for inst in lib:  # open questions of our own feedback form keep their ids
        for item in inst.items:
            if f"{inst.id}_{item.id}" in dictionary and item.kind == "text":
                mapping.fields[f"{inst.id}_{item.id}"] = {"instrument": inst.id, "item": item.id}
    for event in events:
        if POST_EVENT.search(event):
            mapping.events[event] = "post"
        elif PRE_EVENT.search(event):
            mapping.events[event] = "pre"
    return mapping


def load_mapping(path: Path) -> Mapping:
    name = Path(path).name
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RedcapError("no such file", file=str(path)) from None
    except yaml.YAMLError as exc:
        raise RedcapError(f"is not valid YAML ({exc})", file=name) from None
    if not isinstance(data, dict) or not isinstance(data.get("fields"), dict):
        raise RedcapError("needs a 'fields' mapping of REDCap field → {instrument, item}", file=name)
    repeat = data.get("repeat", "error")
    if repeat not in ("error", "first", "last"):
        raise RedcapError(f"repeat: must be error, first or last, not {repeat!r}", file=name)
    lib = library()
    for variable, target in data["fields"].items():
        if not isinstance(target, dict) or "instrument" not in target or "item" not in target:
            raise RedcapError(f"fields.{variable}: needs instrument and item", file=name)
        if target["instrument"] not in lib or not lib.get(target["instrument"]).has_item(str(target["item"])):
            raise RedcapError(f"fields.{variable}: {target['instrument']} has no item {str(target['item'])!r}", file=name)
    return Mapping(record_id=data.get("record_id"), events=dict(data.get("events") or {}),
                   fields={k: {**v, "item": str(v["item"])} for k, v in data["fields"].items()}, repeat=repeat,
                   missing_codes=[str(c) for c in data.get("missing_codes", MISSING_CODES)])


def import_records(dictionary_path: Path, records_path: Path, mapping: Mapping | None = None
                   ) -> tuple[pd.DataFrame, Summary, Mapping]:
    """REDCap records → item responses (bundle format) and a summary of every field."""
    lib = library()
    dictionary = read_dictionary(dictionary_path)
    name = Path(records_path).name
    frame = _read_csv(records_path, name)
    events = sorted(set(frame["redcap_event_name"])) if "redcap_event_name" in frame.columns else []
    mapping = mapping or starter_mapping(dictionary, events, lib)
    if mapping.record_id is None:
        mapping.record_id = next(iter(dictionary), "record_id")
    if mapping.record_id not in frame.columns:
        raise RedcapError(f"missing the record id column {mapping.record_id!r}", file=name, row=1,
                          column=mapping.record_id)
    summary = Summary(rows=len(frame))
    # every column is accounted for: used, or ignored with a reason
    checkbox_base = {c: c.split("___")[0] for c in frame.columns if "___" in c}
    for column in frame.columns:
        base = checkbox_base.get(column, column)
        if column in mapping.fields:
            continue
        if column in (mapping.record_id, "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance",
                      "redcap_data_access_group"):
            summary.ignored[column] = "REDCap bookkeeping"
        elif column.endswith("_complete"):
            summary.ignored[column] = "form status"
        elif base not in dictionary:
            summary.ignored[column] = "not in the data dictionary"
        elif dictionary[base]["type"] == "checkbox":
            summary.ignored[column] = "checkbox option (several answers; map it explicitly to use it)"
        elif dictionary[base]["type"] == "calc":
            summary.ignored[column] = "calculated field (Nurture scores from items)"
        else:
            summary.ignored[column] = "not mapped to an instrument item"
    for variable in mapping.fields:
        if variable not in frame.columns:
            raise RedcapError(f"the mapped field {variable!r} is not a column of the records export", file=name, row=1,
                              column=variable)
        base = checkbox_base.get(variable, variable)
        if base not in dictionary:
            raise RedcapError(f"the mapped field {variable!r} is not in the data dictionary",
                              file=Path(dictionary_path).name)
    if events:
        for i, event in enumerate(frame["redcap_event_name"]):
            if event not in mapping.events:
                raise RedcapError(f"event {event!r} is not mapped to a timepoint (add it under events: pre/post)",
                                  file=name, row=i + 2, column="redcap_event_name")
    for variable, target in mapping.fields.items():
        summary.used[variable] = f"{target['instrument']} item {target['item']}"
    repeat_col = "redcap_repeat_instance" if "redcap_repeat_instance" in frame.columns else None
    out: dict[tuple[str, str, str, str], tuple[int, str]] = {}
    missing = set(mapping.missing_codes)
    for i, row in frame.iterrows():
        line = i + 2
        record = row[mapping.record_id].strip()
        if not record:
            raise RedcapError("record id is empty", file=name, row=line, column=mapping.record_id)
        timepoint = mapping.events.get(row["redcap_event_name"], "pre") if events else "pre"
        instance = int(row[repeat_col]) if repeat_col and row[repeat_col].strip() else 0
        for variable, target in mapping.fields.items():
            raw = row[variable].strip()
            if raw == "":
                continue
            inst = lib.get(target["instrument"])
            item = inst.item(target["item"])
            value = str(target.get("values", {}).get(raw, raw))
            if value in missing:
                if value == "NA" and item.na_allowed:
                    value = "na"
                else:
                    summary.missing_codes[value] = summary.missing_codes.get(value, 0) + 1
                    continue
            if item.kind == "rated" and value != "na" and value not in {str(v) for v in item.values}:
                raise RedcapError(f"{raw!r} is not a code of {inst.short_name} item {item.id} "
                                  f"({', '.join(str(v) for v in item.values)})", file=name, row=line, column=variable)
            if value == "na" and not item.na_allowed:
                raise RedcapError(f"{inst.short_name} item {item.id} does not allow 'not applicable'", file=name,
                                  row=line, column=variable)
            key = (record, timepoint, inst.id, item.id)
            if key in out and out[key][0] != instance:
                if mapping.repeat == "error":
                    raise RedcapError(f"{inst.short_name} item {item.id} is answered in several instances of a "
                                      "repeating instrument; set repeat: first or last in the mapping",
                                      file=name, row=line, column=variable)
                summary.repeat_instances_dropped += 1
                keep_new = instance > out[key][0] if mapping.repeat == "last" else instance < out[key][0]
                if not keep_new:
                    continue
            elif key in out:
                raise RedcapError(f"{inst.short_name} item {item.id} appears twice for record {record!r}",
                                  file=name, row=line, column=variable)
            out[key] = (instance, value)
    rows = [{"participant_id": k[0], "timepoint": k[1], "instrument": k[2], "item": k[3], "value": v[1]}
            for k, v in out.items()]
    summary.responses = len(rows)
    result = pd.DataFrame(rows, columns=["participant_id", "timepoint", "instrument", "item", "value"])
    return result, summary, mapping


def write_import(result: pd.DataFrame, summary: Summary, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    items = folder / "item_responses.csv"
    result.to_csv(items, index=False)
    report = folder / "import-summary.json"
    report.write_text(json.dumps(summary.as_dict(), indent=2), encoding="utf-8")
    return [items, report]
