#include "support/scenario_market.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace pfopt::testing {

ScenarioMarket RandomScenarioMarket(int seed, Index periods, Index n) {
  std::mt19937_64 rng(static_cast<std::uint64_t>(seed));
  std::normal_distribution<double> normal;
  std::student_t_distribution<double> student(4.0);
  std::uniform_real_distribution<double> uniform(0.2, 1.2);
  Vector loading(n);
  for (Index i = 0; i < n; ++i) loading[i] = uniform(rng);
  ScenarioMarket m;
  m.scenarios.resize(periods, n);
  for (Index t = 0; t < periods; ++t) {
    const double factor = 0.01 * normal(rng);
    for (Index i = 0; i < n; ++i) {
      m.scenarios(t, i) = factor * loading[i] + 0.006 * student(rng) + 0.0003 * (i % 3);
    }
  }
  for (Index i = 0; i < n; ++i) m.problem.assets.push_back("A" + std::to_string(i));
  m.problem.expected_returns = 252.0 * m.scenarios.colwise().mean().transpose();
  const Matrix centred = m.scenarios.rowwise() - m.scenarios.colwise().mean();
  m.problem.covariance = 252.0 * centred.transpose() * centred / static_cast<double>(periods - 1);
  return m;
}

double SortedCvar(const MatrixRef& scenarios, const VectorRef& weights, double alpha) {
  const Vector losses = -(scenarios * weights);
  std::vector<double> sorted(losses.data(), losses.data() + losses.size());
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  const double k = alpha * static_cast<double>(sorted.size());
  const std::size_t kf = static_cast<std::size_t>(std::floor(k));
  double sum = 0.0;
  for (std::size_t i = 0; i < kf; ++i) sum += sorted[i];
  return (sum + (k - static_cast<double>(kf)) * sorted[kf]) / k;
}

}  // namespace pfopt::testing
