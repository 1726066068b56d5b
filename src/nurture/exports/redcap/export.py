"""Nurture instruments as a REDCap project: everything REDCap's upload pages take.

``data_dictionary.csv`` (our paraphrased labels, the coding as choices, calculated
fields for totals where REDCap can express them), ``arms.csv``, ``events.csv`` and
``instrument_event_mapping.csv`` (the longitudinal setup: a pre and a post event, each
instrument designated where it has answers), and ``records.csv`` in REDCap's import
format (``record_id``, ``redcap_event_name`` = ``pre_arm_1`` / ``post_arm_1``, integer
``<form>_complete`` = 2), open questions included.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from nurture.instruments import Library, library

DICTIONARY_COLUMNS = [
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
    "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
    "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name", "Matrix Ranking?",
    "Field Annotation",
]
EVENTS = {"pre": "pre_arm_1", "post": "post_arm_1"}
EVENT_NAMES = {"pre": "Pre", "post": "Post"}
COMPLETE = "2"  # REDCap form status: 0 incomplete, 1 unverified, 2 complete


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


def records(item_responses: pd.DataFrame, instruments: list[str], open_answers: pd.DataFrame | None = None
            ) -> pd.DataFrame:
    """Item responses (bundle format) and open answers as REDCap import rows: one per record × event.

    Every cell is text, so codes and form statuses stay integers (``2``, never ``2.0``).
    """
    rows: dict[tuple[str, str], dict] = {}
    frames = [item_responses] + ([open_answers] if open_answers is not None and len(open_answers) else [])
    for frame in frames:
        for r in frame.itertuples(index=False):
            key = (str(r.participant_id), EVENTS.get(r.timepoint, r.timepoint))
            row = rows.setdefault(key, {"record_id": key[0], "redcap_event_name": key[1]})
            row[f"{r.instrument}_{r.item}"] = str(r.value)
            row[f"{r.instrument}_complete"] = COMPLETE
    lib = library()
    columns = ["record_id", "redcap_event_name"]
    for instrument_id in instruments:
        columns += [f"{instrument_id}_{i.id}" for i in lib.get(instrument_id).items] + [f"{instrument_id}_complete"]
    ordered = sorted(rows.values(), key=lambda r: (r["record_id"], r["redcap_event_name"]))
    return pd.DataFrame(ordered, columns=columns, dtype=object).fillna("")


def longitudinal_setup(item_responses: pd.DataFrame, open_answers: pd.DataFrame | None, instruments: list[str],
                       windows: dict[str, tuple[int, int, int]]) -> dict[str, pd.DataFrame]:
    """arms.csv, events.csv and instrument_event_mapping.csv, in the columns REDCap's upload pages take.

    ``windows`` gives each timepoint's (day offset, days before, days after).
    """
    arms = pd.DataFrame([{"arm_num": 1, "name": "Arm 1"}])
    events = pd.DataFrame([{"event_name": EVENT_NAMES[tp], "arm_num": 1, "day_offset": windows[tp][0],
                            "offset_min": windows[tp][1], "offset_max": windows[tp][2],
                            "unique_event_name": EVENTS[tp], "custom_event_label": ""} for tp in EVENTS])
    used = set()
    for frame in (item_responses, open_answers):
        if frame is not None and len(frame):
            used |= set(zip(frame["timepoint"], frame["instrument"], strict=True))
    designations = [{"arm_num": 1, "unique_event_name": EVENTS[tp], "form": instrument}
                    for tp in EVENTS for instrument in instruments if (tp, instrument) in used]
    return {"arms.csv": arms, "events.csv": events,
            "instrument_event_mapping.csv": pd.DataFrame(designations, columns=["arm_num", "unique_event_name",
                                                                                "form"])}


DEFAULT_WINDOWS = {"pre": (0, 14, 14), "post": (70, 14, 14)}  # 8-12 weeks after entry


def export_redcap(item_responses: pd.DataFrame, folder: Path, *, open_answers: pd.DataFrame | None = None,
                  windows: dict[str, tuple[int, int, int]] | None = None) -> list[Path]:
    """Write the REDCap project files into ``folder``; returns their paths."""
    from nurture.instruments.io import write_atomically

    lib = library()
    present = set(item_responses["instrument"])
    if open_answers is not None and len(open_answers):
        present |= set(open_answers["instrument"])
    instruments = sorted(i for i in present if i in lib) or ["epds"]
    unknown = sorted(i for i in present if i not in lib)
    if unknown:
        raise ValueError(f"instrument {unknown[0]!r} is not in the library")
    tables = {"data_dictionary.csv": data_dictionary(instruments),
              **longitudinal_setup(item_responses, open_answers, instruments, windows or DEFAULT_WINDOWS),
              "records.csv": records(item_responses, instruments, open_answers)}
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, table in tables.items():
        content = table.to_csv(index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n").encode("utf-8")
        write_atomically(folder / name, content)
        paths.append(folder / name)
    return paths
