#include "pfopt/optimize/black_litterman.h"

#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <cmath>
#include <string>
#include <vector>

#include "pfopt/data/returns.h"
#include "pfopt/optimize/performance.h"
#include "support/reference_data.h"

namespace pfopt {
namespace {

using testing::JsonMatrix;
using testing::JsonVector;
using testing::MaxRelativeDifference;
using testing::PypfoptReference;
using testing::Tickers;
using testing::TickerVector;

const nlohmann::json& Bl() { return PypfoptReference()["black_litterman"]; }

Matrix ReferenceCovariance(const std::string& key) {
  return JsonMatrix(PypfoptReference()["risk_models"][key]["values"]);
}

Vector SpyReturns() {
  auto returns = ReturnsFromPrices(testing::SpyPrices());
  EXPECT_TRUE(returns.has_value());
  return returns->values.col(0);
}

Vector MarketCaps() {
  return TickerVector(testing::ReadJsonFile("tests/data/black_litterman/market_caps.json"),
                      Tickers());
}

TEST(BlackLitterman, DefaultOptionsAreValid) { EXPECT_TRUE(BlackLittermanOptions{}.Validate()); }

// market_implied_risk_aversion(SPY prices) with rf 0 and 0.02.
TEST(BlackLitterman, MarketImpliedRiskAversionMatchesPyPortfolioOpt) {
  auto rf0 = MarketImpliedRiskAversion(SpyReturns(), 252.0, 0.0);
  auto rf2 = MarketImpliedRiskAversion(SpyReturns(), 252.0, 0.02);
  ASSERT_TRUE(rf0.has_value() && rf2.has_value());
  EXPECT_NEAR(*rf0, Bl()["market_implied_risk_aversion_rf0"].get<double>(), 1e-12);
  EXPECT_NEAR(*rf2, Bl()["market_implied_risk_aversion_rf0.02"].get<double>(), 1e-12);
}

// market_implied_prior_returns(mcaps, delta(SPY, 0.02), sample_cov, rf = 0.02).
TEST(BlackLitterman, MarketImpliedPriorMatchesPyPortfolioOpt) {
  const double delta = Bl()["market_implied_risk_aversion_rf0.02"].get<double>();
  auto prior = MarketImpliedPrior(MarketCaps(), delta, ReferenceCovariance("sample_cov"), 0.02);
  ASSERT_TRUE(prior.has_value());
  const Vector expected = TickerVector(Bl()["market_implied_prior_delta_rf0.02"], Tickers());
  EXPECT_LE(MaxRelativeDifference(*prior, expected), 1e-14);
}

struct Case {
  std::string key;
  std::string covariance;  // risk_models key
  OmegaMethod omega = OmegaMethod::kProportional;
  Vector confidences;
  double weights_delta = kNaN;  // delta of bl_weights, if the case has weights
};

// Every posterior case of the reference: Omega, posterior returns and covariance; the closed
// form weights and their performance (posterior returns and covariance, rf 0.02) where given.
TEST(BlackLitterman, PosteriorsMatchPyPortfolioOpt) {
  Vector idzorek(4);
  idzorek << 1.0, 1.0, 0.25, 0.25;
  const double delta_spy_rf0 = Bl()["market_implied_risk_aversion_rf0"].get<double>();
  const double delta_spy_rf2 = Bl()["market_implied_risk_aversion_rf0.02"].get<double>();
  const Case cases[] = {
      {"equal_prior_5views_sample_cov", "sample_cov", OmegaMethod::kProportional, {}, 1.0},
      {"ema_prior_all_views_0.1_ledoit_wolf", "ledoit_wolf_constant_variance"},
      {"no_prior_5views_sample_cov_delta_spy",
       "sample_cov",
       OmegaMethod::kProportional,
       {},
       delta_spy_rf0},
      {"market_prior_4views_sample_cov",
       "sample_cov",
       OmegaMethod::kProportional,
       {},
       delta_spy_rf2},
      {"idzorek_market_prior_4views", "sample_cov", OmegaMethod::kIdzorek, idzorek, 1.0},
      {"relative_views_ledoit_wolf_no_prior", "ledoit_wolf_constant_variance"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.key);
    const auto& ref = Bl()[c.key];
    const Matrix sigma = ReferenceCovariance(c.covariance);
    BlackLittermanOptions options;
    options.tau = ref["tau"].get<double>();
    options.omega_method = c.omega;
    options.view_confidences = c.confidences;
    auto posterior = ComputeBlackLittermanPosterior(
        sigma, JsonVector(ref["pi"]), JsonMatrix(ref["P"]), JsonVector(ref["Q"]), options);
    ASSERT_TRUE(posterior.has_value()) << posterior.error().ToString();
    EXPECT_LE((posterior->omega - JsonMatrix(ref["omega"])).cwiseAbs().maxCoeff(), 1e-16);
    const Vector mu = TickerVector(ref["posterior_returns"], Tickers());
    EXPECT_LE((posterior->expected_returns - mu).cwiseAbs().maxCoeff(), 1e-14);
    EXPECT_LE(
        MaxRelativeDifference(posterior->covariance, JsonMatrix(ref["posterior_cov"]["values"])),
        1e-14);
    if (std::isnan(c.weights_delta)) continue;
    auto weights = BlackLittermanWeights(posterior->expected_returns, sigma, c.weights_delta);
    ASSERT_TRUE(weights.has_value());
    const Vector expected = TickerVector(ref["weights_raw"], Tickers());
    EXPECT_LE((*weights - expected).cwiseAbs().maxCoeff(), 1e-12 * expected.cwiseAbs().maxCoeff());
    auto perf =
        ComputePerformance(*weights, posterior->expected_returns, posterior->covariance, 0.02);
    ASSERT_TRUE(perf.has_value());
    const auto& p = ref["performance_rf0.02"];
    EXPECT_NEAR(perf->expected_return, p[0].get<double>(), 1e-12);
    EXPECT_NEAR(perf->volatility, p[1].get<double>(), 1e-12);
    EXPECT_NEAR(perf->sharpe_ratio, p[2].get<double>(), 1e-11);
  }
}

// Idzorek's confidences on a toy (identity covariance, tau 0.05, prior 0.1, views 0.3): the
// posterior moves the share c of the way to the view. PyPortfolioOpt codes c = 0 as
// Omega = 1e6 (posterior 0.10000001); we drop the view (Omega infinite: exactly the prior).
TEST(BlackLitterman, IdzorekConfidenceToy) {
  const Matrix sigma = Matrix::Identity(5, 5);
  const Vector prior = Vector::Constant(5, 0.1);
  const Matrix p = Matrix::Identity(5, 5);
  const Vector q = Vector::Constant(5, 0.3);
  for (const auto& [key, entry] : Bl()["idzorek_identity_toy"].items()) {
    SCOPED_TRACE(key);
    const double c = std::stod(key);
    BlackLittermanOptions options;
    options.omega_method = OmegaMethod::kIdzorek;
    options.view_confidences = Vector::Constant(5, c);
    auto posterior = ComputeBlackLittermanPosterior(sigma, prior, p, q, options);
    ASSERT_TRUE(posterior.has_value());
    const double expected = entry["posterior_0"].get<double>();
    if (c == 0.0) {
      EXPECT_EQ(posterior->expected_returns[0], 0.1);
      EXPECT_TRUE(std::isinf(posterior->omega(0, 0)));
      EXPECT_NEAR(posterior->expected_returns[0], expected, 1e-8);
    } else {
      EXPECT_NEAR(posterior->expected_returns[0], expected, 1e-15);
      EXPECT_NEAR(posterior->omega(0, 0), entry["omega_diag"][0].get<double>(), 1e-16);
    }
  }
}

TEST(BlackLitterman, NoViewsGiveThePrior) {
  const Matrix sigma = ReferenceCovariance("sample_cov");
  const Vector prior = TickerVector(Bl()["market_implied_prior_delta_rf0.02"], Tickers());
  auto posterior = ComputeBlackLittermanPosterior(sigma, prior, Matrix(0, 20), Vector(0));
  ASSERT_TRUE(posterior.has_value());
  EXPECT_EQ(posterior->expected_returns, prior);
  EXPECT_LE(MaxRelativeDifference(posterior->covariance, 1.05 * sigma), 1e-15);
  // And the closed form of the market-implied prior (rf 0) is the market portfolio.
  const double delta = 2.5;
  auto market = MarketImpliedPrior(MarketCaps(), delta, sigma, 0.0);
  auto weights = BlackLittermanWeights(*market, sigma, delta);
  ASSERT_TRUE(weights.has_value());
  EXPECT_LE((*weights - MarketCaps() / MarketCaps().sum()).cwiseAbs().maxCoeff(), 1e-14);
}

TEST(BlackLitterman, ExactViewsHoldAndThePosteriorCovarianceIsPsd) {
  const Matrix sigma = ReferenceCovariance("sample_cov");
  const Vector prior = Vector::Constant(20, 0.08);
  Matrix p = Matrix::Zero(2, 20);
  p(0, 1) = 1.0;  // AAPL
  p(1, 0) = 1.0;  // GOOG - FB
  p(1, 2) = -1.0;
  Vector q(2);
  q << 0.15, 0.03;
  BlackLittermanOptions options;
  options.omega_method = OmegaMethod::kIdzorek;
  options.view_confidences = Vector::Ones(2);
  auto posterior = ComputeBlackLittermanPosterior(sigma, prior, p, q, options);
  ASSERT_TRUE(posterior.has_value());
  EXPECT_LE((p * posterior->expected_returns - q).cwiseAbs().maxCoeff(), 1e-15);
  const Eigen::SelfAdjointEigenSolver<Matrix> eigen(posterior->covariance);
  EXPECT_GT(eigen.eigenvalues().minCoeff(), 0.0);
  EXPECT_EQ(posterior->covariance, posterior->covariance.transpose());
  // The same two exact views twice: the view system is singular; the least-squares answer is
  // the same posterior.
  Matrix p2(4, 20);
  p2 << p, p;
  Vector q2(4);
  q2 << q, q;
  options.view_confidences = Vector::Ones(4);
  auto repeated = ComputeBlackLittermanPosterior(sigma, prior, p2, q2, options);
  ASSERT_TRUE(repeated.has_value());
  EXPECT_LE((repeated->expected_returns - posterior->expected_returns).cwiseAbs().maxCoeff(),
            1e-12);
}

TEST(BlackLitterman, GivenOmega) {
  const Matrix sigma = ReferenceCovariance("sample_cov");
  const auto& ref = Bl()["equal_prior_5views_sample_cov"];
  BlackLittermanOptions options;
  options.omega_method = OmegaMethod::kGiven;
  options.omega = JsonMatrix(ref["omega"]);
  auto posterior = ComputeBlackLittermanPosterior(
      sigma, JsonVector(ref["pi"]), JsonMatrix(ref["P"]), JsonVector(ref["Q"]), options);
  ASSERT_TRUE(posterior.has_value());
  EXPECT_LE((posterior->expected_returns - TickerVector(ref["posterior_returns"], Tickers()))
                .cwiseAbs()
                .maxCoeff(),
            1e-14);
}

// The Casablanca start-up (docs/black_litterman.md) against numpy + cvxopt
// (tests/data/black_litterman/generate_casablanca.py).
TEST(BlackLitterman, CasablancaStartupMatchesIndependentComputation) {
  const nlohmann::json ref =
      testing::ReadJsonFile("tests/data/black_litterman/casablanca_reference.json");
  const nlohmann::json cov = testing::ReadJsonFile("examples/data/casablanca/covariance.json");
  const auto tickers = ref["tickers"].get<std::vector<std::string>>();
  const Index n = static_cast<Index>(tickers.size());
  Matrix sigma(n, n);
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < n; ++j)
      sigma(i, j) = cov[tickers[static_cast<std::size_t>(i)]][tickers[static_cast<std::size_t>(j)]];
  const Vector caps = Vector::Ones(n);
  const Vector w_mkt = caps / caps.sum();
  auto delta = ImpliedRiskAversion(0.0045, w_mkt.dot(sigma * w_mkt), 0.0018);
  ASSERT_TRUE(delta.has_value());
  EXPECT_NEAR(*delta, ref["risk_aversion"].get<double>(), 1e-12 * *delta);
  auto prior = MarketImpliedPrior(caps, *delta, sigma, 0.0018);
  ASSERT_TRUE(prior.has_value());
  EXPECT_LE((*prior - JsonVector(ref["prior"])).cwiseAbs().maxCoeff(), 1e-16);
  Vector q(n);
  q << 0.001, 0, 0, 0, 0, 0, -0.003, -0.001, 0.002, 0.003, 0;
  BlackLittermanOptions options;
  options.omega_method = OmegaMethod::kIdzorek;
  options.view_confidences = Vector::Constant(n, 0.6);
  auto posterior =
      ComputeBlackLittermanPosterior(sigma, *prior, Matrix::Identity(n, n), q, options);
  ASSERT_TRUE(posterior.has_value());
  EXPECT_LE(
      (posterior->expected_returns - JsonVector(ref["posterior_returns"])).cwiseAbs().maxCoeff(),
      1e-17);
  EXPECT_LE(MaxRelativeDifference(posterior->covariance, JsonMatrix(ref["posterior_covariance"])),
            1e-13);
}

TEST(BlackLitterman, RejectsBadInput) {
  const Matrix sigma = Matrix::Identity(3, 3) * 0.04;
  const Vector prior = Vector::Constant(3, 0.05);
  const Matrix p = Matrix::Identity(1, 3);
  const Vector q = Vector::Constant(1, 0.1);
  BlackLittermanOptions options;
  options.tau = 0.0;
  EXPECT_EQ(ComputeBlackLittermanPosterior(sigma, prior, p, q, options).error().field(), "tau");
  options = {};
  options.omega_method = OmegaMethod::kIdzorek;
  options.view_confidences = Vector::Constant(1, 1.5);
  EXPECT_EQ(ComputeBlackLittermanPosterior(sigma, prior, p, q, options).error().field(),
            "view_confidences");
  options.view_confidences = Vector::Constant(2, 0.5);
  EXPECT_EQ(ComputeBlackLittermanPosterior(sigma, prior, p, q, options).error().code(),
            ErrorCode::kDimensionMismatch);
  options = {};
  options.omega_method = OmegaMethod::kGiven;
  options.omega = Matrix::Constant(1, 1, -1.0);
  EXPECT_EQ(ComputeBlackLittermanPosterior(sigma, prior, p, q, options).error().field(), "omega");
  EXPECT_EQ(ComputeBlackLittermanPosterior(sigma, prior, Matrix::Identity(2, 3), q).error().code(),
            ErrorCode::kDimensionMismatch);
  Vector nan_prior = prior;
  nan_prior[1] = kNaN;
  EXPECT_FALSE(ComputeBlackLittermanPosterior(sigma, nan_prior, p, q).has_value());
  EXPECT_FALSE(MarketImpliedRiskAversion(Vector::Constant(1, 0.01)).has_value());
  EXPECT_FALSE(MarketImpliedRiskAversion(Vector::Constant(10, 0.01)).has_value());
  EXPECT_FALSE(ImpliedRiskAversion(0.1, 0.0).has_value());
  EXPECT_FALSE(MarketImpliedPrior(Vector::Zero(3), 2.0, sigma).has_value());
  EXPECT_FALSE(MarketImpliedPrior(-Vector::Ones(3), 2.0, sigma).has_value());
  EXPECT_FALSE(BlackLittermanWeights(prior, Matrix::Zero(3, 3), 1.0).has_value());
  Vector balanced(3);
  balanced << 0.1, -0.1, 0.0;
  EXPECT_FALSE(BlackLittermanWeights(balanced, sigma, 1.0).has_value());
}

}  // namespace
}  // namespace pfopt
