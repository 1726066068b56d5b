"""SPSS, Stata and Excel files read back with their variable and value labels."""

import datetime as dt

import pyreadstat
import pytest
from openpyxl import load_workbook

from nurture.accounts.models import AuditEvent
from nurture.capture import domain as capture
from nurture.capture.enums import Timepoint
from nurture.exports.wide import export_wide

from .. import factories as f

NOW = dt.datetime(2026, 1, 3, 18, tzinfo=dt.UTC)


@pytest.fixture
def written(world, tmp_path):
    pre = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    capture.save_answers(pre, "gad7", f.all_items("gad7", 2), now=NOW)
    capture.save_answers(pre, "kpcs", f.all_items("kpcs", 3) | {"1": "na"}, now=NOW)
    capture.submit_assessment(pre, now=NOW)
    targets = {"spss": tmp_path / "nc.sav", "stata": tmp_path / "nc.dta", "xlsx": tmp_path / "nc.xlsx"}
    paths = export_wide(world.coordinator, world.study, targets, deidentified=True, items=True)
    return world, tmp_path, paths


def test_spss_keeps_variable_and_value_labels(written):
    world, folder, _ = written
    frame, meta = pyreadstat.read_sav(folder / "nc.sav")
    assert len(frame) == 2  # the coordinator's site only
    assert meta.column_names_to_labels["gad7_total_pre"] == "GAD-7 Total, pre"
    assert meta.variable_value_labels["status"][6.0] == "enrolled"
    assert meta.variable_value_labels["gad7_1_pre"] == {0.0: "Not at all", 1.0: "Several days",
                                                         2.0: "More than half the days", 3.0: "Nearly every day"}
    assert sorted(frame["gad7_total_pre"].dropna().tolist()) == [14.0]
    assert frame["kpcs_1_pre"].dropna().tolist() == [-1.0]  # na is coded -1, labelled "not applicable"
    assert meta.variable_value_labels["kpcs_1_pre"][-1.0] == "not applicable"
    assert all(p.startswith("P-") for p in frame["participant_id"])


def test_stata_reads_back_with_labels(written):
    _, folder, _ = written
    frame, meta = pyreadstat.read_dta(folder / "nc.dta")
    assert meta.column_names_to_labels["gad7_total_pre"] == "GAD-7 Total, pre"
    assert meta.variable_value_labels["language"] == {1: "en", 2: "es"}
    assert len(frame) == 2


def test_excel_and_codebook_describe_every_variable(written):
    _, folder, paths = written
    wb = load_workbook(folder / "nc.xlsx")
    assert wb.sheetnames == ["Data", "Codebook"]
    header = [c.value for c in wb["Data"][1]]
    codebook = [row[0].value for row in wb["Codebook"].iter_rows(min_row=2)]
    assert header == codebook
    csv_names = [line.split(",")[0] for line in (folder / "nc-codebook.csv").read_text().splitlines()[1:]]
    assert csv_names == header
    assert "<code>gad7_total_pre</code>" in (folder / "nc-codebook.html").read_text()


def test_wide_exports_are_audited_and_contain_no_identifiers(written):
    world, folder, _ = written
    assert AuditEvent.objects.filter(action="export", summary__startswith="Wide export").count() == 1
    for path in folder.iterdir():
        data = path.read_bytes()
        for secret in (b"Leakwell", b"Aurelia", b"555-0199", world.dyad1.code.encode()):
            assert secret not in data, (path.name, secret)
