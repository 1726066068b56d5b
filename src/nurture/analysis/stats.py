"""Statistical procedures, one public function each, matching R where R has the test.

Every function takes plain arrays, raises ``ValueError`` with a clear message on bad
input and returns a small dict. Golden values from R live in
``tests/reference/efficacy.R``.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import optimize, special

# scipy.special rather than scipy.stats: the same functions (stats calls them) without
# the second of import time that scipy.stats costs every command.


def _t_sf(t: float, df: float) -> float:
    return float(special.stdtr(df, -t))


def _t_ppf(p: float, df: float) -> float:
    return float(special.stdtrit(df, p))


def _norm_cdf(z):
    return special.ndtr(z)


def _norm_ppf(p):
    return special.ndtri(p)


def rankdata(values: np.ndarray) -> np.ndarray:
    """Average ranks (1-based) with ties sharing their mean rank, as R ``rank``."""
    values = np.asarray(values, dtype=float)
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    boundaries = np.flatnonzero(np.diff(sorted_values) != 0) + 1
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [len(values)]])
    ranks_sorted = np.repeat((starts + ends + 1) / 2, ends - starts)
    ranks = np.empty(len(values))
    ranks[order] = ranks_sorted
    return ranks


def _pairs(pre, post) -> tuple[np.ndarray, np.ndarray]:
    pre = np.asarray(pre, dtype=float)
    post = np.asarray(post, dtype=float)
    if pre.shape != post.shape or pre.ndim != 1:
        raise ValueError("pre and post must be one-dimensional and of the same length")
    keep = ~(np.isnan(pre) | np.isnan(post))
    return pre[keep], post[keep]


def paired_t(pre, post) -> dict:
    """Paired t-test of ``post − pre``, as R ``t.test(post, pre, paired = TRUE)``.

    Returns t, df, two-sided p, and the mean difference with its 95% interval.
    Complete pairs only. Needs at least two pairs; with zero variance t is undefined
    (returned as None).
    """
    pre, post = _pairs(pre, post)
    n = len(pre)
    if n < 2:
        raise ValueError("a paired t-test needs at least two complete pairs")
    diff = post - pre
    mean = float(diff.mean())
    sd = float(diff.std(ddof=1))
    df = n - 1
    if sd == 0:
        return {"t": None, "df": df, "p": None, "mean": mean, "sd": 0.0, "ci95": [mean, mean]}
    se = sd / math.sqrt(n)
    t = mean / se
    p = 2 * _t_sf(abs(t), df)
    q = _t_ppf(0.975, df)
    return {"t": t, "df": df, "p": p, "mean": mean, "sd": sd, "ci95": [mean - q * se, mean + q * se]}


@lru_cache(maxsize=64)
def _signrank_counts(n: int) -> np.ndarray:
    """Number of subsets of {1..n} with each possible rank sum (R's csignrank)."""
    counts = np.zeros(n * (n + 1) // 2 + 1, dtype=np.float64)
    counts[0] = 1
    for k in range(1, n + 1):
        counts[k:] = counts[k:] + counts[:-k].copy()
    return counts


def psignrank(q: float, n: int, lower_tail: bool = True) -> float:
    """Distribution function of the Wilcoxon signed-rank statistic (R ``psignrank``)."""
    counts = _signrank_counts(n)
    total = 2.0**n
    q = math.floor(q + 1e-7)
    if lower_tail:
        return float(counts[: max(0, q + 1)].sum() / total) if q >= 0 else 0.0
    return float(counts[max(0, q + 1):].sum() / total)


def wilcoxon_signed_rank(pre, post) -> dict:
    """Wilcoxon signed-rank test of ``post − pre``, as R ``wilcox.test(post, pre, paired = TRUE)``.

    Notes
    -----
    R's defaults: zero differences are dropped; V is the sum of the ranks of the
    positive differences (average ranks for ties); the p value is exact when fewer than
    50 non-zero differences remain and there are neither ties nor zeros, otherwise the
    normal approximation with the tie correction of the variance and a continuity
    correction of 0.5 towards zero.
    """
    pre, post = _pairs(pre, post)
    x = post - pre
    zeroes = bool(np.any(x == 0))
    x = x[x != 0]
    n = len(x)
    if n == 0:
        return {"V": 0.0, "p": None, "exact": False}
    ranks = rankdata(np.abs(x))
    v = float(ranks[x > 0].sum())
    ties = len(np.unique(ranks)) != len(ranks)
    if n < 50 and not ties and not zeroes:
        if v > n * (n + 1) / 4:
            p = psignrank(v - 1, n, lower_tail=False)
        else:
            p = psignrank(v, n)
        return {"V": v, "p": min(2 * p, 1.0), "exact": True}
    _, nties = np.unique(ranks, return_counts=True)
    z = v - n * (n + 1) / 4
    sigma = math.sqrt(n * (n + 1) * (2 * n + 1) / 24 - float(np.sum(nties**3 - nties)) / 48)
    if sigma == 0:
        return {"V": v, "p": None, "exact": False}
    z = (z - math.copysign(0.5, z) if z != 0 else z) / sigma
    p = 2 * min(_norm_cdf(z), _norm_cdf(-z))
    return {"V": v, "p": float(p), "exact": False}


def dz_interval(t: float, n: int, level: float = 0.95) -> list[float]:
    """Interval for Cohen's dz by inverting the noncentral t distribution.

    The limits are the noncentrality parameters whose t distribution (df = n − 1) puts
    the observed t at the upper and lower ``(1 ± level)/2`` quantiles, divided by √n.
    """
    df = n - 1
    alpha = (1 - level) / 2

    def cdf(ncp: float) -> float:
        value = special.nctdtr(df, ncp, t)
        if math.isnan(value):  # far tails: scipy gives NaN where the cdf is 0 or 1
            return 0.0 if ncp > t else 1.0
        return float(value)

    def solve(target: float) -> float:
        # The cdf falls as ncp grows; the root lies within a few units of t.
        lo, hi = t - 1, t + 1
        while cdf(lo) < target:
            lo -= 1
        while cdf(hi) > target:
            hi += 1
        return optimize.brentq(lambda ncp: cdf(ncp) - target, lo, hi, xtol=1e-13, rtol=1e-13, maxiter=500)

    return [solve(1 - alpha) / math.sqrt(n), solve(alpha) / math.sqrt(n)]


def hedges_j(m: int) -> float:
    """Small-sample correction J(m) = Γ(m/2) / (√(m/2) · Γ((m − 1)/2))."""
    return float(math.exp(special.gammaln(m / 2) - special.gammaln((m - 1) / 2)) / math.sqrt(m / 2))


def effect_sizes(pre, post) -> dict:
    """Standardised mean change of ``post − pre``, each with a 95% interval.

    Notes
    -----
    d_av = mean(diff) / ((sd_pre + sd_post) / 2) (Cumming 2012; Lakens 2013), with the
    approximate noncentral-t interval of Algina & Keselman (2003): the limits of the
    noncentrality parameter of the paired t, rescaled by sd(diff) / sd_av (for the
    root-mean-square standardiser this is ``itns::cohensd_rm``). g_av = d_av × J(n − 1)
    with the interval scaled by J as well. dz = mean(diff) / sd(diff) with the exact
    noncentral-t interval; dz is the standardiser of the paired test, not of the
    scores, and is reported second.
    """
    pre, post = _pairs(pre, post)
    n = len(pre)
    if n < 3:
        raise ValueError("effect sizes need at least three complete pairs")
    diff = post - pre
    sd = float(diff.std(ddof=1))
    mean = float(diff.mean())
    sd_av = (float(pre.std(ddof=1)) + float(post.std(ddof=1))) / 2
    d_av = mean / sd_av if sd_av > 0 else None
    j = hedges_j(n - 1)
    out = {"dz": None, "dz_ci95": None, "d_av": d_av, "d_av_ci95": None,
           "g_av": None if d_av is None else d_av * j, "g_av_ci95": None}
    if sd == 0:
        return out
    dz = mean / sd
    dz_ci = dz_interval(dz * math.sqrt(n), n)
    out.update(dz=dz, dz_ci95=dz_ci)
    if d_av is not None:
        scale = sd / sd_av
        out["d_av_ci95"] = [dz_ci[0] * scale, dz_ci[1] * scale]
        out["g_av_ci95"] = [dz_ci[0] * scale * j, dz_ci[1] * scale * j]
    return out


def adjust_p(p_values, method: str) -> list[float | None]:
    """Holm or Benjamini–Hochberg adjusted p values, as R ``p.adjust`` (None stays None)."""
    values = [None if p is None or (isinstance(p, float) and math.isnan(p)) else float(p) for p in p_values]
    known = [(i, p) for i, p in enumerate(values) if p is not None]
    out: list[float | None] = [None] * len(values)
    m = len(known)
    if m == 0:
        return out
    order = sorted(known, key=lambda ip: ip[1])
    if method == "holm":
        running = 0.0
        for rank, (i, p) in enumerate(order):
            running = max(running, min(1.0, (m - rank) * p))
            out[i] = running
    elif method in ("BH", "fdr"):
        running = 1.0
        for rank in range(m - 1, -1, -1):
            i, p = order[rank]
            running = min(running, m / (rank + 1) * p)
            out[i] = min(1.0, running)
    else:
        raise ValueError(f"unknown adjustment method {method!r} (holm or BH)")
    return out


def wilson_interval(successes: int, n: int, level: float = 0.95) -> list[float] | None:
    """Wilson score interval for a proportion (R ``prop.test(x, n, correct = FALSE)``)."""
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError(f"successes ({successes}) must be between 0 and n ({n})")
    z = _norm_ppf(1 - (1 - level) / 2)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At 0 (or n) successes the limit is exactly 0 (or 1); the subtraction would leave rounding noise.
    return [0.0 if successes == 0 else max(0.0, centre - half), 1.0 if successes == n else min(1.0, centre + half)]


def correlation(x, y, level: float = 0.95) -> dict | None:
    """Pearson correlation with its Fisher-z interval, as R ``cor.test(x, y)``.

    Complete pairs only; None with fewer than four pairs or a constant variable.
    """
    x, y = _pairs(x, y)
    n = len(x)
    if n < 4 or x.std() == 0 or y.std() == 0:
        return None
    r = float(np.corrcoef(x, y)[0, 1])
    r = max(-1.0, min(1.0, r))
    z = math.atanh(r) if abs(r) < 1 else math.copysign(math.inf, r)
    half = _norm_ppf(1 - (1 - level) / 2) / math.sqrt(n - 3)
    return {"r": r, "n": n, "ci95": [math.tanh(z - half), math.tanh(z + half)]}


def poisson_interval(count: int, exposure: float, level: float = 0.95) -> list[float]:
    """Exact interval for a rate ``count / exposure``, as R ``poisson.test(count, exposure)$conf.int``."""
    if count < 0 or exposure <= 0:
        raise ValueError("a Poisson rate needs a count of 0 or more and a positive exposure")
    alpha = 1 - level
    lo = 0.0 if count == 0 else float(special.gammaincinv(count, alpha / 2)) / exposure
    hi = float(special.gammaincinv(count + 1, 1 - alpha / 2)) / exposure
    return [lo, hi]


def standardized_difference(a, b, binary: bool = False) -> float | None:
    """Standardized difference between two groups (Austin 2009), group ``a`` minus ``b``.

    Continuous: (mean_a − mean_b) / √((sd_a² + sd_b²) / 2). Binary (values 0/1):
    (p_a − p_b) / √((p_a(1 − p_a) + p_b(1 − p_b)) / 2). None when a group is empty or
    the pooled spread is zero.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if binary:
        if len(a) == 0 or len(b) == 0:
            return None
        pa, pb = a.mean(), b.mean()
        spread = math.sqrt((pa * (1 - pa) + pb * (1 - pb)) / 2)
        return float((pa - pb) / spread) if spread > 0 else None
    if len(a) < 2 or len(b) < 2:
        return None
    spread = math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
    return float((a.mean() - b.mean()) / spread) if spread > 0 else None


# --------------------------------------------------------------------------- bootstrap


def _resample_sums(diff: np.ndarray, n_boot: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Sums of d and d² over ``n_boot`` ordinary bootstrap resamples of ``diff``.

    Scores take few distinct values, so a resample is drawn as multinomial counts over
    the distinct values — the same distribution as drawing indices with replacement,
    at a cost that does not grow with n. Continuous data fall back to index draws in
    chunks.
    """
    n = len(diff)
    values, counts = np.unique(diff, return_counts=True)
    if len(values) <= max(64, n // 8):
        draws = rng.multinomial(n, counts / n, size=n_boot).astype(float)
        return draws @ values, draws @ (values * values)
    sums = np.empty(n_boot)
    sumsq = np.empty(n_boot)
    chunk = max(1, 4_000_000 // n)
    for start in range(0, n_boot, chunk):
        stop = min(n_boot, start + chunk)
        sample = diff[rng.integers(0, n, size=(stop - start, n))]
        sums[start:stop] = sample.sum(axis=1)
        sumsq[start:stop] = (sample * sample).sum(axis=1)
    return sums, sumsq


def norm_inter(t: np.ndarray, alpha) -> np.ndarray:
    """Quantiles of bootstrap replicates by interpolation on the normal scale (R ``boot:::norm.inter``).

    The (R + 1)·α-th order statistic, interpolated between neighbours on the normal
    quantile scale when (R + 1)·α is not a whole number; the extremes when it falls
    outside 1…R.
    """
    t = np.sort(t[np.isfinite(t)])
    big_r = len(t)
    alpha = np.atleast_1d(np.asarray(alpha, dtype=float))
    rk = (big_r + 1) * alpha
    k = np.trunc(rk).astype(int)
    out = np.empty(len(alpha))
    for i, (ki, rki, a) in enumerate(zip(k, rk, alpha, strict=True)):
        if ki <= 0:
            out[i] = t[0]
        elif ki >= big_r:
            out[i] = t[-1]
        elif ki == rki:
            out[i] = t[ki - 1]
        else:
            z, z_lo, z_hi = _norm_ppf(a), _norm_ppf(ki / (big_r + 1)), _norm_ppf((ki + 1) / (big_r + 1))
            out[i] = t[ki - 1] + (z - z_lo) / (z_hi - z_lo) * (t[ki] - t[ki - 1])
    return out


#: Relative difference within which a resampled statistic counts as equal to the estimate.
TIE = 1e-9


def _bca(theta_hat: float, boots: np.ndarray, jack: np.ndarray, level: float, scale: float
         ) -> list[float] | None:
    """``scale``: the size of the statistic's rounding errors, relative to the float epsilon
    (the estimate's magnitude, or more where it is near zero)."""
    boots = boots[np.isfinite(boots)]
    if len(boots) == 0:
        return None
    # As boot.ci: the share strictly below the estimate (a resample equal to it is not "below").
    # Scores take few values, so many resamples equal the estimate in exact arithmetic; in
    # floating point their last bits would decide which side they fall on, and the
    # interval of the same data would move with the order or the offset of the scores.
    tie = TIE * max(abs(theta_hat), scale)
    prop = np.sum(boots < theta_hat - tie) / len(boots)
    if prop <= 0 or prop >= 1:
        return None
    z0 = _norm_ppf(prop)
    dev = jack.mean() - jack
    denom = 6 * np.sum(dev**2) ** 1.5
    a = float(np.sum(dev**3) / denom) if denom > 0 else 0.0
    alphas = []
    for z in _norm_ppf(np.array([(1 - level) / 2, 1 - (1 - level) / 2])):
        alphas.append(_norm_cdf(z0 + (z0 + z) / (1 - a * (z0 + z))))
    lo, hi = norm_inter(boots, alphas)
    return [float(lo), float(hi)]


def _snapped(values: np.ndarray, digits: int = 10) -> np.ndarray:
    """Values equal to ``digits`` significant digits (of the largest) made exactly equal.

    A score of 2⅓ is 2.3333333333333335 or 2.333333333333333 depending on how it was
    computed, so two changes of ⅔ can differ in their last bit: the bootstrap must take
    them as one value (the same resamples, the same ties with the estimate).
    """
    scale = float(np.max(np.abs(values))) if len(values) else 0.0
    if not (scale > 0 and np.isfinite(scale)):
        return values
    decimals = int(digits - 1 - np.floor(np.log10(scale)))
    if 0 <= decimals <= 22:  # 10**decimals is exact: a value that is already a short decimal stays as it is
        return np.round(values * 10.0**decimals) / 10.0**decimals
    step = 10.0 ** -decimals
    return np.round(values / step) * step


def bootstrap_paired(pre, post, n_boot: int = 5000, seed: int | None = 2024, level: float = 0.95) -> dict:
    """BCa bootstrap intervals for the mean of ``post − pre`` and for dz.

    Notes
    -----
    Ordinary resampling of complete pairs (seeded); as R's ``boot.ci(type = "bca")``,
    the bias correction z0 comes from the share of resampled statistics strictly
    below the estimate and the endpoints from ``norm.inter``; the acceleration comes
    from the jackknife (Efron 1987), where boot.ci uses regression estimates of the
    same influence values. The jackknife uses closed forms of the leave-one-out mean
    and SD, so the whole procedure is vectorized.

    The differences are sorted first, so the intervals depend on the pairs and the seed
    only, never on the order the pairs come in (which follows the pseudonyms, drawn anew
    for every export). Differences equal to 10 significant digits are taken as equal, and
    a resampled statistic within a relative 1e-9 of the estimate as equal to it (not
    below it), as they are in exact arithmetic: otherwise the last bits of a sum decided
    ties, and the same data in another order moved an endpoint by up to 0.01, and every
    post score 0.1 higher (every change 0.1 larger) by 0.1 more than the 0.1.
    """
    pre, post = _pairs(pre, post)
    diff = np.sort(_snapped(post - pre))
    n = len(diff)
    if n < 3:
        raise ValueError("a bootstrap needs at least three complete pairs")
    if n_boot < 100:
        raise ValueError("use at least 100 bootstrap resamples")
    rng = np.random.default_rng(seed)
    sums, sumsq = _resample_sums(diff, n_boot, rng)
    means = sums / n
    spread = float(np.max(np.abs(diff)))
    # A variance that is 0 in exact arithmetic (a resample of one repeated difference) comes
    # out of these sums as a rounding residue of a few ε·spread²: taken as 0, so its dz is
    # undefined and left out, as boot.ci leaves out non-finite replicates (not ±6e7).
    zero = 1e-12 * spread**2
    variances = np.maximum(sumsq - n * means**2, 0) / (n - 1)
    sds = np.sqrt(np.where(variances > zero, variances, 0))
    with np.errstate(invalid="ignore", divide="ignore"):
        dzs = np.where(sds > 0, means / sds, np.nan)
    s1, s2 = diff.sum(), (diff * diff).sum()
    jack_mean = (s1 - diff) / (n - 1)
    jack_var = np.maximum((s2 - diff * diff) - (n - 1) * jack_mean**2, 0) / (n - 2)
    jack_var = np.where(jack_var > zero, jack_var, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        jack_dz = np.where(jack_var > 0, jack_mean / np.sqrt(jack_var), np.nan)
    mean_hat = float(diff.mean())
    sd_hat = float(diff.std(ddof=1))
    dz_hat = mean_hat / sd_hat if sd_hat > 0 else None
    return {
        "n_boot": n_boot, "seed": seed,
        # a resampled mean is a sum of differences over n: its rounding errors are on the scale
        # of the largest difference; a resampled dz carries that error divided by the SD
        "mean_ci95": _bca(mean_hat, means, jack_mean, level, scale=spread),
        "dz_ci95": None if dz_hat is None or np.isnan(jack_dz).any() else
        _bca(dz_hat, dzs, jack_dz, level, scale=spread / sd_hat),
    }
