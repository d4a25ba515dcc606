#include "pfopt/scenario/scenario_data.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <string>

#include "scenario/format.h"

namespace pfopt::scenario {

namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Adds the sample covariance (ddof = 1) of the rows of `returns` (trials x assets) to *sum.
void AddSampleCovariance(const RowMatrix& returns, Matrix* sum) {
  const Index trials = returns.rows();
  const Eigen::RowVectorXd mean = returns.colwise().mean();
  Matrix centered = returns.rowwise() - mean;
  Matrix block = Matrix::Zero(returns.cols(), returns.cols());
  block.selfadjointView<Eigen::Lower>().rankUpdate(centered.transpose(),
                                                   1.0 / static_cast<double>(trials - 1));
  block.triangularView<Eigen::StrictlyUpper>() = block.transpose();
  *sum += block;
}

// One pass over the cube: the cumulative returns over all periods, the partial product at
// `partial_periods` (0 = not needed) and, when `time_unit` > 0, the sum of the yearly-block
// covariances.
struct CubePass {
  Matrix cumulative;
  Matrix partial;
  Matrix covariance_sum;
  Index blocks = 0;
};

CubePass RunCubePass(const ScenarioCube& cube, Index partial_periods, int time_unit) {
  const Index trials = cube.num_trials(), assets = cube.num_assets();
  RowMatrix growth = RowMatrix::Ones(trials, assets);
  RowMatrix block_growth;
  CubePass pass;
  if (time_unit > 0) {
    block_growth = RowMatrix::Ones(trials, assets);
    pass.covariance_sum = Matrix::Zero(assets, assets);
  }
  for (Index t = 0; t < cube.num_periods(); ++t) {
    const PeriodBlock r = cube.Period(t);
    growth.array() *= (1.0 + r.array());
    if (time_unit > 0) {
      block_growth.array() *= (1.0 + r.array());
      if ((t + 1) % time_unit == 0) {
        block_growth.array() -= 1.0;
        AddSampleCovariance(block_growth, &pass.covariance_sum);
        ++pass.blocks;
        block_growth.setOnes();
      }
    }
    if (t + 1 == partial_periods) pass.partial = growth.array() - 1.0;
  }
  pass.cumulative = growth.array() - 1.0;
  return pass;
}

}  // namespace

Status ScenarioDataOptions::Validate() const {
  if (time_unit < 1) {
    return InvalidArgument("time_unit is " + std::to_string(time_unit) +
                               "; it must be a positive number of periods per year",
                           "time_unit");
  }
  if (cvar_cube != nullptr && cvar_cube->empty()) {
    return InvalidArgument("cvar_cube is empty", "cvar_cube");
  }
  return Ok();
}

Matrix RepairCovariance(const MatrixRef& covariance, bool* repaired, double* min_eigenvalue) {
  const Index n = covariance.rows();
  const double asymmetry =
      n == 0 ? 0.0 : (covariance - covariance.transpose()).cwiseAbs().maxCoeff();
  Eigen::SelfAdjointEigenSolver<Matrix> eigen(covariance, Eigen::EigenvaluesOnly);
  const double smallest = n == 0 ? 0.0 : eigen.eigenvalues().minCoeff();
  if (min_eigenvalue != nullptr) *min_eigenvalue = smallest;
  if (repaired != nullptr) *repaired = false;
  if (asymmetry <= 1e-12 && smallest >= -1e-12) return covariance;
  if (repaired != nullptr) *repaired = true;
  // To a correlation matrix, clip the eigenvalues, back to unit diagonal, back to covariance.
  const Vector deviation = covariance.diagonal().cwiseMax(0.0).cwiseSqrt();
  Vector inverse = Vector::Zero(n);
  for (Index i = 0; i < n; ++i) inverse[i] = deviation[i] > 0.0 ? 1.0 / deviation[i] : 0.0;
  Matrix correlation = inverse.asDiagonal() * covariance * inverse.asDiagonal();
  correlation = 0.5 * (correlation + correlation.transpose()).eval();
  Eigen::SelfAdjointEigenSolver<Matrix> decomposition(correlation);
  const Vector clipped = decomposition.eigenvalues().cwiseMax(1e-15);
  Matrix fixed = decomposition.eigenvectors() * clipped.asDiagonal() *
                 decomposition.eigenvectors().transpose();
  const Vector scale = fixed.diagonal().cwiseMax(1e-300).cwiseSqrt().cwiseInverse();
  fixed = scale.asDiagonal() * fixed * scale.asDiagonal();
  Matrix result = deviation.asDiagonal() * fixed * deviation.asDiagonal();
  return 0.5 * (result + result.transpose());
}

Result<Matrix> YearlyBlockCovariance(const ScenarioCube& cube, int time_unit, bool* repaired,
                                     double* min_eigenvalue) {
  if (time_unit < 1) {
    return InvalidArgument("time_unit is " + std::to_string(time_unit) + "; it must be >= 1",
                           "time_unit");
  }
  if (cube.num_trials() < 2) {
    return InvalidArgument("the covariance needs at least 2 trials, the cube has " +
                           std::to_string(cube.num_trials()));
  }
  if (cube.num_periods() % time_unit != 0) {
    return InvalidArgument("the cube has " + std::to_string(cube.num_periods()) +
                               " periods, not a whole number of years of " +
                               std::to_string(time_unit) +
                               " periods; the yearly-block covariance needs whole years (give "
                               "the covariance, or cut the cube)",
                           "time_unit");
  }
  CubePass pass = RunCubePass(cube, 0, time_unit);
  Matrix mean = pass.covariance_sum / static_cast<double>(pass.blocks);
  return RepairCovariance(mean, repaired, min_eigenvalue);
}

Result<ScenarioData> ScenarioData::Create(ScenarioCube cube, const ScenarioDataOptions& options) {
  return Create(std::make_shared<const ScenarioCube>(std::move(cube)), options);
}

Result<ScenarioData> ScenarioData::Create(std::shared_ptr<const ScenarioCube> cube,
                                          const ScenarioDataOptions& options) {
  if (cube == nullptr || cube->empty()) return InvalidArgument("the scenario cube is empty");
  PFOPT_RETURN_IF_ERROR(options.Validate());
  const Index assets = cube->num_assets();
  const int time_unit = options.time_unit;
  ScenarioData data;
  data.cube_ = cube;
  data.time_unit_ = time_unit;
  data.num_years_ = static_cast<double>(cube->num_periods()) / time_unit;

  const bool estimate = options.covariance.size() == 0;
  if (!estimate) {
    const Matrix& given = options.covariance;
    if (given.rows() != assets || given.cols() != assets) {
      return DimensionMismatch("the covariance override is " + std::to_string(given.rows()) +
                                   " x " + std::to_string(given.cols()) + " but the cube has " +
                                   std::to_string(assets) + " assets",
                               "covariance");
    }
    if (!given.allFinite()) return InvalidArgument("the covariance has non-finite entries");
    for (Index i = 0; i < assets; ++i) {
      if (given(i, i) < 0.0) {
        return InvalidArgument("covariance(" + std::to_string(i) + ", " + std::to_string(i) +
                                   ") = " + internal::FormatNumber(given(i, i)) +
                                   " is a negative variance",
                               "covariance");
      }
      for (Index j = 0; j < i; ++j) {
        const double scale = std::max({1e-300, std::abs(given(i, j)), std::abs(given(j, i))});
        if (std::abs(given(i, j) - given(j, i)) > 1e-10 * scale) {
          return InvalidArgument("the covariance is not symmetric at (" + std::to_string(i) + ", " +
                                     std::to_string(j) + ")",
                                 "covariance");
        }
      }
    }
  } else {
    if (cube->num_trials() < 2) {
      return InvalidArgument("the covariance needs at least 2 trials, the cube has " +
                             std::to_string(cube->num_trials()));
    }
    if (cube->num_periods() % time_unit != 0) {
      return InvalidArgument("the cube has " + std::to_string(cube->num_periods()) +
                                 " periods, not a whole number of years of " +
                                 std::to_string(time_unit) +
                                 " periods; the yearly-block covariance needs whole years (give "
                                 "the covariance, or cut the cube)",
                             "time_unit");
    }
  }

  // CVaR data.
  Index partial = 0;
  if (options.cvar_cube != nullptr) {
    if (options.cvar_cube->num_assets() != assets) {
      return DimensionMismatch("the CVaR cube has " +
                                   std::to_string(options.cvar_cube->num_assets()) +
                                   " assets but the main cube has " + std::to_string(assets),
                               "cvar_cube");
    }
    data.cvar_cube_ = options.cvar_cube;
    data.default_cvar_data_ = false;
    data.cvar_periods_ = options.cvar_cube->num_periods();
  } else {
    data.cvar_cube_ = cube;
    data.cvar_periods_ = std::min<Index>(cube->num_periods(), Index{3} * time_unit);
    partial = data.cvar_periods_;
  }

  CubePass pass = RunCubePass(*cube, partial, estimate ? time_unit : 0);
  data.cumulative_ = std::make_shared<const Matrix>(std::move(pass.cumulative));
  if (options.cvar_cube != nullptr) {
    CubePass cvar_pass = RunCubePass(*options.cvar_cube, 0, 0);
    data.cvar_cumulative_ = std::make_shared<const Matrix>(std::move(cvar_pass.cumulative));
  } else if (partial == cube->num_periods()) {
    data.cvar_cumulative_ = data.cumulative_;
  } else {
    data.cvar_cumulative_ = std::make_shared<const Matrix>(std::move(pass.partial));
  }
  if (estimate) {
    Matrix mean = pass.covariance_sum / static_cast<double>(pass.blocks);
    data.covariance_ = std::make_shared<const Matrix>(
        RepairCovariance(mean, &data.covariance_repaired_, &data.covariance_min_eigenvalue_));
  } else {
    data.covariance_ = std::make_shared<const Matrix>(options.covariance);
  }
  return data;
}

}  // namespace pfopt::scenario
