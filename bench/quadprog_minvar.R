# R side of the peer comparison (bench/compare_quadprog.sh).
#   Rscript bench/quadprog_minvar.R generate DIR N [N ...]   writes DIR/cov_n<N>.csv
#   Rscript bench/quadprog_minvar.R time DIR N [N ...]       times quadprog::solve.QP
# The generator is the one documented with the shared benchmark data:
#   set.seed(42); k = n/2; F = matrix(rnorm(n*k), n, k); d = runif(n, 0.01, 0.05);
#   Sigma = F F' / k + diag(d)
# Timing: system.time() around a batch of B calls divided by B, R batches, median/min/max,
# one untimed warm-up call first. Weights go to DIR/quadprog_minvar_weights_n<N>.csv.
suppressPackageStartupMessages(library(quadprog))
args <- commandArgs(trailingOnly = TRUE)
mode <- args[1]
dir <- args[2]
sizes <- as.integer(args[-(1:2)])

gen_sigma <- function(n) {
  set.seed(42)
  k <- n / 2
  F <- matrix(rnorm(n * k), n, k)
  d <- runif(n, 0.01, 0.05)
  F %*% t(F) / k + diag(d)
}

write_matrix <- function(m, path) {
  lines <- apply(m, 1, function(row) paste(sprintf("%.17g", row), collapse = ","))
  writeLines(lines, path)
}

if (mode == "generate") {
  for (n in sizes) write_matrix(gen_sigma(n), file.path(dir, sprintf("cov_n%d.csv", n)))
} else if (mode == "time") {
  for (n in sizes) {
    sigma <- as.matrix(read.csv(file.path(dir, sprintf("cov_n%d.csv", n)), header = FALSE))
    dimnames(sigma) <- NULL
    amat <- cbind(1, diag(n))
    bvec <- c(1, rep(0, n))
    dvec <- rep(0, n)
    solve <- function() solve.QP(Dmat = sigma, dvec = dvec, Amat = amat, bvec = bvec, meq = 1)
    sol <- solve()  # warm-up
    once <- system.time(solve())[["elapsed"]]
    batch <- max(1, floor(0.2 / max(once, 1e-4)))
    batches <- if (n >= 500) 9 else 15
    per_call <- numeric(batches)
    for (b in seq_len(batches)) {
      per_call[b] <- system.time(for (i in seq_len(batch)) solve())[["elapsed"]] / batch
    }
    cat(sprintf("n %d median_s %.9g min_s %.9g max_s %.9g batch_calls %d batches %d iterations %d\n",
                n, median(per_call), min(per_call), max(per_call), batch, batches, sol$iterations[1]))
    writeLines(sprintf("%.17g", sol$solution), file.path(dir, sprintf("quadprog_minvar_weights_n%d.csv", n)))
  }
} else {
  stop("mode must be generate or time")
}
