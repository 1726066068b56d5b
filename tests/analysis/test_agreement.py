"""Agreement statistics against R and published worked examples.

ICC and Cohen's kappa intervals: R 4.2.2 with psych 2.2.9 (tests/reference/agreement.R, output
in agreement_golden.txt). irr is not packaged for Debian: its outputs for ``kappa2`` and
``kappam.fleiss`` are the ones its authors' data sets give (as recorded with the R call in
statsmodels' test suite), and Krippendorff's alpha uses Krippendorff's own example. Each
procedure is also cross-checked against an independent implementation (pingouin,
statsmodels, the ``krippendorff`` package), which are test-only dependencies.
"""

import math

import numpy as np
import pytest

from nurture.analysis import agreement as ag

# Shrout & Fleiss (1979), Table 2.
SF = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
# irr's `anxiety`: 20 subjects, three raters, ratings 1-6.
ANXIETY = np.array([3, 3, 3, 4, 5, 5, 2, 3, 5, 2, 2, 6, 1, 5, 2, 2, 1, 2, 4, 3,
                    3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4,
                    2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2]).reshape(20, 3, order="F")
# psych::Gleser (Gleser, Cronbach & Rajaratnam 1965): 12 subjects x 12 judgements.
GLESER = [[0, 0, 2, 1, 2, 0, 2, 1, 1, 1, 1, 2], [0, 0, 2, 1, 2, 0, 1, 2, 2, 1, 2, 1],
          [0, 0, 1, 1, 3, 3, 2, 1, 2, 1, 1, 2], [2, 0, 2, 1, 2, 2, 2, 1, 2, 1, 4, 1],
          [0, 0, 1, 2, 2, 0, 2, 3, 3, 3, 3, 3], [2, 0, 2, 1, 2, 0, 4, 1, 3, 3, 3, 1],
          [0, 1, 3, 1, 3, 1, 3, 4, 2, 2, 2, 3], [0, 0, 0, 1, 4, 3, 3, 4, 2, 3, 3, 3],
          [1, 2, 2, 1, 3, 6, 1, 3, 2, 3, 2, 1], [0, 1, 2, 4, 3, 3, 2, 2, 3, 5, 3, 1],
          [3, 4, 2, 2, 3, 2, 4, 5, 3, 3, 5, 5], [1, 1, 2, 4, 4, 4, 3, 3, 4, 6, 6, 6]]
# Fleiss (1971): 30 patients, six psychiatrists, five diagnoses (irr's `diagnoses`).
DIAGNOSES = [[4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5], [2, 2, 2, 4, 4, 4],
             [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4], [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5],
             [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4], [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5],
             [3, 3, 3, 3, 3, 5], [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
             [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4], [1, 4, 4, 4, 4, 5],
             [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4], [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5]]
# Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 observers x 12 units, missing values.
N = None
KRIPP = [[1, 1, N, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4],
         [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [N, 5, 5, 5], [N, N, 1, 1], [N, N, 3, N]]
# Krippendorff (2011), binary example: two observers, ten units.
KRIPP_BINARY = list(zip([0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0], strict=True))
# SAS PROC FREQ example (as in statsmodels' tests): a 3 x 3 table of two raters.
TABLE10 = [[0, 4, 1], [0, 8, 0], [0, 1, 5]]
TABLE10_PAIRS = [[i, j] for i in range(3) for j in range(3) for _ in range(TABLE10[i][j])]

FORMS = ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"]


def golden_icc() -> dict:
    """The psych::ICC lines of agreement_golden.txt: {(data set, form): (ICC, F, df1, df2, p, lo, hi)}."""
    from pathlib import Path

    out = {}
    text = (Path(__file__).parents[1] / "reference" / "agreement_golden.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 9 and parts[1] in FORMS:
            out[(parts[0], parts[1])] = tuple(float(x) for x in parts[2:])
    return out


def satact() -> list[list[float]]:
    """psych::sat.act SATV and SATQ, complete cases (687 of 700), written by agreement.R."""
    import csv
    from pathlib import Path

    with (Path(__file__).parents[1] / "reference" / "sat_act_complete.csv").open(encoding="utf-8") as fh:
        return [[float(r["SATV"]), float(r["SATQ"])] for r in csv.DictReader(fh)]


GOLDEN = golden_icc()


# ---------------------------------------------------------------- ICC


@pytest.mark.parametrize("name,data", [("sf", SF), ("anxiety", ANXIETY.tolist()), ("gleser", GLESER),
                                       ("satact", satact())])
@pytest.mark.parametrize("form", FORMS)
def test_icc_matches_psych(name, data, form):
    # R: psych::ICC(x, lmer = FALSE)$results[form, ]
    estimate, f, df1, df2, p, lo, hi = GOLDEN[(name, form)]
    result = ag.icc(data)[form]
    assert result["estimate"] == pytest.approx(estimate, rel=1e-9)
    assert result["F"] == pytest.approx(f, rel=1e-9)
    assert (result["df1"], result["df2"]) == (df1, df2)
    assert result["p"] == pytest.approx(p, rel=1e-7)
    assert result["ci95"] == pytest.approx([lo, hi], rel=1e-7)


def test_icc_reproduces_shrout_and_fleiss_table_4():
    # Shrout & Fleiss (1979) report .17, .29, .71, .44, .62, .91 for Table 2's data.
    result = ag.icc(SF)
    assert [round(result[f]["estimate"], 2) for f in FORMS] == [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]


def test_icc_with_perfect_agreement_is_one_with_an_infinite_f():
    # R: psych::ICC(cbind(c(1, 2, 4, 5), c(1, 2, 4, 5)), lmer = FALSE): ICC = 1, bounds 1 and 1,
    # F = 3.9e31 from round-off (exactly infinite here, reported as None), p = 0
    result = ag.icc([[1, 1], [2, 2], [4, 4], [5, 5]])
    for form in FORMS:
        assert result[form]["estimate"] == 1.0 and result[form]["ci95"] == [1.0, 1.0]
        assert result[form]["F"] is None and result[form]["p"] == 0.0
    # a constant offset between coders: perfect consistency (ICC3 = 1), imperfect absolute agreement
    offset = ag.icc([[1, 2], [2, 3], [4, 5], [5, 6]])
    assert offset["ICC3"]["estimate"] == 1.0 and offset["ICC2"]["estimate"] < 1.0


def test_icc_drops_units_with_a_missing_rating_and_says_how_many():
    # psych refuses missing data without lmer and advises na.omit: this is ICC(na.omit(x)).
    with_gaps = [*SF, [5, None, 4, 6], [float("nan"), 3, 3, 3]]
    result = ag.icc(with_gaps)
    assert result["n_dropped"] == 2 and result["n_units"] == 6
    assert result["ICC2"]["estimate"] == pytest.approx(GOLDEN[("sf", "ICC2")][0], rel=1e-12)


def test_icc_agrees_with_pingouin():
    import pandas as pd
    import pingouin

    long = pd.DataFrame([(i, j, v) for i, row in enumerate(GLESER) for j, v in enumerate(row)],
                        columns=["unit", "rater", "value"])
    theirs = pingouin.intraclass_corr(long, targets="unit", raters="rater", ratings="value")
    # pingouin names the forms after McGraw & Wong, in Shrout & Fleiss' order
    theirs = theirs.set_axis(FORMS, axis=0)
    ours = ag.icc(GLESER)
    for form in FORMS:
        assert ours[form]["estimate"] == pytest.approx(theirs.loc[form, "ICC"], rel=1e-9)
        assert ours[form]["F"] == pytest.approx(theirs.loc[form, "F"], rel=1e-9)
        assert ours[form]["p"] == pytest.approx(theirs.loc[form, "pval"], rel=1e-6)


@pytest.mark.parametrize("bad,message", [
    ([[2, 2], [2, 2]], "same rating"),
    ([[1, 2]], "at least two units"),
    ([[1], [2]], "at least two raters"),
    ([[1, 2], [3, "x"]], "numeric"),
    ([], "no rated units"),
    ([[1, 2], [3, 4, 5]], "one entry per rater"),
])
def test_icc_refuses_bad_input_with_a_clear_message(bad, message):
    with pytest.raises(ValueError, match=message):
        ag.icc(bad)


# ---------------------------------------------------------------- Cohen's kappa

# irr 0.84: kappa2(anxiety[, 2:3], weight) -> value, statistic (z), p.value
IRR_KAPPA2 = {None: (-0.006289308, -0.0604067, 0.9518317),
              "linear": (0.1459075, 1.282472, 0.1996772),      # weight = "equal"
              "quadratic": (0.2520325, 1.437451, 0.1505898)}   # weight = "squared"


@pytest.mark.parametrize("weights", IRR_KAPPA2)
def test_cohen_kappa_matches_irr_kappa2(weights):
    value, z, p = IRR_KAPPA2[weights]
    result = ag.cohen_kappa(ANXIETY[:, 1:3].tolist(), weights=weights)
    assert result["estimate"] == pytest.approx(value, abs=5e-8)
    assert result["z"] == pytest.approx(z, abs=5e-7)
    assert result["p"] == pytest.approx(p, abs=5e-8)
    # Levels are the union of values used (1, 2, 3, 4, 6: nobody rated 5), as irr.
    assert result["categories"] == [1, 2, 3, 4, 6]


def test_cohen_kappa_interval_matches_psych():
    # R: psych::cohen.kappa(anxiety[, 2:3])$confid["unweighted kappa", ]
    result = ag.cohen_kappa(ANXIETY[:, 1:3].tolist())
    assert result["ci95"] == pytest.approx([-0.205368413022786, 0.192789796670585], rel=1e-9)
    # R: psych::cohen.kappa(anxiety[, 1:2])
    assert ag.cohen_kappa(ANXIETY[:, :2].tolist())["estimate"] == pytest.approx(0.119496855345912, rel=1e-12)
    # R: psych::cohen.kappa(anxiety[, 1:2], w = <linear disagreement weights>)$weighted.kappa
    assert ag.cohen_kappa(ANXIETY[:, :2].tolist(), "linear")["estimate"] == pytest.approx(0.189189189189189,
                                                                                           rel=1e-12)


@pytest.mark.parametrize("weights,expected", [
    # SAS PROC FREQ output: kappa, ASE, 95% limits, ASE under H0, Z
    (None, (0.4842, 0.1380, 0.2137, 0.7547, 3.2626)),
    ("linear", (0.4701, 0.1457, 0.1845, 0.7558, 3.2971)),
])
def test_cohen_kappa_standard_errors_match_sas(weights, expected):
    kappa, ase, lo, hi, z = expected
    result = ag.cohen_kappa(TABLE10_PAIRS, weights=weights)
    assert [round(result[k], 4) for k in ("estimate", "se", "z")] == [kappa, ase, z]
    assert [round(v, 4) for v in result["ci95"]] == [lo, hi]


@pytest.mark.parametrize("weights", ["linear", "quadratic"])
def test_weighted_kappa_agrees_with_statsmodels(weights):
    from statsmodels.stats.inter_rater import cohens_kappa, to_table

    pairs = np.array(DIAGNOSES)[:, [0, 3]]
    table, _ = to_table(pairs - 1, bins=5)
    theirs = cohens_kappa(table, wt=weights)
    ours = ag.cohen_kappa(pairs.tolist(), weights=weights)
    assert ours["estimate"] == pytest.approx(theirs.kappa, rel=1e-12)
    assert ours["se"] == pytest.approx(theirs.std_kappa, rel=1e-9)
    assert ours["z"] == pytest.approx(theirs.z_value, rel=1e-9)


def test_cohen_kappa_on_text_categories_ignores_missing_units():
    ratings = [["warmth", "warmth"], ["play", "play"], ["warmth", "play"], ["play", None], ["rest", "rest"]]
    result = ag.cohen_kappa(ratings)
    assert result["n_units"] == 4 and result["categories"] == ["play", "rest", "warmth"]
    # po = 3/4; margins rater 1 (play 1, rest 1, warmth 2), rater 2 (play 2, rest 1, warmth 1)
    pe = (1 * 2 + 1 * 1 + 2 * 1) / 16
    assert result["estimate"] == pytest.approx((0.75 - pe) / (1 - pe), rel=1e-12)


def test_cohen_kappa_is_undefined_when_both_raters_use_one_category():
    result = ag.cohen_kappa([[1, 1], [1, 1], [1, 1]])
    assert result["estimate"] is None and result["observed"] == 1


def test_cohen_kappa_needs_two_raters():
    with pytest.raises(ValueError, match="exactly two raters"):
        ag.cohen_kappa(ANXIETY.tolist())
    with pytest.raises(ValueError, match="weights"):
        ag.cohen_kappa(ANXIETY[:, :2].tolist(), weights="cubic")


# ---------------------------------------------------------------- Fleiss' kappa


def test_fleiss_kappa_matches_irr_and_fleiss_1971():
    # irr 0.84: kappam.fleiss(diagnoses) -> Kappa = 0.4302445, z = 17.65183, p-value = 0
    # Fleiss (1971) reports kappa = .430 for these data.
    result = ag.fleiss_kappa(DIAGNOSES)
    assert result["estimate"] == pytest.approx(0.4302445, abs=5e-8)
    assert result["z"] == pytest.approx(17.65183, abs=5e-6)
    assert result["p"] < 1e-60
    assert (result["n_units"], result["n_raters"]) == (30, 6)


def test_fleiss_kappa_agrees_with_statsmodels_and_drops_incomplete_units():
    from statsmodels.stats.inter_rater import aggregate_raters
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

    table, _ = aggregate_raters(np.array(DIAGNOSES))
    ours = ag.fleiss_kappa([*DIAGNOSES, [1, None, 1, 1, 1, 1]])
    assert ours["estimate"] == pytest.approx(sm_fleiss(table), rel=1e-12)
    assert ours["n_dropped"] == 1


# ---------------------------------------------------------------- Krippendorff's alpha

# Krippendorff (2011) and irr 0.84: kripp.alpha(nmm, method) -> 0.743, 0.815, 0.849, 0.797
KRIPP_PUBLISHED = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}


@pytest.mark.parametrize("level", KRIPP_PUBLISHED)
def test_krippendorff_alpha_matches_krippendorffs_example(level):
    result = ag.krippendorff_alpha(KRIPP, level)
    assert round(result["estimate"], 3) == KRIPP_PUBLISHED[level]
    # 11 pairable units (unit 12 has one value), 40 pairable values, as in the paper.
    assert (result["n_units"], result["n_values"]) == (11, 40)


def test_krippendorff_alpha_binary_example():
    # Krippendorff (2011), section A: alpha = 0.095 for two observers and ten units.
    assert round(ag.krippendorff_alpha(KRIPP_BINARY, "nominal")["estimate"], 3) == 0.095


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_krippendorff_alpha_agrees_with_the_krippendorff_package(level):
    import krippendorff

    data = np.array([[np.nan if v is None else v for v in row] for row in KRIPP], dtype=float)
    theirs = krippendorff.alpha(reliability_data=data.T, level_of_measurement=level)
    assert ag.krippendorff_alpha(KRIPP, level)["estimate"] == pytest.approx(theirs, rel=1e-9)
    # and on data with ratings of different coders on different units (a coder pool)
    pool = [[2, 3, None, None], [None, 4, 4, None], [5, None, None, 4], [None, None, 1, 2], [3, 3, 3, None]]
    pool_arr = np.array([[np.nan if v is None else v for v in row] for row in pool], dtype=float)
    theirs = krippendorff.alpha(reliability_data=pool_arr.T, level_of_measurement=level)
    assert ag.krippendorff_alpha(pool, level)["estimate"] == pytest.approx(theirs, rel=1e-9)


def test_krippendorff_alpha_without_variation_is_undefined_not_perfect():
    result = ag.krippendorff_alpha([[2, 2], [2, 2]], "interval")
    assert result["estimate"] is None


def test_krippendorff_alpha_refuses_text_for_a_numeric_level():
    with pytest.raises(ValueError, match="numeric"):
        ag.krippendorff_alpha([["a", "b"], ["b", "b"]], "interval")
    with pytest.raises(ValueError, match="level must be"):
        ag.krippendorff_alpha([[1, 2]], "cardinal")


# ---------------------------------------------------------------- helpers


def test_percent_agreement_with_tolerance_as_irr_agree():
    exact = ag.percent_agreement(ANXIETY.tolist())
    within_one = ag.percent_agreement(ANXIETY.tolist(), tolerance=1)
    rows = ANXIETY
    assert exact["n_agree"] == int(((rows.max(1) - rows.min(1)) == 0).sum())
    assert within_one["n_agree"] == int(((rows.max(1) - rows.min(1)) <= 1).sum())
    assert math.isclose(within_one["estimate"], within_one["n_agree"] / 20)


def test_rating_matrix_pivots_long_data_and_refuses_a_double_rating():
    built = ag.rating_matrix(["u1", "u1", "u2", "u3"], ["ana", "ben", "ben", "ana"], [3, 4, 2, ""])
    assert built["units"] == ["u1", "u2", "u3"] and built["raters"] == ["ana", "ben"]
    assert built["matrix"] == [[3, 4], [None, 2], [None, None]]
    with pytest.raises(ValueError, match="rated unit 'u1' twice"):
        ag.rating_matrix(["u1", "u1"], ["ana", "ana"], [1, 2])
