#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>

#include "pfopt/solve/qp.h"
#include "support/reference_data.h"

namespace pfopt {
namespace {

// ---------------------------------------------------------------------------------------------
// Helpers.

// Random strictly convex or semidefinite P = F F' / k + diag(d).
Matrix RandomCovariance(std::mt19937& rng, Index n, Index factors, double ridge) {
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform(0.01, 0.05);
  Matrix f(n, factors);
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < factors; ++j) f(i, j) = normal(rng);
  Matrix p = f * f.transpose() / static_cast<double>(std::max<Index>(factors, 1));
  for (Index i = 0; i < n; ++i) p(i, i) += ridge * uniform(rng);
  return p;
}

// Checks the KKT conditions of `solution` for `problem` with the public residual function and
// returns them; each must be small relative to the data.
void ExpectKkt(const QpProblem& problem, const QpSolution& solution, double tolerance,
               const std::string& what = "") {
  const KktResiduals r = ComputeKktResiduals(problem, solution);
  const double scale =
      std::max({1.0, problem.q.cwiseAbs().maxCoeff(),
                problem.P.size() ? (problem.P * solution.x).cwiseAbs().maxCoeff() : 0.0});
  EXPECT_LE(r.primal, tolerance) << what;
  EXPECT_LE(r.dual, tolerance * scale) << what;
  EXPECT_LE(r.complementarity, tolerance * scale) << what;
  EXPECT_LE(r.dual_sign, tolerance * scale) << what;
}

// Verifies a Farkas certificate of infeasibility: sum of the (sign-respecting) multipliers
// times the constraint rows is 0, and the same combination of right-hand sides is negative.
void ExpectValidCertificate(const QpProblem& problem, const QpSolution& solution) {
  const Index n = problem.q.size();
  ASSERT_EQ(solution.certificate_bounds.size(), n);
  Vector combination = solution.certificate_bounds;
  double rhs = 0.0;
  for (Index i = 0; i < n; ++i) {
    const double w = solution.certificate_bounds[i];
    if (w > 0.0) {
      ASSERT_TRUE(problem.ub.size() && std::isfinite(problem.ub[i]));
      rhs += w * problem.ub[i];
    } else if (w < 0.0) {
      ASSERT_TRUE(problem.lb.size() && std::isfinite(problem.lb[i]));
      rhs += w * problem.lb[i];
    }
  }
  if (problem.A.rows() > 0) {
    combination.noalias() += problem.A.transpose() * solution.certificate_y;
    rhs += problem.b.dot(solution.certificate_y);
  }
  if (problem.G.rows() > 0) {
    EXPECT_GE(solution.certificate_z.minCoeff(), 0.0);
    combination.noalias() += problem.G.transpose() * solution.certificate_z;
    rhs += problem.h.dot(solution.certificate_z);
  }
  EXPECT_LT(combination.cwiseAbs().maxCoeff(), 1e-9);
  EXPECT_LT(rhs, -1e-9);
}

// Independent reference for small problems: enumerate every working set (each bound free, at
// its lower or at its upper value; each inequality inactive or active), solve the KKT system of
// each by a dense LU, keep the points that are feasible with correctly signed multipliers.
// For a strictly convex problem exactly that point is the solution.
std::optional<Vector> EnumerateKktPoint(const QpProblem& qp) {
  const Index n = qp.q.size();
  const Index m_eq = qp.A.rows();
  const Index m_in = qp.G.rows();
  Index combos = 1;
  for (Index i = 0; i < n; ++i) combos *= 3;
  for (Index i = 0; i < m_in; ++i) combos *= 2;
  std::optional<Vector> best;
  double best_objective = kInfinity;
  for (Index code = 0; code < combos; ++code) {
    Index rest = code;
    std::vector<int> bound_state(static_cast<std::size_t>(n));
    std::vector<int> ineq_state(static_cast<std::size_t>(m_in));
    bool skip = false;
    for (Index i = 0; i < n; ++i) {
      bound_state[static_cast<std::size_t>(i)] = static_cast<int>(rest % 3);
      rest /= 3;
      if (bound_state[static_cast<std::size_t>(i)] == 1 && !std::isfinite(qp.lb[i])) skip = true;
      if (bound_state[static_cast<std::size_t>(i)] == 2 && !std::isfinite(qp.ub[i])) skip = true;
    }
    for (Index r = 0; r < m_in; ++r) {
      ineq_state[static_cast<std::size_t>(r)] = static_cast<int>(rest % 2);
      rest /= 2;
    }
    if (skip) continue;
    // Rows held at equality.
    std::vector<Vector> rows;
    std::vector<double> rhs;
    std::vector<int> sign;  // 0 free, +1 must be >= 0, -1 must be <= 0
    for (Index r = 0; r < m_eq; ++r) {
      rows.push_back(qp.A.row(r).transpose());
      rhs.push_back(qp.b[r]);
      sign.push_back(0);
    }
    for (Index r = 0; r < m_in; ++r) {
      if (ineq_state[static_cast<std::size_t>(r)] == 1) {
        rows.push_back(qp.G.row(r).transpose());
        rhs.push_back(qp.h[r]);
        sign.push_back(1);
      }
    }
    for (Index i = 0; i < n; ++i) {
      const int s = bound_state[static_cast<std::size_t>(i)];
      if (s == 0) continue;
      rows.push_back(Vector::Unit(n, i));
      rhs.push_back(s == 1 ? qp.lb[i] : qp.ub[i]);
      sign.push_back(s == 1 ? -1 : 1);
    }
    const Index k = static_cast<Index>(rows.size());
    if (k > n) continue;
    Matrix kkt = Matrix::Zero(n + k, n + k);
    Vector b = Vector::Zero(n + k);
    kkt.topLeftCorner(n, n) = qp.P;
    b.head(n) = -qp.q;
    for (Index j = 0; j < k; ++j) {
      kkt.block(0, n + j, n, 1) = rows[static_cast<std::size_t>(j)];
      kkt.block(n + j, 0, 1, n) = rows[static_cast<std::size_t>(j)].transpose();
      b[n + j] = rhs[static_cast<std::size_t>(j)];
    }
    Eigen::FullPivLU<Matrix> lu(kkt);
    if (lu.rank() < n + k) continue;
    const Vector sol = lu.solve(b);
    const Vector x = sol.head(n);
    bool ok = true;
    for (Index j = 0; j < k && ok; ++j) {
      const double l = sol[n + j];
      const int s = sign[static_cast<std::size_t>(j)];
      if (s == 1 && l < -1e-9) ok = false;
      if (s == -1 && l > 1e-9) ok = false;
    }
    for (Index i = 0; i < n && ok; ++i) {
      if (x[i] < qp.lb[i] - 1e-9 || x[i] > qp.ub[i] + 1e-9) ok = false;
    }
    for (Index r = 0; r < m_in && ok; ++r) {
      if (qp.G.row(r).dot(x) > qp.h[r] + 1e-9) ok = false;
    }
    if (!ok) continue;
    const double objective = 0.5 * x.dot(qp.P * x) + qp.q.dot(x);
    if (objective < best_objective) {
      best_objective = objective;
      best = x;
    }
  }
  return best;
}

Matrix ReadMatrixCsv(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::vector<double>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<double> row;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) row.push_back(std::stod(cell));
    rows.push_back(row);
  }
  Matrix m(static_cast<Index>(rows.size()), rows.empty() ? 0 : static_cast<Index>(rows[0].size()));
  for (Index i = 0; i < m.rows(); ++i)
    for (Index j = 0; j < m.cols(); ++j)
      m(i, j) = rows[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
  return m;
}

QpProblem LongOnlyMinVariance(const Matrix& sigma) {
  const Index n = sigma.rows();
  QpProblem qp;
  qp.P = sigma;
  qp.q = Vector::Zero(n);
  qp.A = Matrix::Ones(1, n);
  qp.b = Vector::Ones(1);
  qp.lb = Vector::Zero(n);
  qp.ub = Vector::Ones(n);
  return qp;
}

// ---------------------------------------------------------------------------------------------
// Options and validation.

TEST(QpOptions, DefaultsAreValid) { EXPECT_TRUE(QpOptions().Validate()); }

TEST(QpOptions, InvalidValuesAreNamed) {
  QpOptions options;
  options.primal_tolerance = -1.0;
  auto status = options.Validate();
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message().find("primal_tolerance"), std::string::npos);
  options = QpOptions();
  options.max_proximal_iterations = 0;
  EXPECT_FALSE(options.Validate());
  options = QpOptions();
  options.time_limit_seconds = std::nan("");
  EXPECT_FALSE(options.Validate());
}

TEST(QpProblem, RejectsMalformedInput) {
  QpProblem qp = LongOnlyMinVariance(Matrix::Identity(3, 3));
  EXPECT_TRUE(qp.Validate());

  QpProblem bad = qp;
  bad.P(0, 1) = std::nan("");
  auto status = bad.Validate();
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message().find("P(0,1)"), std::string::npos);

  bad = qp;
  bad.P(0, 1) = 0.5;  // not symmetric
  status = bad.Validate();
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message().find("not symmetric"), std::string::npos);

  bad = qp;
  bad.P(2, 2) = -1.0;
  EXPECT_FALSE(bad.Validate());

  bad = qp;
  bad.q = Vector::Zero(4);
  status = bad.Validate();
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code(), ErrorCode::kDimensionMismatch);

  bad = qp;
  bad.lb[1] = 2.0;  // > ub
  status = bad.Validate();
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message().find("greater than ub(1)"), std::string::npos);

  bad = qp;
  bad.b = Vector::Ones(2);
  EXPECT_FALSE(bad.Validate());

  bad = qp;
  bad.q = Vector();
  EXPECT_FALSE(bad.Validate());
}

TEST(DenseQpSolver, RejectsIndefiniteP) {
  QpProblem qp;
  qp.P = Matrix::Identity(2, 2);
  qp.P(0, 1) = qp.P(1, 0) = 2.0;  // eigenvalues 3 and -1
  qp.q = Vector::Zero(2);
  DenseQpSolver solver;
  auto status = solver.Setup(qp);
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message().find("positive semidefinite"), std::string::npos);
}

TEST(DenseQpSolver, SolveBeforeSetupIsAnError) {
  DenseQpSolver solver;
  QpSolution solution;
  QpSummary summary;
  EXPECT_FALSE(solver.Solve(&solution, &summary));
}

// ---------------------------------------------------------------------------------------------
// Optimal solutions.

TEST(DenseQp, SolvesSmallProblemWithKnownSolution) {
  // min (x - 1)^2 + (y - 2)^2  s.t.  x + y = 1, x >= 0.2  ->  x = 0.2? No: unconstrained on the
  // line gives x = 0, y = 1, which violates x >= 0.2, so x = 0.2, y = 0.8.
  QpProblem qp;
  qp.P = 2.0 * Matrix::Identity(2, 2);
  qp.q = Vector(2);
  qp.q << -2.0, -4.0;
  qp.A = Matrix::Ones(1, 2);
  qp.b = Vector::Ones(1);
  qp.lb = Vector::Constant(2, 0.2);
  QpSummary summary;
  auto solution = SolveQp(qp, {}, &summary);
  ASSERT_TRUE(solution) << solution.error().ToString();
  ASSERT_EQ(summary.status, QpStatus::kOptimal) << summary.BriefReport();
  EXPECT_NEAR(solution->x[0], 0.2, 1e-14);
  EXPECT_NEAR(solution->x[1], 0.8, 1e-14);
  // Multipliers: 2(y - 2) + y_eq = 0 -> y_eq = 2.4; 2(x - 1) + y_eq + z_lb = 0 -> z_lb = -0.8.
  EXPECT_NEAR(solution->y[0], 2.4, 1e-13);
  EXPECT_NEAR(solution->z_bounds[0], -0.8, 1e-13);
  EXPECT_NEAR(summary.objective, 0.64 + 1.44 - 5.0, 1e-13);
  ExpectKkt(qp, *solution, 1e-12);
}

TEST(DenseQp, MatchesEnumeratedKktPointOnRandomSmallProblems) {
  std::mt19937 rng(20261121);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  int solved = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const Index n = 2 + trial % 4;
    QpProblem qp;
    qp.P = RandomCovariance(rng, n, 1 + trial % n, 1.0);
    qp.q = Vector::NullaryExpr(n, [&] { return uniform(rng); });
    if (trial % 3 != 0) {
      qp.A = Matrix::Ones(1, n);
      qp.b = Vector::Constant(1, 1.0);
    }
    const Index m_in = trial % 3;
    qp.G = Matrix::NullaryExpr(m_in, n, [&] { return uniform(rng); });
    qp.h = Vector::NullaryExpr(m_in, [&] { return 0.5 + uniform(rng); });
    qp.lb = Vector::NullaryExpr(
        n, [&] { return trial % 5 == 0 ? -kInfinity : -0.5 + 0.4 * uniform(rng); });
    qp.ub = Vector::NullaryExpr(
        n, [&] { return trial % 7 == 0 ? kInfinity : 0.8 + 0.3 * uniform(rng); });
    const std::optional<Vector> expected = EnumerateKktPoint(qp);
    QpSummary summary;
    auto solution = SolveQp(qp, {}, &summary);
    ASSERT_TRUE(solution) << solution.error().ToString();
    if (!expected) {
      EXPECT_EQ(summary.status, QpStatus::kPrimalInfeasible)
          << "trial " << trial << " " << summary.BriefReport() << "\nP=" << qp.P
          << "\nq=" << qp.q.transpose() << "\nA=" << qp.A << "\nG=" << qp.G
          << "\nh=" << qp.h.transpose() << "\nlb=" << qp.lb.transpose()
          << "\nub=" << qp.ub.transpose() << "\nx=" << solution->x.transpose();
      if (summary.status == QpStatus::kPrimalInfeasible) ExpectValidCertificate(qp, *solution);
      continue;
    }
    ++solved;
    ASSERT_EQ(summary.status, QpStatus::kOptimal)
        << "trial " << trial << ": " << summary.BriefReport();
    EXPECT_LT((solution->x - *expected).cwiseAbs().maxCoeff(), 1e-9) << "trial " << trial;
    ExpectKkt(qp, *solution, 1e-11, "trial " + std::to_string(trial));
  }
  EXPECT_GT(solved, 200);  // most random cases are feasible; the comparison really ran
}

TEST(DenseQp, SatisfiesKktOnRandomPortfolioProblemsUpTo200Assets) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (Index n : {5, 20, 60, 200}) {
    for (int variant = 0; variant < 4; ++variant) {
      QpProblem qp = LongOnlyMinVariance(RandomCovariance(rng, n, n / 2 + 1, 1.0));
      const Vector mu = Vector::NullaryExpr(n, [&] { return 0.05 + 0.2 * uniform(rng); });
      qp.q = -mu / 2.0;  // utility
      if (variant >= 1) qp.ub.setConstant(3.0 / static_cast<double>(n) + 0.05);
      if (variant >= 2) {  // sector caps on three interleaved sectors
        qp.G = Matrix::Zero(3, n);
        for (Index i = 0; i < n; ++i) qp.G(i % 3, i) = 1.0;
        qp.h = Vector::Constant(3, 0.4);
      }
      if (variant == 3) qp.lb.setConstant(-0.1);
      QpSummary summary;
      auto solution = SolveQp(qp, {}, &summary);
      ASSERT_TRUE(solution);
      ASSERT_EQ(summary.status, QpStatus::kOptimal)
          << "n " << n << " variant " << variant << ": " << summary.BriefReport();
      ExpectKkt(qp, *solution, 1e-10, "n " + std::to_string(n));
    }
  }
}

TEST(DenseQp, HandlesManyMoreInequalitiesThanVariables) {
  // 40 random half-spaces around a 4-variable problem: most rows are inactive, several bind.
  std::mt19937 rng(5);
  std::normal_distribution<double> normal;
  for (int trial = 0; trial < 20; ++trial) {
    QpProblem qp;
    qp.P = RandomCovariance(rng, 4, 2, 1.0);
    qp.q = Vector::NullaryExpr(4, [&] { return normal(rng); });
    qp.G = Matrix::NullaryExpr(40, 4, [&] { return normal(rng); });
    qp.h = Vector::Constant(40, 0.3);  // x = 0 is strictly feasible
    qp.lb = Vector::Constant(4, -2.0);
    qp.ub = Vector::Constant(4, 2.0);
    QpSummary summary;
    auto solution = SolveQp(qp, {}, &summary);
    ASSERT_TRUE(solution);
    ASSERT_EQ(summary.status, QpStatus::kOptimal) << summary.BriefReport();
    ExpectKkt(qp, *solution, 1e-11, "trial " + std::to_string(trial));
  }
}

TEST(DenseQp, MatchesQuadprogOnBenchmarkMinVarianceProblems) {
  for (int n : {10, 50, 100}) {
    const Matrix sigma =
        ReadMatrixCsv(testing::SourcePath("tests/data/bench/cov_n" + std::to_string(n) + ".csv"));
    const Matrix weights = ReadMatrixCsv(testing::SourcePath(
        "tests/data/bench/quadprog_minvar_weights_n" + std::to_string(n) + ".csv"));
    ASSERT_EQ(sigma.rows(), n);
    ASSERT_EQ(weights.rows(), n);
    QpProblem qp = LongOnlyMinVariance(sigma);
    QpSummary summary;
    auto solution = SolveQp(qp, {}, &summary);
    ASSERT_TRUE(solution);
    ASSERT_EQ(summary.status, QpStatus::kOptimal) << summary.BriefReport();
    EXPECT_LT((solution->x - weights.col(0)).cwiseAbs().maxCoeff(), 1e-10) << "n " << n;
    const double ours = solution->x.dot(sigma * solution->x);
    const double theirs = weights.col(0).dot(sigma * weights.col(0));
    EXPECT_LE(ours, theirs * (1.0 + 1e-12)) << "n " << n;
    ExpectKkt(qp, *solution, 1e-12, "n " + std::to_string(n));
  }
}

TEST(DenseQp, SolvesLinearProgram) {
  // max mu'x, sum x = 1, 0 <= x <= 0.4: fill the best assets greedily.
  QpProblem qp;
  qp.q = Vector(5);
  qp.q << -0.10, -0.30, -0.05, -0.20, -0.25;
  qp.A = Matrix::Ones(1, 5);
  qp.b = Vector::Ones(1);
  qp.lb = Vector::Zero(5);
  qp.ub = Vector::Constant(5, 0.4);
  QpSummary summary;
  auto solution = SolveQp(qp, {}, &summary);
  ASSERT_TRUE(solution);
  ASSERT_EQ(summary.status, QpStatus::kOptimal) << summary.BriefReport();
  Vector expected(5);
  expected << 0.0, 0.4, 0.0, 0.2, 0.4;
  EXPECT_LT((solution->x - expected).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_TRUE(summary.regularized);
  ExpectKkt(qp, *solution, 1e-10);
}

TEST(DenseQp, HandlesDuplicateAssetsWithSingularP) {
  std::mt19937 rng(3);
  const Matrix base = RandomCovariance(rng, 4, 2, 1.0);
  Matrix sigma(5, 5);  // asset 4 duplicates asset 1
  Eigen::PermutationMatrix<Eigen::Dynamic> pick(5);
  Matrix embed = Matrix::Zero(5, 4);
  for (Index i = 0; i < 4; ++i) embed(i, i) = 1.0;
  embed(4, 1) = 1.0;
  sigma = embed * base * embed.transpose();
  QpProblem qp = LongOnlyMinVariance(sigma);
  QpSummary summary;
  auto solution = SolveQp(qp, {}, &summary);
  ASSERT_TRUE(solution);
  ASSERT_EQ(summary.status, QpStatus::kOptimal) << summary.BriefReport();
  EXPECT_TRUE(summary.regularized);
  ExpectKkt(qp, *solution, 1e-10);
  // Same minimum variance as without the duplicate.
  QpSummary reduced_summary;
  auto reduced = SolveQp(LongOnlyMinVariance(base), {}, &reduced_summary);
  ASSERT_TRUE(reduced);
  EXPECT_NEAR(summary.objective, reduced_summary.objective, 1e-12);
  EXPECT_NEAR(solution->x[1] + solution->x[4], reduced->x[1], 1e-8);
}

TEST(DenseQp, PutsEverythingInAZeroVarianceAsset) {
  Matrix sigma = Matrix::Zero(3, 3);
  sigma(0, 0) = 0.04;
  sigma(1, 1) = 0.09;
  sigma(0, 1) = sigma(1, 0) = 0.01;
  QpProblem qp = LongOnlyMinVariance(sigma);  // asset 2 is riskless
  QpSummary summary;
  auto solution = SolveQp(qp, {}, &summary);
  ASSERT_TRUE(solution);
  ASSERT_EQ(summary.status, QpStatus::kOptimal) << summary.BriefReport();
  EXPECT_NEAR(solution->x[2], 1.0, 1e-10);
  ExpectKkt(qp, *solution, 1e-10);
}

TEST(DenseQp, SolvesSingleVariable) {
  QpProblem qp = LongOnlyMinVariance(Matrix::Constant(1, 1, 0.04));
  QpSummary summary;
  auto solution = SolveQp(qp, {}, &summary);
  ASSERT_TRUE(solution);
  ASSERT_EQ(summary.status, QpStatus::kOptimal);
  EXPECT_NEAR(solution->x[0], 1.0, 1e-15);
}

TEST(DenseQp, AcceptsRedundantEqualitiesAndFixedVariables) {
  QpProblem qp = LongOnlyMinVariance(Matrix::Identity(3, 3));
  qp.A = Matrix::Ones(2, 3);  // the budget twice
  qp.A.row(1) *= 2.0;
  qp.b = Vector(2);
  qp.b << 1.0, 2.0;
  qp.lb[0] = qp.ub[0] = 0.5;  // fixed
  QpSummary summary;
  auto solution = SolveQp(qp, {}, &summary);
  ASSERT_TRUE(solution);
  ASSERT_EQ(summary.status, QpStatus::kOptimal) << summary.BriefReport();
  EXPECT_NEAR(solution->x[0], 0.5, 1e-14);
  EXPECT_NEAR(solution->x[1], 0.25, 1e-14);
  EXPECT_NEAR(solution->x[2], 0.25, 1e-14);
  ExpectKkt(qp, *solution, 1e-12);
}

// ---------------------------------------------------------------------------------------------
// Infeasible and unbounded problems.

TEST(DenseQp, DetectsBoundsThatCannotMeetTheBudget) {
  QpProblem qp = LongOnlyMinVariance(Matrix::Identity(3, 3));
  qp.ub.setConstant(0.2);  // at most 0.6 in total, budget 1
  QpSummary summary;
  auto solution = SolveQp(qp, {}, &summary);
  ASSERT_TRUE(solution);
  ASSERT_EQ(summary.status, QpStatus::kPrimalInfeasible) << summary.BriefReport();
  ExpectValidCertificate(qp, *solution);
  // The certificate involves the budget and the upper bounds.
  EXPECT_NE(solution->certificate_y[0], 0.0);
  EXPECT_GT(solution->certificate_bounds.maxCoeff(), 0.0);
}

TEST(DenseQp, DetectsInconsistentEqualities) {
  QpProblem qp = LongOnlyMinVariance(Matrix::Identity(2, 2));
  qp.A = Matrix::Ones(2, 2);
  qp.b = Vector(2);
  qp.b << 1.0, 0.5;
  QpSummary summary;
  auto solution = SolveQp(qp, {}, &summary);
  ASSERT_TRUE(solution);
  ASSERT_EQ(summary.status, QpStatus::kPrimalInfeasible);
  ExpectValidCertificate(qp, *solution);
  EXPECT_NE(summary.message.find("equality"), std::string::npos);
}

TEST(DenseQp, DetectsConflictingInequalities) {
  QpProblem qp;
  qp.P = Matrix::Identity(2, 2);
  qp.q = Vector::Zero(2);
  qp.G = Matrix(2, 2);
  qp.G << 1, 1,  //
      -1, -1;
  qp.h = Vector(2);
  qp.h << 0.5, -1.0;  // x1 + x2 <= 0.5 and x1 + x2 >= 1
  QpSummary summary;
  auto solution = SolveQp(qp, {}, &summary);
  ASSERT_TRUE(solution);
  ASSERT_EQ(summary.status, QpStatus::kPrimalInfeasible) << summary.BriefReport();
  ExpectValidCertificate(qp, *solution);
}

TEST(DenseQp, DetectsUnboundedLinearProgram) {
  QpProblem qp;
  qp.q = Vector(2);
  qp.q << -1.0, 0.0;
  qp.lb = Vector::Zero(2);
  qp.ub = Vector(2);
  qp.ub << kInfinity, 1.0;
  QpSummary summary;
  auto solution = SolveQp(qp, {}, &summary);
  ASSERT_TRUE(solution);
  EXPECT_EQ(summary.status, QpStatus::kDualInfeasible) << summary.BriefReport();
}

TEST(DenseQp, DetectsUnboundedDirectionOfZeroCurvature) {
  QpProblem qp;
  qp.P = Matrix::Zero(2, 2);
  qp.P(0, 0) = 1.0;
  qp.q = Vector(2);
  qp.q << 0.0, -1.0;
  qp.G = Matrix(1, 2);
  qp.G << 1.0, -1.0;  // x1 - x2 <= 1 does not stop x2 from growing
  qp.h = Vector::Ones(1);
  QpSummary summary;
  auto solution = SolveQp(qp, {}, &summary);
  ASSERT_TRUE(solution);
  EXPECT_EQ(summary.status, QpStatus::kDualInfeasible) << summary.BriefReport();
}

TEST(DenseQp, ReportsIterationLimit) {
  std::mt19937 rng(1);
  QpProblem qp = LongOnlyMinVariance(RandomCovariance(rng, 40, 20, 1.0));
  QpOptions options;
  options.max_iterations = 2;
  QpSummary summary;
  auto solution = SolveQp(qp, options, &summary);
  ASSERT_TRUE(solution);
  EXPECT_EQ(summary.status, QpStatus::kMaxIterations);
  EXPECT_EQ(summary.iterations, 2);
}

// ---------------------------------------------------------------------------------------------
// Warm starts.

TEST(DenseQpSolver, WarmStartReproducesColdSolutionWithFewerIterations) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> uniform(0.0, 0.3);
  const Index n = 80;
  QpProblem qp = LongOnlyMinVariance(RandomCovariance(rng, n, 40, 1.0));
  const Vector mu = Vector::NullaryExpr(n, [&] { return uniform(rng); });
  DenseQpSolver solver;
  ASSERT_TRUE(solver.Setup(qp));
  QpSolution first;
  QpSummary first_summary;
  ASSERT_TRUE(solver.Solve(&first, &first_summary));
  ASSERT_EQ(first_summary.status, QpStatus::kOptimal);

  // A nearby problem (small utility term), solved warm and cold.
  const Vector q2 = -0.01 * mu;
  ASSERT_TRUE(solver.UpdateLinearTerm(q2));
  QpSolution warm;
  QpSummary warm_summary;
  ASSERT_TRUE(solver.Solve(&warm, &warm_summary));
  qp.q = q2;
  QpSummary cold_summary;
  auto cold = SolveQp(qp, {}, &cold_summary);
  ASSERT_TRUE(cold);
  ASSERT_EQ(warm_summary.status, QpStatus::kOptimal);
  EXPECT_LT((warm.x - cold->x).cwiseAbs().maxCoeff(), 1e-11);
  int differences = 0;
  for (Index i = 0; i < n; ++i) {
    const bool was_active = first.x[i] <= 1e-12;
    const bool is_active = cold->x[i] <= 1e-12;
    differences += was_active != is_active ? 1 : 0;
  }
  // The warm solve only has to add or drop the constraints whose status changed.
  EXPECT_GT(differences, 0);
  EXPECT_LE(warm_summary.iterations, differences + 4)
      << "warm " << warm_summary.iterations << ", changes " << differences;
  EXPECT_LT(warm_summary.iterations, cold_summary.iterations)
      << "warm " << warm_summary.iterations << " cold " << cold_summary.iterations;
}

}  // namespace
}  // namespace pfopt
