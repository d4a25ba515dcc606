// Seeded benchmark problems shared by the benchmark programs: factor-model covariance matrices
// of the same construction as the peer-comparison data (Sigma = F F'/k + diag(d), k = n/2,
// d ~ U(0.01, 0.05)), with C++'s generator instead of R's, and matching expected returns.
#ifndef PFOPT_BENCH_BENCH_PROBLEMS_H_
#define PFOPT_BENCH_BENCH_PROBLEMS_H_

#include <random>

#include "pfopt/core/types.h"
#include "pfopt/optimize/portfolio_problem.h"
#include "pfopt/solve/qp.h"

namespace pfopt::bench {

inline Matrix FactorCovariance(Index n, unsigned seed = 42) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform(0.01, 0.05);
  const Index k = std::max<Index>(1, n / 2);
  Matrix f(n, k);
  for (Index j = 0; j < k; ++j)
    for (Index i = 0; i < n; ++i) f(i, j) = normal(rng);
  Matrix sigma = f * f.transpose() / static_cast<double>(k);
  for (Index i = 0; i < n; ++i) sigma(i, i) += uniform(rng);
  return sigma;
}

inline Vector ExpectedReturns(Index n, unsigned seed = 7) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0.02, 0.6);
  Vector mu(n);
  for (Index i = 0; i < n; ++i) mu[i] = uniform(rng);
  return mu;
}

// Long-only minimum variance: min w'Sigma w, sum w = 1, 0 <= w <= 1 (the peer-comparison problem).
inline QpProblem LongOnlyMinVariance(const Matrix& sigma) {
  const Index n = sigma.rows();
  QpProblem qp;
  qp.P = sigma;
  qp.q = Vector::Zero(n);
  qp.A = Matrix::Ones(1, n);
  qp.b = Vector::Ones(1);
  qp.lb = Vector::Zero(n);
  qp.ub = Vector::Ones(n);
  return qp;
}

inline PortfolioProblem RandomPortfolio(Index n) {
  PortfolioProblem problem;
  for (Index i = 0; i < n; ++i) problem.assets.push_back("A" + std::to_string(i));
  problem.covariance = FactorCovariance(n);
  problem.expected_returns = ExpectedReturns(n);
  return problem;
}

}  // namespace pfopt::bench

#endif  // PFOPT_BENCH_BENCH_PROBLEMS_H_
