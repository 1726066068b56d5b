"""Linear mixed models with random intercepts (dyads, optionally nested in cohorts), by REML.

Written out (rather than calling ``statsmodels.MixedLM``) because the likelihood of a
random-intercept model reduces to per-group sums, so the fit is vectorized and takes
the same few milliseconds for 26 or 100,000 participants; ``MixedLM`` loops over
participants in Python and offers neither nested intercepts nor nlme's degrees of
freedom. Golden values from ``nlme::lme`` are in ``tests/reference/mixed.R``.

Model: y = Xβ + Z_d u + Z_c v + e with dyad intercepts u ~ N(0, τ²), cohort intercepts
v ~ N(0, τ_c²) (nested model only) and e ~ N(0, σ²). With γ = τ²/σ² and γ_c = τ_c²/σ²,
V/σ² = I + γ Σ J_i + γ_c Σ J_c. The dyad part inverts in closed form,
A⁻¹ = I − Σ w_i J_i with w_i = γ / (1 + n_i γ), and each cohort adds a rank-one term
(Sherman–Morrison), so every quantity of the profiled REML criterion is a sum over
groups — collapsed once by dyad size and cohort, so an evaluation costs the same for
any number of dyads; the criterion is minimised over (log γ, log γ_c).

Inference follows ``nlme``: t statistics with the denominator degrees of freedom of
Pinheiro & Bates (2000, §2.4.2) — a coefficient that varies within dyads is tested on
N − (number of dyads) − (within-dyad terms) df, one constant within dyads but varying
within cohorts on (dyads − cohorts − terms at that level), a cohort-level one on
(cohorts − 1 − terms at that level), the intercept on the largest of these — and 95%
intervals with the t quantile on the same df (``intervals(fit)``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import optimize, special


def _group_sums(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    if values.ndim == 1:
        return np.bincount(groups, weights=values, minlength=n_groups)
    return np.stack([np.bincount(groups, weights=values[:, k], minlength=n_groups)
                     for k in range(values.shape[1])], axis=1)


def _varies_within(x: np.ndarray, groups: np.ndarray, n_groups: int) -> bool:
    """Whether ``x`` takes more than one value inside at least one group (nlme's relative tolerance)."""
    first = np.empty(n_groups)
    first[groups[::-1]] = x[::-1]  # with repeated indices the last write wins: each group's first value
    ref = first[groups]
    scale = np.where(ref != 0, np.abs(ref), 1.0)
    return bool(np.any(np.abs(x - ref) / scale > math.sqrt(np.finfo(float).eps)))


def _codes(labels) -> tuple[np.ndarray, int]:
    """Integer codes 0…k−1 of any labels (hashing, not sorting: fast for 100,000 string ids)."""
    codes, uniques = pd.factorize(np.asarray(labels), use_na_sentinel=False)
    return codes.astype(np.intp), len(uniques)


def denominator_df(X: np.ndarray, levels: list) -> list[int]:
    """nlme's denominator degrees of freedom per column of ``X`` (``levels`` outer to inner).

    Mirrors ``nlme:::getFixDF``: strata are the grouping levels (outer to inner) and the
    residual; a column belongs to the innermost stratum within whose groups it varies;
    each stratum's df is its number of groups less the enclosing level's, less the
    columns estimated there (the intercept counts at the outermost); the intercept gets
    the largest df.
    """
    n_obs, p = X.shape
    coded = [_codes(g) for g in levels]
    counts = [k for _, k in coded]
    dfs = [counts[0]] + [counts[k] - counts[k - 1] for k in range(1, len(counts))] + [n_obs - counts[-1]]
    stratum = []
    intercepts = []
    for j in range(p):
        column = X[:, j]
        if np.allclose(column, column[0]):
            intercepts.append(j)
            stratum.append(None)
            continue
        where = 0
        for k, (g, n_groups) in enumerate(coded):
            if _varies_within(column, g, n_groups):
                where = k + 1
        stratum.append(where)
    for s in stratum:
        if s is not None:
            dfs[s] -= 1
    if intercepts:
        dfs[0] -= 1
    top = max(dfs)
    return [top if s is None else dfs[s] for s in stratum]


def random_intercept_lmm(y, X, groups, names: list[str], cohorts=None) -> dict:
    """Fit ``y ~ X`` with a random intercept per group (and per cohort, when given) by REML.

    Parameters
    ----------
    y, X : the response and the fixed-effects design (``X`` includes the intercept column).
    groups : the dyad of each row.
    names : one name per column of ``X``.
    cohorts : optional cohort of each row; dyads must be nested in cohorts. Adds a
        cohort intercept (``lme(y ~ …, random = ~ 1 | cohort/dyad)``).

    Returns
    -------
    dict with ``coefficients`` (estimate, se, df, t, p, ci95 per name), ``sigma2``,
    ``tau2`` (dyads), and for the nested model ``tau2_cohort`` and ``icc_cohort``
    (τ_c² / (τ_c² + τ² + σ²)); the counts used.
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    g, n_groups = _codes(groups)
    n_obs, p = X.shape
    if len(y) != n_obs or len(g) != n_obs:
        raise ValueError("y, X and groups must have the same number of rows")
    if n_obs <= p or n_groups < 2:
        raise ValueError("not enough observations for the mixed model")
    if np.ptp(y) == 0:
        raise ValueError("every score is the same: there is no variation to model")
    if np.linalg.matrix_rank(X) < p:
        raise ValueError("the design matrix is rank deficient (a moderator has a single level?)")
    nested = cohorts is not None
    if nested:
        c, n_cohorts = _codes(cohorts)
        if len(c) != n_obs:
            raise ValueError("cohorts must have one label per row")
        cohort_of_group = np.full(n_groups, -1)
        cohort_of_group[g] = c
        if np.any(cohort_of_group[g] != c):
            raise ValueError("every dyad must belong to one cohort (dyads nested in cohorts)")
        if n_cohorts < 2:
            raise ValueError("the nested model needs at least two cohorts")
    n_i = np.bincount(g, minlength=n_groups).astype(float)
    sx = _group_sums(X, g, n_groups)
    sy = _group_sums(y, g, n_groups)
    xtx, xty, yty = X.T @ X, X.T @ y, y @ y
    # Every weight depends on a dyad only through its number of rows, so the per-dyad sums are
    # collapsed once by dyad size (and cohort): each evaluation then costs the same for 26 or
    # 100,000 dyads.
    sizes, size_of = np.unique(n_i, return_inverse=True)
    n_sizes = len(sizes)
    per_size = np.bincount(size_of, minlength=n_sizes).astype(float)
    # Flattened (p × p → p²) so that each evaluation weighs them with one matrix product.
    m_xx = np.stack([(sx[size_of == k].T @ sx[size_of == k]).ravel() for k in range(n_sizes)])
    m_xy = np.stack([sx[size_of == k].T @ sy[size_of == k] for k in range(n_sizes)])
    m_yy = np.bincount(size_of, weights=sy**2, minlength=n_sizes)
    xtx_flat = xtx.ravel()
    if nested:
        cell = cohort_of_group * n_sizes + size_of  # cohort × dyad size
        # cohort × column × dyad size, so that each evaluation weighs the sizes with one product
        h_x = _group_sums(sx, cell, n_cohorts * n_sizes).reshape(n_cohorts, n_sizes, p).transpose(0, 2, 1).copy()
        h_y = np.bincount(cell, weights=sy, minlength=n_cohorts * n_sizes).reshape(n_cohorts, n_sizes)
        k_rows = np.bincount(cell, weights=n_i, minlength=n_cohorts * n_sizes).reshape(n_cohorts, n_sizes)
    log1p, slogdet, solve = np.log1p, np.linalg.slogdet, np.linalg.solve

    def fit(params):
        gamma = math.exp(params[0])
        w = gamma / (1 + sizes * gamma)
        a = (xtx_flat - w @ m_xx).reshape(p, p)
        b = xty - w @ m_xy
        c_yy = yty - w @ m_yy
        logdet_v = float(per_size @ log1p(sizes * gamma))
        gamma_c = math.exp(params[1]) if nested else 0.0
        if nested and gamma_c > 0:
            u = 1 / (1 + sizes * gamma)  # A⁻¹ 1 on the rows of a dyad of each size
            s_c = k_rows @ u
            hx = h_x @ u
            hy = h_y @ u
            v = gamma_c / (1 + gamma_c * s_c)
            vhx = hx.T * v
            a = a - vhx @ hx
            b = b - vhx @ hy
            c_yy = c_yy - float(v @ (hy * hy))
            logdet_v += float(log1p(gamma_c * s_c).sum())
        beta = solve(a, b)
        q = c_yy - beta @ b
        sigma2 = q / (n_obs - p)
        _, logdet_a = slogdet(a)
        criterion = (n_obs - p) * math.log(sigma2) + logdet_v + logdet_a
        return criterion, beta, sigma2, a, gamma, gamma_c

    found = optimize.minimize_scalar(lambda lg: fit([lg, -30.0])[0], bounds=(-20, 10), method="bounded",
                                     options={"xatol": 1e-10, "maxiter": 500})
    params = [found.x, -30.0]
    if nested:
        # Start from the dyads-only optimum. Nelder–Mead, because the criterion is flat near the optimum and
        # nlme converges more tightly than quasi-Newton defaults (and a cohort variance of 0 is a valid optimum).
        start = np.array([found.x, found.x - 1.0])
        simplex = np.array([start, start + [0.5, 0.0], start + [0.0, 1.5]])
        # The simplex is what Nelder–Mead starts from (clipped into the bounds by scipy); x0 is
        # given inside them too, or scipy warns when the dyad variance sits at its lower bound.
        best = optimize.minimize(lambda par: fit(par)[0], np.clip(start, -20, 10), method="Nelder-Mead",
                                 bounds=[(-20, 10), (-20, 10)],
                                 options={"xatol": 1e-9, "fatol": 1e-13 * max(1.0, abs(found.fun)),
                                          "maxiter": 1000, "initial_simplex": simplex})
        params = best.x
    _, beta, sigma2, a, gamma, gamma_c = fit(params)
    cov = sigma2 * np.linalg.inv(a)
    se = np.sqrt(np.diag(cov))
    dfs = denominator_df(X, ([c] if nested else []) + [g])
    coef = {}
    for k, name in enumerate(names):
        df = dfs[k]
        stat = beta[k] / se[k] if se[k] > 0 else float("nan")
        q = float(special.stdtrit(df, 0.975)) if df > 0 else float("nan")
        coef[name] = {"estimate": float(beta[k]), "se": float(se[k]), "df": int(df), "t": float(stat),
                      "ci95": [float(beta[k] - q * se[k]), float(beta[k] + q * se[k])],
                      "p": float(2 * special.stdtr(df, -abs(stat))) if df > 0 else None}
    out = {"coefficients": coef, "sigma2": float(sigma2), "tau2": float(gamma * sigma2),
           "n_obs": int(n_obs), "n_participants": int(n_groups), "inference": "t (nlme denominator df)"}
    if nested:
        tau2_c = gamma_c * sigma2
        out.update(tau2_cohort=float(tau2_c), n_cohorts=int(n_cohorts),
                   icc_cohort=float(tau2_c / (tau2_c + gamma * sigma2 + sigma2)))
    return out
