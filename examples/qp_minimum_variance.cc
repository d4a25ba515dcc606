// Example: the QP solver on its own. A three-asset long-only minimum-variance problem, then the
// same problem re-solved warm with a small return tilt. Run:
// build/release/examples/qp_minimum_variance
#include <cstdio>

#include "pfopt/solve/qp.h"

int main() {
  pfopt::QpProblem qp;
  qp.P.resize(3, 3);
  qp.P << 0.040, 0.006, 0.002,  //
      0.006, 0.090, 0.010,      //
      0.002, 0.010, 0.010;
  qp.q = pfopt::Vector::Zero(3);     // minimise 1/2 w'Sigma w
  qp.A = pfopt::Matrix::Ones(1, 3);  // fully invested: sum w = 1
  qp.b = pfopt::Vector::Ones(1);
  qp.lb = pfopt::Vector::Zero(3);           // long only
  qp.ub = pfopt::Vector::Constant(3, 0.6);  // at most 60 % in one asset

  pfopt::DenseQpSolver solver;
  if (auto status = solver.Setup(qp); !status) {
    std::fprintf(stderr, "bad problem: %s\n", status.error().ToString().c_str());
    return 2;
  }
  pfopt::QpSolution solution;
  pfopt::QpSummary summary;
  if (!solver.Solve(&solution, &summary) || summary.status != pfopt::QpStatus::kOptimal) {
    std::fprintf(stderr, "%s\n", summary.BriefReport().c_str());
    return 1;
  }
  std::printf("minimum variance: w = (%.6f, %.6f, %.6f)\n%s\n", solution.x[0], solution.x[1],
              solution.x[2], summary.BriefReport().c_str());

  // Tilt towards returns mu = (8 %, 12 %, 3 %): min 1/2 w'Sigma w - 0.1 mu'w, warm started.
  pfopt::Vector q(3);
  q << -0.008, -0.012, -0.003;
  if (!solver.UpdateLinearTerm(q) || !solver.Solve(&solution, &summary) ||
      summary.status != pfopt::QpStatus::kOptimal) {
    return 1;
  }
  std::printf("with a return tilt: w = (%.6f, %.6f, %.6f), %d working-set changes\n", solution.x[0],
              solution.x[1], solution.x[2], summary.iterations);
  return 0;
}
