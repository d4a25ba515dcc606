// The data of a scenario optimisation (allopy's `OptData`): a Monte-Carlo cube, its time unit,
// the covariance used by every volatility figure, and the cube used by CVaR figures.
//
// Definitions (docs/scenario.md; allopy 0.4.7 semantics):
// - n_years = periods / time_unit (the horizon of the cube in years).
// - Buy-and-hold cumulative returns G[i, j] = prod_t (1 + R[t, i, j]) - 1, computed once here.
// - Covariance: split time into K = periods / time_unit yearly blocks (periods must be a
//   multiple of time_unit, unless the covariance is given), compound the returns inside each
//   block, take the sample covariance of the assets across trials (ddof = 1) per block and
//   average the K matrices. If the result is not symmetric (atol 1e-12) or has an eigenvalue
//   below -1e-12 it is repaired: to a correlation matrix, eigenvalues clipped at 1e-15,
//   renormalised to a unit diagonal, back to a covariance with the original deviations.
// - CVaR data: by default the first 3 years of the same cube (3 * time_unit periods, or all of
//   them if the cube is shorter); a separate cube may be given instead and is used as is.
//
// A ScenarioData is immutable and cheap to copy (the cubes are shared).
#ifndef PFOPT_SCENARIO_SCENARIO_DATA_H_
#define PFOPT_SCENARIO_SCENARIO_DATA_H_

#include <memory>

#include "pfopt/core/error.h"
#include "pfopt/core/types.h"
#include "pfopt/data/scenario_cube.h"

namespace pfopt::scenario {

struct ScenarioDataOptions {
  // Periods per year (allopy's `time_unit`; see pfopt::ParseTimeUnit for the names). Default
  // 4 (quarterly), the optimisers' default in allopy.
  int time_unit = 4;
  // Covariance override, assets x assets, symmetric with a non-negative diagonal; empty (the
  // default) = the yearly-block covariance of the cube. A given matrix is used as given (no
  // repair), like allopy's `OptData.cov_mat` setter.
  Matrix covariance;
  // The cube for CVaR figures (same number of assets; any number of periods and trials);
  // null (the default) = the first 3 years of the main cube.
  std::shared_ptr<const ScenarioCube> cvar_cube;

  // Checks the fields that do not depend on the cube (time_unit >= 1).
  Status Validate() const;
};

class ScenarioData {
 public:
  // Builds the data: validates the options against the cube, computes G, the covariance and
  // the CVaR data's G. Errors: invalid options, a covariance override of the wrong size or not
  // symmetric, fewer than 2 trials for an estimated covariance, periods not a multiple of
  // time_unit for an estimated covariance, a CVaR cube with another number of assets.
  static Result<ScenarioData> Create(std::shared_ptr<const ScenarioCube> cube,
                                     const ScenarioDataOptions& options = {});
  static Result<ScenarioData> Create(ScenarioCube cube, const ScenarioDataOptions& options = {});

  const ScenarioCube& cube() const { return *cube_; }
  Index num_periods() const { return cube_->num_periods(); }
  Index num_trials() const { return cube_->num_trials(); }
  Index num_assets() const { return cube_->num_assets(); }
  int time_unit() const { return time_unit_; }
  // periods / time_unit.
  double num_years() const { return num_years_; }

  // Sigma (assets x assets), as described above.
  const Matrix& covariance() const { return *covariance_; }
  // Whether the estimated covariance needed the PSD repair, and its smallest eigenvalue before
  // it (NaN for a given covariance).
  bool covariance_repaired() const { return covariance_repaired_; }
  double covariance_min_eigenvalue() const { return covariance_min_eigenvalue_; }

  // G = prod_t (1 + R[t, :, :]) - 1 over all periods: trials x assets.
  const Matrix& cumulative_returns() const { return *cumulative_; }

  // The cube whose first cvar_periods() periods the CVaR figures use, and its G.
  const ScenarioCube& cvar_cube() const { return *cvar_cube_; }
  Index cvar_periods() const { return cvar_periods_; }
  const Matrix& cvar_cumulative_returns() const { return *cvar_cumulative_; }
  // True when the CVaR data is the default (the first years of the main cube).
  bool default_cvar_data() const { return default_cvar_data_; }

 private:
  std::shared_ptr<const ScenarioCube> cube_;
  std::shared_ptr<const ScenarioCube> cvar_cube_;
  std::shared_ptr<const Matrix> covariance_;
  std::shared_ptr<const Matrix> cumulative_;
  std::shared_ptr<const Matrix> cvar_cumulative_;
  int time_unit_ = 4;
  double num_years_ = 0.0;
  Index cvar_periods_ = 0;
  bool covariance_repaired_ = false;
  bool default_cvar_data_ = true;
  double covariance_min_eigenvalue_ = kNaN;
};

// The yearly-block covariance of `cube` (definition above). `repaired` and `min_eigenvalue`
// may be null. Errors: fewer than 2 trials, periods not a multiple of time_unit.
Result<Matrix> YearlyBlockCovariance(const ScenarioCube& cube, int time_unit,
                                     bool* repaired = nullptr, double* min_eigenvalue = nullptr);

// allopy's covariance repair (definition above); returns the input when no repair is needed.
Matrix RepairCovariance(const MatrixRef& covariance, bool* repaired = nullptr,
                        double* min_eigenvalue = nullptr);

}  // namespace pfopt::scenario

#endif  // PFOPT_SCENARIO_SCENARIO_DATA_H_
