# Golden values for the random-intercept mixed model (tests/analysis/test_engine.py).
# Run: Rscript tests/reference/mixed.R
library(nlme)
options(digits = 15)
pid <- rep(0:39, each = 2)
time <- rep(c(0, 1), 40)
m <- as.numeric(pid %% 3 == 0)
y <- 40 + ((pid * 7) %% 11) - 3 * time + 1.5 * time * m + (((pid * 13 + time * 5) %% 7) - 3)
d <- data.frame(pid = factor(pid), time = time, m = m, y = y)
d <- d[!(d$time == 1 & as.integer(as.character(d$pid)) %% 5 == 0), ]  # some dyads have no post
fit <- lme(y ~ time * m, random = ~ 1 | pid, data = d, method = "REML")
cat(sprintf("fixed %s\n", paste(sprintf("%.15g", fixef(fit)), collapse = " ")))
cat(sprintf("se %s\n", paste(sprintf("%.15g", sqrt(diag(vcov(fit)))), collapse = " ")))
vc <- as.numeric(VarCorr(fit)[, "Variance"])
cat(sprintf("tau2 %.15g sigma2 %.15g\n", vc[1], vc[2]))
