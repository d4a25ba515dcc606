// Times pfopt on the data of the peer comparisons (bench/compare_cvar.sh,
// bench/compare_robust.sh; files written by bench/scenario_peer.py):
//   models_timing cvar DIR T N     minimum CVaR (alpha 0.05, long-only) of DIR/cvar_T<T>_n<N>.f64
//   models_timing robust DIR N     ellipsoidal robust MAX_UTILITY (delta 2, T 500, 95 %,
//                                  long-only) of DIR/robust_n<N>.f64
// Prints "pfopt <T> <N> <median seconds> <value>" (value: the CVaR, or the robust objective)
// over repeated calls (after one untimed warm-up; at least 5 calls and 1 s), and writes the
// weights to DIR/pfopt_..._w.csv.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "pfopt/optimize/cvar.h"
#include "pfopt/optimize/robust.h"

namespace {

using Clock = std::chrono::steady_clock;

bool ReadDoubles(const std::string& path, std::vector<double>* out) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return false;
  const std::streamsize bytes = in.tellg();
  in.seekg(0);
  out->resize(static_cast<std::size_t>(bytes) / sizeof(double));
  return static_cast<bool>(in.read(reinterpret_cast<char*>(out->data()), bytes));
}

template <class Solve>
double MedianSeconds(Solve solve) {
  solve();  // warm-up
  std::vector<double> times;
  const auto start = Clock::now();
  while (times.size() < 5 || std::chrono::duration<double>(Clock::now() - start).count() < 1.0) {
    const auto t0 = Clock::now();
    solve();
    times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    if (times.size() >= 200) break;
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

void WriteWeights(const std::string& path, const pfopt::Vector& w) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return;
  for (pfopt::Index i = 0; i < w.size(); ++i) std::fprintf(f, "%.17g\n", w[i]);
  std::fclose(f);
}

pfopt::PortfolioProblem Problem(pfopt::Index n) {
  pfopt::PortfolioProblem p;
  for (pfopt::Index i = 0; i < n; ++i) p.assets.push_back("A" + std::to_string(i));
  p.covariance = pfopt::Matrix::Identity(n, n);
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: models_timing cvar DIR T N | robust DIR N\n");
    return 2;
  }
  const std::string mode = argv[1], dir = argv[2];
  std::vector<double> data;
  if (mode == "cvar" && argc == 5) {
    const int periods = std::atoi(argv[3]), n = std::atoi(argv[4]);
    const std::string stem = "cvar_T" + std::to_string(periods) + "_n" + std::to_string(n);
    if (!ReadDoubles(dir + "/" + stem + ".f64", &data) ||
        data.size() != static_cast<std::size_t>(periods) * static_cast<std::size_t>(n)) {
      std::fprintf(stderr, "cannot read %s/%s.f64\n", dir.c_str(), stem.c_str());
      return 2;
    }
    // Row-major file -> column-major matrix.
    const pfopt::Matrix scenarios =
        Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            data.data(), periods, n);
    pfopt::PortfolioProblem problem = Problem(n);
    pfopt::Result<pfopt::CvarResult> result =
        tl::unexpected(pfopt::Error(pfopt::ErrorCode::kInternal, ""));
    const double seconds =
        MedianSeconds([&] { result = pfopt::OptimizeCvar(problem, scenarios, {}); });
    if (!result || !pfopt::HasSolution(result->optimization.status)) return 1;
    WriteWeights(dir + "/pfopt_" + stem + "_w.csv", result->optimization.weights);
    std::printf("pfopt %d %d %.6f %.17g\n", periods, n, seconds, result->tail_risk.cvar);
    return 0;
  }
  if (mode == "robust") {
    const int n = std::atoi(argv[3]);
    const std::string stem = "robust_n" + std::to_string(n);
    if (!ReadDoubles(dir + "/" + stem + ".f64", &data) ||
        data.size() != static_cast<std::size_t>(n) * static_cast<std::size_t>(n + 1)) {
      std::fprintf(stderr, "cannot read %s/%s.f64\n", dir.c_str(), stem.c_str());
      return 2;
    }
    pfopt::PortfolioProblem problem = Problem(n);
    problem.expected_returns = Eigen::Map<const pfopt::Vector>(data.data(), n);
    problem.covariance =
        Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            data.data() + n, n, n);
    pfopt::RobustOptions options;
    options.num_observations = 500;
    options.mean_variance.objective = pfopt::Objective::kMaxUtility;
    options.mean_variance.risk_aversion = 2.0;
    pfopt::Result<pfopt::RobustResult> result =
        tl::unexpected(pfopt::Error(pfopt::ErrorCode::kInternal, ""));
    const double seconds = MedianSeconds([&] { result = pfopt::OptimizeRobust(problem, options); });
    if (!result || !pfopt::HasSolution(result->optimization.status)) return 1;
    WriteWeights(dir + "/pfopt_" + stem + "_w.csv", result->optimization.weights);
    std::printf("pfopt %d %d %.6f %.17g\n", 500, n, seconds, result->optimization.objective_value);
    return 0;
  }
  std::fprintf(stderr, "usage: models_timing cvar DIR T N | robust DIR N\n");
  return 2;
}
