// Risk models: annualised covariance matrices from a history of periodic returns.
//
// Input: T x n periodic returns, oldest first, NaN = missing. Output: n x n annualised
// covariance (multiplied by periods_per_year), checked for positive semidefiniteness and
// repaired if needed (reported in the estimate, never silent).
// Formulas follow PyPortfolioOpt 1.5.6 (docs/estimators.md):
// - SAMPLE: sample covariance, ddof = 1.
// - SEMICOVARIANCE: D = min(R - B, 0) elementwise, D'D / T (B = benchmark return per period).
// - EXP: for each pair, last value of the exponentially weighted mean (span, bias-adjusted) of
//   (x_t - mean x)(y_t - mean y).
// - SHRUNK: delta F + (1 - delta) S with F = (trace S / n) I and a fixed delta.
// - LEDOIT_WOLF: constant-variance target (Ledoit & Wolf 2004), delta = min(beta / d, 1).
// - LEDOIT_WOLF_SINGLE_FACTOR: single-index target (2003), market = cross-sectional mean of the
//   demeaned returns, as PyPortfolioOpt 1.5.6 codes it.
// - LEDOIT_WOLF_CONSTANT_CORRELATION: constant-correlation target (2004).
// - ORACLE_APPROXIMATING: OAS with the shrinkage that scikit-learn < 1.3 and PyPortfolioOpt use,
//   delta = min((a + m^2) / ((T + 1)(a - m^2 / n)), 1), m = trace(S)/n, a = mean(S_ij^2),
//   S the 1/T covariance (docs/estimators.md compares it with Chen et al.'s exact formula).
//
// Missing values (see MissingData): PyPortfolioOpt feeds missing returns to the shrinkage
// estimators and the semicovariance as zeros, which shrinks the variance of a short history.
// We do not by default: those models use the periods where every asset has a return.
// docs/estimators.md gives every formula as implemented, per model and missing-data rule.
#ifndef PFOPT_ESTIMATE_RISK_MODELS_H_
#define PFOPT_ESTIMATE_RISK_MODELS_H_

#include <string>
#include <vector>

#include "pfopt/core/enum_names.h"
#include "pfopt/core/error.h"
#include "pfopt/core/types.h"

namespace pfopt {

enum class RiskModel {
  kSample,
  kSemicovariance,
  kExponential,
  kShrunk,
  kLedoitWolf,
  kLedoitWolfSingleFactor,
  kLedoitWolfConstantCorrelation,
  kOracleApproximating,
};

template <>
struct EnumNames<RiskModel> {
  static constexpr std::array<std::pair<RiskModel, std::string_view>, 8> kNames{
      {{RiskModel::kSample, "SAMPLE"},
       {RiskModel::kSemicovariance, "SEMICOVARIANCE"},
       {RiskModel::kExponential, "EXP"},
       {RiskModel::kShrunk, "SHRUNK"},
       {RiskModel::kLedoitWolf, "LEDOIT_WOLF"},
       {RiskModel::kLedoitWolfSingleFactor, "LEDOIT_WOLF_SINGLE_FACTOR"},
       {RiskModel::kLedoitWolfConstantCorrelation, "LEDOIT_WOLF_CONSTANT_CORRELATION"},
       {RiskModel::kOracleApproximating, "ORACLE_APPROXIMATING"}}};
};

// How missing returns enter a risk model.
enum class MissingData {
  // The model's documented default: PAIRWISE for SAMPLE and EXP, COMPLETE_ROWS for the others.
  kModelDefault,
  // Each pair of assets over the periods where both have a return (SAMPLE, EXP, and the S of
  // SHRUNK). Any other model: an Error.
  kPairwise,
  // Only the periods where every asset has a return.
  kCompleteRows,
  // PyPortfolioOpt's behaviour, for compatibility: all periods are used and a missing return
  // counts as 0 (LEDOIT_WOLF, LEDOIT_WOLF_SINGLE_FACTOR, ORACLE_APPROXIMATING; SAMPLE and EXP
  // zero-filled too). SEMICOVARIANCE: a missing return has no downside (np.fmin(NaN, 0) = 0).
  // SHRUNK and LEDOIT_WOLF_CONSTANT_CORRELATION take the PAIRWISE sample covariance as S, as
  // PyPortfolioOpt does (the latter with zero-filled returns for its asymptotic terms).
  kAsZero,
};

template <>
struct EnumNames<MissingData> {
  static constexpr std::array<std::pair<MissingData, std::string_view>, 4> kNames{
      {{MissingData::kModelDefault, "MODEL_DEFAULT"},
       {MissingData::kPairwise, "PAIRWISE"},
       {MissingData::kCompleteRows, "COMPLETE_ROWS"},
       {MissingData::kAsZero, "AS_ZERO"}}};
};

// Repair of a matrix that is not positive semidefinite.
enum class PsdRepair {
  kSpectral,  // negative eigenvalues set to 0, matrix rebuilt (PyPortfolioOpt's default)
  kDiagonal,  // M - 1.1 * min_eigenvalue * I
  kNone,      // leave it; the estimate reports that it is not PSD
};

template <>
struct EnumNames<PsdRepair> {
  static constexpr std::array<std::pair<PsdRepair, std::string_view>, 3> kNames{
      {{PsdRepair::kSpectral, "SPECTRAL"},
       {PsdRepair::kDiagonal, "DIAGONAL"},
       {PsdRepair::kNone, "NONE"}}};
};

struct RiskModelOptions {
  RiskModel model = RiskModel::kSample;
  // Periods per year f; the covariance is multiplied by f. > 0.
  double periods_per_year = 252.0;
  // SEMICOVARIANCE: benchmark return B per period (decimal). 0 by default; PyPortfolioOpt's
  // default is 0.000079 (about 2 % a year on 252 periods).
  double semicovariance_benchmark = 0.0;
  // EXP: span of the exponential weighting in periods (>= 1).
  double exp_span = 180.0;
  // SHRUNK: fixed shrinkage intensity delta in [0, 1].
  double shrinkage = 0.2;
  MissingData missing = MissingData::kModelDefault;
  PsdRepair repair = PsdRepair::kSpectral;

  Status Validate() const;
};

struct CovarianceEstimate {
  Matrix covariance;             // annualised, n x n, symmetric
  double shrinkage = kNaN;       // delta of the shrinkage models; NaN for the others
  Index periods_used = 0;        // rows that entered the estimate (max over pairs for PAIRWISE)
  bool repaired = false;         // true if the PSD repair changed the matrix
  double min_eigenvalue = kNaN;  // smallest eigenvalue if the PSD check failed, else NaN
  std::vector<std::string> warnings;  // e.g. "covariance was not positive semidefinite ..."
};

// Errors: invalid options; an empty matrix; an infinite value; PAIRWISE asked for a model that
// cannot use it; a pair of assets with fewer than 2 common returns; fewer than 2 complete rows;
// an asset with zero variance where the model divides by it (constant correlation).
Result<CovarianceEstimate> EstimateCovariance(const MatrixRef& returns,
                                              const RiskModelOptions& options = {});

// PSD check and repair as described above. Positive semidefinite means: the Cholesky
// factorisation of M + 1e-16 I succeeds (PyPortfolioOpt's test; only the lower triangle is
// read). `repaired` (optional) is set to whether the matrix was changed, `min_eigenvalue`
// (optional) to the smallest eigenvalue when the check failed (NaN otherwise). The spectral
// repair returns an exactly symmetric matrix.
Matrix RepairNonPositiveSemidefinite(const MatrixRef& matrix, PsdRepair method,
                                     bool* repaired = nullptr, double* min_eigenvalue = nullptr);

// Covariance -> correlation: C_ij = S_ij / sqrt(S_ii S_jj), diagonal exactly 1. The row and
// column of an asset whose variance is not positive are NaN.
Matrix CovarianceToCorrelation(const MatrixRef& covariance);

// Pearson correlation of each pair of assets over the periods where both have a return, with
// means and standard deviations over those same periods (pandas' DataFrame.corr(), which
// PyPortfolioOpt's HRP clusters on). With no missing values it equals CovarianceToCorrelation
// of the sample covariance; with missing values it does not (that divides a pairwise
// covariance by standard deviations over each asset's own history). Diagonal exactly 1.
// Errors: an empty matrix, an infinite value, an asset without returns, a pair with fewer than
// 2 common periods, an asset constant over the periods it shares with another.
Result<Matrix> PairwiseCorrelation(const MatrixRef& returns);

}  // namespace pfopt

#endif  // PFOPT_ESTIMATE_RISK_MODELS_H_
