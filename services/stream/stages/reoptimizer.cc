#include "services/stream/stages/reoptimizer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#include "pfopt/optimize/black_litterman.h"
#include "services/common/request_json.h"
#include "services/stream/log.h"

namespace pfopt::stream {

Result<PortfolioOptimizer> PortfolioOptimizer::Create(const PortfolioConfig& config) {
  PFOPT_RETURN_IF_ERROR(config.Validate());
  // The request the service would receive for this portfolio: its tickers as strategies, the
  // initial statistics as given mu and Sigma, and the stored configuration's fields.
  nlohmann::json request = nlohmann::json::object();
  request["portfolio_id"] = config.id;
  nlohmann::json strategies = nlohmann::json::array();
  for (const auto& ticker : config.tickers) strategies.push_back({{"id", ticker}});
  request["strategies"] = strategies;
  nlohmann::json risk = nlohmann::json::object();
  if (config.optimization) {
    const StoredOptimizationConfig& stored = *config.optimization;
    request["objective"] = stored.objective;
    request["method"] = stored.method;
    request["constraints"] = stored.constraints;
    if (stored.risk_parameters.is_object()) risk = stored.risk_parameters;
  }
  nlohmann::json mu = nlohmann::json::object(), sigma = nlohmann::json::object();
  for (std::size_t i = 0; i < config.tickers.size(); ++i) {
    const auto a = static_cast<Index>(i);
    mu[config.tickers[i]] = config.prior_mean[a];
    nlohmann::json row = nlohmann::json::object();
    for (std::size_t j = 0; j < config.tickers.size(); ++j) {
      row[config.tickers[j]] = config.prior_covariance(a, static_cast<Index>(j));
    }
    sigma[config.tickers[i]] = row;
  }
  risk["expected_returns"] = mu;
  risk["covariance"] = sigma;
  const bool stored_rate = risk.contains("risk_free_rate");
  request["risk_parameters"] = risk;
  auto parsed = service::OptimizationRequestFromJson(request);
  if (!parsed) {
    return tl::unexpected(
        parsed.error().WithFieldPrefix("portfolios[" + config.id + "].optimization"));
  }
  auto prepared = service::PrepareProblem(*parsed);
  if (!prepared) {
    return tl::unexpected(
        prepared.error().WithFieldPrefix("portfolios[" + config.id + "].optimization"));
  }
  PortfolioOptimizer optimizer;
  optimizer.prepared_ = std::move(*prepared);
  optimizer.options_ = config.reoptimization;
  // The stored configuration speaks the API's annualised units; the statistics here are per
  // period: rf and the return target scale by 1/periods_per_year, the volatility target by
  // 1/sqrt(periods_per_year), and so does gamma (w'Sigma w + gamma ||w||^2 with Sigma per period).
  const double ppy = config.periods_per_year;
  MeanVarianceOptions& o = optimizer.prepared_.options;
  o.risk_free_rate = stored_rate ? o.risk_free_rate / ppy : config.risk_free_rate;
  if (o.target_volatility) *o.target_volatility /= std::sqrt(ppy);
  if (o.target_return) *o.target_return /= ppy;
  // The stored configuration's own gamma, if any, starts the ladder.
  if (o.l2_gamma > 0.0) optimizer.options_.l2_gamma = o.l2_gamma / ppy;
  optimizer.threshold_ = config.trigger.threshold;
  optimizer.periods_per_year_ = config.periods_per_year;
  optimizer.risk_free_rate_ = optimizer.prepared_.options.risk_free_rate;
  return optimizer;
}

Result<ReoptimizationResult> PortfolioOptimizer::Reoptimize(const VectorRef& mean,
                                                            const MatrixRef& covariance,
                                                            double current_risk) const {
  const auto start = std::chrono::steady_clock::now();
  const Index n = prepared_.problem.num_assets();
  if (mean.size() != n || covariance.rows() != n || covariance.cols() != n) {
    return DimensionMismatch("statistics of " + std::to_string(mean.size()) + " assets for a " +
                                 std::to_string(n) + "-asset portfolio",
                             "statistics");
  }
  if (!mean.allFinite() || !covariance.allFinite()) {
    return InvalidArgument("the statistics have a non-finite value", "statistics");
  }
  PortfolioProblem problem = prepared_.problem;
  problem.expected_returns = mean;
  problem.covariance = 0.5 * (covariance + covariance.transpose());
  const double target_volatility =
      options_.target_volatility ? *options_.target_volatility : current_risk;
  const double target_return = options_.return_target_factor * mean.mean();
  const double scale = std::sqrt(periods_per_year_);

  ReoptimizationResult best;
  auto consider = [&](const MeanVarianceOptions& options) {
    ++best.solves;
    auto result = OptimizeMeanVariance(problem, options);
    if (!result) {
      best.message = result.error().message();
      return;
    }
    if (!HasSolution(result->status) || !result->constraints_satisfied) {
      best.message = std::string(EnumToString(result->status)) + ": " + result->message;
      return;
    }
    // Rank on the unregularised statistics.
    auto performance = ComputePerformance(result->weights, problem.expected_returns,
                                          problem.covariance, risk_free_rate_);
    if (!performance || !std::isfinite(performance->sharpe_ratio)) return;
    const double sharpe = scale * performance->sharpe_ratio;
    if (!best.solved || sharpe > best.annualised_sharpe) {
      best.solved = true;
      best.weights = result->weights;
      best.performance = *performance;
      best.annualised_sharpe = sharpe;
      best.objective = options.objective;
      best.l2_gamma = options.l2_gamma;
    }
  };

  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    best.attempts = attempt + 1;
    MeanVarianceOptions options = prepared_.options;
    options.l2_gamma = options_.l2_gamma + attempt * options_.l2_gamma_step;
    consider(options);
    if (best.solved && best.annualised_sharpe >= threshold_) break;
    if (std::isfinite(target_volatility) && target_volatility > 0.0) {
      MeanVarianceOptions risk = options;
      risk.objective = Objective::kEfficientRisk;
      risk.target_volatility = target_volatility;
      consider(risk);
    }
    MeanVarianceOptions ret = options;
    ret.objective = Objective::kEfficientReturn;
    ret.target_return = target_return;
    consider(ret);
    if (best.solved && best.annualised_sharpe >= threshold_) break;
  }
  best.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return best;
}

// The Black-Litterman start-up; nullopt when the posterior has no max-Sharpe portfolio under
// the constraints (no portfolio beats rf), so that the next rule applies.
Result<std::optional<Vector>> BlackLittermanStartupWeights(const PortfolioConfig& config,
                                                           const PortfolioProblem& constrained) {
  const BlackLittermanSetup& bl = config.black_litterman;
  const auto n = static_cast<Index>(config.tickers.size());
  const std::string field = "portfolios[" + config.id + "].black_litterman";
  const Matrix& sigma = config.prior_covariance;
  // Market weights: the given ones (by ticker, missing = 0), else equal.
  Vector caps = Vector::Ones(n);
  if (!bl.market_weights.empty()) {
    for (const auto& [ticker, weight] : bl.market_weights) {
      bool known = false;
      for (const auto& t : config.tickers) known = known || t == ticker;
      if (!known) {
        return InvalidArgument("market_weights names '" + ticker + "', which is not a ticker",
                               field + ".market_weights." + ticker);
      }
    }
    for (Index i = 0; i < n; ++i) {
      auto it = bl.market_weights.find(config.tickers[static_cast<std::size_t>(i)]);
      caps[i] = it == bl.market_weights.end() ? 0.0 : it->second;
    }
  }
  const Vector w_market = caps / caps.sum();
  auto delta =
      ImpliedRiskAversion(bl.benchmark_return, w_market.dot(sigma * w_market), bl.risk_free_rate);
  if (!delta) return tl::unexpected(delta.error().WithFieldPrefix(field));
  auto prior = MarketImpliedPrior(caps, *delta, sigma, bl.risk_free_rate);
  if (!prior) return tl::unexpected(prior.error().WithFieldPrefix(field + ".market_weights"));
  // Absolute views (one row of P per view, in ticker order) with Idzorek's confidence.
  std::vector<Index> viewed;
  for (const auto& [ticker, value] : bl.views) {
    Index index = -1;
    for (Index i = 0; i < n; ++i) {
      if (config.tickers[static_cast<std::size_t>(i)] == ticker) index = i;
    }
    if (index < 0) {
      return InvalidArgument("views names '" + ticker + "', which is not a ticker",
                             field + ".views." + ticker);
    }
    viewed.push_back(index);
  }
  std::sort(viewed.begin(), viewed.end());
  BlackLittermanPosterior posterior;
  if (viewed.empty()) {
    posterior.expected_returns = *prior;
    posterior.covariance = sigma;
  } else {
    const auto k = static_cast<Index>(viewed.size());
    Matrix p = Matrix::Zero(k, n);
    Vector q(k);
    for (Index v = 0; v < k; ++v) {
      p(v, viewed[static_cast<std::size_t>(v)]) = 1.0;
      q[v] = bl.views.at(
          config.tickers[static_cast<std::size_t>(viewed[static_cast<std::size_t>(v)])]);
    }
    BlackLittermanOptions options;
    options.omega_method = OmegaMethod::kIdzorek;
    options.view_confidences = Vector::Constant(k, bl.confidence);
    auto computed = ComputeBlackLittermanPosterior(sigma, *prior, p, q, options);
    if (!computed) return tl::unexpected(computed.error().WithFieldPrefix(field));
    posterior = std::move(*computed);
  }
  // Long-only (or the stored configuration's constraints) max Sharpe over the posterior.
  PortfolioProblem problem = constrained;
  problem.expected_returns = posterior.expected_returns;
  problem.covariance = posterior.covariance;
  MeanVarianceOptions options;
  options.objective = Objective::kMaxSharpe;
  options.risk_free_rate = bl.risk_free_rate;
  auto result = OptimizeMeanVariance(problem, options);
  if (!result) return tl::unexpected(result.error().WithFieldPrefix(field));
  if (!HasSolution(result->status)) {
    Log(LogLevel::kWarning, "rebalance",
        "portfolio '" + config.id +
            "': the Black-Litterman start-up has no max-Sharpe portfolio (" + result->message +
            "); starting from the next rule (initial_weights, else the ladder)");
    return std::optional<Vector>();
  }
  return std::optional<Vector>(result->weights);
}

Result<Vector> StartupWeights(const PortfolioConfig& config, const PortfolioOptimizer& optimizer) {
  // 1. Black-Litterman on the initial statistics.
  if (config.black_litterman.present) {
    auto weights = BlackLittermanStartupWeights(config, optimizer.problem());
    if (!weights) return tl::unexpected(weights.error());
    if (weights->has_value()) return **weights;
  }
  // 2. The published weights.
  if (config.initial_weights.size() != 0) return config.initial_weights;
  // 3. The ladder on the initial statistics.
  const Vector equal = Vector::Constant(static_cast<Index>(config.tickers.size()),
                                        1.0 / static_cast<double>(config.tickers.size()));
  const double risk = std::sqrt(std::max(0.0, equal.dot(config.prior_covariance * equal)));
  auto result = optimizer.Reoptimize(config.prior_mean, config.prior_covariance, risk);
  if (!result) return tl::unexpected(result.error());
  if (!result->solved) {
    return InvalidArgument("portfolio '" + config.id +
                               "' has no initial_weights and no optimisation of its initial "
                               "statistics succeeded (" +
                               result->message + ")",
                           "portfolios[" + config.id + "].initial_weights");
  }
  return result->weights;
}

}  // namespace pfopt::stream
