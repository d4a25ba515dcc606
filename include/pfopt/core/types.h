// Eigen aliases used across the engine's public API. Defined once, here.
//
// Conventions (see docs/conventions.md):
// - Vectors and matrices are dense, double precision, column-major.
// - Functions that do not need to own their input take `VectorRef` / `MatrixRef`, so that
//   blocks, maps and plain objects can be passed without a copy; they return plain
//   `Vector` / `Matrix` values.
// - Missing values inside data tables are quiet NaNs; anywhere else a NaN is an error.
#ifndef PFOPT_CORE_TYPES_H_
#define PFOPT_CORE_TYPES_H_

#include <Eigen/Core>
#include <limits>

namespace pfopt {

using Index = Eigen::Index;
using Vector = Eigen::VectorXd;
using Matrix = Eigen::MatrixXd;
using VectorRef = Eigen::Ref<const Vector>;
using MatrixRef = Eigen::Ref<const Matrix>;

inline constexpr double kInfinity = std::numeric_limits<double>::infinity();
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace pfopt

#endif  // PFOPT_CORE_TYPES_H_
