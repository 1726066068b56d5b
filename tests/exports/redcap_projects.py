"""Small REDCap projects of our own, each reproducing one way real projects differ from Nurture.

Labels are invented for these tests (never any questionnaire's wording).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

DD_HEADER = ["Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
             "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
             "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
             "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
             "Matrix Ranking?", "Field Annotation"]
API_HEADER = ["field_name", "form_name", "section_header", "field_type", "field_label",
              "select_choices_or_calculations", "field_note", "text_validation_type_or_show_slider_number",
              "text_validation_min", "text_validation_max", "identifier", "branching_logic", "required_field",
              "custom_alignment", "question_number", "matrix_group_name", "matrix_ranking", "field_annotation"]
EPDS_REVERSED = {"3", "5", "6", "7", "8", "9", "10"}
FORWARD = "0, Usual for me | 1, A bit less | 2, Much less | 3, Hardly at all"
# Score-coded, listed top to bottom as printed: the top answer scores 3 on a reverse-keyed item.
REVERSED_AS_SCORES = "3, Very often | 2, Sometimes | 1, Rarely | 0, Never"


def field(name, form, kind, label, choices="", validation=""):
    return {"Variable / Field Name": name, "Form Name": form, "Field Type": kind, "Field Label": label,
            "Choices, Calculations, OR Slider Labels": choices,
            "Text Validation Type OR Show Slider Number": validation}


def write_csv(path: Path, header: list[str], rows: list[dict]) -> Path:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in header})
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def epds_fields(form="epds_form", prefix="epds_", suffix=""):
    return [field(f"{prefix}{i}{suffix}", form, "radio", f"Feeling {i}",
                  REVERSED_AS_SCORES if str(i) in EPDS_REVERSED else FORWARD) for i in range(1, 11)]


def score_coded_epds(folder: Path, *, item10: dict[str, str]) -> tuple[Path, Path]:
    """A classic project storing EPDS answers as scores; ``item10`` = record -> REDCap code of item 10.

    Every other item is answered with code 1 (a score of 1 on every item).
    """
    folder.mkdir(parents=True, exist_ok=True)
    dd = write_csv(folder / "dictionary.csv", DD_HEADER,
                   [field("record_id", "enrolment", "text", "Record ID")] + epds_fields())
    rows = []
    for record, code in item10.items():
        row = {"record_id": record, "epds_form_complete": "2"}
        row |= {f"epds_{i}": "1" for i in range(1, 10)}
        row["epds_10"] = code
        rows.append(row)
    records = write_csv(folder / "records.csv", ["record_id"] + [f"epds_{i}" for i in range(1, 11)]
                        + ["epds_form_complete"], rows)
    return dd, records


GAD_LABELS = "0, Not at all | 1, Several days | 2, More than half the days | 3, Nearly every day"


def longitudinal_gad7(folder: Path) -> tuple[Path, Path]:
    """GAD-7 at four events: screening and month 3 are not Nurture timepoints and must be skipped."""
    folder.mkdir(parents=True, exist_ok=True)
    dd = write_csv(folder / "dictionary.csv", DD_HEADER, [field("record_id", "gad", "text", "Record ID")]
                   + [field(f"gad_{i}", "gad", "radio", f"Worry {i}", GAD_LABELS) for i in range(1, 8)])
    rows = []
    for record, levels in (("R1", (2, 2, 1, 1)), ("R2", (3, 3, 2, 0))):
        for event, level in zip(("screening_arm_1", "baseline_arm_1", "month_3_arm_1", "followup_arm_1"), levels,
                                strict=True):
            rows.append({"record_id": record, "redcap_event_name": event, "gad_complete": "2"}
                        | {f"gad_{i}": str(level) for i in range(1, 8)})
    records = write_csv(folder / "records.csv", ["record_id", "redcap_event_name"]
                        + [f"gad_{i}" for i in range(1, 8)] + ["gad_complete"], rows)
    return dd, records


def api_metadata_project(folder: Path) -> tuple[Path, Path]:
    """The same GAD-7 project as the API exports it: JSON metadata (field_name, …) and JSON records."""
    folder.mkdir(parents=True, exist_ok=True)
    meta = [{k: "" for k in API_HEADER} | {"field_name": "record_id", "form_name": "gad", "field_type": "text",
                                           "field_label": "Record ID"}]
    for i in range(1, 8):
        meta.append({k: "" for k in API_HEADER} | {"field_name": f"gad_{i}", "form_name": "gad", "field_type": "radio",
                                                   "field_label": f"Worry {i}",
                                                   "select_choices_or_calculations": GAD_LABELS})
    dd = folder / "metadata.json"
    dd.write_text(json.dumps(meta), encoding="utf-8")
    records = folder / "records.json"
    records.write_text(json.dumps([{"record_id": "R1", "redcap_event_name": "baseline_arm_1", "gad_complete": "2"}
                                   | {f"gad_{i}": "2" for i in range(1, 8)}]), encoding="utf-8")
    return dd, records


def safety_checkbox_project(folder: Path) -> tuple[Path, Path]:
    """PHQ-9 answered on one form; its item 9 asked as a tick box on a second ("safety") form.

    R1 filled the safety form and ticked nothing (a real "no"); R2 never opened it,
    and REDCap still exports 0 for its box.
    """
    folder.mkdir(parents=True, exist_ok=True)
    fields = [field("record_id", "phq", "text", "Record ID")]
    fields += [field(f"phq_{i}", "phq", "radio", f"Mood {i}", GAD_LABELS) for i in range(1, 9)]
    fields += [field("safety_thoughts", "safety", "checkbox", "Thoughts in the last two weeks",
                     "1, Thoughts of being better off dead | 2, None of these"),
               field("safety_date", "safety", "text", "Date", validation="date_ymd")]
    dd = write_csv(folder / "dictionary.csv", DD_HEADER, fields)
    rows = [{"record_id": "R1", "phq_complete": "2", "safety_thoughts___1": "0", "safety_thoughts___2": "1",
             "safety_complete": "2", "safety_date": "2025-03-01"} | {f"phq_{i}": "1" for i in range(1, 9)},
            {"record_id": "R2", "phq_complete": "2", "safety_thoughts___1": "0", "safety_thoughts___2": "0",
             "safety_complete": ""} | {f"phq_{i}": "1" for i in range(1, 9)}]
    header = ["record_id"] + [f"phq_{i}" for i in range(1, 9)] + ["phq_complete", "safety_thoughts___1",
                                                                  "safety_thoughts___2", "safety_date",
                                                                  "safety_complete"]
    return dd, write_csv(folder / "records.csv", header, rows)


SAFETY_MAP = """\
fields:
{phq}
  safety_thoughts___1: {{instrument: phq9, item: 9, values: {{1: 1, 0: 0}}}}
""".format(phq="\n".join(f"  phq_{i}: {{instrument: phq9, item: {i}}}" for i in range(1, 9)))
