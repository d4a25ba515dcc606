// Monte-Carlo scenario cubes and their readers (docs/scenario.md, "Data").
//
// A cube holds simulated simple returns R[t, i, j] per period t, trial (simulation path) i and
// asset j (0.01 = +1 % in that period), as allopy's `OptData` does. Values are stored in C
// order: period, then trial, then asset, so that one period is a contiguous trials x assets
// block.
//
// Files:
// - NumPy `.npy` (format versions 1, 2 and 3): a 3-dimensional array of float64 ('<f8' or
//   '>f8') or float32 ('<f4', '>f4', widened to double), C or Fortran order, shape
//   (periods, trials, assets).
// - Long CSV: a header `period,trial,asset,return`, then one row per value with 0-based integer
//   indices, in any order. Every (period, trial, asset) of the cube must appear exactly once;
//   the sizes are the largest indices + 1.
// Every value must be finite. Errors name the file position (line, or flat index and
// (t, i, j)) and what is wrong.
#ifndef PFOPT_DATA_SCENARIO_CUBE_H_
#define PFOPT_DATA_SCENARIO_CUBE_H_

#include <Eigen/Core>
#include <string>
#include <string_view>
#include <vector>

#include "pfopt/core/error.h"
#include "pfopt/core/types.h"

namespace pfopt {

// A trials x assets block of one period, viewed in place (row-major, no copy).
using PeriodBlock =
    Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;

class ScenarioCube {
 public:
  ScenarioCube() = default;

  // Builds a cube from `values` in C order (size periods * trials * assets). Errors: a size
  // below 1, a value count that does not match, a non-finite value (named by (t, i, j)).
  static Result<ScenarioCube> Create(Index periods, Index trials, Index assets,
                                     std::vector<double> values);

  Index num_periods() const { return periods_; }
  Index num_trials() const { return trials_; }
  Index num_assets() const { return assets_; }
  bool empty() const { return values_.empty(); }

  // R[period, trial, asset]; indices are not checked.
  double operator()(Index period, Index trial, Index asset) const {
    return values_[static_cast<std::size_t>((period * trials_ + trial) * assets_ + asset)];
  }
  // Period `period` as a trials x assets matrix view.
  PeriodBlock Period(Index period) const {
    return PeriodBlock(values_.data() + period * trials_ * assets_, trials_, assets_);
  }
  // All values, C order.
  const std::vector<double>& values() const { return values_; }

  // A new cube of the first `periods` periods (1 <= periods <= num_periods()).
  Result<ScenarioCube> FirstPeriods(Index periods) const;

 private:
  Index periods_ = 0;
  Index trials_ = 0;
  Index assets_ = 0;
  std::vector<double> values_;
};

// Readers. An unreadable file is an Error of code kIoError naming the path; malformed contents
// are kParseError (or kInvalidArgument for non-finite values), naming the position.
Result<ScenarioCube> ParseScenarioCubeNpy(std::string_view bytes);
Result<ScenarioCube> ReadScenarioCubeNpy(const std::string& path);
Result<ScenarioCube> ParseScenarioCubeCsv(std::string_view text);
Result<ScenarioCube> ReadScenarioCubeCsv(const std::string& path);
// By extension: ".npy" or ".csv" (any letter case); anything else is an Error.
Result<ScenarioCube> ReadScenarioCube(const std::string& path);

// Writers: `.npy` version 1.0, '<f8', C order; long CSV with the shortest text that reads back
// as the same double, rows in C order.
std::string FormatScenarioCubeNpy(const ScenarioCube& cube);
Status WriteScenarioCubeNpy(const ScenarioCube& cube, const std::string& path);
std::string FormatScenarioCubeCsv(const ScenarioCube& cube);

// Periods per year from allopy's names (any letter case): monthly / month / m = 12,
// quarterly / quarter / q = 4, semi-annually / semiannually / semi-annual / semiannual /
// half-yearly / s = 2 (allopy maps this name to 6, a bug we do not copy), yearly / annually /
// annual / year / a / y = 1, or a positive integer written in decimal ("4"). Errors list the
// accepted names.
Result<int> ParseTimeUnit(std::string_view text);

}  // namespace pfopt

#endif  // PFOPT_DATA_SCENARIO_CUBE_H_
