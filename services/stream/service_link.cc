#include "services/stream/service_link.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "pfopt/core/enum_names.h"
#include "services/common/request_json.h"
#include "services/rest/events/event.h"
#include "services/rest/time_util.h"
#include "services/stream/log.h"

namespace pfopt::stream {

Result<std::vector<PortfolioConfig>> StoredConfigurationSource::LoadPortfolios() {
  disabled_.clear();
  overridden_.clear();
  auto portfolios = base_->LoadPortfolios();
  if (!portfolios) return tl::unexpected(portfolios.error());
  std::vector<PortfolioConfig> out;
  for (PortfolioConfig& config : *portfolios) {
    auto stored = store_->GetConfiguration(config.id);
    if (!stored) {
      return tl::unexpected(
          stored.error().WithFieldPrefix("stored configuration of '" + config.id + "'"));
    }
    if (!stored->has_value()) {
      out.push_back(std::move(config));
      continue;
    }
    const rest::PortfolioConfiguration& c = **stored;
    if (!c.enabled) {
      disabled_.push_back(config.id);
      continue;
    }
    StoredOptimizationConfig optimization;
    optimization.objective = std::string(EnumToString(c.objective));
    optimization.method = std::string(EnumToString(c.method));
    optimization.constraints = nlohmann::json::parse(c.constraints_json, nullptr, false);
    optimization.risk_parameters = nlohmann::json::parse(c.risk_parameters_json, nullptr, false);
    if (optimization.constraints.is_discarded() || optimization.risk_parameters.is_discarded()) {
      return InvalidArgument(
          "the stored configuration of portfolio '" + config.id + "' is not valid JSON",
          "portfolios[" + config.id + "].optimization");
    }
    optimization.enabled = true;
    config.optimization = std::move(optimization);
    PFOPT_RETURN_IF_ERROR(config.Validate());
    overridden_.push_back(config.id);
    out.push_back(std::move(config));
  }
  return out;
}

ServiceResultsObserver::ServiceResultsObserver(rest::Storage* storage,
                                               const std::vector<PortfolioConfig>& portfolios)
    : storage_(storage) {
  for (const PortfolioConfig& config : portfolios) {
    annualisation_[config.id] = {config.periods_per_year, config.risk_free_rate};
    // Until the process publishes statistics, the weights are valued under the prior.
    latest_stats_[config.id] =
        PortfolioStats{0, config.id, config.tickers, config.prior_mean, config.prior_covariance};
  }
}

void ServiceResultsObserver::OnPublished(Topic topic, const std::string&, int64_t,
                                         const Record& record) {
  if (topic == Topic::kUpdatedStats) {
    const auto& stats = std::get<PortfolioStats>(record);
    latest_stats_[stats.portfolio_id] = stats;
    return;
  }
  if (topic != Topic::kWeights) return;
  const auto& weights = std::get<PortfolioWeights>(record);
  service::OptimizationResponse response;
  response.portfolio_id = weights.portfolio_id;
  response.convergence_status = OptimizationStatus::kOptimal;
  response.constraints_satisfied = true;
  response.objective = "MAX_SHARPE";
  response.method = "MEAN_VARIANCE";
  response.message = "published by the real-time rebalancer";
  for (std::size_t i = 0; i < weights.assets.size(); ++i) {
    response.optimal_weights.emplace_back(weights.assets[i],
                                          weights.weights[static_cast<Index>(i)]);
  }
  // Performance of the new weights under the latest statistics, annualised.
  const Annualisation a = annualisation_.count(weights.portfolio_id) != 0
                              ? annualisation_.at(weights.portfolio_id)
                              : Annualisation{};
  if (auto it = latest_stats_.find(weights.portfolio_id);
      it != latest_stats_.end() && it->second.assets == weights.assets) {
    const Vector& w = weights.weights;
    const double mean = it->second.mean.dot(w);
    const double risk = std::sqrt(std::max(0.0, w.dot(it->second.covariance * w)));
    response.expected_return = mean * a.periods_per_year;
    response.expected_volatility = risk * std::sqrt(a.periods_per_year);
    response.sharpe_ratio =
        risk > 0.0 ? (mean - a.risk_free_rate) / risk * std::sqrt(a.periods_per_year) : 0.0;
  } else {
    response.message += " (no statistics over these assets: performance not computed, stored as 0)";
    Log(LogLevel::kWarning, "service",
        "weights of '" + response.portfolio_id +
            "' stored without performance: no statistics over the same assets");
  }
  const nlohmann::ordered_json body = service::OptimizationResponseToJson(response);
  rest::StoredResult stored;
  stored.id = rest::NewUuid();
  stored.portfolio_id = response.portfolio_id;
  stored.created_at = rest::Now();
  stored.optimal_weights_json = body["optimal_weights"].dump();
  stored.expected_return = std::isfinite(response.expected_return) ? response.expected_return : 0;
  stored.expected_volatility =
      std::isfinite(response.expected_volatility) ? response.expected_volatility : 0;
  stored.sharpe_ratio = std::isfinite(response.sharpe_ratio) ? response.sharpe_ratio : 0;
  stored.metadata_json = body["optimization_metadata"].dump();
  const rest::OutboxEvent event =
      rest::MakePortfolioOptimizedEvent(response, stored.id, stored.created_at);
  if (Status saved = storage_->SaveResult(stored, event); !saved) {
    if (errors_++ < 10) {
      Log(LogLevel::kError, "service",
          "weights of '" + response.portfolio_id + "' not stored: " + saved.error().message());
    }
    return;
  }
  ++stored_;
}

}  // namespace pfopt::stream
