# Golden values for the BCa bootstrap on integer scores (tests/analysis/test_stats.py).
# Run: Rscript tests/reference/bootstrap.R > tests/reference/bootstrap_golden.txt   (needs r-cran-boot; seconds)
# Integer change scores put many resamples exactly on the estimate: boot.ci counts them as
# not below it. With 400,000 resamples the Monte-Carlo error of each endpoint is about 0.003.
library(boot)
options(digits = 15)
cat("# ", R.version.string, ", boot ", as.character(packageVersion("boot")), "\n", sep = "")
set.seed(20240611)
d <- c(-3, -2, -2, -1, -1, -1, 0, 0, 0, 0, 1, 1, 2, -4, -1, 0)   # mean -0.75, n = 16
b <- boot(d, function(x, i) mean(x[i]), R = 400000)
ci <- boot.ci(b, type = "bca")$bca
cat(sprintf("bca_mean lo=%.15g hi=%.15g share_equal=%.6f\n", ci[4], ci[5], mean(b$t == mean(d))))
