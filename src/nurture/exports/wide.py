"""Wide files for statistical packages: one row per dyad, labelled variables.

Columns are ``instrument_scale_timepoint`` scores (``epds_total_pre``), optionally
``instrument_item_timepoint`` items, after the dyad's characteristics. Categorical
variables are stored as numeric codes with value labels (SPSS and Stata need them so);
item values keep their instrument coding, labelled with our response labels. A
codebook (CSV and HTML) describes every variable. Built from the same tables as the
bundle, so the same de-identification applies.
"""

from __future__ import annotations

import csv
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from nurture.instruments import library

CATEGORIES = {
    "status": ["referred", "screened", "eligible", "ineligible", "consented", "enrolled", "completed", "withdrawn",
               "lost"],
    "delivery": ["in_person", "online", "hybrid"],
    "language": ["en", "es"],
    "primiparous": ["false", "true"],
}
BASE = [("participant_id", "Participant (study id or export pseudonym)"), ("cohort", "Cohort"),
        ("status", "Furthest stage reached"), ("site", "Site"), ("curriculum_weeks", "Curriculum length (weeks)"),
        ("delivery", "Delivery of the cohort"), ("mother_age", "Mother's age at referral (years)"),
        ("primiparous", "First-time mother"), ("infant_age_weeks", "Infant's age at referral (weeks)"),
        ("language", "Language")]


@dataclass
class Variable:
    name: str
    label: str
    kind: str  # "numeric" or "string"
    values: dict[float, str] = field(default_factory=dict)
    source: str = ""


def _name(*parts: str) -> str:
    """A variable name valid in SPSS and Stata: letters, digits, underscore; ≤ 32 characters."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts))
    return name[:32]


def build(tables: dict[str, pd.DataFrame], *, items: bool = False) -> tuple[pd.DataFrame, list[Variable]]:
    lib = library()
    people = tables["participants.csv"].copy()
    ids = people["participant_id"]
    columns: dict[str, pd.Series] = {"participant_id": ids}  # built apart, joined once at the end
    variables = []
    for column, label in BASE[1:]:
        raw = (people[column].astype(object).mask(people[column].astype(str) == "") if column in people
               else pd.Series(np.nan, index=people.index))
        if column in CATEGORIES:
            levels = CATEGORIES[column]
            columns[column] = raw.map({v: i + 1 for i, v in enumerate(levels)}).astype(float)
            variables.append(Variable(column, label, "numeric", {i + 1.0: v for i, v in enumerate(levels)},
                                      "participants.csv"))
        elif column in ("curriculum_weeks", "mother_age", "infant_age_weeks"):
            columns[column] = pd.to_numeric(raw, errors="coerce")
            variables.append(Variable(column, label, "numeric", source="participants.csv"))
        else:
            columns[column] = raw.fillna("").astype(str)
            variables.append(Variable(column, label, "string", source="participants.csv"))
    variables.insert(0, Variable("participant_id", BASE[0][1], "string", source="participants.csv"))
    scores = tables["scores.csv"].copy()
    scores["value"] = pd.to_numeric(scores["score"], errors="coerce")
    for (instrument, scale, timepoint), group in scores.groupby(["instrument", "scale", "timepoint"], sort=True):
        name = _name(instrument, scale, timepoint)
        columns[name] = ids.map(group.set_index("participant_id")["value"])
        inst = lib.get(instrument) if instrument in lib else None
        scale_label = scale
        if inst is not None:
            try:
                scale_label = inst.scale(scale).name["en"]
            except KeyError:
                pass
        label = f"{inst.short_name if inst else instrument} {scale_label}, {timepoint}"
        variables.append(Variable(name, label, "numeric", source="scores.csv"))
    if items:
        responses = tables["item_responses.csv"]
        for (instrument, item_id, timepoint), group in responses.groupby(["instrument", "item", "timepoint"], sort=True):
            inst = lib.get(instrument) if instrument in lib else None
            item = inst.item(item_id) if inst is not None and inst.has_item(item_id) else None
            name = _name(instrument, item_id, timepoint)
            values = group.set_index("participant_id")["value"]
            coded = pd.to_numeric(values.mask(values == "na"), errors="coerce")
            labels = {float(o.value): o.label["en"] for o in item.options} if item else {}
            if (values == "na").any():
                coded = coded.where(values != "na", -1.0)
                labels[-1.0] = "not applicable"
            columns[name] = ids.map(coded)
            variables.append(Variable(name, f"{inst.short_name if inst else instrument} item {item_id}"
                                      f"{': ' + item.label['en'] if item else ''}, {timepoint}", "numeric", labels,
                                      "item_responses.csv"))
    frame = pd.DataFrame(columns)
    return frame[[v.name for v in variables]], variables


def write_spss(frame: pd.DataFrame, variables: list[Variable], path: Path) -> None:
    import pyreadstat

    pyreadstat.write_sav(frame, str(path), column_labels={v.name: v.label for v in variables},
                         variable_value_labels={v.name: v.values for v in variables if v.values})


def write_stata(frame: pd.DataFrame, variables: list[Variable], path: Path) -> None:
    import pyreadstat

    pyreadstat.write_dta(frame, str(path), column_labels={v.name: v.label[:80] for v in variables},
                         variable_value_labels={v.name: {int(k): lab for k, lab in v.values.items()}
                                                for v in variables if v.values}, version=15)


def write_xlsx(frame: pd.DataFrame, variables: list[Variable], path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    data = wb.active
    data.title = "Data"
    data.append(list(frame.columns))
    for cell in data[1]:
        cell.font = Font(bold=True)
    for row in frame.itertuples(index=False):
        data.append([None if isinstance(v, float) and np.isnan(v) else v for v in row])
    data.freeze_panes = "B2"
    book = wb.create_sheet("Codebook")
    book.append(["variable", "label", "type", "values", "source"])
    for v in variables:
        book.append([v.name, v.label, v.kind, _values_text(v), v.source])
    wb.save(path)


def _values_text(v: Variable) -> str:
    return "; ".join(f"{k:g} = {lab}" for k, lab in v.values.items())


def write_codebook(variables: list[Variable], csv_path: Path, html_path: Path) -> None:
    with open(csv_path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["variable", "label", "type", "values", "source"])
        for v in variables:
            writer.writerow([v.name, v.label, v.kind, _values_text(v), v.source])
    rows = "\n".join(f"<tr><td><code>{html.escape(v.name)}</code></td><td>{html.escape(v.label)}</td>"
                     f"<td>{v.kind}</td><td>{html.escape(_values_text(v))}</td><td>{v.source}</td></tr>"
                     for v in variables)
    html_path.write_text(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Nurture codebook</title>"
        "<style>body{font:14px system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}"
        "td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}</style></head>"
        f"<body><h1>Codebook</h1><p>{len(variables)} variables, one row per dyad.</p><table><thead><tr><th>Variable"
        f"</th><th>Label</th><th>Type</th><th>Values</th><th>Source</th></tr></thead><tbody>{rows}</tbody></table>"
        "</body></html>", encoding="utf-8")


def export_wide(by, study, targets: dict[str, Path], *, deidentified: bool, items: bool = False) -> list[Path]:
    """Write the chosen wide files plus the codebook next to the first one. Audited as an export."""
    from nurture.accounts import audit
    from nurture.accounts.enums import AuditAction

    from .bundle import collect

    data = collect(by, study, deidentified=deidentified)
    frame, variables = build(data.tables, items=items)
    writers = {"spss": write_spss, "stata": write_stata, "xlsx": write_xlsx}
    written = []
    for kind, path in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        writers[kind](frame, variables, path)
        written.append(path)
    first = next(iter(targets.values()))
    codebook_csv = first.with_name(first.stem + "-codebook.csv")
    codebook_html = first.with_name(first.stem + "-codebook.html")
    write_codebook(variables, codebook_csv, codebook_html)
    written += [codebook_csv, codebook_html]
    audit.record(by, AuditAction.EXPORT, object_type="program.Study", object_id=str(study.pk),
                 summary=f"Wide export ({', '.join(targets)}; {'de-identified' if deidentified else 'identified'})",
                 after={"files": [p.name for p in written], "rows": int(len(frame)), "variables": len(variables),
                        "deidentified": deidentified, "items": items})
    return written
