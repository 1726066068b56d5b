"""REDCap records → item responses (bundle format), with an account of everything dropped.

Reads a data dictionary and a "raw" records export (CSV or JSON; longitudinal events,
repeating instruments, checkbox columns ``field___code``) and a mapping (a file, or the
starter mapping). Nothing is silently changed or dropped:

- a mapped field whose choices are not the item's coding needs a ``values:`` map
  (see :mod:`.dictionary`) or the import is refused;
- every column is either used or listed as ignored with its reason;
- rows of skipped events, repeat instances left out, missing-data codes, and checkbox
  answers on forms that were never filled (REDCap writes 0 for every box of a form
  nobody opened) are counted, with the first few shown;
- a bad code, an unknown event or timepoint, a non-numeric repeat instance or an
  answer given twice stops with the file, row and column.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from nurture.instruments import Library, library
from nurture.instruments.model import Item

from .common import BOOKKEEPING, NOT_DATA, RedcapError, read_table
from .dictionary import Dictionary, Field, compare_coding, direction_sensitive, read_dictionary
from .mapping import SKIP, Mapping, Target
from .starter import starter_mapping

TIMEPOINTS = ("pre", "post")
ITEM_COLUMNS = ["participant_id", "timepoint", "instrument", "item", "value"]
EXAMPLES = 5


@dataclass
class Project:
    """A REDCap project as exported: its data dictionary and its records."""

    dictionary: Dictionary
    records: pd.DataFrame
    lines: np.ndarray
    name: str  # the records file name, for messages

    @property
    def events(self) -> list[str]:
        if "redcap_event_name" not in self.records.columns:
            return []
        return list(dict.fromkeys(e.strip() for e in self.records["redcap_event_name"]))

    def line(self, k: int) -> int:
        return int(self.lines[k])


def read_project(dictionary_path: Path, records_path: Path) -> Project:
    dictionary = read_dictionary(dictionary_path)
    frame, lines, name = read_table(records_path)
    frame.columns = [c.strip() for c in frame.columns]
    return Project(dictionary, frame, lines, name)


@dataclass
class Summary:
    used: dict[str, str] = field(default_factory=dict)  # column -> instrument item
    ignored: dict[str, str] = field(default_factory=dict)  # column -> why
    missing_codes: dict[str, int] = field(default_factory=dict)
    skipped_events: dict[str, int] = field(default_factory=dict)  # event -> rows left out
    repeat_instances_dropped: int = 0
    never_filled: int = 0  # checkbox answers of forms never filled, read as unanswered
    unmapped_values: int = 0  # codes a values: map sends to null (unanswered)
    examples: list[str] = field(default_factory=list)  # the first few things dropped, with their rows
    notes: list[str] = field(default_factory=list)
    rows: int = 0
    responses: int = 0
    texts: int = 0
    participants: int = 0
    safety: list[dict] = field(default_factory=list)

    def drop(self, text: str) -> None:
        if len(self.examples) < EXAMPLES:
            self.examples.append(text)

    @property
    def dropped_line(self) -> str:
        parts = []
        if self.skipped_events:
            rows = sum(self.skipped_events.values())
            parts.append(f"{rows} row(s) of skipped events ({', '.join(self.skipped_events)})")
        if self.repeat_instances_dropped:
            parts.append(f"{self.repeat_instances_dropped} repeat instance(s)")
        if self.missing_codes:
            codes = ", ".join(f"{c} {n}" for c, n in self.missing_codes.items())
            parts.append(f"{sum(self.missing_codes.values())} answer(s) with missing-data codes ({codes})")
        if self.unmapped_values:
            parts.append(f"{self.unmapped_values} answer(s) mapped to unanswered by values:")
        if self.never_filled:
            parts.append(f"{self.never_filled} checkbox answer(s) on forms never filled")
        ignored = f"; {len(self.ignored)} column(s) not imported (listed below)" if self.ignored else ""
        return "dropped: " + ("; ".join(parts) if parts else "nothing") + ignored

    def as_dict(self) -> dict:
        return {"rows_read": self.rows, "participants": self.participants, "item_responses": self.responses,
                "open_answers": self.texts, "fields_used": self.used, "fields_ignored": self.ignored,
                "dropped": {"skipped_events": self.skipped_events,
                            "repeat_instances": self.repeat_instances_dropped,
                            "missing_codes": self.missing_codes, "mapped_to_unanswered": self.unmapped_values,
                            "never_filled_checkboxes": self.never_filled, "first": self.examples},
                "notes": self.notes, "safety": self.safety}


@dataclass
class ImportResult:
    items: pd.DataFrame  # item_responses.csv rows (rated items)
    texts: pd.DataFrame  # open answers: participant_id, timepoint, instrument, item, value
    summary: Summary
    mapping: Mapping

    def all_answers(self) -> pd.DataFrame:
        return pd.concat([self.items, self.texts], ignore_index=True)


def import_records(dictionary_path: Path, records_path: Path, mapping: Mapping | None = None, *,
                   timepoints=TIMEPOINTS) -> tuple[pd.DataFrame, Summary, Mapping]:
    """Read files and import with a mapping (or the starter mapping); see :func:`import_project`."""
    project = read_project(dictionary_path, records_path)
    mapping = mapping or starter_mapping(project.dictionary, project.events)
    result = import_project(project, mapping, timepoints=timepoints)
    return result.items, result.summary, result.mapping


# --------------------------------------------------------------------------- checks


def _column_base(column: str) -> str:
    return column.split("___")[0] if "___" in column else column


def check_mapping(project: Project, mapping: Mapping, timepoints, lib: Library) -> None:
    """Everything about the mapping that can be known before reading a row."""
    dictionary, frame, name = project.dictionary, project.records, project.name
    if mapping.record_id is None:
        mapping.record_id = dictionary.first
    for key in ("record_id", "participant_id"):
        column = getattr(mapping, key)
        if column is not None and column not in frame.columns:
            raise RedcapError(f"{key} {column!r} is not a column of the records export", file=name, row=1,
                              column=column)
    for event in project.events:
        if event and event not in mapping.events:
            k = int(np.flatnonzero((frame["redcap_event_name"].str.strip() == event).to_numpy())[0])
            raise RedcapError(f"event {event!r} is not mapped (add it under events: as pre, post or skip)",
                              file=name, row=project.line(k), column="redcap_event_name")
    for event, timepoint in mapping.events.items():
        if timepoint != SKIP and timepoint not in timepoints:
            raise RedcapError(f"events.{event}: {timepoint!r} is not a timepoint of the study "
                              f"({', '.join(timepoints)}, or skip)", file="mapping")
    for variable, target in mapping.targets().items():
        if target.timepoint is not None and target.timepoint not in timepoints:
            raise RedcapError(f"fields.{variable}.timepoint: {target.timepoint!r} is not a timepoint of the study "
                              f"({', '.join(timepoints)})", file="mapping")
        if variable not in frame.columns:
            options = [c for c in frame.columns if c.startswith(f"{variable}___")]
            hint = f" (a checkbox: map one of its options, e.g. {options[0]})" if options else ""
            raise RedcapError(f"the mapped field {variable!r} is not a column of the records export{hint}",
                              file=name, row=1, column=variable)
        base = _column_base(variable)
        if base not in dictionary:
            raise RedcapError(f"the mapped field {variable!r} is not in the data dictionary", file=dictionary.name)
        check_field(dictionary, variable, target, mapping, lib)


def check_field(dictionary: Dictionary, column: str, target: Target, mapping: Mapping, lib: Library) -> None:
    """The field's choices against the item's coding (the heart of 'never reverse a score')."""
    f = dictionary[_column_base(column)]
    inst = lib.get(target.instrument)
    item = inst.item(target.item)
    where = dict(file=dictionary.name, row=f.row, column=f.name)
    what = f"{inst.short_name} item {item.id}"
    if not mapping.explicit and column in mapping.unconfirmed:
        raise RedcapError(f"{column} → {what}: {target.comment}. Write the proposed mapping with --write-map, "
                          "check it against the REDCap form, and import with --map", **where)
    if f.type in NOT_DATA:
        raise RedcapError(f"{column} is a {f.type} field; map the fields it is made from, not it", **where)
    if item.kind == "text":
        if f.has_choices or target.values is not None:
            raise RedcapError(f"{what} is an open question; map a text or notes field to it", **where)
        return
    if f.type in ("text", "notes") and f.validation not in ("integer", "number", ""):
        raise RedcapError(f"{column} holds {f.validation or 'text'}, not {what}'s codes", **where)
    hint = f"; give {column} a values: map in the mapping file (--write-map writes a proposal to check)"
    if column != f.name:  # one box of a checkbox: 1 ticked, 0 not
        if target.values is None:
            raise RedcapError(f"{column} is one box of a checkbox (1 ticked, 0 not), not {what}'s coding{hint}",
                              **where)
        unknown = sorted(set(target.values) - {"0", "1"})
        if unknown:
            raise RedcapError(f"values: code {unknown[0]!r} is not a value of the checkbox box {column} (0, 1)",
                              **where)
        return
    if target.values is not None:
        if f.has_choices:
            codes = [c for c in f.codes if c not in mapping.missing_codes]
            missing = [c for c in codes if c not in target.values]
            if missing:
                raise RedcapError(f"values: does not say what REDCap code {missing[0]!r} "
                                  f"({dict(f.choices)[missing[0]]!r}) of {column} is in {what}'s coding (map it, "
                                  "or to null for unanswered)", **where)
            unknown = [c for c in target.values if c not in f.codes]
            if unknown:
                raise RedcapError(f"values: code {unknown[0]!r} is not a choice of {column} "
                                  f"({', '.join(f.codes)})", **where)
        return
    if not f.has_choices:
        if direction_sensitive(item):
            raise RedcapError(f"{column} stores numbers without choices and {what} is reverse-keyed, so they may be "
                              f"scores or answers{hint}", **where)
        return
    check = compare_coding(f, item, mapping.missing_codes)
    if not check.ok:
        raise RedcapError(f"{column} → {what}: {check.problem}{hint}", **where)


# --------------------------------------------------------------------------- rows


@dataclass
class _Column:
    name: str
    target: Target
    item: Item
    form: str
    checkbox: bool


def _form_status(frame: pd.DataFrame, dictionary: Dictionary) -> dict[str, tuple[str | None, list[str], list[str]]]:
    """Per form: its status column, its other data columns and its checkbox columns in the records."""
    out = {}
    for form, fields in dictionary.forms().items():
        status = f"{form}_complete" if f"{form}_complete" in frame.columns else None
        plain, boxes = [], []
        for f in fields:
            if f.type == "checkbox":
                boxes += [c for c in frame.columns if c.startswith(f"{f.name}___")]
            elif f.type not in NOT_DATA and f.name in frame.columns:
                plain.append(f.name)
        out[form] = (status, plain, boxes)
    return out


def _form_filled(row: dict, spec) -> bool:
    status, plain, boxes = spec
    if status and str(row.get(status, "")).strip() in ("1", "2"):
        return True
    return any(str(row.get(c, "")).strip() for c in plain) or any(str(row.get(c, "")).strip() == "1" for c in boxes)


def import_project(project: Project, mapping: Mapping, *, timepoints=TIMEPOINTS,
                   lib: Library | None = None) -> ImportResult:
    """Apply a checked mapping to every row. Raises :class:`RedcapError` naming file, row and column."""
    lib = lib or library()
    check_mapping(project, mapping, timepoints, lib)
    dictionary, frame, name = project.dictionary, project.records, project.name
    summary = Summary(rows=len(frame))
    targets = mapping.targets()
    for column in frame.columns:
        base = _column_base(column)
        if column in targets:
            summary.used[column] = targets[column].describe()
        elif column in mapping.fields:
            summary.ignored[column] = "skipped in the mapping"
        elif column in (mapping.record_id, mapping.participant_id) or column in BOOKKEEPING:
            summary.ignored[column] = "REDCap bookkeeping" if column in BOOKKEEPING else "record identifier"
        elif column.endswith("_complete") and column.removesuffix("_complete") in dictionary.forms():
            summary.ignored[column] = "form status"
        elif base not in dictionary:
            summary.ignored[column] = "not in the data dictionary"
        elif dictionary[base].type == "checkbox":
            summary.ignored[column] = "checkbox option (map it explicitly, with values:, to use it)"
        elif dictionary[base].type == "calc":
            summary.ignored[column] = "calculated field (Nurture scores from items)"
        else:
            summary.ignored[column] = "not mapped to an instrument item"
    columns = []
    for column, target in targets.items():
        f = dictionary[_column_base(column)]
        columns.append(_Column(column, target, lib.get(target.instrument).item(target.item), f.form,
                               column != f.name))
    forms = _form_status(frame, dictionary)
    pids = _participant_ids(project, mapping)
    has_events = "redcap_event_name" in frame.columns
    repeat_form = "redcap_repeat_instrument" in frame.columns
    repeat_col = "redcap_repeat_instance" if "redcap_repeat_instance" in frame.columns else None
    missing = set(mapping.missing_codes)
    classic = "pre" if "pre" in timepoints else timepoints[0]
    if not has_events and any(t.timepoint is None for t in targets.values()):
        summary.notes.append(f"no events (a classic project): fields without timepoint: are taken as {classic}")
    # (participant, timepoint, instrument) -> instance -> {item: (value, row, column)}
    answers: dict[tuple[str, str, str], dict[int, dict[str, tuple[str, int, str]]]] = {}
    for k, row in enumerate(frame.to_dict("records")):
        line = project.line(k)
        record = str(row[mapping.record_id]).strip()
        if not record:
            raise RedcapError("the record id is empty", file=name, row=line, column=mapping.record_id)
        event = str(row.get("redcap_event_name", "")).strip() if has_events else ""
        if has_events and not event:
            raise RedcapError("the event is empty", file=name, row=line, column="redcap_event_name")
        event_tp = mapping.events.get(event) if has_events else None
        if event_tp == SKIP:
            summary.skipped_events[event] = summary.skipped_events.get(event, 0) + 1
            summary.drop(f"row {line}: record {record}, event {event} (skipped)")
            continue
        instance = 0
        if repeat_col:
            raw_instance = str(row[repeat_col]).strip()
            if raw_instance:
                if not raw_instance.isdigit() or int(raw_instance) < 1:
                    raise RedcapError(f"{raw_instance!r} is not a repeat instance (1, 2, …)", file=name, row=line,
                                      column=repeat_col)
                instance = int(raw_instance)
        this_form = str(row.get("redcap_repeat_instrument", "")).strip() if repeat_form else ""
        filled: dict[str, bool] = {}
        for col in columns:
            raw = str(row.get(col.name, "")).strip()
            if raw == "":
                continue
            if this_form and col.form != this_form:
                continue  # a repeating row carries only its own form
            timepoint = col.target.timepoint or event_tp or (classic if not has_events else None)
            if timepoint is None:
                continue
            if col.checkbox:
                if col.form not in filled:
                    filled[col.form] = _form_filled(row, forms[col.form])
                if not filled[col.form]:
                    summary.never_filled += 1
                    summary.drop(f"row {line}: record {record}, {col.name} (form {col.form} never filled)")
                    continue
            value = _value(raw, col, missing, summary, name, line)
            if value is None:
                continue
            key = (pids[record], timepoint, col.target.instrument)
            slot = answers.setdefault(key, {}).setdefault(instance, {})
            if col.item.id in slot:
                _, first_line, first_col = slot[col.item.id]
                raise RedcapError(f"{col.target.instrument} item {col.item.id} is answered twice for record "
                                  f"{record!r} at {timepoint} (also row {first_line}, column {first_col})",
                                  file=name, row=line, column=col.name)
            slot[col.item.id] = (value, line, col.name)
    return _assemble(answers, mapping, summary, lib, name)


def _participant_ids(project: Project, mapping: Mapping) -> dict[str, str]:
    """REDCap record → Nurture participant id (the record itself, or the participant_id field)."""
    frame = project.records
    records = frame[mapping.record_id].str.strip()
    if mapping.participant_id is None:
        return {r: r for r in records}
    found: dict[str, tuple[str, int]] = {}
    values = frame[mapping.participant_id].str.strip()
    for k, (record, pid) in enumerate(zip(records, values, strict=True)):
        if not pid:
            continue
        if record in found and found[record][0] != pid:
            raise RedcapError(f"record {record!r} has two participant ids, {found[record][0]!r} (row "
                              f"{found[record][1]}) and {pid!r}", file=project.name, row=project.line(k),
                              column=mapping.participant_id)
        found.setdefault(record, (pid, project.line(k)))
    for k, record in enumerate(records):
        if record and record not in found:
            raise RedcapError(f"record {record!r} has no participant id in {mapping.participant_id!r}",
                              file=project.name, row=project.line(k), column=mapping.participant_id)
    owners: dict[str, str] = {}
    for record, (pid, line) in found.items():
        if pid in owners and owners[pid] != record:
            raise RedcapError(f"participant id {pid!r} belongs to two records ({owners[pid]!r} and {record!r})",
                              file=project.name, row=line, column=mapping.participant_id)
        owners[pid] = record
    return {record: pid for record, (pid, _) in found.items()}


def _value(raw: str, col: _Column, missing: set[str], summary: Summary, name: str, line: int) -> str | None:
    item, target = col.item, col.target
    if target.values is not None:
        if raw in target.values:
            value = target.values[raw]
            if value is None:
                summary.unmapped_values += 1
                summary.drop(f"row {line}: {col.name} = {raw} (values: unanswered)")
            return value
        if raw not in missing:
            raise RedcapError(f"{raw!r} is not one of the codes in values: for {col.name} "
                              f"({', '.join(target.values)})", file=name, row=line, column=col.name)
    if item.kind == "text":
        return raw
    if raw in missing:
        if raw.upper() == "NA" and item.na_allowed:
            return "na"
        summary.missing_codes[raw] = summary.missing_codes.get(raw, 0) + 1
        summary.drop(f"row {line}: {col.name} = {raw} (missing-data code)")
        return None
    if raw.lower() == "na" and item.na_allowed:
        return "na"
    if raw not in {str(v) for v in item.values}:
        coding = ", ".join(str(v) for v in item.values) + (", na" if item.na_allowed else "")
        raise RedcapError(f"{raw!r} is not a code of {target.instrument} item {item.id} ({coding})", file=name,
                          row=line, column=col.name)
    return raw


def _assemble(answers, mapping: Mapping, summary: Summary, lib: Library, name: str) -> ImportResult:
    rows, texts = [], []
    for (pid, timepoint, instrument), instances in answers.items():
        if len(instances) > 1:
            if mapping.repeat == "error":
                _, line, column = next(iter(instances[max(instances)].values()))
                raise RedcapError(f"{instrument} is answered in {len(instances)} instances of a repeating form for "
                                  f"{pid!r} at {timepoint}; set repeat: first or last in the mapping", file=name,
                                  row=line, column=column)
            keep = max(instances) if mapping.repeat == "last" else min(instances)
            for instance in sorted(instances):
                if instance != keep:
                    summary.repeat_instances_dropped += 1
                    _, line, _ = next(iter(instances[instance].values()))
                    summary.drop(f"row {line}: {pid} {timepoint} {instrument} instance {instance} "
                                 f"(repeat: {mapping.repeat})")
            chosen = instances[keep]
        else:
            chosen = next(iter(instances.values()))
        inst = lib.get(instrument)
        for item_id, (value, _, _) in chosen.items():
            row = {"participant_id": pid, "timepoint": timepoint, "instrument": instrument, "item": item_id,
                   "value": value}
            (texts if inst.item(item_id).kind == "text" else rows).append(row)
    items = pd.DataFrame(rows, columns=ITEM_COLUMNS)
    text_frame = pd.DataFrame(texts, columns=ITEM_COLUMNS)
    summary.responses, summary.texts = len(items), len(text_frame)
    summary.participants = len({r["participant_id"] for r in rows + texts})
    return ImportResult(items, text_frame, summary, mapping)


def bundle_files(result: ImportResult) -> dict[str, bytes]:
    """item_responses.csv, feedback.csv (open answers, when any) and import-summary.json."""
    files = {"item_responses.csv": result.items.to_csv(index=False, lineterminator="\n").encode("utf-8")}
    if len(result.texts):
        feedback = pd.DataFrame({"participant_id": result.texts["participant_id"],
                                 "question": result.texts["item"], "text": result.texts["value"], "themes": ""})
        files["feedback.csv"] = feedback.to_csv(index=False, lineterminator="\n").encode("utf-8")
    files["import-summary.json"] = json.dumps(result.summary.as_dict(), indent=2, ensure_ascii=False).encode()
    return files


OUTPUT_FILES = ("item_responses.csv", "feedback.csv", "import-summary.json")


def check_folder(folder: Path) -> None:
    """Refuse, before anything is imported, a bundle folder that holds other files."""
    if folder.exists() and not folder.is_dir():
        raise RedcapError("is a file, not a folder", file=str(folder))
    if folder.exists():
        others = sorted(p.name for p in folder.iterdir() if p.name not in OUTPUT_FILES)
        if others:
            raise RedcapError(f"holds other files ({', '.join(others[:3])}); write into an empty or new folder",
                              file=str(folder))


def write_import(result: ImportResult, folder: Path) -> list[Path]:
    """Write the bundle files into an empty (or new) folder; each file whole or not at all."""
    from nurture.instruments.io import write_atomically

    check_folder(folder)
    files = bundle_files(result)
    folder.mkdir(parents=True, exist_ok=True)
    stale = folder / "feedback.csv"
    if "feedback.csv" not in files and stale.exists():
        stale.unlink()
    paths = []
    for file_name, content in files.items():
        write_atomically(folder / file_name, content)
        paths.append(folder / file_name)
    return paths


__all__ = ["check_folder", "Field", "ImportResult", "Project", "Summary", "import_project", "import_records", "read_project",
           "write_import", "bundle_files"]
