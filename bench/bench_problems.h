// Seeded benchmark problems shared by the benchmark programs: factor-model covariance matrices
// of the same construction as the peer-comparison data (Sigma = F F'/k + diag(d), k = n/2,
// d ~ U(0.01, 0.05)), with C++'s generator instead of R's, and matching expected returns.
#ifndef PFOPT_BENCH_BENCH_PROBLEMS_H_
#define PFOPT_BENCH_BENCH_PROBLEMS_H_

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

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

// Reads a square matrix from a CSV without header (row i = M[i, ]). False if the file cannot
// be read or is not square.
inline bool ReadMatrixCsv(const std::string& path, Matrix* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::vector<std::vector<double>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<double> row;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) row.push_back(std::strtod(cell.c_str(), nullptr));
    rows.push_back(std::move(row));
  }
  out->resize(static_cast<Index>(rows.size()), static_cast<Index>(rows.size()));
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].size() != rows.size()) return false;
    for (std::size_t j = 0; j < rows.size(); ++j)
      (*out)(static_cast<Index>(i), static_cast<Index>(j)) = rows[i][j];
  }
  return true;
}

// The Black-Litterman benchmark problem (also bench/allocation_peers.py): market prior of
// equal weights with delta 2.5, absolute views on every 10th asset at prior + 0.02.
struct BlackLittermanInputs {
  Vector prior;
  Matrix views;
  Vector view_returns;
};

inline BlackLittermanInputs MakeBlackLittermanInputs(const Matrix& sigma) {
  const Index n = sigma.rows();
  BlackLittermanInputs in;
  in.prior = 2.5 * (sigma * Vector::Constant(n, 1.0 / static_cast<double>(n)));
  const Index k = (n + 9) / 10;
  in.views = Matrix::Zero(k, n);
  in.view_returns.resize(k);
  for (Index v = 0; v < k; ++v) {
    in.views(v, 10 * v) = 1.0;
    in.view_returns[v] = in.prior[10 * v] + 0.02;
  }
  return in;
}

// Timing of the peer comparisons: the mean time per call of a batch of about 0.2 s of calls,
// `batches` batches (after one untimed call by the caller); median, min and max over batches.
struct BatchTimes {
  double median = 0.0, min = 0.0, max = 0.0;  // seconds per call
  int batch_calls = 0;
  int batches = 0;
};

inline BatchTimes TimeInBatches(const std::function<void()>& call, int batches) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  call();
  const double once = std::chrono::duration<double>(Clock::now() - t0).count();
  BatchTimes times;
  times.batch_calls = std::max(1, static_cast<int>(0.2 / std::max(once, 1e-7)));
  times.batches = batches;
  std::vector<double> per_call;
  for (int b = 0; b < batches; ++b) {
    const auto start = Clock::now();
    for (int c = 0; c < times.batch_calls; ++c) call();
    per_call.push_back(std::chrono::duration<double>(Clock::now() - start).count() /
                       times.batch_calls);
  }
  std::sort(per_call.begin(), per_call.end());
  times.median = per_call[per_call.size() / 2];
  times.min = per_call.front();
  times.max = per_call.back();
  return times;
}

}  // namespace pfopt::bench

#endif  // PFOPT_BENCH_BENCH_PROBLEMS_H_
