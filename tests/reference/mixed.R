# Golden values for the random-intercept mixed models (tests/analysis/test_mixed.py).
# Run: Rscript tests/reference/mixed.R > tests/reference/mixed_golden.txt
library(nlme)
options(digits = 15)
cat("# ", R.version.string, ", nlme ", as.character(packageVersion("nlme")), "\n", sep = "")
show <- function(label, fit) {
  tt <- summary(fit)$tTable
  ci <- intervals(fit, which = "fixed")$fixed
  cat(sprintf("%s fixed %s\n", label, paste(sprintf("%.15g", tt[, "Value"]), collapse = " ")))
  cat(sprintf("%s se %s\n", label, paste(sprintf("%.15g", tt[, "Std.Error"]), collapse = " ")))
  cat(sprintf("%s df %s\n", label, paste(sprintf("%d", as.integer(tt[, "DF"])), collapse = " ")))
  cat(sprintf("%s p %s\n", label, paste(sprintf("%.15g", tt[, "p-value"]), collapse = " ")))
  cat(sprintf("%s lower %s\n", label, paste(sprintf("%.15g", ci[, "lower"]), collapse = " ")))
  cat(sprintf("%s upper %s\n", label, paste(sprintf("%.15g", ci[, "upper"]), collapse = " ")))
  vc <- suppressWarnings(as.numeric(VarCorr(fit)[, "Variance"]))
  cat(sprintf("%s variances %s\n", label, paste(sprintf("%.15g", vc[!is.na(vc)]), collapse = " ")))
}

# 1. Dyads only, a dyad-level moderator m, some dyads without post (unbalanced).
pid <- rep(0:39, each = 2)
time <- rep(c(0, 1), 40)
m <- as.numeric(pid %% 3 == 0)
y <- 40 + ((pid * 7) %% 11) - 3 * time + 1.5 * time * m + (((pid * 13 + time * 5) %% 7) - 3)
d <- data.frame(pid = factor(pid), time = time, m = m, y = y)
d <- d[!(d$time == 1 & as.integer(as.character(d$pid)) %% 5 == 0), ]  # some dyads have no post
show("dyads", lme(y ~ time * m, random = ~ 1 | pid, data = d, method = "REML"))

# 2. Dyads nested in 6 cohorts of unequal size, a cohort-level moderator k.
pid <- rep(0:35, each = 2)
time <- rep(c(0, 1), 36)
cohort <- c(0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5,
            5, 5)[pid + 1]
k <- as.numeric(cohort >= 4)
shift <- c(-2.5, 1.5, 3, -1, 0.5, -2)[cohort + 1]
y <- 30 + shift + ((pid * 7) %% 9) - 2.5 * time + 1.2 * time * k + (((pid * 11 + time * 3) %% 5) - 2)
d2 <- data.frame(pid = factor(pid), cohort = factor(cohort), time = time, k = k, y = y)
d2 <- d2[!(d2$time == 1 & as.integer(as.character(d2$pid)) %% 7 == 3), ]
show("nested", lme(y ~ time, random = ~ 1 | cohort / pid, data = d2, method = "REML"))
show("nested_k", lme(y ~ time * k, random = ~ 1 | cohort / pid, data = d2, method = "REML"))
