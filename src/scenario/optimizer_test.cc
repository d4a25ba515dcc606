#include "pfopt/scenario/optimizer.h"

#include <gtest/gtest.h>

#include <Eigen/QR>
#include <cmath>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "support/reference_data.h"

namespace pfopt::scenario {
namespace {

using testing::JsonMatrix;
using testing::JsonVector;
using testing::ScenarioDevCube;
using testing::ScenarioReference;
using testing::SourcePath;

const ScenarioData& Data() {
  static const ScenarioData data = *ScenarioData::Create(ScenarioDevCube());
  return data;
}

const nlohmann::json& ExtraReference() {
  static const nlohmann::json reference = [] {
    std::ifstream in(SourcePath("tests/data/scenario/extra_reference.json"));
    EXPECT_TRUE(in.good());
    return nlohmann::json::parse(in);
  }();
  return reference;
}

double Relative(double a, double b) { return std::abs(a - b) / std::max(1e-300, std::abs(b)); }

// The problem of a case of reference.json or extra_reference.json.
ScenarioProblem CaseProblem(const nlohmann::json& in) {
  ScenarioProblem p;
  const std::string optimizer = in["optimizer"];
  p.optimizer = optimizer == "ActivePortfolioOptimizer" || optimizer == "active"
                    ? OptimizerKind::kActive
                    : OptimizerKind::kPortfolio;
  p.method = *EnumFromString<ScenarioMethod>(in["method"].get<std::string>());
  p.rebalance = in["rebalance"].get<bool>();
  p.lower_bounds = JsonVector(in["lower_bounds"]);
  p.upper_bounds = JsonVector(in["upper_bounds"]);
  p.sum_to_1 = in["sum_to_1"].get<bool>();
  if (in.contains("x0")) p.arguments.x0 = JsonVector(in["x0"]);
  const auto& kw = in["kwargs"];
  if (kw.contains("max_vol")) p.arguments.max_vol = kw["max_vol"].get<double>();
  if (kw.contains("max_cvar")) p.arguments.max_cvar = kw["max_cvar"].get<double>();
  if (kw.contains("min_ret")) p.arguments.min_ret = kw["min_ret"].get<double>();
  if (kw.contains("percentile")) p.arguments.percentile = kw["percentile"].get<double>();
  if (in.contains("options")) {
    const auto& o = in["options"];
    if (o.contains("as_active_cvar")) p.arguments.as_active_cvar = o["as_active_cvar"];
    if (o.contains("as_active_return")) p.arguments.as_active_return = o["as_active_return"];
    if (o.contains("as_tracking_error")) p.arguments.as_tracking_error = o["as_tracking_error"];
  }
  if (in.contains("a_eq") && !in["a_eq"].empty()) {
    p.a_eq = JsonMatrix(in["a_eq"]);
    p.b_eq = JsonVector(in["b_eq"]);
  }
  if (in.contains("a_in") && !in["a_in"].empty()) {
    p.a_in = JsonMatrix(in["a_in"]);
    p.b_in = JsonVector(in["b_in"]);
  }
  return p;
}

ScenarioData CaseData(const nlohmann::json& in) {
  ScenarioDataOptions options;
  if (in.contains("time_unit")) options.time_unit = in["time_unit"].get<int>();
  if (in.contains("cvar_cube") && in["cvar_cube"] == "full") options.cvar_cube = ScenarioDevCube();
  return *ScenarioData::Create(ScenarioDevCube(), options);
}

void ExpectEveryConstraintHolds(const ScenarioResult& result, const std::string& name) {
  ASSERT_FALSE(result.constraints.empty()) << name;
  for (const auto& c : result.constraints) {
    EXPECT_LE(c.violation, 1e-8) << name << ": " << c.name << " = " << c.value;
  }
  EXPECT_LE(result.max_violation, 1e-8) << name;
  EXPECT_TRUE(result.weights.allFinite()) << name;
}

// --- The shared allopy reference: eleven cases -----------------------------------------------

TEST(ScenarioOptimizer, ReachesTheHighAccuracyOptimumOfEveryReferenceCase) {
  for (const auto& [name, c] : ScenarioReference()["cases"].items()) {
    SCOPED_TRACE(name);
    auto result = SolveScenario(Data(), CaseProblem(c["inputs"]));
    ASSERT_TRUE(result) << result.error().ToString();
    ASSERT_EQ(result->status, OptimizationStatus::kOptimal) << result->message;
    const double expected = c["high_accuracy"]["objective_value"].get<double>();
    EXPECT_LE(Relative(result->objective_value, expected), 1e-7)
        << result->objective_value << " vs " << expected;
    ExpectEveryConstraintHolds(*result, name);
    // Never worse than the high-accuracy answer by more than rounding (it is a maximum or a
    // minimum of a convex problem; rebalanced ones are local but the same optimum here).
    const bool maximise = c["objective"]["sense"] == "max";
    const double slack = 1e-12 * std::max(1.0, std::abs(expected));
    if (maximise) {
      EXPECT_GE(result->objective_value, expected - slack);
    } else {
      EXPECT_LE(result->objective_value, expected + slack);
    }
    // Weights: the high-accuracy ones within 1e-6; where allopy reached the optimum, allopy's
    // within 1e-5, or within allopy's own distance from the high-accuracy weights (A_max_sharpe:
    // allopy stopped 2.1e-5 away in a direction where the Sharpe ratio changes by 2e-10).
    const Vector ha = JsonVector(c["high_accuracy"]["weights"]);
    EXPECT_LT((result->weights - ha).cwiseAbs().maxCoeff(), 1e-6);
    if (c["allopy_was_optimal"].get<bool>()) {
      const Vector allopy = JsonVector(c["allopy"]["weights"]);
      const double allopy_off = (allopy - ha).cwiseAbs().maxCoeff();
      EXPECT_LT((result->weights - allopy).cwiseAbs().maxCoeff(),
                std::max(1e-5, allopy_off + 1e-6));
    }
    EXPECT_EQ(result->global_optimum, !c["inputs"]["rebalance"].get<bool>()) << result->message;
  }
}

TEST(ScenarioOptimizer, BeatsAllopyWhereItReturnedAnEarlyPointOrAnInfeasibleOne) {
  // P_max_ret_maxvol0.10: allopy returned its start, E = 0.0496 at vol 0.082; the optimum has
  // the volatility at its cap. P_max_ret_maxcvar-0.10: allopy broke the CVaR floor by 1.6e-5.
  const auto& cases = ScenarioReference()["cases"];
  auto first = SolveScenario(Data(), CaseProblem(cases["P_max_ret_maxvol0.10"]["inputs"]));
  ASSERT_TRUE(first);
  EXPECT_GT(first->metrics.expected_return,
            cases["P_max_ret_maxvol0.10"]["allopy"]["objective_value"].get<double>() + 6e-3);
  EXPECT_NEAR(first->metrics.volatility, 0.10, 1e-12);
  auto second = SolveScenario(Data(), CaseProblem(cases["P_max_ret_maxcvar-0.10"]["inputs"]));
  ASSERT_TRUE(second);
  EXPECT_GE(second->metrics.cvar, -0.10 - 1e-14);
  EXPECT_NEAR(second->metrics.cvar, -0.10, 1e-12);
}

// --- Independent optimality check: the KKT conditions from finite differences -------------

// Minimised objective (max problems negated), by its public metric functions.
std::function<double(const Vector&)> MinimisedObjective(const ScenarioProblem& p) {
  const bool rebalance = p.rebalance;
  auto active = [](Vector w) {
    w[0] = 0.0;
    return w;
  };
  switch (p.method) {
    case ScenarioMethod::kMaximizeReturns:
    case ScenarioMethod::kMaximizeEva:
      return [=](const Vector& w) { return -*ExpectedReturn(Data(), w, rebalance); };
    case ScenarioMethod::kMinimizeVolatility:
      return [=](const Vector& w) { return *Volatility(Data(), w); };
    case ScenarioMethod::kMinimizeTrackingError:
      return [=](const Vector& w) { return *Volatility(Data(), active(w)); };
    case ScenarioMethod::kMaximizeSharpeRatio:
      return [=](const Vector& w) { return -*SharpeRatio(Data(), w, rebalance); };
    case ScenarioMethod::kMaximizeInfoRatio:
      return [=](const Vector& w) { return -*SharpeRatio(Data(), active(w), rebalance); };
    case ScenarioMethod::kMinimizeCvar:
      break;
  }
  return nullptr;
}

Vector CentralDifference(const std::function<double(const Vector&)>& f, const Vector& w) {
  Vector g(w.size());
  const double h = 1e-6;
  for (Index j = 0; j < w.size(); ++j) {
    Vector plus = w, minus = w;
    plus[j] += h;
    minus[j] -= h;
    g[j] = (f(plus) - f(minus)) / (2 * h);
  }
  return g;
}

// grad f + sum_c lambda_c grad c = 0 with lambda >= 0 for the inequalities at their limit,
// solved by least squares; returns the relative residual and the most negative multiplier.
void CheckKkt(const ScenarioProblem& p, const ScenarioResult& r, const std::string& name) {
  const Vector& w = r.weights;
  const Index n = w.size();
  auto objective = MinimisedObjective(p);
  ASSERT_TRUE(objective) << name;
  const Vector gradient = CentralDifference(objective, w);
  std::vector<Vector> columns;
  std::vector<bool> inequality;
  for (Index j = 0; j < n; ++j) {
    if (std::abs(w[j] - p.upper_bounds[j]) <= 1e-9) {
      columns.push_back(Vector::Unit(n, j));
      inequality.push_back(p.lower_bounds[j] != p.upper_bounds[j]);
    } else if (std::abs(w[j] - p.lower_bounds[j]) <= 1e-9) {
      columns.push_back(-Vector::Unit(n, j));
      inequality.push_back(true);
    }
  }
  if (p.sum_to_1.value_or(p.optimizer == OptimizerKind::kPortfolio)) {
    columns.push_back(Vector::Ones(n));
    inequality.push_back(false);
  }
  for (Index i = 0; i < p.a_eq.rows(); ++i) {
    columns.push_back(p.a_eq.row(i).transpose());
    inequality.push_back(false);
  }
  for (Index i = 0; i < p.a_in.rows(); ++i) {
    if (std::abs(p.a_in.row(i).dot(w) - p.b_in[i]) <= 1e-9) {
      columns.push_back(p.a_in.row(i).transpose());
      inequality.push_back(true);
    }
  }
  for (const auto& c : r.constraints) {
    if (!c.binding) continue;
    std::function<double(const Vector&)> g;
    const bool active_quantity =
        c.name.rfind("tracking_error", 0) == 0 || c.name.rfind("active_return", 0) == 0;
    auto masked = [active_quantity](Vector v) {
      if (active_quantity) v[0] = 0.0;
      return v;
    };
    if (c.name.rfind("volatility", 0) == 0 || c.name.rfind("tracking_error", 0) == 0) {
      g = [=](const Vector& v) { return *Volatility(Data(), masked(v)); };
    } else if (c.name.rfind("expected_return", 0) == 0 || c.name.rfind("active_return", 0) == 0) {
      g = [=](const Vector& v) { return -*ExpectedReturn(Data(), masked(v), p.rebalance); };
    } else {
      continue;  // linear rows and bounds are handled above
    }
    columns.push_back(CentralDifference(g, w));
    inequality.push_back(true);
  }
  Matrix a(n, static_cast<Index>(columns.size()));
  for (std::size_t k = 0; k < columns.size(); ++k) a.col(static_cast<Index>(k)) = columns[k];
  Vector lambda = a.size() ? Vector(a.colPivHouseholderQr().solve(-gradient)) : Vector();
  const Vector residual = gradient + (a.size() ? Vector(a * lambda) : Vector::Zero(n));
  EXPECT_LE(residual.cwiseAbs().maxCoeff(), 1e-6 * std::max(1.0, gradient.cwiseAbs().maxCoeff()))
      << name << ": stationarity residual";
  for (std::size_t k = 0; k < columns.size(); ++k) {
    if (inequality[k]) {
      EXPECT_GE(lambda[static_cast<Index>(k)], -1e-6) << name << " multiplier " << k;
    }
  }
}

TEST(ScenarioOptimizer, SmoothAnswersSatisfyTheKktConditionsByFiniteDifferences) {
  for (const auto& [name, c] : ScenarioReference()["cases"].items()) {
    ScenarioProblem p = CaseProblem(c["inputs"]);
    if (p.method == ScenarioMethod::kMinimizeCvar || p.arguments.max_cvar) continue;
    auto result = SolveScenario(Data(), p);
    ASSERT_TRUE(result);
    CheckKkt(p, *result, name);
  }
}

// --- Independent optima for more cases (extra_reference.json, made by scipy / HiGHS) ------

TEST(ScenarioOptimizer, ReachesTheIndependentOptimaOfTheExtraCases) {
  for (const auto& [name, c] : ExtraReference()["cases"].items()) {
    if (!c.contains("objective_value")) continue;
    SCOPED_TRACE(name);
    const ScenarioData data = CaseData(c["inputs"]);
    const ScenarioProblem p = CaseProblem(c["inputs"]);
    auto result = SolveScenario(data, p);
    ASSERT_TRUE(result) << result.error().ToString();
    ASSERT_EQ(result->status, OptimizationStatus::kOptimal) << result->message;
    const double expected = c["objective_value"].get<double>();
    EXPECT_LE(Relative(result->objective_value, expected), 1e-7)
        << result->objective_value << " vs " << expected;
    ExpectEveryConstraintHolds(*result, name);
    const Vector weights = JsonVector(c["weights"]);
    EXPECT_LT((result->weights - weights).cwiseAbs().maxCoeff(), 1e-5);
  }
}

// --- Behaviour ----------------------------------------------------------------------------

ScenarioProblem MaxReturnAtVolatility(double max_vol) {
  ScenarioProblem p;
  p.method = ScenarioMethod::kMaximizeReturns;
  p.arguments.max_vol = max_vol;
  return p;
}

TEST(ScenarioOptimizer, IsDeterministicAndIndependentOfTheStart) {
  const ScenarioProblem p = MaxReturnAtVolatility(0.10);
  auto first = SolveScenario(Data(), p);
  auto again = SolveScenario(Data(), p);
  ASSERT_TRUE(first && again);
  EXPECT_EQ(first->weights, again->weights);  // bit for bit
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int start = 0; start < 4; ++start) {
    ScenarioProblem q = p;
    q.arguments.x0 = Vector::NullaryExpr(6, [&] { return u(rng); });
    auto other = SolveScenario(Data(), q);
    ASSERT_TRUE(other);
    EXPECT_LT((other->weights - first->weights).cwiseAbs().maxCoeff(), 1e-8);
  }
}

TEST(ScenarioOptimizer, AllopyStyleClassesGiveTheSameAnswers) {
  const auto& cases = ScenarioReference()["cases"];
  PortfolioOptimizer portfolio(Data());
  auto max_ret = portfolio.MaximizeReturns({.max_vol = 0.10});
  ASSERT_TRUE(max_ret);
  EXPECT_LE(Relative(max_ret->objective_value,
                     cases["P_max_ret_maxvol0.10"]["high_accuracy"]["objective_value"]),
            1e-7);
  auto min_vol = portfolio.MinimizeVolatility({.min_ret = 0.06});
  ASSERT_TRUE(min_vol);
  EXPECT_LE(Relative(min_vol->objective_value,
                     cases["P_min_vol_minret0.06"]["high_accuracy"]["objective_value"]),
            1e-7);
  auto min_cvar = portfolio.MinimizeCvar();
  ASSERT_TRUE(min_cvar);
  EXPECT_LE(
      Relative(min_cvar->objective_value, cases["P_min_cvar"]["high_accuracy"]["objective_value"]),
      1e-7);
  PortfolioOptimizer rebalanced(Data(), /*rebalance=*/true);
  auto sharpe = rebalanced.MaximizeSharpeRatio();
  ASSERT_TRUE(sharpe);
  EXPECT_LE(Relative(sharpe->objective_value,
                     cases["P_max_sharpe_rebal"]["high_accuracy"]["objective_value"]),
            1e-7);
  EXPECT_FALSE(sharpe->global_optimum);
  EXPECT_NE(sharpe->message.find("local optimum"), std::string::npos);

  ActivePortfolioOptimizer active(Data());
  ASSERT_TRUE(active.SetBounds((Vector(6) << 1, 0, 0, 0, 0, 0).finished(),
                               (Vector(6) << 1, 0.25, 0.25, 0.25, 0.25, 0.25).finished()));
  auto eva = active.MaximizeEva({.max_vol = 0.03});
  ASSERT_TRUE(eva);
  EXPECT_LE(Relative(eva->objective_value,
                     cases["A_max_eva_maxte0.03"]["high_accuracy"]["objective_value"]),
            1e-7);
  EXPECT_NEAR(eva->metrics.tracking_error, 0.03, 1e-12);
  auto te = active.MinimizeTrackingError({.min_ret = 0.08});
  ASSERT_TRUE(te);
  EXPECT_LE(Relative(te->objective_value,
                     cases["A_min_te_minret0.08"]["high_accuracy"]["objective_value"]),
            1e-7);
  // Matrix constraints accumulate until removed.
  ASSERT_TRUE(portfolio.AddInequalityMatrixConstraint((Matrix(1, 6) << 0, 0, 0, 1, 1, 0).finished(),
                                                      (Vector(1) << 0.2).finished()));
  auto capped = portfolio.MaximizeReturns({.max_vol = 0.10});
  ASSERT_TRUE(capped);
  EXPECT_LE(capped->weights[3] + capped->weights[4], 0.2 + 1e-12);
  EXPECT_LT(capped->objective_value, max_ret->objective_value);
  portfolio.RemoveMatrixConstraints();
  EXPECT_FALSE(portfolio.SetBounds(0.5, 0.4));
  EXPECT_FALSE(portfolio.AddEqualityMatrixConstraint(Matrix::Ones(1, 5), Vector::Ones(1)));
}

TEST(ScenarioOptimizer, SaysWhichConstraintCannotBeMetAndByHowMuch) {
  // The smallest volatility possible is 0.02714525809 (P_min_vol of reference.json).
  auto vol = SolveScenario(Data(), MaxReturnAtVolatility(0.02));
  ASSERT_TRUE(vol);
  EXPECT_EQ(vol->status, OptimizationStatus::kInfeasible);
  EXPECT_EQ(vol->weights.size(), 0);
  EXPECT_NE(vol->message.find("volatility <= 0.02 cannot be met"), std::string::npos)
      << vol->message;
  EXPECT_NE(vol->message.find("0.02714525809"), std::string::npos) << vol->message;
  EXPECT_NE(vol->message.find("0.00715 above the limit"), std::string::npos) << vol->message;

  ScenarioProblem ret;
  ret.method = ScenarioMethod::kMinimizeVolatility;
  ret.arguments.min_ret = 0.5;
  auto high = SolveScenario(Data(), ret);
  ASSERT_TRUE(high);
  EXPECT_EQ(high->status, OptimizationStatus::kInfeasible);
  EXPECT_NE(high->message.find("expected_return >= 0.5 cannot be met: the largest expected "
                               "return possible"),
            std::string::npos)
      << high->message;

  // Each cap alone can be met, not both: the diagnosis names both.
  ScenarioProblem both = MaxReturnAtVolatility(0.03);
  both.arguments.max_cvar = 0.0;
  auto joint = SolveScenario(Data(), both);
  ASSERT_TRUE(joint);
  EXPECT_EQ(joint->status, OptimizationStatus::kInfeasible);
  EXPECT_NE(joint->message.find("cvar >= 0 cannot be met"), std::string::npos) << joint->message;
  EXPECT_NE(joint->message.find("and volatility <= 0.03"), std::string::npos) << joint->message;

  // Linear constraints without a common point: named from the QP's certificate.
  ScenarioProblem linear = MaxReturnAtVolatility(0.1);
  linear.lower_bounds = Vector::Constant(6, 0.2);
  linear.upper_bounds = Vector::Ones(6);
  auto none = SolveScenario(Data(), linear);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, OptimizationStatus::kInfeasible);
  EXPECT_NE(none->message.find("sum_to_1"), std::string::npos) << none->message;
  EXPECT_NE(none->message.find("lower bound of asset"), std::string::npos) << none->message;
}

TEST(ScenarioOptimizer, ReportsUnboundedProblems) {
  // A riskless asset (+1 % every period) with no upper bound and no budget: the return grows
  // without limit while the CVaR floor holds.
  std::vector<double> values;
  std::mt19937 rng(5);
  std::normal_distribution<double> normal(0.0, 0.05);
  for (int t = 0; t < 4; ++t)
    for (int i = 0; i < 50; ++i) {
      values.push_back(0.01);
      values.push_back(normal(rng));
    }
  auto data = ScenarioData::Create(*ScenarioCube::Create(4, 50, 2, values), {.time_unit = 4});
  ASSERT_TRUE(data);
  ScenarioProblem p;
  p.method = ScenarioMethod::kMaximizeReturns;
  p.arguments.max_cvar = -0.5;
  p.sum_to_1 = false;
  p.lower_bounds = Vector::Zero(2);
  p.upper_bounds = Vector::Constant(2, kInfinity);
  auto result = SolveScenario(*data, p);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, OptimizationStatus::kUnbounded) << result->message;
  EXPECT_EQ(result->weights.size(), 0);
}

TEST(ScenarioOptimizer, InformationRatioWithoutAFixedSizeHasNoMaximiser) {
  // E(t w) / (t sigma(w)) grows as t -> 0: with free active weights the supremum is at 0.
  ScenarioProblem p;
  p.optimizer = OptimizerKind::kActive;
  p.method = ScenarioMethod::kMaximizeInfoRatio;
  p.lower_bounds = (Vector(6) << 1, 0, 0, 0, 0, 0).finished();
  p.upper_bounds = (Vector(6) << 1, 0.25, 0.25, 0.25, 0.25, 0.25).finished();
  auto result = SolveScenario(Data(), p);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, OptimizationStatus::kUnbounded);
  EXPECT_NE(result->message.find("no maximiser"), std::string::npos) << result->message;
  EXPECT_NE(result->message.find("Fix the size of the position"), std::string::npos);
}

// A small synthetic cube: 4 quarters x 200 trials x 3 assets, normal returns with the given
// quarterly means and deviations (seeded).
ScenarioData SyntheticData(const std::vector<double>& mean, const std::vector<double>& sd) {
  std::mt19937 rng(11);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> values;
  for (int t = 0; t < 4; ++t)
    for (int i = 0; i < 200; ++i)
      for (std::size_t j = 0; j < mean.size(); ++j) values.push_back(mean[j] + sd[j] * normal(rng));
  return *ScenarioData::Create(
      *ScenarioCube::Create(4, 200, static_cast<Index>(mean.size()), std::move(values)));
}

TEST(ScenarioOptimizer, NegativeSharpeRatioIsALocalOptimum) {
  // Every asset loses money: the best ratio is negative, where E / sigma is not quasi-concave.
  const ScenarioData data = SyntheticData({-0.02, -0.02, -0.02}, {0.05, 0.025, 0.05});
  ScenarioProblem p;
  p.method = ScenarioMethod::kMaximizeSharpeRatio;
  auto result = SolveScenario(data, p);
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, OptimizationStatus::kOptimal) << result->message;
  EXPECT_LT(result->objective_value, 0.0);
  EXPECT_FALSE(result->global_optimum);
  EXPECT_NE(result->message.find("negative ratio"), std::string::npos) << result->message;
  // No feasible point does better: the pure-asset portfolios and equal weights.
  for (const Vector& w : {Vector(Vector::Unit(3, 0)), Vector(Vector::Unit(3, 1)),
                          Vector(Vector::Unit(3, 2)), Vector(Vector::Constant(3, 1.0 / 3))}) {
    EXPECT_LE(*SharpeRatio(data, w), result->objective_value + 1e-12);
  }
}

TEST(ScenarioOptimizer, RisklessAssetMakesTheSharpeRatioUnbounded) {
  // Asset 0 earns 0.5 % every quarter with no risk: E / sigma grows without bound towards it.
  const ScenarioData data = SyntheticData({0.005, 0.01, 0.02}, {0.0, 0.05, 0.08});
  ScenarioProblem p;
  p.method = ScenarioMethod::kMaximizeSharpeRatio;
  auto result = SolveScenario(data, p);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, OptimizationStatus::kUnbounded);
  EXPECT_NE(result->message.find("no volatility"), std::string::npos) << result->message;
  EXPECT_EQ(result->weights.size(), 0);
  // Capping the riskless asset gives an answer.
  p.upper_bounds = (Vector(3) << 0.5, 1, 1).finished();
  auto capped = SolveScenario(data, p);
  ASSERT_TRUE(capped);
  EXPECT_EQ(capped->status, OptimizationStatus::kOptimal) << capped->message;
  EXPECT_NEAR(capped->weights[0], 0.5, 1e-12);
}

TEST(ScenarioOptimizer, StopsAtTheIterationLimitWithoutAnAnswer) {
  ScenarioSolverOptions options;
  options.max_iterations = 2;
  auto result = SolveScenario(Data(), MaxReturnAtVolatility(0.10), options);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, OptimizationStatus::kMaxIterations);
  EXPECT_EQ(result->weights.size(), 0);
  EXPECT_NE(result->message.find("iteration limit 2"), std::string::npos) << result->message;
}

TEST(ScenarioOptimizer, CallsTheProgressCallback) {
  ScenarioSolverOptions options;
  int calls = 0;
  options.progress = [&](const ScenarioProgress& progress) {
    ++calls;
    EXPECT_TRUE(std::isfinite(progress.objective));
  };
  auto result = SolveScenario(Data(), MaxReturnAtVolatility(0.10), options);
  ASSERT_TRUE(result);
  EXPECT_EQ(calls, result->iterations + 1);
}

TEST(ScenarioOptimizer, RejectsMalformedProblemsNamingTheField) {
  struct Bad {
    std::function<void(ScenarioProblem*)> change;
    std::string field;
  };
  const std::vector<Bad> cases = {
      {[](ScenarioProblem* p) { p->method = ScenarioMethod::kMaximizeEva; }, "method"},
      {[](ScenarioProblem* p) { p->arguments.max_vol.reset(); }, "max_vol"},
      {[](ScenarioProblem* p) { p->arguments.max_vol = -0.1; }, "max_vol"},
      {[](ScenarioProblem* p) { p->arguments.max_vol = kNaN; }, "max_vol"},
      {[](ScenarioProblem* p) { p->arguments.min_ret = 0.05; }, "min_ret"},
      {[](ScenarioProblem* p) { p->arguments.percentile = 0.0; }, "percentile"},
      {[](ScenarioProblem* p) { p->arguments.percentile = 120.0; }, "percentile"},
      {[](ScenarioProblem* p) { p->arguments.as_active_cvar = true; }, "as_active_return"},
      {[](ScenarioProblem* p) { p->arguments.x0 = Vector::Ones(5); }, "x0"},
      {[](ScenarioProblem* p) {
         p->lower_bounds = Vector::Constant(6, 0.5);
         p->upper_bounds = Vector::Constant(6, 0.4);
       },
       "lower_bounds"},
      {[](ScenarioProblem* p) { p->lower_bounds = Vector::Constant(6, 2.0); }, "lower_bounds"},
      {[](ScenarioProblem* p) { p->upper_bounds = Vector::Constant(6, -1.0); }, "upper_bounds"},
      {[](ScenarioProblem* p) {
         p->a_in = Matrix::Ones(1, 5);
         p->b_in = Vector::Ones(1);
       },
       "a_in"},
      {[](ScenarioProblem* p) {
         p->a_eq = Matrix::Ones(2, 6);
         p->b_eq = Vector::Ones(1);
       },
       "b_eq"},
  };
  for (const Bad& bad : cases) {
    ScenarioProblem p = MaxReturnAtVolatility(0.1);
    bad.change(&p);
    auto result = SolveScenario(Data(), p);
    ASSERT_FALSE(result) << bad.field;
    EXPECT_EQ(result.error().field(), bad.field) << result.error().message();
  }
  ScenarioSolverOptions options;
  EXPECT_TRUE(options.Validate());
  options.feasibility_tolerance = 0.0;
  EXPECT_FALSE(SolveScenario(Data(), MaxReturnAtVolatility(0.1), options));
  // The active optimiser needs a benchmark and one active asset.
  auto single = ScenarioData::Create(*ScenarioCube::Create(4, 3, 1, std::vector<double>(12, 0.01)),
                                     {.covariance = Matrix::Identity(1, 1)});
  ASSERT_TRUE(single);
  ScenarioProblem active;
  active.optimizer = OptimizerKind::kActive;
  active.method = ScenarioMethod::kMinimizeTrackingError;
  EXPECT_FALSE(SolveScenario(*single, active));
}

TEST(ScenarioOptimizer, EnumNamesRoundTrip) {
  EXPECT_EQ(*EnumFromString<ScenarioMethod>("maximize-sharpe-ratio"),
            ScenarioMethod::kMaximizeSharpeRatio);
  EXPECT_EQ(*EnumFromString<OptimizerKind>("ACTIVE"), OptimizerKind::kActive);
  EXPECT_EQ(EnumToString(ScenarioMethod::kMinimizeTrackingError), "minimize_tracking_error");
}

}  // namespace
}  // namespace pfopt::scenario
