"""Planning the definitive trial against R (tests/reference/planning.R, output planning_golden.txt)."""

import numpy as np
import pytest

from nurture.analysis import planning
from nurture.analysis.bundle import load_bundle
from nurture.analysis.results import analyse
from nurture.analysis.synthetic import make_bundle
from nurture.instruments import library
from nurture.reports.catalogue import build_catalogue

PRE = [52, 61, 47, 58, 66, 49, 55, 63, 70, 44, 51, 59, 62, 48, 57, 65, 53, 60, 46, 68, 50, 56, 64, 45, 58, 61]
POST = [45, 55, 47, 50, 60, 44, 49, 58, 61, 43, 47, 52, 57, 45, 50, 59, 49, 55, 44, 60, 48, 50, 57, 46, 52, 55]
SHIFT = [3, 2.5, 4, 1, 2, -1, -2, 0, -1.5, -2, 0, 2, 1, 3, 1.5, 2, -3, -2, -4, -1, -2.5, -3, 0, 1, -1, 0]
COHORT = [1] * 5 + [2] * 6 + [3] * 5 + [4] * 6 + [5] * 4


@pytest.mark.parametrize("d, power, n", [
    # R: pwr.t.test(d = d, power = power, sig.level = 0.05)$n
    (0.3, 0.8, 175.384666619316), (0.3, 0.9, 234.46274357134), (0.4, 0.8, 99.0803247873937),
    (0.4, 0.9, 132.310513963235), (0.5, 0.8, 63.7656104441418), (0.5, 0.9, 85.0312849575175)])
def test_n_per_arm_matches_pwr(d, power, n):
    # R's uniroot stops within about 1e-4 of the root; ours is exact.
    assert planning.n_per_arm(d, power) == pytest.approx(n, abs=2e-4)


@pytest.mark.parametrize("sd, n, ucl", [
    # R: sd * sqrt((n - 1) / qchisq(0.2, n - 1))
    (9.1, 34, 10.2437600550414), (4.2, 26, 4.82538669678301), (12.5, 8, 16.9159114553589)])
def test_the_80_percent_upper_limit_of_the_sd_matches_r(sd, n, ucl):
    assert planning.sd_upper_limit(sd, n) == pytest.approx(ucl, rel=1e-12)


def test_the_cohort_icc_adjusted_for_baseline_matches_the_anova_in_r():
    # R: anova(lm(post2 ~ pre + cohort)); (MSB - MSW) / (MSB + (n0 - 1) MSW); Searle's F interval
    post2 = np.array(POST) + np.array(SHIFT)
    icc = planning.icc_anova(post2, COHORT, PRE)
    assert icc["estimate"] == pytest.approx(0.40323994441567, rel=1e-10)
    assert icc["ci95"] == pytest.approx([0.0511846711283661, 0.878721533923159], rel=1e-9)
    assert (icc["n0"], icc["F"]) == pytest.approx((5.17307692307692, 4.49552761013299), rel=1e-10)
    assert icc["df"] == [4, 20]
    plain = planning.icc_anova(post2, COHORT)  # R: anova(lm(post2 ~ cohort))
    assert plain["estimate"] == pytest.approx(0.0124030740957722, rel=1e-9)
    assert plain["ci95"] == pytest.approx([0.0, 0.610292847127416], abs=1e-12)


def test_a_negative_anova_icc_is_reported_as_zero_and_kept_raw():
    # Equal group means: MSB = 0, so the ANOVA estimate is -MSW / ((n0 - 1) MSW) = -1 / (3 - 1)
    icc = planning.icc_anova([-1, 0, 1] * 4, np.repeat(np.arange(4), 3))
    assert icc["raw"] == pytest.approx(-0.5)
    assert icc["estimate"] == 0.0


@pytest.mark.parametrize("d, power, golden", [
    # R (planning.R): n_anc <- pwr.t.test(d = d / sqrt(1 - 0.62^2), power)$n; de <- 1 + (7 * 26/28 - 1) * 0.04;
    # analysed <- n_anc * (1 + de) / 2; enrolled <- analysed / (26/28); groups <- ceiling(enrolled / 7);
    # total <- groups * 7 + ceiling(enrolled)
    (0.3, 0.8, (108.341188075126, 1.22, 120.258718763389, 129.509389437496, 19, 263)),
    (0.3, 0.9, (144.708630794282, 1.22, 160.626580181653, 172.982470964857, 25, 348)),
    (0.4, 0.8, (61.372274806684, 1.22, 68.1232250354192, 73.3634731150668, 11, 151)),
    (0.4, 0.9, (81.8269792021247, 1.22, 90.8279469143584, 97.8147120616168, 14, 196)),
    (0.5, 0.8, (39.6377030407065, 1.22, 43.9978503751842, 47.3823004040445, 7, 97)),
    (0.5, 0.9, (52.7260849040293, 1.22, 58.5259542434725, 63.0279507237396, 10, 134))])
def test_partially_clustered_sample_sizes_match_r(d, power, golden):
    plan = planning.partially_clustered_sample_size(d, power, r=0.62, icc=0.04, group_size=7, retention=26 / 28)
    n_anc, de, analysed, enrolled, groups, total = golden
    assert plan["n_per_arm_ancova"] == pytest.approx(n_anc, abs=2e-4)
    assert plan["design_effect"] == pytest.approx(de, rel=1e-12)
    assert plan["analysed_per_arm"] == pytest.approx(analysed, abs=3e-4)
    assert plan["enrolled_per_arm"] == pytest.approx(enrolled, abs=3e-4)
    assert (plan["intervention_groups"], plan["total_enrolled"]) == (groups, total)


def test_clustering_attrition_and_no_baseline_adjustment_each_cost_dyads():
    base = planning.partially_clustered_sample_size(0.4, 0.8, r=0.6, icc=0.0, group_size=7, retention=1.0)
    assert planning.partially_clustered_sample_size(0.4, 0.8, r=0.6, icc=0.1, group_size=7,
                                                    retention=1.0)["total_enrolled"] > base["total_enrolled"]
    assert planning.partially_clustered_sample_size(0.4, 0.8, r=0.6, icc=0.0, group_size=7,
                                                    retention=0.8)["total_enrolled"] > base["total_enrolled"]
    assert planning.partially_clustered_sample_size(0.4, 0.8, r=None, icc=0.0, group_size=7,
                                                    retention=1.0)["total_enrolled"] > base["total_enrolled"]


def test_bad_planning_input_is_refused():
    with pytest.raises(ValueError, match="positive"):
        planning.n_per_arm(0)
    with pytest.raises(ValueError, match="retention"):
        planning.partially_clustered_sample_size(0.4, 0.8, r=0.5, icc=0.05, group_size=7, retention=0)
    with pytest.raises(ValueError, match="ICC"):
        planning.partially_clustered_sample_size(0.4, 0.8, r=0.5, icc=1.2, group_size=7, retention=0.9)


def test_results_carry_a_planning_section_per_measure(tmp_path):
    bundle = load_bundle(make_bundle(tmp_path / "b", n=34, seed=3))
    results = analyse(bundle, build_catalogue(library()), n_boot=0, targets=(0.35, 0.5))
    plan = results["planning"]
    assert plan["assumptions"]["targets"] == [0.35, 0.5] and plan["assumptions"]["group_size"] == 7
    epds = next(m for m in plan["measures"] if m["instrument"] == "epds" and m["scale"] == "total")
    assert [(s["d"], s["power"]) for s in epds["sample_sizes"]] == [(0.35, 0.8), (0.35, 0.9), (0.5, 0.8), (0.5, 0.9)]
    assert epds["baseline_sd_ucl80"] > epds["baseline_sd"] > 0
    assert epds["baseline_n"] == 34 and epds["n_pairs"] < 34
    assert 0 <= epds["icc_cohort"]["ci95"][0] <= epds["icc_cohort"]["estimate"] <= epds["icc_cohort"]["ci95"][1]
    rows = plan["icc_sensitivity"]["rows"]
    assert rows[0]["icc"] == 0.0 and rows[0]["basis"].startswith("no clustering")
    assert any("pilot estimate" in r["basis"] for r in rows)
    assert [r["total_enrolled"] for r in rows] == sorted(r["total_enrolled"] for r in rows)
