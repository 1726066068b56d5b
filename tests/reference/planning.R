# Golden values for planning the definitive trial (tests/analysis/test_planning.py).
# Run: Rscript tests/reference/planning.R > tests/reference/planning_golden.txt   (needs r-cran-pwr)
library(pwr)
options(digits = 15)
cat("# ", R.version.string, ", pwr ", as.character(packageVersion("pwr")), "\n", sep = "")

# Sample size per arm, two-sided two-sample t-test (not rounded).
for (d in c(0.3, 0.4, 0.5)) for (power in c(0.8, 0.9)) {
  cat(sprintf("pwr d=%.1f power=%.1f n=%.15g\n", d, power, pwr.t.test(d = d, power = power, sig.level = 0.05)$n))
}

# One-sided 80% upper confidence limit of an SD (Browne 1995).
for (x in list(c(9.1, 34), c(4.2, 26), c(12.5, 8))) {
  s <- x[1]; n <- x[2]
  cat(sprintf("sd_ucl sd=%g n=%d ucl=%.15g\n", s, n, s * sqrt((n - 1) / qchisq(0.2, n - 1))))
}

# Pre-post correlation with its Fisher-z interval.
pre  <- c(52, 61, 47, 58, 66, 49, 55, 63, 70, 44, 51, 59, 62, 48, 57, 65, 53, 60, 46, 68, 50, 56, 64, 45, 58, 61)
post <- c(45, 55, 47, 50, 60, 44, 49, 58, 61, 43, 47, 52, 57, 45, 50, 59, 49, 55, 44, 60, 48, 50, 57, 46, 52, 55)
ct <- cor.test(pre, post)
cat(sprintf("cor r=%.15g lo=%.15g hi=%.15g\n", ct$estimate, ct$conf.int[1], ct$conf.int[2]))

# Cohort ICC of the post score adjusted for the pre score: ANOVA estimator, Searle's F interval.
cohort <- factor(c(1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5))
post2 <- post + c(3, 2.5, 4, 1, 2, -1, -2, 0, -1.5, -2, 0, 2, 1, 3, 1.5, 2, -3, -2, -4, -1, -2.5, -3, 0, 1, -1, 0)
icc <- function(y, g, x = NULL) {
  a <- if (is.null(x)) anova(lm(y ~ g)) else anova(lm(y ~ x + g))
  row <- if (is.null(x)) 1 else 2
  msb <- a[row, "Mean Sq"]; dfb <- a[row, "Df"]
  msw <- a["Residuals", "Mean Sq"]; dfw <- a["Residuals", "Df"]
  N <- length(y); k <- nlevels(g); n0 <- (N - sum(table(g)^2) / N) / (k - 1)
  est <- (msb - msw) / (msb + (n0 - 1) * msw)
  F <- msb / msw
  fl <- F / qf(0.975, dfb, dfw); fu <- F / qf(0.025, dfb, dfw)
  c(est, max(0, (fl - 1) / (fl + n0 - 1)), min(1, (fu - 1) / (fu + n0 - 1)), n0, F)
}
cat(sprintf("icc_adjusted %s\n", paste(sprintf("%.15g", icc(post2, cohort, pre)), collapse = " ")))
cat(sprintf("icc_plain %s\n", paste(sprintf("%.15g", icc(post2, cohort)), collapse = " ")))

# Partially clustered two-arm trial: ANCOVA (d / sqrt(1 - r^2)), design effect 1 + (m*ret - 1)*icc on the
# group arm only, equal arms -> n * (1 + DE) / 2, then / retention, group arm in whole groups of m.
plan <- function(d, power, r, rho, m, ret) {
  n_anc <- pwr.t.test(d = d / sqrt(1 - r^2), power = power, sig.level = 0.05)$n
  de <- 1 + (m * ret - 1) * rho
  analysed <- n_anc * (1 + de) / 2
  enrolled <- analysed / ret
  groups <- ceiling(enrolled / m)
  c(n_anc, de, analysed, enrolled, groups, groups * m + ceiling(enrolled))
}
for (d in c(0.3, 0.4, 0.5)) for (power in c(0.8, 0.9)) {
  cat(sprintf("plan d=%.1f power=%.1f %s\n", d, power,
              paste(sprintf("%.15g", plan(d, power, r = 0.62, rho = 0.04, m = 7, ret = 26 / 28)), collapse = " ")))
}

# Exact Poisson interval of a rate (dyads enrolled per month).
pt <- poisson.test(34, 21)$conf.int
cat(sprintf("poisson 34/21 lo=%.15g hi=%.15g\n", pt[1], pt[2]))
