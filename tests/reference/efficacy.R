# Golden values for tests/analysis/test_stats.py and test_efficacy.py.
# Run:  Rscript tests/reference/efficacy.R > tests/reference/efficacy_golden.txt
# R version used is printed first. Every data set is repeated verbatim in the tests.

options(digits = 15)
cat("# ", R.version.string, "\n", sep = "")

datasets <- list(
  # pilot-like parenting stress: improvement, ties and a zero difference (normal approximation)
  pss = list(pre  = c(52, 61, 47, 58, 66, 49, 55, 63, 70, 44, 51, 59, 62, 48, 57, 65, 53, 60, 46, 68, 50, 56, 64, 45, 58, 61),
             post = c(45, 55, 47, 50, 60, 44, 49, 58, 61, 43, 47, 52, 57, 45, 50, 59, 49, 55, 44, 60, 48, 50, 57, 46, 52, 55)),
  # no ties, no zero differences, n < 50: exact signed-rank p value
  exact = list(pre  = c(14, 9, 17, 11, 20, 8, 15, 12, 19, 10, 16, 13),
               post = c(10.5, 7.2, 13.9, 11.4, 14.4, 7.7, 11.3, 9.4, 12.1, 8.6, 13.8, 11.9)),
  # worsening (positive change) with ties and zeros
  worse = list(pre  = c(20, 22, 25, 18, 30, 27, 21, 24, 26, 19, 23, 28, 22, 25, 20),
               post = c(24, 22, 28, 21, 30, 31, 21, 27, 29, 22, 23, 33, 26, 25, 24)),
  # n >= 50, no ties: normal approximation even without ties
  large = list(pre  = seq(10, 69) + 0.0,
               post = seq(10, 69) - (((seq(1, 60) * 37) %% 61) / 10 - 2))
)

for (name in names(datasets)) {
  d <- datasets[[name]]
  pre <- d$pre; post <- d$post
  n <- length(pre)
  tt <- t.test(post, pre, paired = TRUE)
  wt <- suppressWarnings(wilcox.test(post, pre, paired = TRUE))
  diff <- post - pre
  dz <- mean(diff) / sd(diff)
  tobs <- unname(tt$statistic)
  f <- function(ncp, target) pt(tobs, df = n - 1, ncp = ncp) - target
  lo <- uniroot(f, c(-50, 50), target = 0.975, tol = 1e-12)$root / sqrt(n)
  hi <- uniroot(f, c(-50, 50), target = 0.025, tol = 1e-12)$root / sqrt(n)
  d_av <- mean(diff) / ((sd(pre) + sd(post)) / 2)
  m <- n - 1
  J <- gamma(m / 2) / (sqrt(m / 2) * gamma((m - 1) / 2))
  cat(sprintf("%s n=%d mean_diff=%.15g sd_diff=%.15g\n", name, n, mean(diff), sd(diff)))
  cat(sprintf("%s t=%.15g df=%.15g p=%.15g ci_lo=%.15g ci_hi=%.15g\n", name, tobs, tt$parameter, tt$p.value,
              tt$conf.int[1], tt$conf.int[2]))
  cat(sprintf("%s V=%.15g p=%.15g\n", name, wt$statistic, wt$p.value))
  cat(sprintf("%s dz=%.15g dz_lo=%.15g dz_hi=%.15g d_av=%.15g g_av=%.15g\n", name, dz, lo, hi, d_av, d_av * J))
  # d_av interval, Algina & Keselman (2003): the dz limits rescaled by sd(diff) / mean(sd(pre), sd(post))
  # (itns::cohensd_rm does the same with the root-mean-square SD); g_av limits scaled by J.
  k <- sd(diff) / ((sd(pre) + sd(post)) / 2)
  cat(sprintf("%s d_av_lo=%.15g d_av_hi=%.15g g_av_lo=%.15g g_av_hi=%.15g\n", name, lo * k, hi * k, lo * k * J,
              hi * k * J))
}

ps <- sapply(datasets, function(d) t.test(d$post, d$pre, paired = TRUE)$p.value)
cat(sprintf("holm %s\n", paste(sprintf("%.15g", p.adjust(ps, "holm")), collapse = " ")))
cat(sprintf("BH %s\n", paste(sprintf("%.15g", p.adjust(ps, "BH")), collapse = " ")))

# Wilson 95% intervals (prop.test without continuity correction gives the Wilson score interval)
for (x in list(c(26, 34), c(34, 48), c(0, 10), c(10, 10), c(81, 263))) {
  ci <- prop.test(x[1], x[2], correct = FALSE)$conf.int
  cat(sprintf("wilson %d/%d lo=%.15g hi=%.15g\n", x[1], x[2], ci[1], ci[2]))
}

# Exact signed-rank p values for small n (psignrank), both tails used by wilcox.test
cat(sprintf("psignrank V=3 n=10 %.15g\n", psignrank(3, 10)))
cat(sprintf("psignrank V=40 n=12 upper %.15g\n", psignrank(40 - 1, 12, lower.tail = FALSE)))
