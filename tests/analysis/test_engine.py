"""The whole engine on synthetic bundles: each part present exactly when its input is."""

import json

import numpy as np
import pandas as pd
import pytest

from nurture.analysis import stats
from nurture.analysis.bundle import load_bundle
from nurture.analysis.efficacy import MeasureInfo, efficacy, reliable_change
from nurture.analysis.feasibility import rate
from nurture.analysis.results import SCHEMA, analyse, to_json
from nurture.analysis.synthetic import make_bundle
from nurture.instruments import library
from nurture.reports.catalogue import build_catalogue

CATALOGUE = build_catalogue(library())


@pytest.fixture(scope="module")
def pilot(tmp_path_factory):
    return load_bundle(make_bundle(tmp_path_factory.mktemp("pilot") / "b", n=34, seed=1))


@pytest.fixture(scope="module")
def results(pilot):
    return analyse(pilot, CATALOGUE, n_boot=1000, seed=7)


def test_results_follow_the_schema(results):
    assert results["schema"] == SCHEMA
    assert set(results) >= {"schema", "generated_at", "input", "warnings", "feasibility", "acceptability",
                            "efficacy"}
    measure = results["efficacy"]["measures"][0]
    for key in ("instrument", "scale", "lower_is_better", "n", "pre", "post", "diff", "t_test", "wilcoxon",
                "effect", "p_holm", "p_fdr", "reliable_change"):
        assert key in measure
    assert set(measure["effect"]) == {"dz", "dz_ci95", "d_av", "d_av_ci95", "g_av", "g_av_ci95"}
    assert set(measure["reliable_change"]) >= {"reliability", "sd_pre", "s_diff", "improved", "no_change",
                                               "deteriorated"}
    assert set(results) >= {"baseline", "harms", "planning", "limitations"}  # version 3
    json.loads(to_json(results))


def test_each_measure_matches_the_statistics_on_its_complete_pairs(pilot, results):
    scores = pilot.get("scores.csv")
    for m in results["efficacy"]["measures"]:
        sub = scores[(scores.instrument == m["instrument"]) & (scores.scale == m["scale"])]
        wide = sub.pivot(index="participant_id", columns="timepoint", values="score").dropna()
        assert m["n"] == len(wide)
        t = stats.paired_t(wide["pre"], wide["post"])
        assert m["t_test"]["t"] == pytest.approx(t["t"])
        assert m["diff"]["mean"] == pytest.approx((wide["post"] - wide["pre"]).mean())


def test_holm_and_fdr_adjust_across_all_measures(results):
    measures = results["efficacy"]["measures"]
    p = [m["t_test"]["p"] for m in measures]
    assert [m["p_holm"] for m in measures] == pytest.approx(stats.adjust_p(p, "holm"))
    assert [m["p_fdr"] for m in measures] == pytest.approx(stats.adjust_p(p, "BH"))
    assert all(m["p_holm"] >= m["t_test"]["p"] for m in measures)


def test_the_acceptability_instrument_is_not_an_efficacy_measure(results):
    assert "feedback" not in {m["instrument"] for m in results["efficacy"]["measures"]}
    assert results["acceptability"]["satisfaction"]["n"] > 0
    assert results["acceptability"]["themes"]["peer support"] >= 1


def test_feasibility_flow_and_rates(results, pilot):
    flow = results["feasibility"]["flow"]["overall"]
    assert flow["referred"] == 60 and flow["enrolled"] == 34
    assert flow["referred"] >= flow["screened"] >= flow["eligible"] >= flow["consented"] >= flow["enrolled"]
    assert flow["enrolled"] >= flow["started"] >= flow["analysed"]
    # A version 1 bundle has no post_due: completed, withdrawn and lost dyads count as due.
    retention = results["feasibility"]["rates"]["retention"]
    assert flow["due"] == 34 and flow["not_yet_due"] == 0
    assert retention == rate(flow["completed_post"], flow["due"])
    assert sum(c["enrolled"] for c in results["feasibility"]["flow"]["by_cohort"].values()) == 34
    zones = {c["id"]: c["zone"] for c in results["feasibility"]["progression"]}
    assert zones["retention"] == "green"


def test_attendance_share_counts_present_over_offered_sessions(tmp_path):
    folder = make_bundle(tmp_path / "b", n=12, seed=4)
    bundle = load_bundle(folder)
    att = analyse(bundle, CATALOGUE, n_boot=0)["feasibility"]["attendance"]
    sessions = bundle.get("sessions.csv")
    people = bundle.get("participants.csv").set_index("participant_id")
    present = bundle.get("attendance.csv").query("status == 'present'").groupby("participant_id").size()
    pid = present.index[0]
    offered = (sessions["cohort"] == people.at[pid, "cohort"]).sum()
    assert att["per_dyad"][pid] == pytest.approx(present[pid] / offered)
    assert att["by_mode"]["online"]["mean"] < att["by_mode"]["in_person"]["mean"]
    assert set(att["by_curriculum"]) == {"12 weeks", "8 weeks"}


def test_parts_without_input_are_null(tmp_path):
    folder = make_bundle(tmp_path / "b", n=12, seed=5)
    only_scores = analyse(load_bundle(folder / "scores.csv"), CATALOGUE, n_boot=0)
    assert only_scores["feasibility"] is None and only_scores["efficacy"] is not None
    (folder / "scores.csv").unlink()
    no_scores = analyse(load_bundle(folder), CATALOGUE, n_boot=0)
    assert no_scores["efficacy"] is None and no_scores["feasibility"] is not None
    assert "No scores: efficacy is not reported." in no_scores["warnings"]


def test_an_instrument_not_in_the_library_is_analysed_without_direction(tmp_path):
    rows = [(f"P{i}", tp, "newscale", "total", v) for i in range(8)
            for tp, v in (("pre", 10 + i), ("post", 8 + i + (i % 3)))]
    scores = pd.DataFrame(rows, columns=["participant_id", "timepoint", "instrument", "scale", "score"])
    result = efficacy(scores, None, CATALOGUE, n_boot=0)
    m = result["measures"][0]
    assert (m["lower_is_better"], m["reliable_change"]) == (None, None)
    assert m["t_test"] is not None
    assert any("not in the instrument library" in w for w in result["_warnings"])


def test_reliable_change_by_hand():
    # EPDS: reliability .87; SD_pre of [10, 14, 18, 22] = 5.1640; s_diff = sqrt(2)*5.1640*sqrt(.13) = 2.6331;
    # reliable when |diff| > 1.96 * 2.6331 = 5.161 points
    info = MeasureInfo("EPDS", lower_is_better=True, reliability=0.87, cutoff=13)
    rc = reliable_change(np.array([10.0, 14, 18, 22]), np.array([4.0, 13, 24, 12]), info)
    assert rc["s_diff"] == pytest.approx(2.633122, rel=1e-5)
    assert (rc["improved"], rc["no_change"], rc["deteriorated"]) == (2, 1, 1)
    # recovered: reliably improved and from >= 13 to < 13 -> only the 22 -> 12 dyad (10 -> 4 started below)
    assert rc["clinical"]["recovered"] == 1


def test_clinical_boundaries_come_from_the_definitions_with_their_sources():
    assert (CATALOGUE[("epds", "total")].cutoff, CATALOGUE[("kpcs", "total")].cutoff) == (13, 40)
    assert CATALOGUE[("rses", "total")].cutoff == 15
    assert CATALOGUE[("pss", "total")].cutoff is None  # no published cut-off: reliable change only
    assert "Cox" in CATALOGUE[("epds", "total")].cutoff_source
    assert CATALOGUE[("epds", "total")].rc_points == 4


def test_aliased_moderators_are_modelled_once_with_a_note(results):
    # In the synthetic pilot, as in the real one, hybrid delivery = the 8-week curriculum.
    entry = results["efficacy"]["sensitivity"][0]
    assert entry["time"]["n_participants"] == 34  # every dyad with at least one assessment
    assert [m["key"] for m in entry["moderators"]] == ["delivery"]
    assert entry["moderators"][0]["aliased_with"] == ["curriculum_weeks"]
    assert "time × delivery=in_person" in entry["moderators"][0]["fit"]["coefficients"]
    assert entry["moderators"][0]["level_labels"] == {"hybrid": "partly online, 8 weeks",
                                                      "in_person": "in person, 12 weeks"}
    confounds = results["efficacy"]["confounds"]
    assert confounds["aliased"] == [{"moderators": ["delivery", "curriculum_weeks"],
                                     "levels": "partly online = 8 weeks; in person = 12 weeks"}]
    assert any("coincide" in n for n in confounds["notes"])
    assert any(item["code"] == "confounding" for item in results["limitations"])


def test_the_nested_sensitivity_model_reports_the_cohort_icc(results):
    nested = results["efficacy"]["sensitivity"][0]["time_nested"]
    assert nested["n_cohorts"] == 5
    assert 0 <= nested["icc_cohort"] < 1
    assert nested["coefficients"]["time"]["df"] == nested["n_obs"] - 34 - 1


def test_missing_data_lists_who_has_pre_only_and_why(results):
    missing = results["efficacy"]["missing_data"]
    assert missing["n_both"] + len(missing["pre_only"]) == missing["n_pre"]
    assert {r["status"] for r in missing["pre_only"]} == {"withdrawn"}
    assert {r["reason"] for r in missing["pre_only"]} == {"Returned to work"}
