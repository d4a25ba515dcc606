// The request and response model of ../../shared/specs/api.md (docs/api.md), as plain C++
// values: the one model that the CLI, the REST service, batch requests and the rebalancer
// speak. JSON codecs are in request_json.h; the path from a request to the engine and back is
// in optimization_service.h.
#ifndef PFOPT_SERVICES_COMMON_REQUEST_H_
#define PFOPT_SERVICES_COMMON_REQUEST_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pfopt/core/enum_names.h"
#include "pfopt/estimate/expected_returns.h"
#include "pfopt/estimate/risk_models.h"
#include "pfopt/optimize/mean_variance.h"
#include "pfopt/scenario/optimizer.h"

namespace pfopt::service {

// Objectives of the API. The mean-variance ones map to pfopt::Objective; RISK_PARITY is solved
// by allocation_models.h, MIN_CVAR and MULTI_OBJECTIVE by extended_models.h.
enum class RequestObjective {
  kMaxSharpe,
  kMinVolatility,
  kMaxReturn,
  kRiskParity,
  kMultiObjective,
  kEfficientRisk,
  kEfficientReturn,
  kMaxUtility,
  kMinCvar,
};

enum class RequestMethod {
  kMeanVariance,
  kBlackLitterman,
  kRiskParity,
  kHierarchicalRiskParity,
  kRobustOptimization,
};

// A history value: NaN marks a JSON null (a missing value).
struct StrategyDefinition {
  std::string id;
  std::vector<double> returns;            // periodic simple returns, oldest first (NaN = missing)
  std::vector<double> prices;             // periodic prices, oldest first (NaN = missing)
  std::optional<double> expected_return;  // annualised; overrides the estimate
  std::string sector;
  std::optional<double> current_weight;
  std::optional<double> market_cap;
  std::optional<double> min_weight;
  std::optional<double> max_weight;
};

struct OptimizationConstraints {
  std::optional<double> min_weight;               // default 0
  std::optional<double> max_weight;               // default 1
  std::map<std::string, double> sector_limits;    // upper limits by sector
  std::map<std::string, double> sector_minimums;  // lower limits by sector
  std::optional<double> turnover_limit;
  std::optional<double> leverage_limit;
  std::optional<double> budget;  // default 1
};

struct BlackLittermanView {
  std::map<std::string, double> assets;  // P row by strategy id
  double expected = 0.0;                 // Q ("return")
  std::optional<double> confidence;
};

struct BlackLittermanParameters {
  std::map<std::string, double> market_caps;
  std::optional<double> tau;
  std::vector<double> market_returns;
  std::vector<BlackLittermanView> views;
  std::string omega;
  bool present = false;
  // Extensions (docs/black_litterman.md).
  std::map<std::string, double> absolute_views;   // {id: expected return}: one view per asset
  std::optional<double> confidence;               // confidence of views that give none (IDZOREK)
  std::string prior_source;                       // MARKET, ESTIMATED, ZERO ("" = see docs)
  std::map<std::string, double> prior;            // Pi given per strategy id
  std::vector<std::vector<double>> omega_matrix;  // given Omega, k x k (JSON: a matrix, or
                                                  // an array for a diagonal one)
  std::optional<double> expected_market_return;   // annualised E[r_m] for delta (market prior)
  std::string weights;                            // OPTIMIZE (default) or CLOSED_FORM
};

struct RobustParameters {
  std::string uncertainty;
  std::optional<double> confidence;
  std::optional<double> kappa;
  std::optional<double> observations;  // extension: T behind mu and Sigma (default: the history's)
  bool present = false;
};

struct RiskParameters {
  double risk_free_rate = 0.0;
  double periods_per_year = 252.0;
  ExpectedReturnsMethod expected_returns_estimator = ExpectedReturnsMethod::kMeanHistorical;
  RiskModel covariance_estimator = RiskModel::kSample;
  std::map<std::string, double> expected_returns;  // by id; overrides the estimator
  std::map<std::string, std::map<std::string, double>> covariance;  // by id x id
  std::optional<double> risk_aversion;
  std::optional<double> target_volatility;
  std::optional<double> target_return;
  double l2_gamma = 0.0;
  std::map<std::string, double> risk_budgets;
  std::string hrp_linkage;
  std::string hrp_distance;  // extension: CORRELATION (default) or DISTANCE_OF_DISTANCES
  BlackLittermanParameters black_litterman;
  RobustParameters robust;
  std::optional<double> cvar_alpha;
  std::optional<double> cvar_limit;  // extension: CVaR <= limit (per period), "cvar": {"limit"}
  std::map<std::string, double> objective_weights;
  // Extensions (docs/api.md): estimator settings.
  std::optional<bool> compounding;                 // EMA / CAPM annualisation (default true)
  std::optional<double> ema_span;                  // EMA expected returns (default 500)
  std::optional<double> covariance_span;           // EXP covariance (default 180)
  std::optional<double> semicovariance_benchmark;  // per period (default 0)
  std::optional<double> shrinkage;                 // SHRUNK covariance (default 0.2)
  std::optional<MissingData> missing_data;         // risk-model missing-data rule
  std::vector<double> market_returns;              // CAPM benchmark returns, aligned
};

// Extension (docs/api.md, "Scenario requests"; docs/scenario.md): optimise on a Monte-Carlo
// cube file with the allopy-compatible scenario optimiser instead of estimating mu and Sigma
// from histories. The strategies then carry no history: they name the cube's assets in order.
struct ScenarioSettings {
  bool present = false;
  std::string path;       // the cube: NumPy .npy (periods x trials x assets) or long CSV
  std::string cvar_path;  // optional cube for the CVaR figures (default: first 3 years)
  int time_unit = 4;      // periods per year ("quarterly", "monthly", ... or a number)
  scenario::OptimizerKind optimizer = scenario::OptimizerKind::kPortfolio;
  std::optional<scenario::ScenarioMethod> method;  // required
  std::optional<double> max_vol, max_cvar, min_ret, percentile;
  bool rebalance = false;
  std::optional<bool> sum_to_1, as_tracking_error, as_active_cvar, as_active_return;
  std::vector<double> x0;  // optional start, one weight per strategy
};

struct OptimizationRequest {
  std::string portfolio_id;
  std::vector<StrategyDefinition> strategies;
  RequestObjective objective = RequestObjective::kMaxSharpe;
  RequestMethod method = RequestMethod::kMeanVariance;
  OptimizationConstraints constraints;
  RiskParameters risk_parameters;
  ScenarioSettings scenarios;  // extension: present = a scenario-cube request
};

// The response. Weights are in request order, one per strategy.
struct OptimizationResponse {
  std::string portfolio_id;
  std::vector<std::pair<std::string, double>> optimal_weights;  // empty when not solved
  double expected_return = kNaN;
  double expected_volatility = kNaN;
  double sharpe_ratio = kNaN;
  OptimizationStatus convergence_status = OptimizationStatus::kNotRun;
  int iterations = 0;
  double optimization_time_ms = 0.0;  // estimation + solve, not parsing or printing
  double objective_value = kNaN;
  bool constraints_satisfied = false;
  std::string message;
  // Extensions.
  std::vector<std::string> warnings;
  std::vector<std::string> conflicting_constraints;  // group names, when infeasible
  std::string objective;                             // canonical names of what was solved
  std::string method;
  std::vector<std::pair<std::string, double>> risk_contributions;  // RISK_PARITY, request order
  std::vector<std::pair<std::string, double>> posterior_expected_returns;  // BLACK_LITTERMAN
  // Extensions of the scenario and robust models (NaN when not computed; docs/api.md).
  double cvar = kNaN;               // CVaR of the weights, per period, at cvar_alpha
  double value_at_risk = kNaN;      // VaR of the weights, per period, at cvar_alpha
  double cvar_alpha = kNaN;         // tail probability used
  double worst_case_return = kNaN;  // ROBUST_OPTIMIZATION: annualised worst-case return
  double robust_radius = kNaN;      // ROBUST_OPTIMIZATION: kappa (ellipsoid) or z (box)
  std::string uncertainty;          // ROBUST_OPTIMIZATION: ELLIPSOIDAL or BOX
  // MULTI_OBJECTIVE: the value of each term ("return", "variance", "cvar", "turnover", "l2").
  std::map<std::string, double> objective_terms;
  // Scenario requests: the other figures of the answer (cvar; for the active optimiser
  // tracking_error, active_return, info_ratio), in this order.
  std::vector<std::pair<std::string, double>> scenario_metrics;
};

}  // namespace pfopt::service

namespace pfopt {

template <>
struct EnumNames<service::RequestObjective> {
  using E = service::RequestObjective;
  static constexpr std::array<std::pair<E, std::string_view>, 9> kNames{
      {{E::kMaxSharpe, "MAX_SHARPE"},
       {E::kMinVolatility, "MIN_VOLATILITY"},
       {E::kMaxReturn, "MAX_RETURN"},
       {E::kRiskParity, "RISK_PARITY"},
       {E::kMultiObjective, "MULTI_OBJECTIVE"},
       {E::kEfficientRisk, "EFFICIENT_RISK"},
       {E::kEfficientReturn, "EFFICIENT_RETURN"},
       {E::kMaxUtility, "MAX_UTILITY"},
       {E::kMinCvar, "MIN_CVAR"}}};
};

template <>
struct EnumNames<service::RequestMethod> {
  using E = service::RequestMethod;
  static constexpr std::array<std::pair<E, std::string_view>, 5> kNames{
      {{E::kMeanVariance, "MEAN_VARIANCE"},
       {E::kBlackLitterman, "BLACK_LITTERMAN"},
       {E::kRiskParity, "RISK_PARITY"},
       {E::kHierarchicalRiskParity, "HIERARCHICAL_RISK_PARITY"},
       {E::kRobustOptimization, "ROBUST_OPTIMIZATION"}}};
};

}  // namespace pfopt

#endif  // PFOPT_SERVICES_COMMON_REQUEST_H_
