"""Agreement between coders: one public function per procedure, matching R.

Every procedure takes a *ratings matrix* — one row per unit (a recording, a segment),
one column per rater, ``None`` or NaN where a rater did not rate that unit — and
returns a small dict. :func:`rating_matrix` builds that matrix from long data
(``unit, rater, value``). Bad input raises ``ValueError`` with a clear message.

Golden values: ``tests/reference/agreement.R`` (``psych::ICC``, ``psych::cohen.kappa``)
and the published outputs of ``irr`` and Krippendorff's own examples, written beside
the tests in ``tests/analysis/test_agreement.py``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from itertools import combinations

import numpy as np
from scipy import special

KRIPPENDORFF_LEVELS = ("nominal", "ordinal", "interval", "ratio")
KAPPA_WEIGHTS = (None, "linear", "quadratic")


# ---------------------------------------------------------------- input helpers


def _is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _as_rows(ratings) -> list[list]:
    rows = [list(row) for row in ratings]
    if not rows:
        raise ValueError("there are no rated units")
    width = len(rows[0])
    if any(len(row) != width for row in rows):
        raise ValueError("every unit needs one entry per rater (use None for a missing rating)")
    if width < 2:
        raise ValueError("agreement needs at least two raters")
    return [[None if _is_missing(v) else v for v in row] for row in rows]


def _sort_key(value):
    # Numbers sort numerically and before text, as R's factor levels do for numeric data.
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return (0, float(value), "")
    return (1, 0.0, str(value))


def _categories(rows: list[list]) -> list:
    seen = {v for row in rows for v in row if v is not None}
    return sorted(seen, key=_sort_key)


def _numeric(rows: list[list], what: str) -> np.ndarray:
    out = np.empty((len(rows), len(rows[0])))
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if v is None:
                out[i, j] = np.nan
                continue
            try:
                out[i, j] = float(v)
            except (TypeError, ValueError):
                raise ValueError(f"{what} needs numeric ratings; unit {i + 1}, rater {j + 1} is {v!r}") from None
    return out


def _norm_p(z: float) -> float:
    return float(2 * special.ndtr(-abs(z)))


def rating_matrix(units: Sequence[Hashable], raters: Sequence[Hashable], values: Sequence) -> dict:
    """Pivot long ratings (one row per unit × rater) into a ratings matrix.

    Parameters
    ----------
    units, raters, values : sequences of equal length
        The unit rated, who rated it, and the rating (``None`` or ``""`` for missing).

    Returns
    -------
    dict
        ``matrix`` (list of rows, one per unit in order of first appearance, one column
        per rater in order of first appearance, ``None`` where missing), ``units``,
        ``raters``.

    Raises
    ------
    ValueError
        When the lengths differ, or a rater rated the same unit twice.
    """
    if not (len(units) == len(raters) == len(values)):
        raise ValueError("units, raters and values must have the same length")
    unit_index: dict = {}
    rater_index: dict = {}
    cells: dict[tuple[int, int], object] = {}
    for n, (u, r, v) in enumerate(zip(units, raters, values, strict=True)):
        i = unit_index.setdefault(u, len(unit_index))
        j = rater_index.setdefault(r, len(rater_index))
        if (i, j) in cells:
            raise ValueError(f"rater {r!r} rated unit {u!r} twice (entry {n + 1})")
        cells[(i, j)] = None if _is_missing(v) else v
    matrix = [[cells.get((i, j)) for j in range(len(rater_index))] for i in range(len(unit_index))]
    return {"matrix": matrix, "units": list(unit_index), "raters": list(rater_index)}


# ---------------------------------------------------------------- ICC


def _finite(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _icc_form(estimate, f, df1, df2, lo, hi) -> dict:
    # With no residual disagreement at all F is infinite (R prints Inf): the estimate
    # stands, p is 0, and an interval that R would give as NaN is None.
    f = float(f)
    p = 0.0 if f == math.inf else _finite(special.fdtrc(df1, df2, f))
    if f == math.inf and float(estimate) == 1.0:
        lo = hi = 1.0
    return {"estimate": _finite(estimate), "ci95": [_finite(lo), _finite(hi)], "F": _finite(f),
            "df1": float(df1), "df2": float(df2), "p": p}


def icc(ratings, alpha: float = 0.05) -> dict:
    """The six intraclass correlations of Shrout & Fleiss (1979), as R ``psych::ICC``.

    Parameters
    ----------
    ratings : array-like, units × raters
        Numeric ratings. Units with a missing rating are left out (complete cases, as
        ``psych::ICC(na.omit(x), lmer = FALSE)``); how many is reported.
    alpha : float
        1 − confidence level of the intervals (0.05 gives 95% intervals).

    Returns
    -------
    dict
        ``ICC1``, ``ICC2``, ``ICC3``, ``ICC1k``, ``ICC2k``, ``ICC3k``, each
        ``{"estimate", "ci95": [lo, hi], "F", "df1", "df2", "p"}``; and ``n_units``,
        ``n_raters``, ``n_dropped``.

    Notes
    -----
    From the two-way ANOVA of the n × k complete matrix: MSB (targets), MSJ
    (judges), MSE (residual), and MSW = (SSJ + SSE) / (n(k − 1)) (within targets).

    - ICC1 = (MSB − MSW) / (MSB + (k − 1) MSW): one-way random, each target rated
      by different raters; ICC1k = (MSB − MSW) / MSB for the mean of k raters.
    - ICC2 = (MSB − MSE) / (MSB + (k − 1) MSE + k (MSJ − MSE) / n): two-way random,
      absolute agreement; ICC2k = (MSB − MSE) / (MSB + (MSJ − MSE) / n).
    - ICC3 = (MSB − MSE) / (MSB + (k − 1) MSE): two-way mixed, consistency;
      ICC3k = (MSB − MSE) / MSB.

    F tests: ICC1 and ICC1k use F = MSB / MSW on (n − 1, n(k − 1)) degrees of freedom;
    the others F = MSB / MSE on (n − 1, (n − 1)(k − 1)). Intervals invert these F
    distributions; ICC2's uses Satterthwaite's approximate degrees of freedom, all
    exactly as ``psych`` 2.2.9 computes them.

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing
    rater reliability. Psychological Bulletin, 86(2), 420–428.
    McGraw, K. O., & Wong, S. P. (1996). Forming inferences about some intraclass
    correlation coefficients. Psychological Methods, 1(1), 30–46.
    """
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")
    x = _numeric(_as_rows(ratings), "an ICC")
    complete = ~np.isnan(x).any(axis=1)
    n_dropped = int((~complete).sum())
    x = x[complete]
    n, k = x.shape
    if n < 2:
        raise ValueError("an ICC needs at least two units rated by every rater")
    grand = x.mean()
    ss_rows = k * float(((x.mean(axis=1) - grand) ** 2).sum())
    ss_cols = n * float(((x.mean(axis=0) - grand) ** 2).sum())
    ss_total = float(((x - grand) ** 2).sum())
    ss_err = ss_total - ss_rows - ss_cols
    msb = ss_rows / (n - 1)
    msj = ss_cols / (k - 1)
    mse = ss_err / ((n - 1) * (k - 1))
    msw = (ss_cols + ss_err) / (n * (k - 1))
    if ss_total <= 1e-12 * max(1.0, grand**2):
        raise ValueError("every rater gave the same rating to every unit; the ICC is undefined")
    # Round-off can leave a tiny negative residual when raters agree perfectly.
    msb, msj, mse, msw = (np.float64(max(v, 0.0)) for v in (msb, msj, mse, msw))
    return _icc_table(n, k, msb, msj, mse, msw, alpha, n_dropped)


@np.errstate(divide="ignore", invalid="ignore")
def _icc_table(n, k, msb, msj, mse, msw, alpha, n_dropped) -> dict:
    # numpy floats: perfect agreement divides by zero into inf, reported as R reports it.
    icc1 = (msb - msw) / (msb + (k - 1) * msw)
    icc2 = (msb - mse) / (msb + (k - 1) * mse + k * (msj - mse) / n)
    icc3 = (msb - mse) / (msb + (k - 1) * mse)
    icc1k = (msb - msw) / msb
    icc2k = (msb - mse) / (msb + (msj - mse) / n)
    icc3k = (msb - mse) / msb

    q = 1 - alpha / 2
    f1, df1n, df1d = msb / msw, n - 1, n * (k - 1)
    f3, df3n, df3d = msb / mse, n - 1, (n - 1) * (k - 1)
    f1l = f1 / special.fdtri(df1n, df1d, q)
    f1u = f1 * special.fdtri(df1d, df1n, q)
    f3l = f3 / special.fdtri(df3n, df3d, q)
    f3u = f3 * special.fdtri(df3d, df3n, q)

    # ICC2: Satterthwaite degrees of freedom for the interval (Shrout & Fleiss eq. 8).
    fj = msj / mse
    vn = (k - 1) * (n - 1) * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    vd = (n - 1) * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v = vn / vd
    fu = special.fdtri(n - 1, v, q)
    fl = special.fdtri(v, n - 1, q)
    l2 = n * (msb - fu * mse) / (fu * (k * msj + (k * n - k - n) * mse) + n * msb)
    u2 = n * (fl * msb - mse) / (k * msj + (k * n - k - n) * mse + n * fl * msb)

    return {
        "ICC1": _icc_form(icc1, f1, df1n, df1d, (f1l - 1) / (f1l + k - 1), (f1u - 1) / (f1u + k - 1)),
        "ICC2": _icc_form(icc2, f3, df3n, df3d, l2, u2),
        "ICC3": _icc_form(icc3, f3, df3n, df3d, (f3l - 1) / (f3l + k - 1), (f3u - 1) / (f3u + k - 1)),
        "ICC1k": _icc_form(icc1k, f1, df1n, df1d, 1 - 1 / f1l, 1 - 1 / f1u),
        "ICC2k": _icc_form(icc2k, f3, df3n, df3d, l2 * k / (1 + l2 * (k - 1)), u2 * k / (1 + u2 * (k - 1))),
        "ICC3k": _icc_form(icc3k, f3, df3n, df3d, 1 - 1 / f3l, 1 - 1 / f3u),
        "n_units": n, "n_raters": k, "n_dropped": n_dropped,
    }


# ---------------------------------------------------------------- Cohen's kappa


def _kappa_weights(n_categories: int, weights: str | None) -> np.ndarray:
    idx = np.arange(n_categories)
    if weights is None or n_categories == 1:
        return np.eye(n_categories)
    distance = np.abs(idx[:, None] - idx[None, :]) / (n_categories - 1)
    return 1 - distance if weights == "linear" else 1 - distance**2


def cohen_kappa(ratings, weights: str | None = None, alpha: float = 0.05) -> dict:
    """Cohen's kappa for two raters, unweighted or weighted, as R ``irr::kappa2``.

    Parameters
    ----------
    ratings : array-like, units × 2
        Category labels or ordered scores of the two raters. Units missing either
        rating are left out (as ``irr``).
    weights : None, "linear" or "quadratic"
        None for Cohen's (1960) kappa; "linear" (irr's ``"equal"``) or "quadratic"
        (irr's ``"squared"``) for weighted kappa on ordered categories.
    alpha : float
        1 − confidence level of the interval.

    Returns
    -------
    dict
        ``estimate``, ``se`` and ``ci95`` (large-sample, non-null), ``z`` and two-sided
        ``p`` (test of κ = 0 with the null standard error), ``observed`` and
        ``expected`` (weighted) agreement, ``n_units``, ``categories``, ``weights``.

    Notes
    -----
    The categories are the sorted union of the values either rater used, as in
    ``irr``; weights depend on their positions i, j among the c categories, not on
    their values: w_ij = 1 − |i − j| / (c − 1) (linear) or 1 − (i − j)² / (c − 1)²
    (quadratic); unweighted kappa uses w_ij = 1 when i = j, else 0.

    With cell proportions p_ij and margins p_i·, p_·j:
    p_o = Σ w_ij p_ij, p_e = Σ w_ij p_i· p_·j, κ = (p_o − p_e) / (1 − p_e).

    Standard errors (Fleiss, Cohen & Everitt 1969), with w̄_i· = Σ_j p_·j w_ij and
    w̄_·j = Σ_i p_i· w_ij:

    - under κ = 0: var₀ = [Σ p_i· p_·j (w_ij − (w̄_i· + w̄_·j))² − p_e²] / (n (1 − p_e)²),
      giving z = κ / √var₀ (as ``irr``);
    - for the interval: var = [Σ p_ij (w_ij − (w̄_i· + w̄_·j)(1 − κ))² − (κ − p_e (1 − κ))²]
      / (n (1 − p_e)²), κ ± z₁₋α/₂ √var (as SAS PROC FREQ and ``psych`` for unweighted kappa).

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and
    Psychological Measurement, 20(1), 37–46.
    Cohen, J. (1968). Weighted kappa. Psychological Bulletin, 70(4), 213–220.
    Fleiss, J. L., Cohen, J., & Everitt, B. S. (1969). Large sample standard errors of
    kappa and weighted kappa. Psychological Bulletin, 72(5), 323–327.
    """
    if weights not in KAPPA_WEIGHTS:
        raise ValueError("weights must be None, 'linear' or 'quadratic'")
    rows = _as_rows(ratings)
    if len(rows[0]) != 2:
        raise ValueError(f"Cohen's kappa needs exactly two raters, not {len(rows[0])}")
    pairs = [row for row in rows if row[0] is not None and row[1] is not None]
    n = len(pairs)
    if n < 2:
        raise ValueError("Cohen's kappa needs at least two units rated by both raters")
    categories = _categories(pairs)
    index = {c: i for i, c in enumerate(categories)}
    c = len(categories)
    table = np.zeros((c, c))
    for a, b in pairs:
        table[index[a], index[b]] += 1
    p = table / n
    row, col = p.sum(axis=1), p.sum(axis=0)
    w = _kappa_weights(c, weights)
    po = float((w * p).sum())
    pe = float((w * np.outer(row, col)).sum())
    result = {"observed": po, "expected": pe, "n_units": n, "categories": categories, "weights": weights or "none"}
    if pe == 1:
        # Both raters used one and the same category throughout: kappa is undefined.
        return result | {"estimate": None, "se": None, "ci95": [None, None], "z": None, "p": None}
    kappa = (po - pe) / (1 - pe)
    w_row = w @ col          # w̄_i·
    w_col = row @ w          # w̄_·j
    spread = w_row[:, None] + w_col[None, :]
    var0 = (float((np.outer(row, col) * (w - spread) ** 2).sum()) - pe**2) / (n * (1 - pe) ** 2)
    var = (float((p * (w - spread * (1 - kappa)) ** 2).sum()) - (kappa - pe * (1 - kappa)) ** 2) / (n * (1 - pe) ** 2)
    se = math.sqrt(max(var, 0.0))
    q = float(special.ndtri(1 - alpha / 2))
    z = kappa / math.sqrt(var0) if var0 > 0 else None
    return result | {"estimate": kappa, "se": se, "ci95": [kappa - q * se, kappa + q * se],
                     "z": z, "p": _norm_p(z) if z is not None else None}


# ---------------------------------------------------------------- Fleiss' kappa


def fleiss_kappa(ratings) -> dict:
    """Fleiss' kappa for a fixed number of raters per unit, as R ``irr::kappam.fleiss``.

    Parameters
    ----------
    ratings : array-like, units × raters
        Category labels. Units with a missing rating are left out (as ``irr``).

    Returns
    -------
    dict
        ``estimate``, ``se0`` (standard error under κ = 0), ``z``, two-sided ``p``,
        ``n_units``, ``n_raters``, ``categories``, ``n_dropped``.

    Notes
    -----
    With n units, m raters and n_ij the number of raters who put unit i in category j:
    P̄ = Σ_i (Σ_j n_ij² − m) / (n m (m − 1)), p_j = Σ_i n_ij / (n m), P̄_e = Σ_j p_j²,
    κ = (P̄ − P̄_e) / (1 − P̄_e). Under κ = 0 (Fleiss, Nee & Landis 1979),
    var₀ = 2 / (n m (m − 1) (Σ p_j q_j)²) · ((Σ p_j q_j)² − Σ p_j q_j (q_j − p_j)), q_j = 1 − p_j.

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters.
    Psychological Bulletin, 76(5), 378–382.
    Fleiss, J. L., Nee, J. C. M., & Landis, J. R. (1979). Large sample variance of
    kappa in the case of different sets of raters. Psychological Bulletin, 86(5), 974–977.
    """
    rows = _as_rows(ratings)
    complete = [row for row in rows if all(v is not None for v in row)]
    n, m = len(complete), len(rows[0])
    if n < 1:
        raise ValueError("Fleiss' kappa needs at least one unit rated by every rater")
    categories = _categories(complete)
    index = {c: i for i, c in enumerate(categories)}
    counts = np.zeros((n, len(categories)))
    for i, row in enumerate(complete):
        for v in row:
            counts[i, index[v]] += 1
    agree = float(((counts**2).sum(axis=1) - m).sum() / (n * m * (m - 1)))
    pj = counts.sum(axis=0) / (n * m)
    chance = float((pj**2).sum())
    base = {"n_units": n, "n_raters": m, "categories": categories, "n_dropped": len(rows) - n,
            "observed": agree, "expected": chance}
    if chance == 1:
        return base | {"estimate": None, "se0": None, "z": None, "p": None}
    kappa = (agree - chance) / (1 - chance)
    qj = 1 - pj
    spq = float((pj * qj).sum())
    var0 = 2 / (spq**2 * (n * m * (m - 1))) * (spq**2 - float((pj * qj * (qj - pj)).sum()))
    se0 = math.sqrt(var0)
    z = kappa / se0
    return base | {"estimate": kappa, "se0": se0, "z": z, "p": _norm_p(z)}


# ---------------------------------------------------------------- Krippendorff's alpha


def krippendorff_alpha(ratings, level: str = "nominal") -> dict:
    """Krippendorff's alpha for any number of raters with missing ratings, as R ``irr::kripp.alpha``.

    Parameters
    ----------
    ratings : array-like, units × raters
        Ratings, ``None``/NaN where a rater did not rate a unit. Units with fewer than
        two ratings are not pairable and do not count.
    level : {"nominal", "ordinal", "interval", "ratio"}
        The metric of the values.

    Returns
    -------
    dict
        ``estimate`` (None when there is no variation at all), ``level``,
        ``n_units`` (pairable units), ``n_values`` (pairable values),
        ``observed_disagreement``, ``expected_disagreement``.

    Notes
    -----
    The coincidence matrix counts, within each unit u with m_u ≥ 2 values, every
    ordered pair of values from different raters with weight 1 / (m_u − 1):
    o_ck = Σ_u (number of (c, k) pairs in u) / (m_u − 1). With n_c = Σ_k o_ck and
    n = Σ_c n_c, α = 1 − (n − 1) Σ o_ck δ²_ck / Σ n_c n_k δ²_ck, where δ² is

    - nominal: 0 when c = k, else 1;
    - ordinal: (Σ_{g from c to k} n_g − (n_c + n_k) / 2)²;
    - interval: (c − k)²;
    - ratio: ((c − k) / (c + k))².

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg
    School for Communication, University of Pennsylvania.
    Hayes, A. F., & Krippendorff, K. (2007). Answering the call for a standard
    reliability measure for coding data. Communication Methods and Measures, 1(1), 77–89.
    """
    if level not in KRIPPENDORFF_LEVELS:
        raise ValueError(f"level must be one of {', '.join(KRIPPENDORFF_LEVELS)}")
    rows = _as_rows(ratings)
    if level != "nominal":
        _numeric(rows, f"{level} alpha")
    values = _categories(rows)
    if level != "nominal":
        values = sorted({float(v) for v in values})
        rows = [[None if v is None else float(v) for v in row] for row in rows]
    index = {v: i for i, v in enumerate(values)}
    c = len(values)
    o = np.zeros((c, c))
    n_units = 0
    for row in rows:
        present = [index[v] for v in row if v is not None]
        m = len(present)
        if m < 2:
            continue
        n_units += 1
        for a, b in combinations(present, 2):
            o[a, b] += 1 / (m - 1)
            o[b, a] += 1 / (m - 1)
    nc = o.sum(axis=1)
    n = float(nc.sum())
    base = {"level": level, "n_units": n_units, "n_values": int(round(n))}
    if n_units == 0:
        raise ValueError("Krippendorff's alpha needs at least one unit rated by two raters")
    delta = _krippendorff_delta(level, np.asarray(values, dtype=object), nc)
    observed = float((o * delta).sum()) / n
    expected = float((np.outer(nc, nc) * delta).sum()) / (n * (n - 1))
    if expected == 0:
        return base | {"estimate": None, "observed_disagreement": observed, "expected_disagreement": 0.0}
    return base | {"estimate": 1 - observed / expected, "observed_disagreement": observed,
                   "expected_disagreement": expected}


def _krippendorff_delta(level: str, values: np.ndarray, nc: np.ndarray) -> np.ndarray:
    c = len(values)
    if level == "nominal":
        return 1 - np.eye(c)
    v = values.astype(float)
    if level == "interval":
        return (v[:, None] - v[None, :]) ** 2
    if level == "ratio":
        total = v[:, None] + v[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            d = ((v[:, None] - v[None, :]) / total) ** 2
        return np.nan_to_num(d, nan=0.0)
    cumulative = np.concatenate([[0.0], np.cumsum(nc)])
    lo = np.minimum.outer(np.arange(c), np.arange(c))
    hi = np.maximum.outer(np.arange(c), np.arange(c))
    between = cumulative[hi + 1] - cumulative[lo]
    return (between - (nc[:, None] + nc[None, :]) / 2) ** 2


# ---------------------------------------------------------------- simple agreement


def percent_agreement(ratings, tolerance: float = 0) -> dict:
    """Share of units on which all raters agree, as R ``irr::agree``.

    Parameters
    ----------
    ratings : array-like, units × raters
        Units with a missing rating are left out.
    tolerance : float
        Numeric ratings agree when max − min ≤ tolerance (0 for exact agreement);
        text ratings must be identical.

    Returns
    -------
    dict
        ``estimate`` (a proportion, 0–1), ``n_units``, ``n_agree``, ``tolerance``.
    """
    if tolerance < 0:
        raise ValueError("tolerance cannot be negative")
    rows = [row for row in _as_rows(ratings) if all(v is not None for v in row)]
    if not rows:
        raise ValueError("percent agreement needs at least one unit rated by every rater")
    agree = 0
    for row in rows:
        try:
            numbers = [float(v) for v in row]
            agree += max(numbers) - min(numbers) <= tolerance + 1e-12
        except (TypeError, ValueError):
            agree += len({str(v) for v in row}) == 1
    return {"estimate": agree / len(rows), "n_units": len(rows), "n_agree": agree, "tolerance": tolerance}


# ---------------------------------------------------------------- by kind of data

KINDS = ("continuous", "ordinal", "nominal")


def _attempt(results: dict, warnings: list, key: str, label: str, compute) -> None:
    try:
        results[key] = compute()
    except ValueError as exc:
        results[key] = {"estimate": None, "reason": str(exc)}
        warnings.append(f"{label}: {exc}")


def agreement_summary(ratings, kind: str) -> dict:
    """Every agreement statistic that applies to ratings of one kind.

    Parameters
    ----------
    ratings : array-like, units × raters
        As for the single procedures; ``None`` where a rater did not rate a unit.
    kind : {"continuous", "ordinal", "nominal"}
        continuous: the six ICCs and interval alpha; ordinal: Cohen's kappa, linear and
        quadratic weighted kappa (two raters), ordinal alpha and exact agreement;
        nominal: Cohen's kappa (two raters), Fleiss' kappa, nominal alpha and exact
        agreement.

    Returns
    -------
    dict
        ``kind``, ``n_units``, ``n_raters``, ``warnings`` and one key per statistic
        (``ICC1`` … ``ICC3k``, ``cohen_kappa``, ``weighted_kappa_linear``,
        ``weighted_kappa_quadratic``, ``fleiss_kappa``, ``krippendorff_alpha``,
        ``percent_agreement``). A statistic that cannot be computed for these data
        is ``{"estimate": None, "reason": ...}`` and named in ``warnings``.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    rows = _as_rows(ratings)
    if kind != "nominal":
        _numeric(rows, f"{kind} agreement")
    n_raters = len(rows[0])
    out: dict = {"kind": kind, "n_units": len(rows), "n_raters": n_raters}
    warnings: list[str] = []
    if kind == "continuous":
        try:
            forms = icc(rows)
            if forms["n_dropped"]:
                warnings.append(f"ICC: {forms['n_dropped']} unit(s) without a rating from every rater left out")
            out |= {k: forms[k] for k in ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k")}
        except ValueError as exc:
            warnings.append(f"ICC: {exc}")
            out |= {k: {"estimate": None, "reason": str(exc)}
                    for k in ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k")}
        _attempt(out, warnings, "krippendorff_alpha", "Krippendorff's alpha",
                 lambda: krippendorff_alpha(rows, "interval"))
    else:
        if n_raters == 2:
            _attempt(out, warnings, "cohen_kappa", "Cohen's kappa", lambda: cohen_kappa(rows))
            if kind == "ordinal":
                _attempt(out, warnings, "weighted_kappa_linear", "weighted kappa",
                         lambda: cohen_kappa(rows, "linear"))
                _attempt(out, warnings, "weighted_kappa_quadratic", "weighted kappa",
                         lambda: cohen_kappa(rows, "quadratic"))
        if kind == "nominal":
            _attempt(out, warnings, "fleiss_kappa", "Fleiss' kappa", lambda: fleiss_kappa(rows))
        _attempt(out, warnings, "krippendorff_alpha", "Krippendorff's alpha", lambda: krippendorff_alpha(rows, kind))
        _attempt(out, warnings, "percent_agreement", "percent agreement", lambda: percent_agreement(rows))
    out["warnings"] = warnings
    return out
