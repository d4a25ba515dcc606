#include "pfopt/scenario/general_optimizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <stdexcept>

#include "pfopt/scenario/metrics.h"
#include "support/reference_data.h"

namespace pfopt::scenario {
namespace {

// Hock & Schittkowski problem 71 (the IPOPT tutorial problem): published optimum
// f* = 17.0140173, x* = (1, 4.7429994, 3.8211503, 1.3794082).
GeneralOptimizer Hs071(bool analytic) {
  GeneralOptimizer opt(4);
  GeneralFunction f{[](const Vector& x) { return x[0] * x[3] * (x[0] + x[1] + x[2]) + x[2]; }};
  GeneralFunction product{[](const Vector& x) { return 25.0 - x.prod(); }, {}, "x1 x2 x3 x4 >= 25"};
  GeneralFunction sphere{[](const Vector& x) { return x.squaredNorm() - 40.0; }, {}, "|x|^2 = 40"};
  if (analytic) {
    f.gradient = [](const Vector& x) {
      Vector g(4);
      g << x[3] * (2 * x[0] + x[1] + x[2]), x[0] * x[3], x[0] * x[3] + 1,
          x[0] * (x[0] + x[1] + x[2]);
      return g;
    };
    product.gradient = [](const Vector& x) {
      Vector g(4);
      g << -x[1] * x[2] * x[3], -x[0] * x[2] * x[3], -x[0] * x[1] * x[3], -x[0] * x[1] * x[2];
      return g;
    };
    sphere.gradient = [](const Vector& x) { return Vector(2 * x); };
  }
  EXPECT_TRUE(opt.SetMinObjective(f));
  EXPECT_TRUE(opt.AddInequalityConstraint(product));
  EXPECT_TRUE(opt.AddEqualityConstraint(sphere));
  EXPECT_TRUE(opt.SetBounds(1.0, 5.0));
  return opt;
}

TEST(GeneralOptimizer, SolvesHockSchittkowski71WithAnalyticAndNumericalGradients) {
  const Vector x0 = (Vector(4) << 1, 5, 5, 1).finished();
  const Vector expected = (Vector(4) << 1.0, 4.7429994, 3.8211503, 1.3794082).finished();
  for (bool analytic : {true, false}) {
    GeneralOptimizer opt = Hs071(analytic);
    auto result = opt.Optimize(x0);
    ASSERT_TRUE(result) << result.error().ToString();
    ASSERT_EQ(result->status, OptimizationStatus::kOptimal) << result->message;
    EXPECT_NEAR(result->objective, 17.0140173, 1e-6) << analytic;
    EXPECT_LT((result->x - expected).cwiseAbs().maxCoeff(), 2e-6) << result->x.transpose();
    EXPECT_LE(result->max_violation, 1e-8);
    ASSERT_EQ(result->equality_values.size(), 1u);
    EXPECT_NEAR(result->equality_values[0], 0.0, 1e-8);
  }
}

TEST(GeneralOptimizer, MinimisesRosenbrockAndRespectsBounds) {
  GeneralOptimizer opt(2);
  ASSERT_TRUE(opt.SetMinObjective({[](const Vector& x) {
    return 100 * std::pow(x[1] - x[0] * x[0], 2) + std::pow(1 - x[0], 2);
  }}));
  auto free = opt.Optimize((Vector(2) << -1.2, 1.0).finished());
  ASSERT_TRUE(free);
  ASSERT_TRUE(HasSolution(free->status)) << free->message;
  EXPECT_NEAR(free->x[0], 1.0, 1e-5);
  EXPECT_NEAR(free->x[1], 1.0, 1e-5);
  // With x1 <= 0.5 the minimum is on the bound: f(0.5, x2) is minimised at x2 = 0.25.
  ASSERT_TRUE(opt.SetBounds((Vector(2) << -2, -2).finished(), (Vector(2) << 0.5, 2).finished()));
  auto bounded = opt.Optimize((Vector(2) << -1.2, 1.0).finished());
  ASSERT_TRUE(bounded);
  ASSERT_TRUE(HasSolution(bounded->status)) << bounded->message;
  EXPECT_EQ(bounded->x[0], 0.5);
  EXPECT_NEAR(bounded->x[1], 0.25, 1e-6);
}

TEST(GeneralOptimizer, ReproducesAScenarioOptimumFromUserFunctions) {
  // allopy users write the objective and constraints themselves (BaseOptimizer): maximise E
  // with sigma <= 0.10, fully invested, long-only, numerical gradients.
  auto data = std::make_shared<ScenarioData>(*ScenarioData::Create(testing::ScenarioDevCube()));
  GeneralOptimizer opt(6);
  ASSERT_TRUE(opt.SetMaxObjective({[data](const Vector& w) { return *ExpectedReturn(*data, w); }}));
  ASSERT_TRUE(opt.AddInequalityConstraint(
      {[data](const Vector& w) { return *Volatility(*data, w) - 0.10; }, {}, "vol <= 0.1"}));
  ASSERT_TRUE(opt.AddEqualityMatrixConstraint(Matrix::Ones(1, 6), Vector::Ones(1)));
  ASSERT_TRUE(opt.SetBounds(0.0, 1.0));
  auto result = opt.Optimize(Vector::Constant(6, 1.0 / 6));
  ASSERT_TRUE(result);
  ASSERT_TRUE(HasSolution(result->status)) << result->message;
  const double expected = testing::ScenarioReference()["cases"]["P_max_ret_maxvol0.10"]
                                                      ["high_accuracy"]["objective_value"];
  EXPECT_NEAR(result->objective, expected, 1e-9);
  EXPECT_LE(result->max_violation, 1e-8);
}

TEST(GeneralOptimizer, ReportsInfeasibleLinearConstraintsAndBadInput) {
  GeneralOptimizer opt(2);
  ASSERT_TRUE(opt.SetMinObjective({[](const Vector& x) { return x.squaredNorm(); }}));
  ASSERT_TRUE(opt.SetBounds(0.0, 1.0));
  ASSERT_TRUE(opt.AddInequalityMatrixConstraint(Matrix::Ones(1, 2) * -1, -Vector::Constant(1, 3)));
  auto infeasible = opt.Optimize(Vector::Zero(2));
  ASSERT_TRUE(infeasible);
  EXPECT_EQ(infeasible->status, OptimizationStatus::kInfeasible);
  EXPECT_NE(infeasible->message.find("a_in[0]"), std::string::npos) << infeasible->message;
  EXPECT_EQ(infeasible->x.size(), 0);

  EXPECT_FALSE(opt.Optimize(Vector::Zero(3)));
  EXPECT_FALSE(opt.AddInequalityMatrixConstraint(Matrix::Ones(1, 3), Vector::Ones(1)));
  EXPECT_FALSE(opt.SetBounds(1.0, 0.0));
  EXPECT_FALSE(opt.SetMinObjective({}));
  GeneralOptimizer no_objective(2);
  EXPECT_FALSE(no_objective.Optimize(Vector::Zero(2)));

  // A gradient of the wrong size and a throwing function are Errors naming the function.
  GeneralOptimizer wrong(2);
  ASSERT_TRUE(
      wrong.SetMinObjective({[](const Vector& x) { return x.sum(); },
                             [](const Vector&) { return Vector(Vector::Ones(3)); }, "wrong"}));
  auto gradient = wrong.Optimize(Vector::Zero(2));
  ASSERT_FALSE(gradient);
  EXPECT_NE(gradient.error().message().find("gradient of 'wrong' has 3 entries"),
            std::string::npos);
  GeneralOptimizer throwing(1);
  ASSERT_TRUE(throwing.SetMinObjective(
      {[](const Vector&) -> double { throw std::runtime_error("boom"); }, {}, "bad"}));
  auto thrown = throwing.Optimize(Vector::Zero(1));
  ASSERT_FALSE(thrown);
  EXPECT_NE(thrown.error().message().find("'bad' threw: boom"), std::string::npos);
}

TEST(GeneralOptimizer, ReportsNumericalTroubleForNonFiniteValues) {
  GeneralOptimizer opt(1);
  ASSERT_TRUE(opt.SetMinObjective({[](const Vector& x) { return std::log(x[0]); }}));
  ASSERT_TRUE(opt.SetBounds(-1.0, 1.0));
  auto result = opt.Optimize(Vector::Constant(1, -0.5));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, OptimizationStatus::kNumericalError) << result->message;
  EXPECT_EQ(result->x.size(), 0);
}

TEST(GeneralOptimizer, DefaultOptionsAreValid) {
  GeneralOptimizerOptions options;
  EXPECT_TRUE(options.Validate());
  options.finite_difference_step = 0.0;
  EXPECT_FALSE(options.Validate());
}

}  // namespace
}  // namespace pfopt::scenario
