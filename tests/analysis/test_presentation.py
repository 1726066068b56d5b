"""What the results say: conclusions from intervals, primary measures, clinical boundaries with sources,
progression zones with their intervals, acceptability denominators, the baseline table, limitations."""

import numpy as np
import pandas as pd
import pytest

from nurture.analysis import stats
from nurture.analysis.bundle import BundleError, load_bundle
from nurture.analysis.efficacy import MeasureInfo, conclusion, efficacy, reliable_change
from nurture.analysis.progression import assess, load_criteria
from nurture.analysis.results import analyse
from nurture.analysis.synthetic import make_bundle
from nurture.instruments import library
from nurture.reports.catalogue import analysis_context, build_catalogue

CATALOGUE = build_catalogue(library())


@pytest.fixture(scope="module")
def pilot(tmp_path_factory):
    return load_bundle(make_bundle(tmp_path_factory.mktemp("pilot") / "b", n=34, seed=1, with_items=False))


@pytest.mark.parametrize("ci, lower_is_better, said", [
    ([-3.0, -0.5], True, "improved"), ([-3.0, -0.5], False, "worsened"), ([0.4, 2.0], False, "improved"),
    ([-3.0, 0.5], True, "no_clear_change"), ([-0.1, 0.1], None, "no_clear_change"),
    ([0.2, 0.9], None, "increased"), ([-0.9, -0.2], None, "decreased")])
def test_improvement_is_claimed_only_when_the_interval_excludes_no_change(ci, lower_is_better, said):
    assert conclusion(ci, lower_is_better) == said


def scores_frame(rows):
    return pd.DataFrame(rows, columns=["participant_id", "timepoint", "instrument", "scale", "score"])


def three_measures():
    rng = np.random.default_rng(4)
    rows = []
    for i in range(20):
        for instrument, shift in (("epds", -3), ("gad7", -0.2), ("pss", -6)):
            pre = 10 + rng.normal(0, 3)
            rows += [(f"P{i}", "pre", instrument, "total", round(pre)),
                     (f"P{i}", "post", instrument, "total", round(pre + shift + rng.normal(0, 2)))]
    return scores_frame(rows)


def test_without_primary_measures_p_values_adjust_across_all_measures():
    result = efficacy(three_measures(), None, CATALOGUE, n_boot=0)
    p = [m["t_test"]["p"] for m in result["measures"]]
    assert [m["p_holm"] for m in result["measures"]] == pytest.approx(stats.adjust_p(p, "holm"))
    assert result["adjustment"] == {"across": "all measures", "measures": 3}
    assert not any(m["primary"] for m in result["measures"])


def test_declared_primary_measures_are_the_only_ones_adjusted():
    result = efficacy(three_measures(), None, CATALOGUE, n_boot=0, primary=[("epds", "total"), ("pss", "total")])
    by = {m["instrument"]: m for m in result["measures"]}
    p = [by["epds"]["t_test"]["p"], by["pss"]["t_test"]["p"]]
    assert [by["epds"]["p_holm"], by["pss"]["p_holm"]] == pytest.approx(stats.adjust_p(p, "holm"))
    assert [by["epds"]["p_fdr"], by["pss"]["p_fdr"]] == pytest.approx(stats.adjust_p(p, "BH"))
    assert (by["gad7"]["p_holm"], by["gad7"]["p_fdr"], by["gad7"]["primary"]) == (None, None, False)
    assert result["primary_measures"] == ["epds:total", "pss:total"]
    assert result["adjustment"] == {"across": "primary measures", "measures": 2}


def test_primary_measures_come_from_the_manifest_and_the_option_overrides(tmp_path):
    import hashlib
    import json

    folder = make_bundle(tmp_path / "b", n=20, seed=2)
    files = {p.name: {"sha256": hashlib.sha256(p.read_bytes()).hexdigest()} for p in sorted(folder.glob("*.csv"))}
    (folder / "manifest.json").write_text(json.dumps({"files": files, "primary_measures": ["gad7:total"]}))
    bundle = load_bundle(folder)
    from_manifest = analyse(bundle, CATALOGUE, n_boot=0)["efficacy"]
    assert from_manifest["primary_measures"] == ["gad7:total"]
    overridden = analyse(bundle, CATALOGUE, n_boot=0, primary=[("pss", "total")])["efficacy"]
    assert overridden["primary_measures"] == ["pss:total"]


def test_clinical_significance_uses_criterion_c_when_norms_are_documented():
    # c = (SD0 * M1 + SD1 * M0) / (SD0 + SD1) = (3 * 16 + 5 * 6) / (3 + 5) = 9.75
    info = MeasureInfo("X", lower_is_better=True, reliability=0.85, cutoff=13, functional=(6, 3),
                       dysfunctional=(16, 5), norms_source="norm study")
    rc = reliable_change(np.array([18.0, 14, 12, 20]), np.array([6.0, 13, 11, 19]), info)
    assert rc["clinical"]["cutoff"] == pytest.approx(9.75)
    assert rc["clinical"]["cutoff_kind"].startswith("criterion c")
    assert rc["clinical"]["cutoff_source"] == "norm study"


def test_without_a_documented_boundary_only_reliable_change_is_reported():
    info = MeasureInfo("PSS", lower_is_better=True, reliability=0.83)
    rc = reliable_change(np.array([50.0, 60, 45, 58]), np.array([40.0, 59, 46, 50]), info)
    assert rc["clinical"] is None
    assert rc["improved"] + rc["no_change"] + rc["deteriorated"] == 4


def test_epds_recovery_uses_the_published_cut_off_of_13_with_its_source():
    rc = reliable_change(np.array([16.0, 12, 20, 11]), np.array([8.0, 5, 14, 10]), CATALOGUE[("epds", "total")])
    assert rc["clinical"]["cutoff"] == 13 and rc["clinical"]["cutoff_kind"] == "published cut-off"
    assert "Cox" in rc["clinical"]["cutoff_source"]
    # 16 -> 8 and 20 -> 14? reliable change needs 1.96 * s_diff; only dyads starting at 13 or more can recover
    assert rc["clinical"]["in_clinical_range_pre"] == 2
    assert rc["published_threshold_points"] == 4


def test_progression_zone_says_which_zones_the_interval_reaches():
    criterion = {"id": "retention", "label": "Retention", "unit": "share", "green": 0.8, "amber": 0.7,
                 "source": "ours", "rationale": ""}
    settled = assess(criterion, 0.93, [0.85, 0.98])
    assert (settled["zone"], settled["interval_zones"], settled["settled"]) == ("green", ["green"], True)
    spread = assess(criterion, 0.93, [0.65, 0.98])
    assert (spread["zone"], spread["interval_zones"], spread["settled"]) == ("green", ["red", "amber", "green"],
                                                                              False)
    assert assess(criterion, None, None)["zone"] is None


def test_shipped_criteria_name_their_sources_and_cover_the_new_areas():
    criteria = load_criteria()
    assert {c["id"] for c in criteria} >= {"recruitment", "data_completeness", "acceptability", "safety",
                                           "retention", "attendance", "consent", "fidelity"}
    assert all(c["source"] == "ours" and c["rationale"] for c in criteria)
    assert next(c for c in criteria if c["id"] == "recruitment")["unit"] == "per_month"


def test_a_criteria_file_with_a_bad_unit_or_thresholds_is_refused(tmp_path):
    path = tmp_path / "criteria.yaml"
    path.write_text("criteria:\n  - {id: r, label: R, rate: retention, green: 0.6, amber: 0.8}\n")
    with pytest.raises(BundleError, match="amber must not exceed green"):
        load_criteria(path)
    path.write_text("criteria:\n  - {id: r, label: R, rate: recruitment, unit: per_week, green: 2, amber: 1}\n")
    with pytest.raises(BundleError, match="unit must be one of share, per_month"):
        load_criteria(path)


def test_acceptability_reports_response_among_dyads_due_and_wilson_intervals(pilot):
    results = analyse(pilot, CATALOGUE, n_boot=0, **analysis_context(library()))
    accept = results["acceptability"]
    due = results["feasibility"]["flow"]["overall"]["due"]
    assert accept["response"]["n"] == due
    assert accept["response"]["successes"] == accept["satisfaction"]["n"]
    agreeing = accept["satisfaction"]["respondents_agreeing"]
    assert agreeing["ci95"] == stats.wilson_interval(agreeing["successes"], agreeing["n"])


def test_baseline_table_compares_completers_with_non_completers(pilot):
    baseline = analyse(pilot, CATALOGUE, n_boot=0)["baseline"]
    groups = baseline["groups"]
    assert groups["enrolled"] == 34 and groups["completers"] + groups["non_completers"] == 34
    age = next(r for r in baseline["rows"] if r["label"] == "Mother's age (years)")
    people = pilot.get("participants.csv").set_index("participant_id")
    scores = pilot.get("scores.csv")
    post = set(scores.loc[scores["timepoint"] == "post", "participant_id"])
    enrolled = people[people["enrolled_on"].notna()]
    done = enrolled.index.isin(post)
    assert age["smd"] == pytest.approx(stats.standardized_difference(enrolled.loc[done, "mother_age"],
                                                                     enrolled.loc[~done, "mother_age"]))
    assert any(r["section"] == "Baseline scores" and r["label"] == "EPDS" for r in baseline["rows"])


def test_limitations_are_written_from_the_data(pilot):
    codes = [item["code"] for item in analyse(pilot, CATALOGUE, n_boot=0)["limitations"]]
    assert codes[:2] == ["uncontrolled", "regression_to_the_mean"]
    assert "confounding" in codes and "multiplicity" in codes and "small_sample" in codes
    assert "cohorts_running" not in codes  # every dyad of the synthetic pilot is due
