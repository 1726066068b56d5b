"""REDCap both ways, on small projects of our own: a longitudinal project with a repeating
instrument, a checkbox, a calculated field and a missing-data code; a score-coded EPDS;
events to skip; API metadata; a never-filled checkbox form; and the round trip."""

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from nurture.capture import domain as capture
from nurture.capture.enums import Timepoint
from nurture.cli.main import app
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
from . import redcap_projects as projects

HERE = Path(__file__).parent / "redcap"
DICTIONARY, RECORDS = HERE / "dictionary.csv", HERE / "records.csv"
NOW = dt.datetime(2026, 1, 3, 18, tzinfo=dt.UTC)
runner = CliRunner()


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def gad_map(tmp_path, extra=""):
    return write(tmp_path, "map.yaml", "events: {baseline_arm_1: pre, followup_arm_1: post}\nrepeat: last\n"
                 "fields:\n" + "".join(f"  gad7_{i}: {{instrument: gad7, item: {i}}}\n" for i in range(1, 8))
                 + "  kpcs_q1: {instrument: kpcs, item: 1}\n  kpcs_q2: {instrument: kpcs, item: 2}\n" + extra)


# --------------------------------------------------------------------------- the general project


def test_the_starter_mapping_proposes_instruments_by_structure_never_by_name_alone():
    mapping = starter_mapping(read_dictionary(DICTIONARY), ["baseline_arm_1", "followup_arm_1"])
    assert mapping.events == {"baseline_arm_1": "pre", "followup_arm_1": "post"}
    assert mapping.fields["gad7_3"].instrument == "gad7" and mapping.fields["gad7_3"].item == "3"
    # two KPCS-named fields are not the 15-item KPCS: named, but the structure does not fit
    assert "kpcs_q1" not in mapping.fields
    assert any("named like KPCS but has 2 rated fields" in n for n in mapping.notes)
    assert "gad7_total" not in mapping.fields and "checkin_mood" not in mapping.fields


def test_import_reads_events_missing_codes_and_not_applicable(tmp_path):
    result, summary, _ = import_records(DICTIONARY, RECORDS, load_mapping(gad_map(tmp_path)))
    pre_r01 = result[(result.participant_id == "R01") & (result.timepoint == "pre")]
    gad = pre_r01[pre_r01.instrument == "gad7"]
    assert dict(zip(gad.item, gad.value, strict=True)) == {"1": "2", "2": "2", "3": "3", "4": "1", "5": "2",
                                                           "6": "2", "7": "1"}
    assert pre_r01[(pre_r01.instrument == "kpcs") & (pre_r01.item == "1")].value.tolist() == ["na"]
    assert summary.missing_codes == {"UNK": 1}  # R02 gad7_4 at baseline: unanswered, counted
    assert len(result) == 2 * 2 * 9 - 1
    scores = score_table(result, library()).scores
    gad_r02 = scores[(scores.instrument == "gad7") & (scores.participant_id == "R02") & (scores.timepoint == "pre")]
    assert gad_r02.score.tolist() == [18.7]  # six answered, prorated: 16 / 6 * 7


def test_every_column_is_used_or_listed_with_its_reason(tmp_path):
    _, summary, _ = import_records(DICTIONARY, RECORDS, load_mapping(gad_map(tmp_path)))
    columns = set(pd.read_csv(RECORDS, dtype=str).columns)
    assert set(summary.used) | set(summary.ignored) == columns
    assert summary.ignored["referral_sources___2"].startswith("checkbox option")
    assert summary.ignored["gad7_total"].startswith("calculated field")
    assert summary.ignored["checkin_mood"] == "not mapped to an instrument item"


def test_a_bad_code_names_file_row_and_column(tmp_path):
    records = write(tmp_path, "records.csv", RECORDS.read_text().replace("R02,followup_arm_1,,,,,,,2,",
                                                                         "R02,followup_arm_1,,,,,,,7,"))
    with pytest.raises(RedcapError) as info:
        import_records(DICTIONARY, records, load_mapping(gad_map(tmp_path)))
    assert str(info.value) == "records.csv, row 7, column gad7_1: '7' is not a code of gad7 item 1 (0, 1, 2, 3)"


def test_an_unmapped_event_is_refused_and_a_skipped_one_is_counted(tmp_path):
    records = write(tmp_path, "records.csv", RECORDS.read_text().replace("R02,followup_arm_1", "R02,month_6_arm_1"))
    with pytest.raises(RedcapError, match=r"records.csv, row 7, column redcap_event_name: event 'month_6_arm_1' "
                                          r"is not mapped"):
        import_records(DICTIONARY, records, load_mapping(gad_map(tmp_path)))
    skipping = write(tmp_path, "skip.yaml", gad_map(tmp_path).read_text().replace(
        "followup_arm_1: post}", "followup_arm_1: post, month_6_arm_1: skip}"))
    result, summary, _ = import_records(DICTIONARY, records, load_mapping(skipping))
    assert summary.skipped_events == {"month_6_arm_1": 1}
    assert "1 row(s) of skipped events (month_6_arm_1)" in summary.dropped_line
    assert "row 7: record R02, event month_6_arm_1 (skipped)" in summary.examples
    assert set(result[result.participant_id == "R02"].timepoint) == {"pre"}


def test_a_timepoint_the_study_does_not_have_is_refused(tmp_path):
    mapping = write(tmp_path, "m.yaml", gad_map(tmp_path).read_text().replace("followup_arm_1: post",
                                                                              "followup_arm_1: other1"))
    with pytest.raises(RedcapError, match="events.followup_arm_1: 'other1' is not a timepoint of the study"):
        import_records(DICTIONARY, RECORDS, load_mapping(mapping))


def test_mapping_keys_are_checked_and_typos_named(tmp_path):
    with pytest.raises(RedcapError, match=r"evnts: is not a mapping key \(did you mean 'events'\?\)"):
        load_mapping(write(tmp_path, "a.yaml", "evnts: {}\nfields: {gad7_1: {instrument: gad7, item: 1}}\n"))
    with pytest.raises(RedcapError, match=r"fields.gad7_1.vales: is not a field key \(did you mean 'values'\?\)"):
        load_mapping(write(tmp_path, "b.yaml", "fields: {gad7_1: {instrument: gad7, item: 1, vales: {1: 1}}}\n"))
    with pytest.raises(RedcapError, match="gad7 has no item '12'"):
        load_mapping(write(tmp_path, "c.yaml", "fields: {gad7_1: {instrument: gad7, item: 12}}\n"))
    with pytest.raises(RedcapError, match=r"unknown instrument 'gad' \(did you mean 'gad7'\?\)"):
        load_mapping(write(tmp_path, "d.yaml", "fields: {gad7_1: {instrument: gad, item: 1}}\n"))


def test_yaml_integer_keys_in_values_work(tmp_path):
    mapping = load_mapping(write(tmp_path, "m.yaml", "fields: {x: {instrument: gad7, item: 1, values: {1: 0, "
                                                     "'2': 1, 3: 2, 4: null}}}\n"))
    assert mapping.fields["x"].values == {"1": "0", "2": "1", "3": "2", "4": None}


def test_a_repeating_instrument_needs_a_rule_and_dropped_instances_are_counted(tmp_path):
    base = gad_map(tmp_path).read_text().replace("repeat: last\n", "") + \
        "  checkin_mood: {instrument: rses, item: 1, values: {1: 0, 2: 1, 3: 2}}\n"
    mapping = write(tmp_path, "map.yaml", base)
    with pytest.raises(RedcapError, match="rses is answered in 2 instances of a repeating form"):
        import_records(DICTIONARY, RECORDS, load_mapping(mapping))
    last = write(tmp_path, "last.yaml", base + "repeat: last\n")
    result, summary, _ = import_records(DICTIONARY, RECORDS, load_mapping(last))
    rses = result[(result.instrument == "rses") & (result.participant_id == "R01")]
    assert rses.value.tolist() == ["1"]  # instance 2 answered "2" -> 1
    assert summary.repeat_instances_dropped == 1
    assert "1 repeat instance(s)" in summary.dropped_line


def test_a_non_numeric_repeat_instance_is_named(tmp_path):
    records = write(tmp_path, "records.csv", RECORDS.read_text().replace("weekly_checkin,2,", "weekly_checkin,two,"))
    with pytest.raises(RedcapError) as info:
        import_records(DICTIONARY, records, load_mapping(gad_map(tmp_path)))
    assert str(info.value) == ("records.csv, row 4, column redcap_repeat_instance: 'two' is not a repeat instance "
                               "(1, 2, …)")


# --------------------------------------------------------------------------- score-coded EPDS


def test_a_score_coded_epds_is_refused_without_a_values_map(tmp_path):
    dd, records = projects.score_coded_epds(tmp_path / "p", item10={"M1": "0", "M2": "3"})
    with pytest.raises(RedcapError) as info:
        import_records(dd, records)
    message = str(info.value)
    assert message.startswith("dictionary.csv, row 5, column epds_3: epds_3 → EPDS item 3: REDCap codes 3, 2, 1, 0 "
                              "(in that order) are not item 3's coding 0, 1, 2, 3")
    assert "--write-map" in message


def test_the_proposed_values_map_imports_scores_unchanged_and_flags_the_right_mother(tmp_path):
    dd, records = projects.score_coded_epds(tmp_path / "p", item10={"M1": "0", "M2": "3"})
    result = invoke("import-redcap", "--dictionary", dd, "--records", records, "-o", tmp_path / "b",
                    "--write-map", tmp_path / "map.yaml")
    assert result.exit_code == 2 and (tmp_path / "map.yaml").exists()  # refused, but the proposal is written
    assert not (tmp_path / "b").exists()
    proposal = yaml.safe_load((tmp_path / "map.yaml").read_text())
    assert proposal["fields"]["epds_10"]["values"] == {"3": "0", "2": "1", "1": "2", "0": "3"}
    assert "values" not in proposal["fields"]["epds_1"]
    assert "# CHECK" in (tmp_path / "map.yaml").read_text()
    confirmed = invoke("import-redcap", "--dictionary", dd, "--records", records, "-o", tmp_path / "b",
                       "--map", tmp_path / "map.yaml")
    assert confirmed.exit_code == 0, confirmed.output
    items = pd.read_csv(tmp_path / "b" / "item_responses.csv", dtype=str)
    scored = score_table(items, library())
    totals = scored.scores[scored.scores.scale == "total"].set_index("participant_id").score
    # REDCap stored scores: Nurture's total is their sum (9 items scoring 1, plus item 10)
    assert totals.to_dict() == {"M1": 9.0, "M2": 12.0}
    urgent = scored.flags[scored.flags.rule == "self_harm"]
    assert urgent.participant_id.tolist() == ["M2"]  # the mother who answered "very often", not "never"
    summary = json.loads((tmp_path / "b" / "import-summary.json").read_text())
    assert [(s["participant_id"], s["rule"]) for s in summary["safety"] if s["severity"] == "urgent"] == \
        [("M2", "self_harm")]
    assert "urgent    epds self_harm (item 10): M2 pre" in confirmed.stderr


def test_a_score_coded_item_whose_labels_confirm_is_taken_as_it_stands(tmp_path):
    dd, _ = projects.score_coded_epds(tmp_path / "p", item10={"M1": "0"})
    check = read_dictionary(dd)
    assert check["epds_1"].codes == ["0", "1", "2", "3"]
    mapping = starter_mapping(check, [])
    assert mapping.fields["epds_1"].values is None and "epds_1" not in mapping.unconfirmed
    assert "epds_3" in mapping.unconfirmed


def test_a_values_map_must_cover_every_choice(tmp_path):
    dd, records = projects.score_coded_epds(tmp_path / "p", item10={"M1": "0"})
    fields = "".join(f"  epds_{i}: {{instrument: epds, item: {i}}}\n" for i in (1, 2, 4))
    mapping = write(tmp_path, "m.yaml", "fields:\n" + fields + "  epds_10: {instrument: epds, item: 10, "
                                                               "values: {3: 0, 2: 1, 1: 2}}\n")
    with pytest.raises(RedcapError, match="values: does not say what REDCap code '0' \\('Never'\\) of epds_10 is"):
        import_records(dd, records, load_mapping(mapping))


def test_the_perceived_stress_scale_is_not_taken_for_the_parental_stress_scale(tmp_path):
    rows = [projects.field("record_id", "pss", "text", "Record ID")]
    rows += [projects.field(f"pss_{i}", "pss", "radio", f"Stress {i}", "0, Never | 1, Almost never | 2, Sometimes | "
                            "3, Fairly often | 4, Very often") for i in range(1, 11)]
    dd = projects.write_csv(tmp_path / "dd.csv", projects.DD_HEADER, rows)
    mapping = starter_mapping(read_dictionary(dd), [])
    assert not mapping.fields
    assert any("named like PSS but has 10 rated fields" in n for n in mapping.notes)


# --------------------------------------------------------------------------- events, API, checkboxes


def test_events_that_are_not_nurture_timepoints_are_left_for_the_user_then_skipped(tmp_path):
    dd, records = projects.longitudinal_gad7(tmp_path / "p")
    result = invoke("import-redcap", "--dictionary", dd, "--records", records, "-o", tmp_path / "b",
                    "--write-map", tmp_path / "map.yaml")
    assert result.exit_code == 2
    assert "event 'screening_arm_1' is not mapped (add it under events: as pre, post or skip)" in result.stderr
    text = (tmp_path / "map.yaml").read_text()
    assert '# "screening_arm_1": ?' in text and '"baseline_arm_1": "pre"' in text
    text = text.replace('  # "screening_arm_1": ?', '  "screening_arm_1": skip  #').replace(
        '  # "month_3_arm_1": ?', '  "month_3_arm_1": skip  #')
    (tmp_path / "map.yaml").write_text(text)
    done = invoke("import-redcap", "--dictionary", dd, "--records", records, "-o", tmp_path / "b",
                  "--map", tmp_path / "map.yaml")
    assert done.exit_code == 0, done.output
    assert "dropped: 4 row(s) of skipped events (screening_arm_1, month_3_arm_1)" in done.stdout
    items = pd.read_csv(tmp_path / "b" / "item_responses.csv", dtype=str)
    assert sorted(set(zip(items.participant_id, items.timepoint, items.value, strict=True))) == [
        ("R1", "post", "1"), ("R1", "pre", "2"), ("R2", "post", "0"), ("R2", "pre", "3")]


def test_api_format_metadata_and_json_records_are_accepted(tmp_path):
    dd, records = projects.api_metadata_project(tmp_path / "p")
    result, summary, mapping = import_records(dd, records)
    assert mapping.fields["gad_1"].instrument == "gad7"  # labels are the GAD-7's, and the structure fits
    assert result.value.tolist() == ["2"] * 7 and set(result.timepoint) == {"pre"}


def test_a_checkbox_on_a_form_never_filled_is_missing_not_zero(tmp_path):
    dd, records = projects.safety_checkbox_project(tmp_path / "p")
    mapping = load_mapping(write(tmp_path, "m.yaml", projects.SAFETY_MAP))
    result, summary, _ = import_records(dd, records, mapping)
    item9 = result[(result.instrument == "phq9") & (result.item == "9")]
    assert item9.participant_id.tolist() == ["R1"] and item9.value.tolist() == ["0"]  # a real "no"
    assert summary.never_filled == 1 and "1 checkbox answer(s) on forms never filled" in summary.dropped_line
    flags = score_table(result, library()).flags
    # R2's unanswered safety item is flagged for staff, not read as "not at all"
    assert flags[flags.rule == "safety_item_unanswered"].participant_id.tolist() == ["R2"]


def test_a_checkbox_box_needs_an_explicit_values_map(tmp_path):
    dd, records = projects.safety_checkbox_project(tmp_path / "p")
    mapping = write(tmp_path, "m.yaml", projects.SAFETY_MAP.replace(", values: {1: 1, 0: 0}", ""))
    with pytest.raises(RedcapError, match="safety_thoughts___1 is one box of a checkbox"):
        import_records(dd, records, load_mapping(mapping))


def test_separate_field_administrations_map_to_timepoints(tmp_path):
    rows = [projects.field("record_id", "forms", "text", "Record ID")]
    rows += projects.epds_fields(form="baseline") + projects.epds_fields(form="followup", prefix="epds_", suffix="_fu")
    for row in rows[1:]:
        row["Choices, Calculations, OR Slider Labels"] = projects.FORWARD
    dd = projects.write_csv(tmp_path / "dd.csv", projects.DD_HEADER, rows)
    records = projects.write_csv(tmp_path / "r.csv", ["record_id"] + [r["Variable / Field Name"] for r in rows[1:]],
                                 [{"record_id": "M1"} | {r["Variable / Field Name"]: "1" if r["Form Name"] ==
                                                         "baseline" else "0" for r in rows[1:]}])
    mapping = starter_mapping(read_dictionary(dd), [])
    assert mapping.fields["epds_1_fu"].timepoint == "post" and mapping.fields["epds_1"].timepoint == "pre"
    confirmed = load_mapping(write(tmp_path, "map.yaml", mapping.to_yaml()))  # as a person would, after checking
    result, _, _ = import_records(dd, records, confirmed)
    assert dict(result.groupby("timepoint").value.agg(set)) == {"pre": {"1"}, "post": {"0"}}
    assert len(result) == 20


# --------------------------------------------------------------------------- export and round trip


def test_round_trip_nurture_to_redcap_and_back_keeps_every_answer(world, tmp_path):
    for dyad, level in ((world.dyad1, 1), (world.dyad2, 2)):
        pre = capture.schedule_assessment(world.coordinator, dyad, Timepoint.PRE)
        capture.save_answers(pre, "gad7", f.all_items("gad7", level), now=NOW)
        capture.save_answers(pre, "kpcs", f.all_items("kpcs", 3) | {"9": "na"}, now=NOW)
        capture.save_answers(pre, "ibqr_vsf", f.all_items("ibqr_vsf", 5) | {"4": "na"}, now=NOW)
        capture.save_answers(pre, "epds", f.epds_answers(self_harm_keyed=level - 1), now=NOW)
        capture.submit_assessment(pre, now=NOW)
    post = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.POST)
    capture.save_answers(post, "feedback", f.all_items("feedback", 4) | {"open_helpful": "The songs, and\nthe "
                                                                                        "other mothers"}, now=NOW)
    data = collect(world.coordinator, world.study, deidentified=False)
    original = data.tables["item_responses.csv"]
    paths = export_redcap(original, tmp_path / "redcap", open_answers=data.open_answers)
    assert [p.name for p in paths] == ["data_dictionary.csv", "arms.csv", "events.csv",
                                       "instrument_event_mapping.csv", "records.csv"]
    records = (tmp_path / "redcap" / "records.csv").read_text()
    assert ",2\n" in records and "2.0" not in records
    mapping_file = pd.read_csv(tmp_path / "redcap" / "instrument_event_mapping.csv", dtype=str)
    assert list(mapping_file.columns) == ["arm_num", "unique_event_name", "form"]
    assert ("post_arm_1", "feedback") in set(zip(mapping_file.unique_event_name, mapping_file.form, strict=True))
    events = pd.read_csv(tmp_path / "redcap" / "events.csv", dtype=str)
    assert events.unique_event_name.tolist() == ["pre_arm_1", "post_arm_1"]
    back, summary, mapping = import_records(tmp_path / "redcap" / "data_dictionary.csv",
                                            tmp_path / "redcap" / "records.csv")
    assert not mapping.unconfirmed  # our own labels confirm even the reverse-keyed items
    key = ["participant_id", "timepoint", "instrument", "item"]
    assert back.sort_values(key).reset_index(drop=True).equals(original.sort_values(key).reset_index(drop=True))
    assert summary.missing_codes == {} and summary.texts == 1


def test_import_redcap_command_writes_a_bundle_that_analyze_reads(tmp_path):
    dd, records = projects.longitudinal_gad7(tmp_path / "p")
    mapping = write(tmp_path, "m.yaml", "events: {screening_arm_1: skip, baseline_arm_1: pre, month_3_arm_1: skip, "
                                        "followup_arm_1: post}\nfields:\n"
                    + "".join(f"  gad_{i}: {{instrument: gad7, item: {i}}}\n" for i in range(1, 8)))
    out = tmp_path / "bundle"
    result = invoke("import-redcap", "--dictionary", dd, "--records", records, "--map", mapping, "-o", out)
    assert result.exit_code == 0, result.output
    analysed = invoke("analyze", out, "-o", tmp_path / "o", "--format", "json", "--bootstrap", "0")
    assert analysed.exit_code == 0, analysed.output
    safety = json.loads((tmp_path / "o" / "results.json").read_text())["safety"]
    assert {(s["participant_id"], s["timepoint"], s["rule"]) for s in safety} == {("R2", "pre", "severe_anxiety")}
    bad = invoke("import-redcap", "--dictionary", dd, "--records", tmp_path / "missing.csv")
    assert bad.exit_code == 2 and bad.stderr.startswith("nurture: error: ") and "no such file" in bad.stderr
