#include "pfopt/optimize/robust.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "support/reference_data.h"

namespace pfopt {
namespace {

struct Case {
  std::string id;
  PortfolioProblem problem;
  RobustOptions options;
  Vector weights;
  double objective = 0.0;
  double radius = 0.0;
  double worst_case_return = 0.0;
  bool maximise = true;
  bool polished = false;  // the reference is an exact KKT point (generate.py, polish)
};

// tests/data/robust/reference.json: cvxopt's cone solver on the SOCP forms (generate.py).
std::vector<Case> References() {
  const nlohmann::json data = testing::LoadJson("tests/data/robust/reference.json");
  std::vector<Case> cases;
  for (const auto& p : data["problems"]) {
    Case c;
    c.id = p["id"].get<std::string>();
    const Index n = p["n"].get<Index>();
    for (Index i = 0; i < n; ++i) c.problem.assets.push_back("A" + std::to_string(i));
    c.problem.expected_returns = testing::JsonVector(p["expected_returns"]);
    c.problem.covariance = testing::JsonMatrix(p["covariance"]);
    PortfolioConstraints& pc = c.problem.constraints;
    if (p.contains("lower_bounds")) pc.lower_bounds = testing::JsonVector(p["lower_bounds"]);
    if (p.contains("upper_bounds")) pc.upper_bounds = testing::JsonVector(p["upper_bounds"]);
    if (p.contains("sectors")) {
      pc.sectors = p["sectors"].get<std::vector<std::string>>();
      pc.sector_upper = p["sector_upper"].get<std::map<std::string, double>>();
      pc.sector_lower = p["sector_lower"].get<std::map<std::string, double>>();
    }
    RobustOptions& o = c.options;
    o.uncertainty = *EnumFromString<UncertaintySet>(p["uncertainty"].get<std::string>());
    o.confidence = p["confidence"].get<double>();
    if (p.contains("kappa")) o.kappa = p["kappa"].get<double>();
    o.num_observations = p["T"].get<Index>();
    MeanVarianceOptions& mv = o.mean_variance;
    mv.objective = *EnumFromString<Objective>(p["objective"].get<std::string>());
    mv.risk_aversion = p.value("risk_aversion", 1.0);
    mv.risk_free_rate = p.value("risk_free_rate", 0.0);
    mv.l2_gamma = p.value("l2_gamma", 0.0);
    if (p.contains("target_volatility"))
      mv.target_volatility = p["target_volatility"].get<double>();
    if (p.contains("target_return")) mv.target_return = p["target_return"].get<double>();
    const auto& r = p["reference"];
    c.weights = testing::JsonVector(r["weights"]);
    c.objective = r["objective"].get<double>();
    c.radius = r["radius"].get<double>();
    c.worst_case_return = r["worst_case_return"].get<double>();
    c.polished = r["polished"].get<bool>();
    c.maximise = mv.objective != Objective::kEfficientReturn;
    cases.push_back(std::move(c));
  }
  return cases;
}

TEST(OptimizeRobust, MatchesCvxoptConeSolutions) {
  const auto cases = References();
  ASSERT_EQ(cases.size(), 22u);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.id);
    auto result = OptimizeRobust(c.problem, c.options);
    ASSERT_TRUE(result.has_value()) << result.error().ToString();
    const OptimizationResult& o = result->optimization;
    ASSERT_EQ(o.status, OptimizationStatus::kOptimal) << o.message;
    EXPECT_TRUE(o.constraints_satisfied);
    // The radius: kappa = sqrt(chi2 quantile) or the two-sided normal quantile, as scipy.
    EXPECT_NEAR(result->radius, c.radius, 1e-13 * c.radius);
    // Never worse than the reference; equal to it within its accuracy: to rounding where the
    // reference was polished to an exact KKT point, else within cvxopt's own accuracy (its
    // interior point stops ~1e-12 short in objective, ~1e-7 in weights).
    const double scale = std::max(1.0, std::abs(c.objective));
    const double slack = c.polished ? 1e-13 : 1e-11;
    if (c.maximise) {
      EXPECT_GE(o.objective_value, c.objective - slack * scale);
    } else {
      EXPECT_LE(o.objective_value, c.objective + slack * scale);
    }
    EXPECT_NEAR(o.objective_value, c.objective, (c.polished ? 1e-13 : 1e-9) * scale);
    EXPECT_LT((o.weights - c.weights).cwiseAbs().maxCoeff(), c.polished ? 1e-9 : 1e-6);
    if (c.options.mean_variance.objective == Objective::kEfficientReturn) {
      EXPECT_GE(result->worst_case_return, *c.options.mean_variance.target_return - 1e-12);
    }
    if (c.options.mean_variance.objective == Objective::kEfficientRisk) {
      EXPECT_LE(o.performance.volatility, *c.options.mean_variance.target_volatility + 1e-12);
    }
  }
}

// A random market for the property tests.
PortfolioProblem Market(Index n, int seed) {
  PortfolioProblem p;
  Matrix loadings(n, 2);
  for (Index i = 0; i < n; ++i) {
    p.assets.push_back("A" + std::to_string(i));
    loadings(i, 0) = 0.1 + 0.01 * static_cast<double>((i * 7 + seed) % 11);
    loadings(i, 1) = 0.05 * std::sin(static_cast<double>(i + seed));
  }
  p.covariance = loadings * loadings.transpose();
  p.expected_returns.resize(n);
  for (Index i = 0; i < n; ++i) {
    p.covariance(i, i) += 0.01 + 0.002 * static_cast<double>(i % 5);
    // Distinct returns, so that the nominal MAX_RETURN optimum is unique.
    p.expected_returns[i] =
        0.04 + 0.011 * static_cast<double>((i * 3 + seed) % 17) + 0.0007 * static_cast<double>(i);
  }
  return p;
}

RobustOptions Options(Objective objective, UncertaintySet set) {
  RobustOptions o;
  o.uncertainty = set;
  o.num_observations = 250;
  o.mean_variance.objective = objective;
  return o;
}

TEST(OptimizeRobust, ZeroRadiusIsTheNominalProblem) {
  const PortfolioProblem p = Market(10, 1);
  for (UncertaintySet set : {UncertaintySet::kEllipsoidal, UncertaintySet::kBox}) {
    for (Objective objective :
         {Objective::kMaxUtility, Objective::kMaxReturn, Objective::kMaxSharpe,
          Objective::kEfficientReturn, Objective::kEfficientRisk, Objective::kMinVolatility}) {
      RobustOptions o = Options(objective, set);
      o.mean_variance.target_return = 0.09;
      o.mean_variance.target_volatility = 0.16;
      auto nominal = OptimizeMeanVariance(p, o.mean_variance);
      ASSERT_TRUE(nominal.has_value());
      for (int variant = 0; variant < 2; ++variant) {
        RobustOptions zero = o;
        if (variant == 0) {
          zero.confidence = 0.0;
        } else {
          zero.kappa = 0.0;
        }
        auto robust = OptimizeRobust(p, zero);
        ASSERT_TRUE(robust.has_value()) << robust.error().ToString();
        EXPECT_EQ(robust->radius, 0.0);
        EXPECT_EQ(robust->optimization.weights, nominal->weights) << EnumToString(objective);
        // And a tiny radius moves the answer continuously (the frontier search, not the
        // shortcut): within 1e-6 of the nominal one.
        RobustOptions tiny = o;
        tiny.kappa = 1e-9;
        auto near = OptimizeRobust(p, tiny);
        ASSERT_TRUE(near.has_value());
        EXPECT_LT((near->optimization.weights - nominal->weights).cwiseAbs().maxCoeff(), 1e-6)
            << EnumToString(objective) << " " << EnumToString(set);
      }
    }
  }
}

TEST(OptimizeRobust, EllipsoidalUtilityOptimumSatisfiesTheConeKkt) {
  // At the SOCP optimum the gradient of kappa sigma(w)/sqrt(T) is (kappa/sqrt(T)) Sigma w /
  // sigma(w): w* must solve the nominal MAX_UTILITY with risk aversion delta + k / sigma(w*).
  // Checked with the nominal optimiser (an independent QP) on bounded and sector-limited data.
  PortfolioProblem p = Market(12, 2);
  p.constraints.upper_bounds = Vector::Constant(12, 0.25);
  p.constraints.sectors = std::vector<std::string>(12, "a");
  for (Index i = 6; i < 12; ++i) p.constraints.sectors[static_cast<std::size_t>(i)] = "b";
  p.constraints.sector_upper = {{"a", 0.6}};
  RobustOptions o = Options(Objective::kMaxUtility, UncertaintySet::kEllipsoidal);
  o.mean_variance.risk_aversion = 2.0;
  auto robust = OptimizeRobust(p, o);
  ASSERT_TRUE(robust.has_value());
  const Vector& w = robust->optimization.weights;
  const double sigma = robust->optimization.performance.volatility;
  const double k = robust->radius / std::sqrt(250.0);
  MeanVarianceOptions equivalent;
  equivalent.objective = Objective::kMaxUtility;
  equivalent.risk_aversion = 2.0 + k / sigma;
  auto nominal = OptimizeMeanVariance(p, equivalent);
  ASSERT_TRUE(nominal.has_value());
  EXPECT_LT((nominal->weights - w).cwiseAbs().maxCoeff(), 1e-9);
  EXPECT_NEAR(robust->radius, std::sqrt(21.02606981748307), 1e-13);  // chi2(0.95, 12)
}

TEST(OptimizeRobust, EllipsoidalMaxSharpeIsTheNominalPortfolio) {
  const PortfolioProblem p = Market(8, 3);
  RobustOptions o = Options(Objective::kMaxSharpe, UncertaintySet::kEllipsoidal);
  o.mean_variance.risk_free_rate = 0.02;
  auto robust = OptimizeRobust(p, o);
  auto nominal = OptimizeMeanVariance(p, o.mean_variance);
  ASSERT_TRUE(robust.has_value() && nominal.has_value());
  EXPECT_EQ(robust->optimization.weights, nominal->weights);
  EXPECT_NEAR(robust->optimization.objective_value,
              nominal->performance.sharpe_ratio - robust->radius / std::sqrt(250.0), 1e-14);
}

TEST(OptimizeRobust, LargerSetsGiveSaferPortfolios) {
  const PortfolioProblem p = Market(10, 4);
  for (UncertaintySet set : {UncertaintySet::kEllipsoidal, UncertaintySet::kBox}) {
    double previous_volatility = kInfinity;
    double previous_worst = kInfinity;
    for (double confidence : {0.5, 0.9, 0.99, 0.999}) {
      RobustOptions o = Options(Objective::kMaxReturn, set);
      o.confidence = confidence;
      auto r = OptimizeRobust(p, o);
      ASSERT_TRUE(r.has_value());
      EXPECT_LE(r->optimization.performance.volatility, previous_volatility + 1e-12);
      EXPECT_LE(r->worst_case_return, previous_worst + 1e-12);
      EXPECT_GE(r->return_penalty, 0.0);
      previous_volatility = r->optimization.performance.volatility;
      previous_worst = r->worst_case_return;
    }
  }
}

TEST(OptimizeRobust, MinVolatilityIsNominalWithAWarning) {
  const PortfolioProblem p = Market(6, 5);
  auto r = OptimizeRobust(p, Options(Objective::kMinVolatility, UncertaintySet::kBox));
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->optimization.warnings.size(), 1u);
  EXPECT_NE(r->optimization.warnings[0].find("does not use the expected returns"),
            std::string::npos);
}

TEST(OptimizeRobust, ErrorsNameTheField) {
  const PortfolioProblem p = Market(6, 6);
  RobustOptions o = Options(Objective::kMaxUtility, UncertaintySet::kEllipsoidal);
  o.num_observations = 0;
  EXPECT_EQ(OptimizeRobust(p, o).error().field(), "num_observations");
  o = Options(Objective::kMaxUtility, UncertaintySet::kEllipsoidal);
  o.confidence = 1.0;
  EXPECT_EQ(OptimizeRobust(p, o).error().field(), "confidence");
  o.confidence = 0.9;
  o.kappa = -1.0;
  EXPECT_EQ(OptimizeRobust(p, o).error().field(), "kappa");
  o = Options(Objective::kEfficientReturn, UncertaintySet::kEllipsoidal);
  o.mean_variance.target_return = 0.05;
  o.mean_variance.l2_gamma = 0.1;
  EXPECT_EQ(OptimizeRobust(p, o).error().field(), "l2_gamma");
  o.mean_variance.l2_gamma = 0.0;
  o.mean_variance.target_return = 0.5;  // above every worst-case return
  auto unreachable = OptimizeRobust(p, o);
  ASSERT_FALSE(unreachable.has_value());
  EXPECT_EQ(unreachable.error().field(), "target_return");
  EXPECT_NE(unreachable.error().message().find("worst-case return"), std::string::npos);
  o = Options(Objective::kMaxSharpe, UncertaintySet::kEllipsoidal);
  o.mean_variance.l2_gamma = 0.1;
  EXPECT_EQ(OptimizeRobust(p, o).error().field(), "l2_gamma");
  EXPECT_TRUE(RobustOptions{.num_observations = 10}.Validate().has_value());
}

}  // namespace
}  // namespace pfopt
