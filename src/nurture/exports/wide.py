"""Wide files for statistical packages: one row per dyad, labelled variables.

Columns are ``instrument_scale_timepoint`` scores (``epds_total_pre``), optionally
``instrument_item_timepoint`` items, after the dyad's characteristics. Categorical
variables are stored as whole-number codes with plain-word value labels (1 = "In
person"), shown without decimals; item values keep their instrument coding, labelled
with our response labels. A codebook (CSV and HTML) describes every variable. Built
from the same tables as the bundle, so the same de-identification applies.

"Not applicable" (``na``) is a missing value everywhere, never a number a mean could
use: SPSS gets −1 declared user-missing, Stata the extended missing value ``.a``, the
Excel sheet the text ``na``; each labelled "not applicable".

Variable names follow SPSS's and Stata's rules (letters, digits and underscores, a
letter first, at most 32 characters, unique ignoring case) — see :func:`variable_name`.
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

# Category -> [(code, value in the bundle, plain-word label)]
CATEGORIES = {
    "status": [(i + 1, v, v.capitalize()) for i, v in enumerate(
        ["referred", "screened", "eligible", "ineligible", "consented", "enrolled", "completed", "withdrawn", "lost"])],
    "delivery": [(1, "in_person", "In person"), (2, "online", "Online"), (3, "hybrid", "Hybrid (in person and online)")],
    "language": [(1, "en", "English"), (2, "es", "Spanish")],
    "primiparous": [(0, "false", "No"), (1, "true", "Yes")],
}
NOT_APPLICABLE = "not applicable"
NA_SPSS = -1.0  # declared user-missing
NA_STATA = "a"  # extended missing value .a
MAX_NAME = 32
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
    decimals: int = 0  # shown decimals of a numeric variable
    measure: str = "scale"  # SPSS measurement level: nominal, ordinal or scale
    not_applicable: bool = False  # holds "na" answers (declared missing)


def variable_name(first: str, middle: str, last: str, used: set[str]) -> str:
    """``first_middle_last`` as a name SPSS and Stata both accept, distinct from ``used``.

    1. Characters other than letters, digits and ``_`` become ``_``; a name starting
       with a digit gets a leading ``v``.
    2. When longer than 32 characters, each word of the middle part (the scale or item)
       is cut to its first three letters (``negative_affectivity`` → ``neg_aff``); if
       still too long, the part before the timepoint is cut at its end, so the
       timepoint always stays.
    3. A name equal to one already used (ignoring case) gets ``_2``, ``_3``, … (cutting
       the part before the timepoint further to make room).

    ``used`` (lower-case names) is updated. The codebook lists every name with its meaning.
    """
    def clean(text: str) -> str:
        return re.sub(r"[^A-Za-z0-9_]", "_", text)

    first, middle, last = clean(first), clean(middle), clean(last)
    if first[:1].isdigit():
        first = f"v{first}"

    def fit(mid: str, suffix: str = "") -> str:
        tail = (f"_{last}" if last else "") + suffix
        head = "_".join(p for p in (first, mid) if p)
        if len(head) + len(tail) > MAX_NAME:
            head = head[:MAX_NAME - len(tail)].rstrip("_")
        return head + tail

    if len(fit(middle)) < len("_".join(p for p in (first, middle, last) if p)):
        middle = "_".join(w[:3] for w in middle.split("_") if w)
    name, n = fit(middle), 1
    while name.lower() in used:
        n += 1
        name = fit(middle, f"_{n}")
    used.add(name.lower())
    return name


def build(tables: dict[str, pd.DataFrame], *, items: bool = False) -> tuple[pd.DataFrame, list[Variable]]:
    lib = library()
    people = tables["participants.csv"].copy()
    ids = people["participant_id"]
    columns: dict[str, pd.Series] = {"participant_id": ids}  # built apart, joined once at the end
    variables = []
    used = {"participant_id"}
    for column, label in BASE[1:]:
        used.add(column)
        raw = (people[column].astype(object).mask(people[column].astype(str) == "") if column in people
               else pd.Series(np.nan, index=people.index))
        if column in CATEGORIES:
            levels = CATEGORIES[column]
            columns[column] = raw.map({value: float(code) for code, value, _ in levels}).astype(float)
            variables.append(Variable(column, label, "numeric", {float(code): text for code, _, text in levels},
                                      "participants.csv", measure="nominal"))
        elif column in ("curriculum_weeks", "mother_age", "infant_age_weeks"):
            columns[column] = pd.to_numeric(raw, errors="coerce")
            variables.append(Variable(column, label, "numeric", source="participants.csv",
                                      decimals=0 if column == "curriculum_weeks" else 1))
        else:
            columns[column] = raw.fillna("").astype(str)
            variables.append(Variable(column, label, "string", source="participants.csv", measure="nominal"))
    variables.insert(0, Variable("participant_id", BASE[0][1], "string", source="participants.csv",
                                 measure="nominal"))
    scores = tables["scores.csv"].copy()
    scores["value"] = pd.to_numeric(scores["score"], errors="coerce")
    for (instrument, scale, timepoint), group in scores.groupby(["instrument", "scale", "timepoint"], sort=True):
        name = variable_name(instrument, scale, timepoint, used)
        columns[name] = ids.map(group.set_index("participant_id")["value"])
        inst = lib.get(instrument) if instrument in lib else None
        scale_label, decimals = scale, 2
        if inst is not None:
            try:
                scale_label, decimals = inst.scale(scale).name["en"], inst.scale(scale).decimals
            except KeyError:
                pass
        label = f"{inst.short_name if inst else instrument} {scale_label}, {timepoint}"
        variables.append(Variable(name, label, "numeric", source="scores.csv", decimals=max(decimals, 1)))
    if items:
        responses = tables["item_responses.csv"]
        for (instrument, item_id, timepoint), group in responses.groupby(["instrument", "item", "timepoint"], sort=True):
            inst = lib.get(instrument) if instrument in lib else None
            item = inst.item(item_id) if inst is not None and inst.has_item(item_id) else None
            name = variable_name(instrument, item_id, timepoint, used)
            values = group.set_index("participant_id")["value"]
            not_applicable = (values == "na").any()
            coded = pd.to_numeric(values.mask(values == "na"), errors="coerce")
            labels = {float(o.value): o.label["en"] for o in item.options} if item else {}
            if not_applicable:
                coded = coded.where(values != "na", NA_SPSS)
                labels[NA_SPSS] = NOT_APPLICABLE
            columns[name] = ids.map(coded)
            variables.append(Variable(name, f"{inst.short_name if inst else instrument} item {item_id}"
                                      f"{': ' + item.label['en'] if item else ''}, {timepoint}", "numeric", labels,
                                      "item_responses.csv", measure="ordinal", not_applicable=bool(not_applicable)))
    frame = pd.DataFrame(columns)
    return frame[[v.name for v in variables]], variables


def write_spss(frame: pd.DataFrame, variables: list[Variable], path: Path) -> None:
    import pyreadstat

    numeric = [v for v in variables if v.kind == "numeric"]
    pyreadstat.write_sav(frame, str(path), column_labels={v.name: v.label for v in variables},
                         variable_value_labels={v.name: v.values for v in variables if v.values},
                         missing_ranges={v.name: [NA_SPSS] for v in variables if v.not_applicable},
                         variable_format={v.name: f"F8.{v.decimals}" for v in numeric},
                         variable_measure={v.name: v.measure for v in variables})


def write_stata(frame: pd.DataFrame, variables: list[Variable], path: Path) -> None:
    import pyreadstat

    frame = frame.copy()
    labels = {}
    for v in variables:
        if not v.values:
            continue
        labels[v.name] = {int(k): lab for k, lab in v.values.items() if k != NA_SPSS}
        if v.not_applicable:
            # Stata's extended missing value .a: excluded from every statistic, labelled.
            frame[v.name] = frame[v.name].astype(object).where(frame[v.name] != NA_SPSS, NA_STATA)
            labels[v.name][NA_STATA] = NOT_APPLICABLE
    pyreadstat.write_dta(frame, str(path), column_labels={v.name: v.label[:80] for v in variables},
                         variable_value_labels=labels,
                         missing_user_values={v.name: [NA_STATA] for v in variables if v.not_applicable},
                         variable_format={v.name: f"%9.{v.decimals}f" for v in variables if v.kind == "numeric"},
                         version=15)


def write_xlsx(frame: pd.DataFrame, variables: list[Variable], path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    data = wb.active
    data.title = "Data"
    data.append(list(frame.columns))
    for cell in data[1]:
        cell.font = Font(bold=True)
    na_columns = {i for i, v in enumerate(variables) if v.not_applicable}
    for row in frame.itertuples(index=False):
        data.append([None if isinstance(v, float) and np.isnan(v) else
                     "na" if i in na_columns and v == NA_SPSS else v for i, v in enumerate(row)])
    data.freeze_panes = "B2"
    book = wb.create_sheet("Codebook")
    book.append(["variable", "label", "type", "values", "source"])
    for v in variables:
        book.append([v.name, v.label, v.kind, _values_text(v), v.source])
    wb.save(path)


def _values_text(v: Variable) -> str:
    text = "; ".join(f"{k:g} = {lab}" for k, lab in v.values.items() if not (v.not_applicable and k == NA_SPSS))
    if v.not_applicable:
        text += ("; " if text else "") + "not applicable: missing (SPSS −1, Stata .a, Excel na)"
    return text


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


def export_wide(by, study, targets: dict[str, Path], *, deidentified: bool, items: bool = False,
                pseudonyms=None) -> list[Path]:
    """Write the chosen wide files plus the codebook next to the first one. Audited as an export.

    ``pseudonyms`` is the export call's shared key; without it a de-identified export
    gets its own, kept on the server like a bundle's.
    """
    import datetime as dt
    import secrets

    from nurture.accounts import audit
    from nurture.accounts.enums import AuditAction

    from .bundle import collect
    from .pseudonyms import PseudonymKey

    own_key = pseudonyms is None and deidentified
    pseudonyms = PseudonymKey() if own_key else pseudonyms
    data = collect(by, study, deidentified=deidentified, pseudonyms=pseudonyms)
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
    if own_key and data.key:
        pseudonyms.save_server_copy(f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}")
    audit.record(by, AuditAction.EXPORT, object_type="program.Study", object_id=str(study.pk),
                 summary=f"Wide export ({', '.join(targets)}; {'de-identified' if deidentified else 'identified'})",
                 after={"files": [p.name for p in written], "rows": int(len(frame)), "variables": len(variables),
                        "deidentified": deidentified, "items": items})
    return written
