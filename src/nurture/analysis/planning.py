"""Planning the definitive trial from the pilot: the estimates a sample-size calculation needs,
and sample sizes for a two-arm trial in which only the intervention arm meets in groups.

These are planning estimates from a small uncontrolled pilot, not evidence of efficacy:
the pilot's effect sizes are deliberately not used; the targets are set by the study
team (default d = 0.3, 0.4, 0.5). Golden values from R are in
``tests/reference/planning.R``.

References
----------
Browne RH (1995). On the use of a pilot sample for sample size determination.
Statistics in Medicine 14:1933–1940 (the upper confidence limit of the pilot SD).
Borm GF, Fransen J, Lemmens WAJG (2007). A simple sample size formula for analysis of
covariance in randomized clinical trials. J Clin Epidemiol 60:1234–1238 (factor 1 − r²).
Moerbeek M, Wong WK (2008). Sample size formulae for trials comparing group and
individual treatments in a multilevel model. Statistics in Medicine 27:2850–2864
(partially clustered designs: the design effect applies to the group arm only).
Searle SR (1971). Linear Models, §9 (ANOVA estimator of the intraclass correlation and
its F-based interval).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import optimize, special

DEFAULT_TARGETS = (0.3, 0.4, 0.5)
DEFAULT_POWERS = (0.8, 0.9)
ALPHA = 0.05


def sd_upper_limit(sd: float, n: int, level: float = 0.80) -> float:
    """One-sided upper confidence limit of a standard deviation (chi-square; Browne 1995).

    R: ``sd * sqrt((n - 1) / qchisq(1 - level, n - 1))``.
    """
    if n < 2:
        raise ValueError("an SD needs at least two values")
    return float(sd * math.sqrt((n - 1) / special.chdtri(n - 1, level)))


def _power_t2(n: float, d: float, alpha: float) -> float:
    nu = 2 * (n - 1)
    q = float(special.stdtrit(nu, 1 - alpha / 2))
    ncp = math.sqrt(n / 2) * d
    power = float(1 - special.nctdtr(nu, ncp, q) + special.nctdtr(nu, ncp, -q))
    return 1.0 if math.isnan(power) else power  # scipy gives NaN far in the tail


def n_per_arm(d: float, power: float = 0.8, alpha: float = ALPHA) -> float:
    """Dyads per arm for a two-sided two-sample t-test, as R ``pwr::pwr.t.test(d = d, power = power)$n``.

    Not rounded: the exact root of power(n) = target (R's uniroot stops within about
    1e-4 of it).
    """
    if d <= 0:
        raise ValueError("the target effect must be positive")
    if not 0 < power < 1 or not 0 < alpha < 1:
        raise ValueError("power and alpha must be between 0 and 1")
    z = float(special.ndtri(1 - alpha / 2) + special.ndtri(power))
    upper = max(10.0, 4 * 2 * z * z / (d * d))  # four times the normal-approximation answer
    return float(optimize.brentq(lambda n: _power_t2(n, d, alpha) - power, 2 + 1e-10, upper, xtol=1e-10))


def icc_anova(y, groups, covariate=None, level: float = 0.95) -> dict | None:
    """Intraclass correlation of ``y`` within ``groups`` (ANOVA estimator) with Searle's F interval.

    With a ``covariate`` (the baseline score) the group mean square is adjusted for it
    (sequential sums of squares of ``lm(y ~ covariate + group)``), which is the ICC an
    ANCOVA of the definitive trial would meet. n₀ = (N − Σnᵢ²/N) / (k − 1) is the
    average group size for unequal groups. The estimate is truncated at 0 (``raw``
    keeps the ANOVA value); the interval is F-based and exact only for equal groups.
    """
    y = np.asarray(y, dtype=float)
    labels = np.asarray(groups)
    keep = ~np.isnan(y)
    x = None
    if covariate is not None:
        x = np.asarray(covariate, dtype=float)
        keep &= ~np.isnan(x)
        x = x[keep]
    y, labels = y[keep], labels[keep]
    codes, uniques = pd.factorize(labels)
    k = len(uniques)
    n = len(y)
    extra = 1 if x is not None else 0
    if k < 2 or n - k - extra < 1:
        return None
    counts = np.bincount(codes, minlength=k).astype(float)

    def centred_within(v):
        return v - (np.bincount(codes, weights=v, minlength=k) / counts)[codes]

    # Sums of squares from group sums (no dummy matrix): total and within groups, with the
    # covariate's slope removed from each (ANCOVA: sequential SS of lm(y ~ covariate + group)).
    yt, yw = y - y.mean(), centred_within(y)
    if x is not None:
        xt, xw = x - x.mean(), centred_within(x)
        rss_base = yt @ yt - (xt @ yt) ** 2 / (xt @ xt) if xt @ xt > 0 else yt @ yt
        rss_full = yw @ yw - (xw @ yw) ** 2 / (xw @ xw) if xw @ xw > 0 else yw @ yw
    else:
        rss_base, rss_full = yt @ yt, yw @ yw
    df_w = n - k - extra
    ms_w = float(rss_full) / df_w
    ms_b = float(rss_base - rss_full) / (k - 1)
    n0 = (n - float(np.sum(counts**2)) / n) / (k - 1)
    if ms_w <= 0:
        return None
    raw = (ms_b - ms_w) / (ms_b + (n0 - 1) * ms_w)
    f = ms_b / ms_w
    alpha = 1 - level
    f_lo = f / float(special.fdtri(k - 1, df_w, 1 - alpha / 2))
    f_hi = f / float(special.fdtri(k - 1, df_w, alpha / 2))

    def to_icc(value):
        return min(1.0, max(0.0, (value - 1) / (value + n0 - 1)))

    return {"estimate": max(0.0, raw), "raw": raw, "ci95": [to_icc(f_lo), to_icc(f_hi)], "groups": k, "n": n,
            "n0": n0, "F": f, "df": [k - 1, df_w], "adjusted_for_baseline": bool(extra)}


def partially_clustered_sample_size(d: float, power: float, *, r: float | None, icc: float, group_size: float,
                                    retention: float, alpha: float = ALPHA) -> dict:
    """Two-arm trial, intervention delivered in groups, control individually; equal allocation.

    1. n per arm for the standardized target ``d`` by the two-sample t-test (pwr.t.test);
       with a pre–post correlation ``r``, for the ANCOVA effect d / √(1 − r²).
    2. Design effect for the group arm only: DE = 1 + (m − 1)·ICC with m the dyads per
       group who reach follow-up (group size × retention); with equal arms the variance
       of the difference grows by (1 + DE) / 2, so each arm needs n × (1 + DE) / 2.
    3. Inflation for attrition: enrolled = analysed / retention; the intervention arm is
       rounded up to whole groups.
    """
    if not 0 < retention <= 1:
        raise ValueError("retention must be between 0 and 1")
    if group_size < 1:
        raise ValueError("a group has at least one dyad")
    if not 0 <= icc < 1:
        raise ValueError("the ICC must be between 0 and 1")
    n_t = n_per_arm(d, power, alpha)
    factor = 1 - r**2 if r is not None else 1.0
    n_ancova = n_per_arm(d / math.sqrt(factor), power, alpha) if r is not None else n_t
    m_followed = group_size * retention
    design_effect = 1 + max(0.0, m_followed - 1) * icc
    analysed = n_ancova * (1 + design_effect) / 2
    enrolled = analysed / retention
    groups = math.ceil(enrolled / group_size - 1e-9)
    intervention = int(groups * group_size) if float(group_size).is_integer() else math.ceil(groups * group_size)
    control = math.ceil(enrolled - 1e-9)
    return {"d": d, "power": power, "alpha": alpha, "n_per_arm_t_test": n_t, "n_per_arm_ancova": n_ancova,
            "design_effect": design_effect, "analysed_per_arm": analysed, "enrolled_per_arm": enrolled,
            "intervention_groups": groups, "intervention_enrolled": intervention, "control_enrolled": control,
            "total_enrolled": intervention + control}


def _group_size(table) -> float | None:
    enrolled = table[table["enrolled"] & table["cohort"].notna()]
    if enrolled.empty:
        return None
    return float(enrolled.groupby("cohort").size().mean())


def planning_summary(efficacy: dict | None, scores, people, table, rates: dict, attendance: dict | None, *,
                     targets=DEFAULT_TARGETS, powers=DEFAULT_POWERS, group_size: float | None = None) -> dict | None:
    """The ``planning`` part of results.json: per measure the estimates a sample-size calculation
    needs, and sample sizes for each target effect and power.

    Per measure: the pre–post correlation r (complete pairs), the baseline SD of every
    dyad with a pre score and its one-sided 80% upper confidence limit, and the cohort ICC
    of the post score adjusted for the pre score with its interval. Study-wide: attrition
    among dyads due, attendance, and the group size (mean dyads enrolled per cohort,
    rounded, unless given).
    """
    if efficacy is None or not efficacy["measures"] or table is None:
        return None
    retention = rates.get("retention") if rates else None
    if retention and retention["estimate"]:
        ret_estimate = float(retention["estimate"])
        attrition = {"estimate": 1 - ret_estimate, "lost": retention["n"] - retention["successes"],
                     "due": retention["n"],
                     "ci95": [1 - retention["ci95"][1], 1 - retention["ci95"][0]] if retention["ci95"] else None}
    else:
        ret_estimate, attrition = 1.0, None
    size = group_size if group_size else _group_size(table)
    size = float(round(size)) if size and not group_size else size
    if not size or size < 1:
        return None
    cohort = people.set_index("participant_id")["cohort"] if people is not None else None
    valid = scores[scores["score"].notna()]
    by_measure = dict(list(valid.groupby(["instrument", "scale"], sort=False)))
    measures = []
    for m in efficacy["measures"]:
        if m["n"] < 3:
            continue
        mine = by_measure[(m["instrument"], m["scale"])]
        pre = mine[mine["timepoint"] == "pre"].set_index("participant_id")["score"]
        post = mine[mine["timepoint"] == "post"].set_index("participant_id")["score"]
        sd = float(pre.std(ddof=1)) if len(pre) > 1 else None
        if not sd:
            continue  # a score that does not vary at baseline cannot be planned for
        r = m.get("pre_post_r")
        icc = None
        if cohort is not None:
            both = pd.DataFrame({"pre": pre, "post": post}).dropna()
            both["cohort"] = both.index.map(cohort)
            both = both.dropna(subset=["cohort"])
            icc = icc_anova(both["post"].to_numpy(float), both["cohort"].to_numpy(), both["pre"].to_numpy(float))
        ucl = sd_upper_limit(sd, len(pre)) if sd else None
        entry = {"instrument": m["instrument"], "scale": m["scale"], "label": m["label"], "primary": m["primary"],
                 "n_pairs": m["n"], "pre_post_r": r, "baseline_sd": sd, "baseline_n": int(len(pre)),
                 "baseline_sd_ucl80": ucl, "icc_cohort": icc, "sample_sizes": []}
        for d in targets:
            for power in powers:
                plan = partially_clustered_sample_size(
                    d, power, r=r["r"] if r and abs(r["r"]) < 1 else None,
                    icc=icc["estimate"] if icc else 0.0, group_size=size, retention=ret_estimate)
                plan["difference_points_at_sd_ucl80"] = d * ucl if ucl else None
                entry["sample_sizes"].append(plan)
        measures.append(entry)
    if not measures:
        return None
    focus = next((e for e in measures if e["primary"]), measures[0])
    sensitivity = []
    middle = targets[len(targets) // 2]
    basis = {0.0: "no clustering", 0.05: "assumed", 0.10: "assumed"}
    if focus["icc_cohort"]:
        for value, label in ((focus["icc_cohort"]["ci95"][1], "pilot, upper 95% limit"),
                             (focus["icc_cohort"]["estimate"], "pilot estimate")):
            key = round(value, 3)
            basis[key] = f"{basis[key]} (= {label})" if key in basis else label
    icc_values = sorted(basis)
    r_focus = focus["pre_post_r"]["r"] if focus["pre_post_r"] and abs(focus["pre_post_r"]["r"]) < 1 else None
    for value in icc_values:
        if value >= 1:
            continue
        plan = partially_clustered_sample_size(middle, powers[0], r=r_focus, icc=value, group_size=size,
                                               retention=ret_estimate)
        sensitivity.append({"icc": value, "basis": basis[value], "design_effect": plan["design_effect"],
                            "total_enrolled": plan["total_enrolled"],
                            "intervention_groups": plan["intervention_groups"]})
    return {
        "assumptions": {"design": "two arms, 1:1; intervention delivered in groups, control individually",
                        "analysis": "ANCOVA of the post score adjusted for the pre score", "alpha": ALPHA,
                        "two_sided": True, "targets": list(targets), "powers": list(powers), "group_size": size,
                        "group_size_source": "given" if group_size else "mean dyads enrolled per pilot cohort",
                        "retention": ret_estimate, "icc": "each measure's cohort ICC (truncated at 0)",
                        "pre_post_r": "each measure's pre–post correlation"},
        "attrition": attrition,
        "attendance": {"mean": attendance["overall"]["mean"], "ci95": attendance["overall"]["ci95"]}
        if attendance else None,
        "measures": measures,
        "icc_sensitivity": {"measure": focus["label"], "d": middle, "power": powers[0], "rows": sensitivity},
        "note": "The targets are effects worth detecting, chosen by the study team — not the pilot's own effect "
                "sizes, which are imprecise and, without a control group, inflated by natural recovery and "
                "regression to the mean.",
    }
