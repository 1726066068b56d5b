"""Statistics against R 4.2.2 (tests/reference/efficacy.R and bootstrap.R; outputs in *_golden.txt)."""

import numpy as np
import pytest

from nurture.analysis import stats

PSS_PRE = [52, 61, 47, 58, 66, 49, 55, 63, 70, 44, 51, 59, 62, 48, 57, 65, 53, 60, 46, 68, 50, 56, 64, 45, 58, 61]
PSS_POST = [45, 55, 47, 50, 60, 44, 49, 58, 61, 43, 47, 52, 57, 45, 50, 59, 49, 55, 44, 60, 48, 50, 57, 46, 52, 55]
EXACT_PRE = [14, 9, 17, 11, 20, 8, 15, 12, 19, 10, 16, 13]
EXACT_POST = [10.5, 7.2, 13.9, 11.4, 14.4, 7.7, 11.3, 9.4, 12.1, 8.6, 13.8, 11.9]
WORSE_PRE = [20, 22, 25, 18, 30, 27, 21, 24, 26, 19, 23, 28, 22, 25, 20]
WORSE_POST = [24, 22, 28, 21, 30, 31, 21, 27, 29, 22, 23, 33, 26, 25, 24]
LARGE_PRE = [float(x) for x in range(10, 70)]
LARGE_POST = [x - (((i * 37) % 61) / 10 - 2) for i, x in enumerate(LARGE_PRE, start=1)]

DATA = {"pss": (PSS_PRE, PSS_POST), "exact": (EXACT_PRE, EXACT_POST), "worse": (WORSE_PRE, WORSE_POST),
        "large": (LARGE_PRE, LARGE_POST)}

# R: t.test(post, pre, paired = TRUE) -> statistic, parameter, p.value, conf.int
T_TEST = {
    "pss": (-10.1414052904823, 25, 2.41333022978668e-10, -6.0154108300386, -3.9845891699614),
    "exact": (-4.37136632386431, 11, 0.00111500358010907, -3.98427634339434, -1.31572365660566),
    "worse": (5.04100830250084, 14, 0.000180290717961031, 1.3788772915829, 3.4211227084171),
    "large": (-4.65709400701381, 59, 1.86864447654815e-05, -1.50114939570221, -0.598850604297786),
}
# R: wilcox.test(post, pre, paired = TRUE) -> statistic V, p.value (exact only for "exact")
WILCOX = {"pss": (1.5, 1.46239590602806e-05, False), "exact": (2, 0.00146484375, True),
          "worse": (55, 0.0049954609006305, False), "large": (371, 0.000106177355114127, False)}
# R: dz; uniroot(pt(t, n - 1, ncp) - .975 / .025) / sqrt(n); d_av; d_av * J(n - 1)
EFFECTS = {
    "pss": (-1.98889321043932, -2.65147352361987, -1.31260192564131, -0.761379867384718, -0.738268622818598),
    "exact": (-1.26190476190476, -2.01556857828349, -0.477784092599987, -0.843852260039141, -0.784748687393631),
    "worse": (1.30158274691194, 0.593679600152465, 1.98501912486827, 0.65703380829688, 0.621085996722764),
    "large": (-0.601228251029562, -0.874274375315069, -0.323851142115406, -0.0601355683899006, -0.0593673337711464),
}

# R: the dz limits × sd(diff) / ((sd(pre) + sd(post)) / 2) (Algina & Keselman 2003), and × J(n − 1) for g_av
D_AV_CI = {
    "pss": (-1.01502612065424, -0.502484836706217, -0.984215591087682, -0.487232200736508),
    "exact": (-1.34783713588741, -0.319500487297216, -1.25343436676815, -0.297122612454088),
    "worse": (0.299687107501844, 1.00202978124032, 0.283290545352944, 0.947206456606461),
    "large": (-0.0874459681464834, -0.0323919783734029, -0.0863288419298483, -0.0319781693777842),
}

REL = 1e-9


@pytest.mark.parametrize("name", DATA)
def test_paired_t_matches_r(name):
    result = stats.paired_t(*DATA[name])
    t, df, p, lo, hi = T_TEST[name]
    assert result["t"] == pytest.approx(t, rel=REL)
    assert result["df"] == df
    assert result["p"] == pytest.approx(p, rel=1e-7)
    assert result["ci95"] == pytest.approx([lo, hi], rel=REL)


@pytest.mark.parametrize("name", DATA)
def test_wilcoxon_matches_r(name):
    result = stats.wilcoxon_signed_rank(*DATA[name])
    v, p, exact = WILCOX[name]
    assert result["V"] == v
    assert result["p"] == pytest.approx(p, rel=1e-9)
    assert result["exact"] is exact


@pytest.mark.parametrize("name", DATA)
def test_effect_sizes_match_r(name):
    result = stats.effect_sizes(*DATA[name])
    dz, lo, hi, d_av, g_av = EFFECTS[name]
    assert result["dz"] == pytest.approx(dz, rel=REL)
    assert result["dz_ci95"] == pytest.approx([lo, hi], rel=1e-7)
    assert result["d_av"] == pytest.approx(d_av, rel=REL)
    assert result["g_av"] == pytest.approx(g_av, rel=REL)
    d_lo, d_hi, g_lo, g_hi = D_AV_CI[name]
    assert result["d_av_ci95"] == pytest.approx([d_lo, d_hi], rel=1e-7)
    assert result["g_av_ci95"] == pytest.approx([g_lo, g_hi], rel=1e-7)


def test_p_adjust_matches_r():
    p = [T_TEST[name][2] for name in DATA]
    # R: p.adjust(ps, "holm") and p.adjust(ps, "BH")
    assert stats.adjust_p(p, "holm") == pytest.approx(
        [9.65332091914672e-10, 0.00111500358010907, 0.000360581435922063, 5.60593342964445e-05], rel=1e-9)
    assert stats.adjust_p(p, "BH") == pytest.approx(
        [9.65332091914672e-10, 0.00111500358010907, 0.000240387623948042, 3.7372889530963e-05], rel=1e-9)
    assert stats.adjust_p([0.01, None, 0.04], "holm") == pytest.approx([0.02, None, 0.04])


@pytest.mark.parametrize("x, n, lo, hi", [
    # R: prop.test(x, n, correct = FALSE)$conf.int
    (26, 34, 0.600038620774636, 0.875630144673604), (34, 48, 0.568207401904283, 0.817584210734835),
    (0, 10, 0, 0.277532799862889), (10, 10, 0.722467200137111, 1), (81, 263, 0.255288519878274, 0.3662095769828)])
def test_wilson_interval_matches_r(x, n, lo, hi):
    assert stats.wilson_interval(x, n) == pytest.approx([lo, hi], rel=1e-9, abs=1e-12)


def test_wilson_interval_matches_a_published_value():
    # Newcombe (1998), Stat Med 17:857, Table I: 81/263 -> 0.2553 to 0.3662
    lo, hi = stats.wilson_interval(81, 263)
    assert (round(lo, 4), round(hi, 4)) == (0.2553, 0.3662)


def test_psignrank_matches_r():
    assert stats.psignrank(3, 10) == pytest.approx(0.0048828125)  # R: psignrank(3, 10)
    assert stats.psignrank(39, 12, lower_tail=False) == pytest.approx(0.48486328125)  # R: psignrank(39, 12, FALSE)


def test_all_zero_differences_give_no_wilcoxon_p():
    assert stats.wilcoxon_signed_rank([1, 2, 3], [1, 2, 3]) == {"V": 0.0, "p": None, "exact": False}


def test_missing_values_drop_the_whole_pair():
    pre = [1.0, 2.0, np.nan, 4.0, 5.0]
    post = [2.0, 2.5, 3.0, np.nan, 7.0]
    assert stats.paired_t(pre, post)["mean"] == pytest.approx((1 + 0.5 + 2) / 3)


def test_bad_input_raises_a_clear_error():
    with pytest.raises(ValueError, match="same length"):
        stats.paired_t([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="at least two complete pairs"):
        stats.paired_t([1], [2])


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    a = stats.bootstrap_paired(PSS_PRE, PSS_POST, n_boot=2000, seed=1)
    b = stats.bootstrap_paired(PSS_PRE, PSS_POST, n_boot=2000, seed=1)
    assert a == b
    lo, hi = a["mean_ci95"]
    assert lo < -5 < hi
    # close to the t interval for this well-behaved sample
    assert lo == pytest.approx(-6.0, abs=0.4) and hi == pytest.approx(-4.0, abs=0.4)
    dz_lo, dz_hi = a["dz_ci95"]
    assert dz_lo < -1.98889321043932 < dz_hi


def test_bootstrap_agrees_with_index_resampling_in_distribution():
    # The multinomial-count shortcut and plain index resampling draw from the same
    # distribution: their BCa limits agree within Monte Carlo error.
    rng = np.random.default_rng(3)
    pre = rng.integers(0, 30, 400).astype(float)
    post = pre + rng.integers(-6, 3, 400)
    fast = stats.bootstrap_paired(pre, post, n_boot=4000, seed=5)["mean_ci95"]
    diff = post - pre
    idx = np.random.default_rng(9).integers(0, 400, size=(4000, 400))
    means = diff[idx].mean(axis=1)
    slow = np.quantile(means, [0.025, 0.975])
    assert fast == pytest.approx(list(slow), abs=0.08)


@pytest.mark.parametrize("continuous", [False, True])
def test_bootstrap_does_not_depend_on_the_order_of_the_pairs(continuous):
    # Pairs come sorted by pseudonym, and pseudonyms are drawn anew for every export: the
    # same study exported twice gave intervals up to 0.01 apart, because a resample whose
    # mean equals the estimate counted as below it or not by the last bits of a sum.
    rng = np.random.default_rng(7)
    for _ in range(40):
        if continuous:  # many distinct differences: resampled by index
            pre = rng.normal(12, 4, 120)
            post = pre + rng.normal(-1, 3, 120)
        else:  # questionnaire scores: few distinct differences, many resamples tie the estimate
            pre = rng.integers(5, 20, 26).astype(float)
            post = pre + rng.integers(-5, 3, 26)
        first = stats.bootstrap_paired(pre, post, n_boot=2000)
        for _ in range(3):
            order = rng.permutation(len(pre))
            assert stats.bootstrap_paired(pre[order], post[order], n_boot=2000) == first


def test_bootstrap_ties_with_the_estimate_are_decided_by_value_not_by_rounding():
    # Many resamples of questionnaire scores have a mean equal to the estimate; whether they
    # fell below it used to depend on the last bits of a sum. Then adding 0.1 to every post
    # score (every change 0.1 larger) moved the upper limit by 0.115 beyond the 0.1, and
    # item-mean scores (thirds) one point higher on both occasions, the same changes, moved it by 0.022.
    pre = np.array([8, 6, 8, 11, 9, 12, 9, 19, 19, 9, 16, 11, 16, 19, 17, 11, 12, 17, 10, 6, 10, 10, 6, 7, 10, 18.])
    post = np.array([6, 5, 5, 7, 5, 7, 4, 17, 18, 4, 18, 9, 18, 19, 15, 8, 9, 13, 9, 3, 8, 6, 6, 8, 9, 13.])
    base = stats.bootstrap_paired(pre, post)["mean_ci95"]
    for shift in (0.1, 0.3, 1.0):
        assert stats.bootstrap_paired(pre, post + shift)["mean_ci95"] == pytest.approx(
            [base[0] + shift, base[1] + shift], abs=1e-9)
    rng = np.random.default_rng(11)
    for _ in range(40):  # (more than half of these moved when ties were decided by the last bit)
        pre = rng.integers(5, 20, 26).astype(float)
        post = pre + rng.integers(-5, 3, 26)
        base = stats.bootstrap_paired(pre, post)["mean_ci95"]
        for shift in (0.1, 0.3, 0.7):
            assert stats.bootstrap_paired(pre, post + shift)["mean_ci95"] == pytest.approx(
                [base[0] + shift, base[1] + shift], abs=1e-9)
    rng = np.random.default_rng(3)
    for _ in range(60):
        pre = np.round(rng.integers(3, 22, 30) / 3, 12)  # the mean of three items
        post = np.round((pre * 3 + rng.integers(-4, 3, 30)) / 3, 12)
        higher, same = stats.bootstrap_paired(pre + 1, post + 1), stats.bootstrap_paired(pre, post)
        for key in ("mean_ci95", "dz_ci95"):
            assert higher[key] == pytest.approx(same[key], abs=1e-9)


def test_a_resample_of_one_repeated_difference_has_no_dz():
    # Its SD is 0, but the sums left a rounding residue of 2e-16: its dz came out as -6e7 and
    # made the lower limit -63,270,843. boot.ci leaves such (infinite) replicates out.
    result = stats.bootstrap_paired(np.array([5, 14, 4]) / 6, np.array([1, 18, 4]) / 6)
    lo, hi = result["dz_ci95"]  # the differences -2/3, 0, 2/3: dz 0
    assert -2 < lo < 0 < hi < 2
    rng = np.random.default_rng(1)
    for _ in range(300):
        n = int(rng.integers(3, 6))
        pre = rng.integers(0, 20, n) / 3
        post = (pre * 3 + rng.integers(-3, 4, n)) / 3
        dz = stats.bootstrap_paired(pre, post, n_boot=1000)["dz_ci95"]
        assert dz is None or max(map(abs, dz)) < 100


def test_rankdata_gives_average_ranks_for_ties():
    from scipy.stats import rankdata

    values = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0, 5.0])
    assert stats.rankdata(values).tolist() == rankdata(values).tolist()


def test_bca_counts_resamples_equal_to_the_estimate_as_boot_ci_does():
    # R: boot.ci(boot(d, function(x, i) mean(x[i]), R = 400000), type = "bca") -> -1.5625, -0.0625
    # (tests/reference/bootstrap.R). 6.7% of resamples equal the estimate; counting them half
    # below moved each endpoint up one step of 1/16.
    d = np.array([-3, -2, -2, -1, -1, -1, 0, 0, 0, 0, 1, 1, 2, -4, -1, 0], dtype=float)
    result = stats.bootstrap_paired(np.zeros(16), d, n_boot=200_000, seed=11)
    assert result["mean_ci95"] == pytest.approx([-1.5625, -0.0625], abs=0.003)


def test_norm_inter_interpolates_order_statistics_on_the_normal_scale():
    t = np.arange(1.0, 20.0)  # R = 19: (R + 1) * 0.5 = 10 is a whole number -> the 10th value
    assert stats.norm_inter(t, [0.5])[0] == 10.0
    # R: boot:::norm.inter(1:19, 0.025)[, 2] -> 1 (k = 0: the smallest); 0.26 -> between the 5th and 6th
    assert stats.norm_inter(t, [0.025])[0] == 1.0
    assert 5.0 < stats.norm_inter(t, [0.26])[0] < 6.0


def test_correlation_matches_r_cor_test():
    # R: cor.test(pre, post) on the PSS data (tests/reference/planning.R)
    result = stats.correlation(PSS_PRE, PSS_POST)
    assert result["r"] == pytest.approx(0.963730186725863, rel=1e-12)
    assert result["ci95"] == pytest.approx([0.9197076478569, 0.983819568791351], rel=1e-12)
    assert stats.correlation([1, 2, 3], [2, 3, 4]) is None  # fewer than four pairs


def test_poisson_interval_matches_r_poisson_test():
    # R: poisson.test(34, 21)$conf.int
    assert stats.poisson_interval(34, 21) == pytest.approx([1.12123754212249, 2.26245676643824], rel=1e-12)
    assert stats.poisson_interval(0, 10)[0] == 0.0


def test_standardized_differences_by_hand():
    # (12 - 10) / sqrt((var(10, 12, 14) + var(8, 12, 16)) / 2) = 2 / sqrt((4 + 16) / 2)
    assert stats.standardized_difference([10, 12, 14], [8, 12, 16]) == pytest.approx(0.0)
    assert stats.standardized_difference([12, 14, 16], [8, 12, 16]) == pytest.approx(2 / np.sqrt(10))
    # (0.5 - 0.25) / sqrt((0.25 + 0.1875) / 2)
    assert stats.standardized_difference([1, 0, 1, 0], [1, 0, 0, 0], binary=True) == pytest.approx(
        0.25 / np.sqrt(0.21875))
    assert stats.standardized_difference([1.0], [2.0, 3.0]) is None
