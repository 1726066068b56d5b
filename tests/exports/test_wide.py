"""SPSS, Stata and Excel files read back with their variable and value labels."""

import datetime as dt

import pyreadstat
import pytest
from openpyxl import load_workbook

from nurture.accounts.models import AuditEvent
from nurture.capture import domain as capture
from nurture.capture.enums import Timepoint
from nurture.exports.wide import export_wide, variable_name

from .. import factories as f

NOW = dt.datetime(2026, 1, 3, 18, tzinfo=dt.UTC)


@pytest.fixture
def written(world, tmp_path_factory, settings):
    settings.VAR_DIR = tmp_path_factory.mktemp("var")
    tmp_path = tmp_path_factory.mktemp("export")
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
    assert meta.variable_value_labels["status"][6.0] == "Enrolled"
    assert meta.variable_value_labels["delivery"] == {1.0: "In person", 2.0: "Online",
                                                      3.0: "Hybrid (in person and online)"}
    assert meta.variable_value_labels["gad7_1_pre"] == {0.0: "Not at all", 1.0: "Several days",
                                                         2.0: "More than half the days", 3.0: "Nearly every day"}
    assert sorted(frame["gad7_total_pre"].dropna().tolist()) == [14.0]
    assert all(p.startswith("P-") for p in frame["participant_id"])


def test_not_applicable_is_declared_missing_in_spss(written):
    _, folder, _ = written
    raw, meta = pyreadstat.read_sav(folder / "nc.sav", user_missing=True)
    assert raw["kpcs_1_pre"].dropna().tolist() == [-1.0]  # kept as -1, labelled "not applicable"…
    assert meta.variable_value_labels["kpcs_1_pre"][-1.0] == "not applicable"
    assert meta.missing_ranges["kpcs_1_pre"] == [{"lo": -1.0, "hi": -1.0}]  # …and declared user-missing
    frame, _ = pyreadstat.read_sav(folder / "nc.sav")
    assert frame["kpcs_1_pre"].dropna().tolist() == []  # so no statistic ever uses it
    assert frame["kpcs_2_pre"].dropna().tolist() == [3.0]


def test_codes_show_as_whole_numbers(written):
    _, folder, _ = written
    _, meta = pyreadstat.read_sav(folder / "nc.sav")
    assert meta.original_variable_types["status"] == "F8.0"
    assert meta.original_variable_types["gad7_1_pre"] == "F8.0"
    assert meta.original_variable_types["gad7_total_pre"] == "F8.1"
    assert meta.variable_measure["status"] == "nominal" and meta.variable_measure["gad7_1_pre"] == "ordinal"
    _, stata = pyreadstat.read_dta(folder / "nc.dta")
    assert stata.original_variable_types["status"] == "%9.0f"


def test_variable_names_are_shortened_without_collisions():
    used: set[str] = set()
    assert variable_name("ibqr_vsf", "negative_affectivity", "post", used) == "ibqr_vsf_neg_aff_post"
    assert variable_name("ibqr_vsf", "negative_affectivity", "post", used) == "ibqr_vsf_neg_aff_post_2"
    long = variable_name("instrument_with_a_long_id", "a_long_scale_name_here", "post", used)
    assert len(long) <= 32 and long.startswith("instrument_with_a_long_id_")
    twin = variable_name("instrument_with_a_long_id", "a_long_scale_name_else", "post", used)
    assert len(twin) <= 32 and twin.lower() != long.lower()
    assert variable_name("1x", "total", "pre", used) == "v1x_total_pre"
    assert variable_name("EPDS", "Total", "pre", {"epds_total_pre"}) == "EPDS_Total_pre_2"


def test_stata_reads_back_with_labels(written):
    _, folder, _ = written
    frame, meta = pyreadstat.read_dta(folder / "nc.dta")
    assert meta.column_names_to_labels["gad7_total_pre"] == "GAD-7 Total, pre"
    assert meta.variable_value_labels["language"] == {1: "English", 2: "Spanish"}
    assert len(frame) == 2


def test_not_applicable_is_an_extended_missing_value_in_stata(written):
    _, folder, _ = written
    frame, meta = pyreadstat.read_dta(folder / "nc.dta", user_missing=True)
    assert frame["kpcs_1_pre"].dropna().tolist() == ["a"]  # .a
    assert meta.missing_user_values["kpcs_1_pre"] == ["a"]
    assert meta.variable_value_labels["kpcs_1_pre"]["a"] == "not applicable"
    plain, _ = pyreadstat.read_dta(folder / "nc.dta")
    assert plain["kpcs_1_pre"].dropna().tolist() == []


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
    column = header.index("kpcs_1_pre") + 1
    assert [r[column - 1].value for r in wb["Data"].iter_rows(min_row=2)] .count("na") == 1


def test_wide_exports_are_audited_and_contain_no_identifiers(written):
    world, folder, _ = written
    assert AuditEvent.objects.filter(action="export", summary__startswith="Wide export").count() == 1
    for path in folder.iterdir():
        data = path.read_bytes()
        for secret in (b"Leakwell", b"Aurelia", b"555-0199", world.dyad1.code.encode()):
            assert secret not in data, (path.name, secret)
