# Golden values for tests/analysis/test_agreement.py.
# Run:  Rscript tests/reference/agreement.R > tests/reference/agreement_golden.txt
# Needs psych (Debian: r-cran-psych). irr is not in Debian; its published outputs for
# kappa2, kappam.fleiss and kripp.alpha are written beside the tests instead.
# Every data set is repeated verbatim in the tests.

suppressMessages(library(psych))
options(digits = 15)
cat("# ", R.version.string, "; psych ", as.character(packageVersion("psych")), "\n", sep = "")

# Shrout & Fleiss (1979), Table 2: six targets rated by four judges.
sf <- matrix(c(9, 2, 5, 8,
               6, 1, 3, 2,
               8, 4, 6, 8,
               7, 1, 2, 6,
               10, 5, 6, 9,
               6, 2, 4, 7), ncol = 4, byrow = TRUE)
# irr's `anxiety` data: 20 subjects rated by three raters (1-6).
anxiety <- matrix(c(3, 3, 3, 4, 5, 5, 2, 3, 5, 2, 2, 6, 1, 5, 2, 2, 1, 2, 4, 3,
                    3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4,
                    2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2), ncol = 3)

icc_sets <- list(
  sf = sf,
  anxiety = anxiety,
  gleser = as.matrix(psych::Gleser),                              # 12 x 12, shipped with psych
  satact = as.matrix(na.omit(psych::sat.act[, c("SATV", "SATQ")])) # 687 complete of 700, shipped with psych
)

cat("\n## psych::ICC(x, lmer = FALSE)$results: type ICC F df1 df2 p lower upper\n")
for (name in names(icc_sets)) {
  r <- psych::ICC(icc_sets[[name]], lmer = FALSE)$results
  for (i in seq_len(nrow(r))) {
    cat(name, r$type[i], sprintf("%.15g", unlist(r[i, 2:8])), "\n")
  }
}

cat("\n## psych::cohen.kappa(x): kappa lower upper; weighted.kappa (quadratic) lower upper\n")
kappa_sets <- list(anxiety23 = anxiety[, 2:3], anxiety12 = anxiety[, 1:2])
for (name in names(kappa_sets)) {
  k <- psych::cohen.kappa(kappa_sets[[name]])
  cat(name, "unweighted", sprintf("%.15g", k$confid[1, c(2, 1, 3)]), "\n")
  cat(name, "quadratic", sprintf("%.15g", k$confid[2, c(2, 1, 3)]), "\n")
  lev <- sort(unique(as.vector(kappa_sets[[name]])))
  nc <- length(lev)
  lin <- outer(seq_len(nc), seq_len(nc), function(i, j) abs(i - j) / (nc - 1))
  kl <- psych::cohen.kappa(kappa_sets[[name]], w = lin)
  cat(name, "linear", sprintf("%.15g", kl$confid[2, c(2, 1, 3)]), "\n")
}

# The sat.act complete cases, for the test to read (psych ships the data set).
write.csv(icc_sets$satact, "tests/reference/sat_act_complete.csv", row.names = FALSE)
