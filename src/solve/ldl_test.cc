#include "solve/ldl.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <random>
#include <vector>

namespace pfopt::internal {
namespace {

// Builds S = M M' for random rows M (k x n), factorises it by appending, removes rows in a
// seeded random order, and after each step compares solves with a direct dense solve.
TEST(GrowingLdl, AppendRemoveAndSolveMatchDenseFactorisation) {
  std::mt19937 rng(7);
  std::normal_distribution<double> normal;
  const Index n = 30;
  const Index k = 20;
  Matrix rows(k, n);
  for (Index i = 0; i < k; ++i)
    for (Index j = 0; j < n; ++j) rows(i, j) = normal(rng);

  GrowingLdl ldl;
  std::vector<Index> members;
  auto check = [&](const char* when) {
    const Index m = static_cast<Index>(members.size());
    ASSERT_EQ(ldl.size(), m) << when;
    if (m == 0) return;
    Matrix sub(m, n);
    for (Index i = 0; i < m; ++i) sub.row(i) = rows.row(members[static_cast<std::size_t>(i)]);
    const Matrix s = sub * sub.transpose();
    Vector rhs = Vector::LinSpaced(m, -1.0, 2.0);
    Vector x = rhs;
    ldl.Solve(x.data());
    const Vector expected = s.ldlt().solve(rhs);
    EXPECT_LT((x - expected).cwiseAbs().maxCoeff(), 1e-9 * (1.0 + expected.cwiseAbs().maxCoeff()))
        << when << " size " << m;
  };
  for (Index i = 0; i < k; ++i) {
    Vector column(i);
    for (Index j = 0; j < i; ++j) column[j] = rows.row(j).dot(rows.row(i));
    const double pivot = ldl.Append(column.data(), rows.row(i).squaredNorm());
    EXPECT_GT(pivot, 0.0);
    members.push_back(i);
    check("append");
  }
  while (!members.empty()) {
    const Index at = static_cast<Index>(rng() % members.size());
    ldl.Remove(at);
    members.erase(members.begin() + at);
    check("remove");
  }
}

TEST(GrowingLdl, DependentRowHasZeroPivotAndItsCombinationIsRecovered) {
  Matrix rows(3, 4);
  rows << 1, 0, 2, 0,  //
      0, 1, 1, 1,      //
      2, -3, 1, -3;    // = 2 * row0 - 3 * row1
  GrowingLdl ldl;
  for (Index i = 0; i < 3; ++i) {
    Vector column(i);
    for (Index j = 0; j < i; ++j) column[j] = rows.row(j).dot(rows.row(i));
    const double pivot = ldl.Append(column.data(), rows.row(i).squaredNorm());
    if (i < 2) {
      EXPECT_GT(pivot, 0.5);
    } else {
      EXPECT_NEAR(pivot, 0.0, 1e-12);
    }
  }
  double alpha[2];
  ldl.DependencyOfLastRow(alpha);
  EXPECT_NEAR(alpha[0], 2.0, 1e-12);
  EXPECT_NEAR(alpha[1], -3.0, 1e-12);
  // Removing an independent row makes the remaining pair nonsingular again.
  ldl.Remove(0);
  EXPECT_GT(ldl.Pivot(1), 0.5);
}

}  // namespace
}  // namespace pfopt::internal
