// Example: the Black-Litterman start-up weights of the Casablanca rebalancer
// (docs/black_litterman.md; the set-up of the original system, weekly units):
//   market weights w_mkt = equal weights (the data carry no capitalisations),
//   delta = (E[r_bench] - rf) / (w_mkt' Sigma w_mkt) with E[r_bench] = 0.0045, rf = 0.0018,
//   prior Pi = delta Sigma w_mkt + rf, absolute views with Idzorek confidence 0.6, tau 0.05,
//   posterior (mu_BL, Sigma_BL), then long-only max Sharpe at rf.
// It prints the weights next to the ones the original system published, and the annualised
// Sharpe ratios (sqrt(52)) of both under the posterior and under the historical means.
// Run from the repository root: build/release/examples/black_litterman_casablanca
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pfopt/optimize/black_litterman.h"
#include "pfopt/optimize/mean_variance.h"

namespace {

constexpr double kBenchmarkReturn = 0.0045;  // weekly
constexpr double kRiskFreeRate = 0.0018;     // weekly
constexpr double kConfidence = 0.6;
const std::vector<std::pair<std::string, double>> kViews = {
    {"AKT", 0.001},  {"ATW", 0.0},    {"BOA", 0.0},   {"BCP", 0.0},   {"MDP", 0.0}, {"MUT", 0.0},
    {"IAM", -0.003}, {"RIS", -0.001}, {"TGC", 0.002}, {"ADI", 0.003}, {"IMO", 0.0}};

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot open %s (run from the repository root)\n", path.c_str());
    std::exit(2);
  }
  return nlohmann::json::parse(in);
}

double AnnualisedSharpe(const pfopt::Vector& w, const pfopt::Vector& mu,
                        const pfopt::Matrix& sigma) {
  return std::sqrt(52.0) * (w.dot(mu) - kRiskFreeRate * w.sum()) / std::sqrt(w.dot(sigma * w));
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "examples/data/casablanca";
  const nlohmann::json cov = ReadJson(dir + "/covariance.json");
  const nlohmann::json means = ReadJson(dir + "/mean_returns.json");
  const nlohmann::json published = ReadJson(dir + "/initial_weights.json");
  const pfopt::Index n = static_cast<pfopt::Index>(kViews.size());
  pfopt::Matrix sigma(n, n);
  pfopt::Vector mean(n), original(n), q(n);
  for (pfopt::Index i = 0; i < n; ++i) {
    const std::string& a = kViews[static_cast<std::size_t>(i)].first;
    for (pfopt::Index j = 0; j < n; ++j) {
      sigma(i, j) = cov.at(a).at(kViews[static_cast<std::size_t>(j)].first).get<double>();
    }
    mean[i] = means.at(a).get<double>();
    original[i] = published.at(a).get<double>();
    q[i] = kViews[static_cast<std::size_t>(i)].second;
  }

  // Prior: equal market weights, delta from the anticipated benchmark return.
  const pfopt::Vector caps = pfopt::Vector::Ones(n);
  const pfopt::Vector w_mkt = caps / caps.sum();
  auto delta =
      pfopt::ImpliedRiskAversion(kBenchmarkReturn, w_mkt.dot(sigma * w_mkt), kRiskFreeRate);
  if (!delta) return 2;
  auto prior = pfopt::MarketImpliedPrior(caps, *delta, sigma, kRiskFreeRate);
  if (!prior) return 2;

  // Absolute views (P = I) with Idzorek confidences.
  pfopt::BlackLittermanOptions bl;
  bl.tau = 0.05;
  bl.omega_method = pfopt::OmegaMethod::kIdzorek;
  bl.view_confidences = pfopt::Vector::Constant(n, kConfidence);
  auto posterior =
      pfopt::ComputeBlackLittermanPosterior(sigma, *prior, pfopt::Matrix::Identity(n, n), q, bl);
  if (!posterior) {
    std::fprintf(stderr, "%s\n", posterior.error().ToString().c_str());
    return 2;
  }

  // Long-only max Sharpe over the posterior.
  pfopt::PortfolioProblem problem;
  for (const auto& [ticker, view] : kViews) problem.assets.push_back(ticker);
  problem.expected_returns = posterior->expected_returns;
  problem.covariance = posterior->covariance;
  pfopt::MeanVarianceOptions options;
  options.objective = pfopt::Objective::kMaxSharpe;
  options.risk_free_rate = kRiskFreeRate;
  auto result = pfopt::OptimizeMeanVariance(problem, options);
  if (!result || !pfopt::HasSolution(result->status)) {
    std::fprintf(stderr, "max Sharpe failed: %s\n",
                 result ? result->message.c_str() : result.error().ToString().c_str());
    return 1;
  }
  const pfopt::Vector& w = result->weights;

  std::printf("Casablanca start-up (weekly): delta = %.4f, tau = %.2f, Idzorek confidence %.1f\n",
              *delta, bl.tau, kConfidence);
  std::printf("%-5s %9s %9s %9s %9s %9s\n", "", "prior", "view", "posterior", "weight",
              "published");
  for (pfopt::Index i = 0; i < n; ++i) {
    std::printf("%-5s %9.5f %9.5f %9.5f %9.5f %9.5f\n",
                problem.assets[static_cast<std::size_t>(i)].c_str(), (*prior)[i], q[i],
                posterior->expected_returns[i], w[i], original[i]);
  }
  const pfopt::Vector original_normalised = original / original.sum();
  std::printf(
      "annualised Sharpe under the posterior:        pfopt %.4f, published %.4f\n",
      AnnualisedSharpe(w, posterior->expected_returns, posterior->covariance),
      AnnualisedSharpe(original_normalised, posterior->expected_returns, posterior->covariance));
  std::printf("annualised Sharpe under the historical means: pfopt %.4f, published %.4f\n",
              AnnualisedSharpe(w, mean, sigma), AnnualisedSharpe(original_normalised, mean, sigma));
  return result->constraints_satisfied && std::abs(w.sum() - 1.0) < 1e-12 ? 0 : 1;
}
