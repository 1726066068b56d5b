"""A REDCap data dictionary, and the comparison of a field's choices with an item's coding.

Both layouts are read: the one the Designer downloads ("Variable / Field Name",
"Form Name", …) and the API's metadata export (``field_name``, ``form_name``, …), as
CSV or JSON.

Why choices are compared, not just codes: many projects store answers as *scores*
(EPDS item 3 coded 3, 2, 1, 0 from the top), while Nurture stores the position of the
chosen answer and reverse-keys it when scoring. Reading such codes as positions would
reverse the item — a mother who answered "never" would look like one who answered
"yes, quite often". So a field is taken as it stands only when its codes are the
item's codes in the item's order, no label says otherwise, and — for a reverse-keyed
item, where the two conventions disagree — the labels confirm it. Anything else needs
an explicit ``values:`` map in the mapping file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nurture.instruments.model import Item

from .common import CHOICE_TYPES, RedcapError, normal_label, read_table

COLUMNS = {  # the Designer's column → the API's column
    "Variable / Field Name": "field_name", "Form Name": "form_name", "Section Header": "section_header",
    "Field Type": "field_type", "Field Label": "field_label",
    "Choices, Calculations, OR Slider Labels": "select_choices_or_calculations", "Field Note": "field_note",
    "Text Validation Type OR Show Slider Number": "text_validation_type_or_show_slider_number",
    "Text Validation Min": "text_validation_min", "Text Validation Max": "text_validation_max",
    "Identifier?": "identifier", "Branching Logic (Show field only if...)": "branching_logic",
    "Required Field?": "required_field", "Custom Alignment": "custom_alignment",
    "Question Number (surveys only)": "question_number", "Matrix Group Name": "matrix_group_name",
    "Matrix Ranking?": "matrix_ranking", "Field Annotation": "field_annotation",
}
FIXED_CHOICES = {"yesno": (("1", "Yes"), ("0", "No")), "truefalse": (("1", "True"), ("0", "False"))}


@dataclass(frozen=True)
class Field:
    name: str
    form: str
    type: str
    label: str
    choices: tuple[tuple[str, str], ...]  # (code, label) in the order REDCap lists them
    validation: str
    row: int  # line in the dictionary file

    @property
    def has_choices(self) -> bool:
        return self.type in CHOICE_TYPES

    @property
    def codes(self) -> list[str]:
        return [c for c, _ in self.choices]


@dataclass(frozen=True)
class Dictionary:
    name: str  # file name, for messages
    fields: dict[str, Field]

    def __contains__(self, name: str) -> bool:
        return name in self.fields

    def __getitem__(self, name: str) -> Field:
        return self.fields[name]

    def __iter__(self):
        return iter(self.fields.values())

    @property
    def first(self) -> str | None:
        return next(iter(self.fields), None)

    def forms(self) -> dict[str, list[Field]]:
        out: dict[str, list[Field]] = {}
        for f in self.fields.values():
            out.setdefault(f.form, []).append(f)
        return out


def parse_choices(text: str) -> tuple[tuple[str, str], ...]:
    choices = []
    for part in str(text).split("|"):
        code, _, label = part.partition(",")
        if code.strip():
            choices.append((code.strip(), label.strip()))
    return tuple(choices)


def read_dictionary(path: Path) -> Dictionary:
    frame, lines, name = read_table(path, pad_short_rows=True)
    frame.columns = [COLUMNS.get(c.strip(), c.strip()) for c in frame.columns]
    for column in ("field_name", "form_name", "field_type"):
        if column not in frame.columns:
            shown = next(k for k, v in COLUMNS.items() if v == column)
            raise RedcapError(f"missing column {shown!r} (or {column!r}): is this a REDCap data dictionary?",
                              file=name, row=1, column=shown)
    fields: dict[str, Field] = {}
    for k, row in enumerate(frame.to_dict("records")):
        line = int(lines[k])
        variable = str(row["field_name"]).strip()
        kind = str(row["field_type"]).strip().lower()
        if not variable:
            raise RedcapError("the field name is empty", file=name, row=line, column="field_name")
        if variable in fields:
            raise RedcapError(f"field {variable!r} is defined twice (first on row {fields[variable].row})",
                              file=name, row=line, column="field_name")
        choices: tuple[tuple[str, str], ...] = ()
        if kind in FIXED_CHOICES:
            choices = FIXED_CHOICES[kind]
        elif kind in ("radio", "dropdown", "checkbox"):
            choices = parse_choices(row.get("select_choices_or_calculations", ""))
            codes = [c for c, _ in choices]
            if not choices:
                raise RedcapError(f"{kind} field {variable!r} has no choices", file=name, row=line,
                                  column="select_choices_or_calculations")
            duplicate = next((c for i, c in enumerate(codes) if c in codes[:i]), None)
            if duplicate is not None:
                raise RedcapError(f"field {variable!r} lists choice code {duplicate!r} twice", file=name, row=line,
                                  column="select_choices_or_calculations")
        fields[variable] = Field(
            name=variable, form=str(row["form_name"]).strip(), type=kind, label=str(row.get("field_label", "")),
            choices=choices, validation=str(row.get("text_validation_type_or_show_slider_number", "")).strip(),
            row=line)
    if not fields:
        raise RedcapError("defines no fields", file=name, row=1)
    return Dictionary(name=name, fields=fields)


# --------------------------------------------------------------------------- coding


def label_values(item: Item, label: str) -> set[str]:
    """The item's values whose label (English or Spanish) is this label."""
    wanted = normal_label(label)
    if not wanted:
        return set()
    found = {str(o.value) for o in item.options if wanted in {normal_label(t) for t in o.label.values()}}
    if item.na_allowed and wanted in ("not applicable", "does not apply", "no aplica", "na", "n a"):
        found.add("na")
    return found


def direction_sensitive(item: Item) -> bool:
    """Storing a score and storing the answer's position differ for this item."""
    return item.reverse or item.score_map is not None


def _is_na_code(code: str, item: Item) -> bool:
    return item.na_allowed and code.lower() == "na"


@dataclass(frozen=True)
class CodingCheck:
    ok: bool
    problem: str = ""
    proposal: dict[str, str | None] | None = None  # REDCap code -> item value, when one can be proposed
    basis: str = ""  # how the proposal was made: "labels" or "position"


def compare_coding(field: Field, item: Item, missing_codes: list[str]) -> CodingCheck:
    """Does the field hold the item's coding as it stands? If not, what would map it, and why."""
    codes = [c for c in field.codes if c not in missing_codes or _is_na_code(c, item)]
    ours = [str(v) for v in item.values] + (["na"] if item.na_allowed else [])
    scored = [c for c in codes if not _is_na_code(c, item)]
    by_label = {c: label_values(item, lab) for c, lab in field.choices if c in codes}
    contradicted = [c for c in codes if by_label[c] and (("na" if _is_na_code(c, item) else c) not in by_label[c])]
    confirmed = all(("na" if _is_na_code(c, item) else c) in by_label[c] for c in codes)
    same_codes = scored == [str(v) for v in item.values]
    proposal, basis = _propose(field, item, codes, by_label)
    listed = ", ".join(field.codes)
    coding = ", ".join(ours)
    if contradicted:
        c = contradicted[0]
        label = dict(field.choices)[c]
        return CodingCheck(False, f"REDCap code {c} is labelled {label!r}, which is {item_word(item)} code "
                                  f"{'/'.join(sorted(by_label[c]))} in Nurture's coding ({coding})", proposal, basis)
    if not same_codes:
        return CodingCheck(False, f"REDCap codes {listed} (in that order) are not {item_word(item)}'s coding "
                                  f"{coding}", proposal, basis)
    if direction_sensitive(item) and not confirmed:
        return CodingCheck(False, f"{item_word(item)} is reverse-keyed and the labels of REDCap codes {listed} do "
                                  "not confirm they are its coding (they may be scores)", proposal, basis)
    return CodingCheck(True)


def item_word(item: Item) -> str:
    return f"item {item.id}"


def _propose(field: Field, item: Item, codes: list[str], by_label: dict[str, set[str]]
             ) -> tuple[dict[str, str | None] | None, str]:
    # Labels first: when every choice names exactly one of the item's answers.
    if codes and all(len(v) == 1 for v in by_label.values()) and \
            len({next(iter(v)) for v in by_label.values()}) == len(codes):
        return {c: next(iter(by_label[c])) for c in codes}, "labels"
    # Else by position: the k-th choice listed is the item's k-th answer.
    scored = [c for c in codes if not _is_na_code(c, item)]
    if len(scored) == len(item.values):
        proposal: dict[str, str | None] = {c: str(v) for c, v in zip(scored, item.values, strict=True)}
        for c in codes:
            if _is_na_code(c, item):
                proposal[c] = "na"
        return proposal, "position"
    return None, ""
