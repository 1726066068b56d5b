"""Mixed models against R nlme 3.1-162 (tests/reference/mixed.R): estimates, SEs, nlme's
denominator df, t-based p values and intervals, variance components, dyads nested in cohorts."""

import numpy as np
import pytest

from nurture.analysis.mixed import denominator_df, random_intercept_lmm


def dyads_data():
    pid = np.repeat(np.arange(40), 2)
    time = np.tile([0.0, 1.0], 40)
    m = (pid % 3 == 0).astype(float)
    y = 40 + ((pid * 7) % 11) - 3 * time + 1.5 * time * m + (((pid * 13 + time * 5) % 7) - 3)
    keep = ~((time == 1) & (pid % 5 == 0))  # some dyads have no post
    X = np.column_stack([np.ones(keep.sum()), time[keep], m[keep], (time * m)[keep]])
    return y[keep], X, pid[keep]


COHORT_OF = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5,
                      5, 5, 5, 5])


def nested_data():
    pid = np.repeat(np.arange(36), 2)
    time = np.tile([0.0, 1.0], 36)
    cohort = COHORT_OF[pid]
    k = (cohort >= 4).astype(float)
    shift = np.array([-2.5, 1.5, 3, -1, 0.5, -2])[cohort]
    y = 30 + shift + ((pid * 7) % 9) - 2.5 * time + 1.2 * time * k + (((pid * 11 + time * 3) % 5) - 2)
    keep = ~((time == 1) & (pid % 7 == 3))
    return y[keep], time[keep], k[keep], pid[keep], cohort[keep]


def values(fit, key, names):
    return [fit["coefficients"][n][key] for n in names]


def test_dyad_intercepts_match_nlme_including_df_p_and_t_intervals():
    # R: summary(lme(y ~ time * m, random = ~ 1 | pid, method = "REML"))$tTable; intervals(fit)
    y, X, pid = dyads_data()
    names = ["Intercept", "time", "m", "time:m"]
    fit = random_intercept_lmm(y, X, pid, names)
    assert values(fit, "estimate", names) == pytest.approx(
        [45.0384615384616, -3.28579441400854, 0.247252747252763, 1.88983134057156], rel=1e-7)
    assert values(fit, "se", names) == pytest.approx(
        [0.780007347560265, 0.675994071343793, 1.31845305702013, 1.15163815604648], rel=1e-6)
    assert values(fit, "df", names) == [38, 30, 38, 30]
    assert values(fit, "p", names) == pytest.approx(
        [1.2516302110675e-38, 3.45176841361567e-05, 0.852240953525314, 0.111243032058824], rel=1e-5)
    assert [c[0] for c in values(fit, "ci95", names)] == pytest.approx(
        [43.4594192162521, -4.66635848653691, -2.42181592677067, -0.462127545147711], rel=1e-6)
    assert [c[1] for c in values(fit, "ci95", names)] == pytest.approx(
        [46.617503860671, -1.90523034148018, 2.9163214212762, 4.24179022629083], rel=1e-6)
    assert (fit["tau2"], fit["sigma2"]) == pytest.approx((10.8717813958986, 4.94691662254938), rel=1e-6)


def test_intervals_use_the_t_quantile_on_nlme_df():
    # Wald intervals with normal quantiles (1.96) were 4% too narrow here.
    y, X, pid = dyads_data()
    c = random_intercept_lmm(y, X, pid, ["i", "t", "m", "tm"])["coefficients"]["tm"]
    half_width = (c["ci95"][1] - c["ci95"][0]) / 2
    assert half_width / c["se"] == pytest.approx(2.042272456, rel=1e-8)  # R: qt(0.975, 30)


def test_dyads_nested_in_cohorts_match_nlme():
    # R: lme(y ~ time, random = ~ 1 | cohort / pid, method = "REML")
    y, time, _, pid, cohort = nested_data()
    X = np.column_stack([np.ones(len(y)), time])
    fit = random_intercept_lmm(y, X, pid, ["Intercept", "time"], cohorts=cohort)
    names = ["Intercept", "time"]
    assert values(fit, "estimate", names) == pytest.approx([33.8279666292678, -1.92517994550174], rel=1e-6)
    assert values(fit, "se", names) == pytest.approx([0.916795316607833, 0.443472107809671], rel=1e-4)
    assert values(fit, "df", names) == [30, 30]
    assert values(fit, "p", names) == pytest.approx([1.47544147895119e-26, 0.000148415228482577], rel=1e-3)
    # VarCorr: cohort, dyad within cohort, residual (the REML surface is flat: agree to 1e-4)
    assert (fit["tau2_cohort"], fit["tau2"], fit["sigma2"]) == pytest.approx(
        (3.21038095374845, 7.44436604226067, 3.11023889487741), rel=1e-4)
    assert fit["icc_cohort"] == pytest.approx(3.21038095374845 / (3.21038095374845 + 7.44436604226067
                                                                    + 3.11023889487741), rel=1e-4)
    assert (fit["n_cohorts"], fit["n_participants"]) == (6, 36)


def test_a_cohort_level_moderator_is_tested_on_cohort_df():
    # R: lme(y ~ time * k, random = ~ 1 | cohort / pid): k varies only between cohorts -> 6 - 1 - 1 = 4 df
    y, time, k, pid, cohort = nested_data()
    X = np.column_stack([np.ones(len(y)), time, k, time * k])
    names = ["Intercept", "time", "k", "time:k"]
    fit = random_intercept_lmm(y, X, pid, names, cohorts=cohort)
    assert values(fit, "df", names) == [30, 29, 4, 29]
    assert values(fit, "estimate", names) == pytest.approx(
        [34.1034598024035, -2.11320337897406, -0.751843554841626, 0.484959592304819], rel=1e-5)
    assert values(fit, "p", names)[2] == pytest.approx(0.743369458126362, rel=1e-4)
    assert fit["coefficients"]["k"]["ci95"] == pytest.approx([-6.70080985480787, 5.19712274512462], rel=1e-4)


def test_denominator_df_follows_the_containment_rule():
    # Orthodont-like: 27 subjects x 4 visits, age within subjects, sex between -> 80 / 80 / 25 (Pinheiro & Bates)
    subject = np.repeat(np.arange(27), 4)
    age = np.tile([8.0, 10, 12, 14], 27)
    sex = (subject < 11).astype(float)
    X = np.column_stack([np.ones(108), age, sex])
    assert denominator_df(X, [subject]) == [80, 80, 25]


def test_bad_input_is_refused_clearly():
    y, X, pid = dyads_data()
    with pytest.raises(ValueError, match="rank deficient"):
        random_intercept_lmm(y, np.column_stack([X, X[:, 1]]), pid, list("abcde"))
    with pytest.raises(ValueError, match="no variation"):
        random_intercept_lmm(np.zeros(len(y)), X, pid, list("abcd"))
    with pytest.raises(ValueError, match="nested"):
        random_intercept_lmm(y, X, pid, list("abcd"), cohorts=np.arange(len(y)) % 2)


def test_dyad_variance_at_zero_is_fitted_without_a_warning(recwarn):
    # Every dyad has the same mean (pre and post move in opposite directions), so the
    # REML optimum puts no variance on dyads or cohorts: the fit is then ordinary least
    # squares. The nested fit starts from the dyads-only optimum, at the lower bound:
    # scipy warned "Initial guess is not within the specified bounds" on every such fit.
    pid = np.repeat(np.arange(24), 2)
    time = np.tile([0.0, 1.0], 24)
    a = np.where(pid % 2 == 0, 1.0, -1.0) * (1 + pid % 3)
    y = np.where(time == 0, 10 + a, 11 - a)
    X = np.column_stack([np.ones(len(y)), time])
    fit = random_intercept_lmm(y, X, pid, ["Intercept", "time"], cohorts=pid // 4)
    assert [str(w.message) for w in recwarn] == []
    beta, rss, *_ = np.linalg.lstsq(X, y, rcond=None)
    assert values(fit, "estimate", ["Intercept", "time"]) == pytest.approx(beta, rel=1e-9)
    assert fit["sigma2"] == pytest.approx(rss[0] / (len(y) - 2), rel=1e-6)
    assert fit["tau2"] < 1e-6 and fit["tau2_cohort"] < 1e-6
