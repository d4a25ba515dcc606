// Times pfopt's allocation models on the covariance files of the peer comparison
// (bench/compare_allocation.sh; the scipy/numpy side is bench/allocation_peers.py, which
// documents the problems): reads DIR/cov_n<N>.csv and prints one line per size
//   model <M> n <N> median_s <t> min_s <t> max_s <t> batch_calls <B> batches <R> error <e>
// and writes the answer to DIR/pfopt_<M>_n<N>.csv. MODEL is rp (risk parity, equal budgets),
// hrp (single linkage on the covariance's correlation) or bl (Black-Litterman posterior).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "bench/bench_problems.h"
#include "pfopt/estimate/risk_models.h"
#include "pfopt/optimize/black_litterman.h"
#include "pfopt/optimize/hierarchical_risk_parity.h"
#include "pfopt/optimize/risk_parity.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: allocation_timing rp|hrp|bl DIR N [N ...]\n");
    return 2;
  }
  const std::string model = argv[1];
  const std::string dir = argv[2];
  for (int a = 3; a < argc; ++a) {
    const int n = std::atoi(argv[a]);
    pfopt::PortfolioProblem problem;
    const std::string path = dir + "/cov_n" + std::to_string(n) + ".csv";
    if (!pfopt::bench::ReadMatrixCsv(path, &problem.covariance) || problem.covariance.rows() != n) {
      std::fprintf(stderr, "cannot read %s\n", path.c_str());
      return 2;
    }
    for (int i = 0; i < n; ++i) problem.assets.push_back("A" + std::to_string(i));
    pfopt::Vector answer;
    double error = 0.0;
    std::function<void()> call;
    const pfopt::Matrix correlation = pfopt::CovarianceToCorrelation(problem.covariance);
    const pfopt::bench::BlackLittermanInputs bl =
        pfopt::bench::MakeBlackLittermanInputs(problem.covariance);
    if (model == "rp") {
      call = [&] {
        auto r = pfopt::OptimizeRiskParity(problem);
        if (!r || r->status != pfopt::OptimizationStatus::kOptimal) std::exit(1);
        answer = r->weights;
        error = r->objective_value;
      };
    } else if (model == "hrp") {
      call = [&] {
        auto r = pfopt::OptimizeHierarchicalRiskParity(problem, correlation);
        if (!r) std::exit(1);
        answer = r->weights;
      };
    } else if (model == "bl") {
      call = [&] {
        auto r = pfopt::ComputeBlackLittermanPosterior(problem.covariance, bl.prior, bl.views,
                                                       bl.view_returns);
        if (!r) std::exit(1);
        answer = r->expected_returns;
      };
    } else {
      std::fprintf(stderr, "model must be rp, hrp or bl\n");
      return 2;
    }
    call();  // warm-up, untimed
    const pfopt::bench::BatchTimes times = pfopt::bench::TimeInBatches(call, n >= 500 ? 9 : 15);
    std::printf(
        "model %s n %d median_s %.9g min_s %.9g max_s %.9g batch_calls %d batches %d error %.3g\n",
        model.c_str(), n, times.median, times.min, times.max, times.batch_calls, times.batches,
        error);
    std::ofstream out(dir + "/pfopt_" + model + "_n" + std::to_string(n) + ".csv");
    char buffer[40];
    for (pfopt::Index i = 0; i < answer.size(); ++i) {
      std::snprintf(buffer, sizeof(buffer), "%.17g\n", answer[i]);
      out << buffer;
    }
  }
  return 0;
}
