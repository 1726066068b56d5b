"""REDCap both ways, on a small longitudinal project of ours (two events, a repeating
instrument, a checkbox field, a calculated field and a missing-data code)."""

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from nurture.capture import domain as capture
from nurture.capture.enums import Timepoint
from nurture.exports.bundle import collect
from nurture.exports.redcap import (
    RedcapError,
    export_redcap,
    import_records,
    load_mapping,
    read_dictionary,
    starter_mapping,
)
from nurture.instruments import library, score_table

from .. import factories as f

HERE = Path(__file__).parent / "redcap"
DICTIONARY, RECORDS = HERE / "dictionary.csv", HERE / "records.csv"
NOW = dt.datetime(2026, 1, 3, 18, tzinfo=dt.UTC)


def test_the_starter_mapping_finds_items_and_events():
    mapping = starter_mapping(read_dictionary(DICTIONARY), ["baseline_arm_1", "followup_arm_1"])
    assert mapping.events == {"baseline_arm_1": "pre", "followup_arm_1": "post"}
    assert mapping.fields["gad7_3"] == {"instrument": "gad7", "item": "3"}
    assert mapping.fields["kpcs_q1"] == {"instrument": "kpcs", "item": "1"}
    assert "gad7_total" not in mapping.fields and "checkin_mood" not in mapping.fields


def test_import_reads_events_missing_codes_and_not_applicable():
    result, summary, _ = import_records(DICTIONARY, RECORDS)
    pre_r01 = result[(result.participant_id == "R01") & (result.timepoint == "pre")]
    assert dict(zip(pre_r01.item[pre_r01.instrument == "gad7"], pre_r01.value[pre_r01.instrument == "gad7"],
                    strict=True)) == {"1": "2", "2": "2", "3": "3", "4": "1", "5": "2", "6": "2", "7": "1"}
    assert pre_r01[(pre_r01.instrument == "kpcs") & (pre_r01.item == "1")].value.tolist() == ["na"]
    assert summary.missing_codes == {"UNK": 1}  # R02 gad7_4 at baseline: unanswered, counted
    assert len(result) == 2 * 2 * 9 - 1
    scores = score_table(result, library()).scores
    gad = scores[(scores.instrument == "gad7") & (scores.participant_id == "R02") & (scores.timepoint == "pre")]
    assert gad.score.tolist() == [18.7]  # six answered, prorated: 16 / 6 * 7


def test_nothing_is_silently_dropped():
    _, summary, mapping = import_records(DICTIONARY, RECORDS)
    columns = set(pd.read_csv(RECORDS, dtype=str).columns)
    assert set(summary.used) | set(summary.ignored) == columns
    assert summary.ignored["referral_sources___2"].startswith("checkbox option")
    assert summary.ignored["gad7_total"].startswith("calculated field")
    assert summary.ignored["checkin_mood"] == "not mapped to an instrument item"
    assert summary.ignored["enroll_date"] == "not mapped to an instrument item"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_bad_code_names_file_row_and_column(tmp_path):
    records = write(tmp_path, "records.csv", RECORDS.read_text().replace("R02,followup_arm_1,,,,,,,2,", "R02,followup_arm_1,,,,,,,7,"))
    with pytest.raises(RedcapError) as info:
        import_records(DICTIONARY, records)
    assert str(info.value) == "records.csv, row 7, column gad7_1: '7' is not a code of GAD-7 item 1 (0, 1, 2, 3)"


def test_an_unmapped_event_is_refused(tmp_path):
    records = write(tmp_path, "records.csv", RECORDS.read_text().replace("R02,followup_arm_1", "R02,month_6_arm_1"))
    mapping = write(tmp_path, "map.yaml", "events: {baseline_arm_1: pre, followup_arm_1: post}\n"
                                          "fields: {gad7_1: {instrument: gad7, item: 1}}\n")
    with pytest.raises(RedcapError, match=r"records.csv, row 7, column redcap_event_name: event 'month_6_arm_1' "
                                          r"is not mapped"):
        import_records(DICTIONARY, records, load_mapping(mapping))


def test_an_unknown_mapped_field_is_refused(tmp_path):
    mapping = write(tmp_path, "map.yaml", "events: {baseline_arm_1: pre, followup_arm_1: post}\n"
                                          "fields: {gad7_9: {instrument: gad7, item: 1}}\n")
    with pytest.raises(RedcapError, match="the mapped field 'gad7_9' is not a column"):
        import_records(DICTIONARY, RECORDS, load_mapping(mapping))
    bad_item = write(tmp_path, "bad.yaml", "fields: {gad7_1: {instrument: gad7, item: 12}}\n")
    with pytest.raises(RedcapError, match="gad7 has no item '12'"):
        load_mapping(bad_item)


def test_a_repeating_instrument_needs_a_rule_when_mapped(tmp_path):
    mapping = write(tmp_path, "map.yaml", "events: {baseline_arm_1: pre, followup_arm_1: post}\n"
                                          "fields: {checkin_mood: {instrument: gad7, item: 1, values: {'1': 0, '2': 1, '3': 2}}}\n")
    with pytest.raises(RedcapError, match="several instances of a repeating instrument"):
        import_records(DICTIONARY, RECORDS, load_mapping(mapping))
    last = write(tmp_path, "last.yaml", mapping.read_text() + "repeat: last\n")
    result, summary, _ = import_records(DICTIONARY, RECORDS, load_mapping(last))
    assert result[(result.participant_id == "R01") & (result.timepoint == "pre")].value.tolist() == ["1"]
    assert summary.repeat_instances_dropped == 1


def test_round_trip_nurture_to_redcap_and_back_gives_identical_item_responses(world, tmp_path):
    for dyad, level in ((world.dyad1, 1), (world.dyad2, 2)):
        pre = capture.schedule_assessment(world.coordinator, dyad, Timepoint.PRE)
        capture.save_answers(pre, "gad7", f.all_items("gad7", level), now=NOW)
        capture.save_answers(pre, "kpcs", f.all_items("kpcs", 3) | {"9": "na"}, now=NOW)
        capture.save_answers(pre, "ibqr_vsf", f.all_items("ibqr_vsf", 5) | {"4": "na"}, now=NOW)
        capture.submit_assessment(pre, now=NOW)
    original = collect(world.coordinator, world.study, deidentified=False).tables["item_responses.csv"]
    dd, records = export_redcap(original, tmp_path / "redcap")
    back, summary, _ = import_records(dd, records)
    key = ["participant_id", "timepoint", "instrument", "item"]
    assert back.sort_values(key).reset_index(drop=True).equals(original.sort_values(key).reset_index(drop=True))
    assert summary.missing_codes == {}


def test_import_redcap_command_writes_a_bundle_that_analyze_reads(tmp_path):
    nurture = [sys.executable, "-m", "nurture.cli"]
    out = tmp_path / "bundle"
    result = subprocess.run(nurture + ["import-redcap", "--dictionary", str(DICTIONARY), "--records", str(RECORDS),
                                       "-o", str(out), "--write-map", str(tmp_path / "map.yaml")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "ignored checkin_mood: not mapped to an instrument item" in result.stdout
    analysed = subprocess.run(nurture + ["analyze", str(out), "-o", str(tmp_path / "o"), "--format", "json",
                                         "--bootstrap", "0"], capture_output=True, text=True)
    assert analysed.returncode == 0, analysed.stderr
    bad = subprocess.run(nurture + ["import-redcap", "--dictionary", str(DICTIONARY), "--records",
                                    str(tmp_path / "missing.csv")], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.startswith("nurture: error: ") and "no such file" in bad.stderr
