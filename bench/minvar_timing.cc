// Times pfopt on the long-only minimum-variance problems of the peer comparison
// (bench/compare_quadprog.sh): reads DIR/cov_n<N>.csv (no header, row i = Sigma[i, ]), solves
// min w'Sigma w s.t. sum w = 1, 0 <= w <= 1 in batches of calls, and prints one line per size:
//   n <N> median_s <t> min_s <t> max_s <t> batch_calls <B> batches <R> iterations <k> status <s>
// and writes the weights to DIR/pfopt_minvar_weights_n<N>.csv. Timing: like the quadprog side,
// the mean time per call of a batch of B calls, repeated R times; median/min/max over batches;
// one untimed warm-up call first.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_problems.h"
#include "pfopt/solve/qp.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: minvar_timing DIR N [N ...]\n");
    return 2;
  }
  const std::string dir = argv[1];
  for (int a = 2; a < argc; ++a) {
    const int n = std::atoi(argv[a]);
    pfopt::Matrix sigma;
    const std::string path = dir + "/cov_n" + std::to_string(n) + ".csv";
    if (!pfopt::bench::ReadMatrixCsv(path, &sigma) || sigma.rows() != n) {
      std::fprintf(stderr, "cannot read %s\n", path.c_str());
      return 2;
    }
    const pfopt::QpProblem qp = pfopt::bench::LongOnlyMinVariance(sigma);
    pfopt::QpSummary summary;
    auto solution = pfopt::SolveQp(qp, {}, &summary);  // warm-up, untimed
    if (!solution || summary.status != pfopt::QpStatus::kOptimal) {
      std::fprintf(stderr, "n %d: not solved: %s\n", n, summary.BriefReport().c_str());
      return 1;
    }
    const pfopt::bench::BatchTimes times = pfopt::bench::TimeInBatches(
        [&] { (void)pfopt::SolveQp(qp, {}, &summary); }, n >= 500 ? 9 : 15);
    std::printf(
        "n %d median_s %.9g min_s %.9g max_s %.9g batch_calls %d batches %d iterations %d status "
        "%s\n",
        n, times.median, times.min, times.max, times.batch_calls, times.batches, summary.iterations,
        std::string(pfopt::EnumToString(summary.status)).c_str());
    std::ofstream out(dir + "/pfopt_minvar_weights_n" + std::to_string(n) + ".csv");
    char buffer[40];
    for (pfopt::Index i = 0; i < solution->x.size(); ++i) {
      std::snprintf(buffer, sizeof(buffer), "%.17g\n", solution->x[i]);
      out << buffer;
    }
  }
  return 0;
}
