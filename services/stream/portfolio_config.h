// What the rebalancer knows about each portfolio, and where it comes from.
//
// A PortfolioConfig holds a portfolio's universe, its initial statistics (the prior of the
// online statistics), its trigger and re-optimisation settings, its start-up weights and,
// optionally, the stored optimisation configuration of the service (objective, method,
// constraints, risk_parameters: docs/api.md), which overrides the default ladder's first rung
// and adds the constraints.
//
// Units: every statistic is per period, a period being one event-time window of the returns
// stage (the Casablanca example uses weekly statistics and simulates one week per window).
// The Sharpe ratio is annualised with sqrt(periods_per_year).
//
// ConfigurationSource is the seam to the service's storage: FileConfigurationSource reads the
// JSON file of docs/streaming.md ("Configuration file"); the service's database source plugs
// in behind the same interface.
#ifndef PFOPT_SERVICES_STREAM_PORTFOLIO_CONFIG_H_
#define PFOPT_SERVICES_STREAM_PORTFOLIO_CONFIG_H_

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "pfopt/core/error.h"
#include "pfopt/core/types.h"

namespace pfopt::stream {

// When a low Sharpe ratio starts a re-optimisation (rebalance stage).
struct TriggerOptions {
  // Annualised Sharpe ratio below which the portfolio is re-optimised. Default 1.0.
  double threshold = 1.0;
  // Once below the threshold, the portfolio counts as "below" until its Sharpe ratio reaches
  // threshold + hysteresis (>= 0). Default 0.05.
  double hysteresis = 0.05;
  // Minimum event time between two re-optimisations, ms (>= 0). While "below", a new one is
  // tried each time this has passed. Default 60 000 (one minute).
  int64_t cooldown_ms = 60000;

  Status Validate() const;
};

// The re-optimisation ladder (rebalance stage; services/stream/stages/reoptimizer.h).
struct ReoptimizationOptions {
  // L2 regularisation gamma of the first attempt (per-period units, as the original system).
  // Default 0.002.
  double l2_gamma = 0.002;
  // Added to gamma at each further attempt. Default 0.001.
  double l2_gamma_step = 0.001;
  // Attempts (1..20). Default 5.
  int max_attempts = 5;
  // Efficient-risk rung: the volatility cap per period. Unset (default): the current weights'
  // volatility under the latest statistics.
  std::optional<double> target_volatility;
  // Efficient-return rung: the return floor is this factor times the mean of mu (> 0). Default
  // 1.1.
  double return_target_factor = 1.1;
  // New weights are published only when some weight moved by more than this (>= 0). Default 1e-6.
  double weight_tolerance = 1e-6;

  Status Validate() const;
};

// Parameters of the Black-Litterman start-up weights (docs/streaming.md, "Start-up weights").
struct BlackLittermanSetup {
  bool present = false;
  std::map<std::string, double> market_weights;  // the prior w_mkt, by ticker
  double benchmark_return = 0.0045;              // anticipated benchmark return per period
  double risk_free_rate = 0.0018;                // per period
  double confidence = 0.6;                       // analysts' confidence in the views
  std::map<std::string, double> views;           // absolute views: expected return per period
};

// The service's stored optimisation configuration (table optimization_configurations of
// docs/api.md): JSON values as the REST API takes them.
struct StoredOptimizationConfig {
  std::string objective = "MAX_SHARPE";
  std::string method = "MEAN_VARIANCE";
  nlohmann::json constraints = nlohmann::json::object();
  nlohmann::json risk_parameters = nlohmann::json::object();
  bool enabled = true;
};

struct PortfolioConfig {
  std::string id;                    // 1..100 characters
  std::vector<std::string> tickers;  // the universe, unique; the order of every vector below
  // Initial statistics of per-period log returns and how many periods they are worth.
  Vector prior_mean;
  Matrix prior_covariance;
  double prior_count = 52.0;  // 0 (no prior) or >= 1. Default 52 (a year of weeks).
  // Exponential forgetting of the statistics, in periods (0 = none, the default).
  double half_life = 0.0;
  double periods_per_year = 52.0;  // Sharpe annualisation. Default 52 (weekly).
  double risk_free_rate = 0.0018;  // per period. Default 0.0018 (Moroccan T-bill, weekly).
  TriggerOptions trigger;
  ReoptimizationOptions reoptimization;
  Vector initial_weights;  // published start-up weights (empty = computed, see startup_weights.h)
  BlackLittermanSetup black_litterman;
  std::optional<StoredOptimizationConfig> optimization;

  // Sizes, finiteness, ranges. Messages name the field (e.g. "portfolios[casablanca].tickers").
  Status Validate() const;
};

// Parses {"portfolios": [...]} (docs/streaming.md). Relative file names inside are resolved
// against `base_directory`. Errors name the field.
Result<std::vector<PortfolioConfig>> ParsePortfolioConfigs(const nlohmann::json& document,
                                                           const std::string& base_directory);

class ConfigurationSource {
 public:
  virtual ~ConfigurationSource() = default;
  // Every portfolio to run, validated.
  virtual Result<std::vector<PortfolioConfig>> LoadPortfolios() = 0;
};

// The JSON file of docs/streaming.md.
class FileConfigurationSource final : public ConfigurationSource {
 public:
  explicit FileConfigurationSource(std::string path) : path_(std::move(path)) {}
  Result<std::vector<PortfolioConfig>> LoadPortfolios() override;

 private:
  std::string path_;
};

// A fixed list (tests, embedding).
class MemoryConfigurationSource final : public ConfigurationSource {
 public:
  explicit MemoryConfigurationSource(std::vector<PortfolioConfig> portfolios)
      : portfolios_(std::move(portfolios)) {}
  Result<std::vector<PortfolioConfig>> LoadPortfolios() override;

 private:
  std::vector<PortfolioConfig> portfolios_;
};

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_PORTFOLIO_CONFIG_H_
