// Micro-benchmarks of the data readers and estimators on examples/data/stock_prices.csv
// (7126 daily prices of 20 stocks, missing before each listing).
//
// Build: link against pfopt::engine and benchmark::benchmark_main. The data file is looked up
// under PFOPT_SOURCE_DIR (a compile definition if the build sets it, else the environment
// variable of that name), else under the current directory; so from the repository root:
//   ./build/release/bench/estimators_bench --benchmark_min_time=0.5
//
// BM_EstimationPipeline is the estimation part of the "max_sharpe on stock_prices.csv in under
// 100 us" goal: returns from prices, MEAN_HISTORICAL and SAMPLE (pairwise) covariance.
#include <benchmark/benchmark.h>

#include <algorithm>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "estimate/risk_models_internal.h"
#include "pfopt/data/returns.h"
#include "pfopt/data/table.h"
#include "pfopt/estimate/expected_returns.h"
#include "pfopt/estimate/moments.h"
#include "pfopt/estimate/risk_models.h"

namespace {

// The fastest repetition: on a shared machine, the one least disturbed by other work.
double Fastest(const std::vector<double>& times) {
  return *std::min_element(times.begin(), times.end());
}

using pfopt::ExpectedReturnsMethod;
using pfopt::Matrix;
using pfopt::MissingData;
using pfopt::RiskModel;
using pfopt::TimeSeriesTable;

std::string DataPath(const std::string& file) {
#ifdef PFOPT_SOURCE_DIR
  std::string root = PFOPT_SOURCE_DIR;
#else
  const char* env = std::getenv("PFOPT_SOURCE_DIR");
  std::string root = env != nullptr ? env : ".";
#endif
  return root + "/examples/data/" + file;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot open %s (set PFOPT_SOURCE_DIR to the repository root)\n",
                 path.c_str());
    std::exit(1);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::string& StockCsv() {
  static const std::string text = ReadText(DataPath("stock_prices.csv"));
  return text;
}

TimeSeriesTable ParseOrDie(const std::string& text) {
  pfopt::Result<TimeSeriesTable> table = pfopt::ParseTableCsv(text);
  if (!table) {
    std::fprintf(stderr, "%s\n", table.error().ToString().c_str());
    std::exit(1);
  }
  return *table;
}

const TimeSeriesTable& StockPrices() {
  static const TimeSeriesTable table = ParseOrDie(StockCsv());
  return table;
}

const Matrix& StockReturns() {
  static const Matrix returns = *pfopt::ReturnsFromPrices(StockPrices().values);
  return returns;
}

// SPY returns aligned on the stock return dates (NaN where SPY has none), for CAPM.
const pfopt::Vector& SpyReturnsAligned() {
  static const pfopt::Vector aligned = [] {
    const TimeSeriesTable spy_prices = ParseOrDie(ReadText(DataPath("spy_prices.csv")));
    const TimeSeriesTable spy = *pfopt::ReturnsFromPrices(spy_prices);
    const TimeSeriesTable stocks = *pfopt::ReturnsFromPrices(StockPrices());
    pfopt::Vector out = pfopt::Vector::Constant(stocks.num_periods(), pfopt::kNaN);
    std::size_t k = 0;
    for (std::size_t row = 0; row < stocks.periods.size(); ++row) {
      while (k < spy.periods.size() && spy.periods[k] < stocks.periods[row]) ++k;
      if (k < spy.periods.size() && spy.periods[k] == stocks.periods[row]) {
        out[static_cast<pfopt::Index>(row)] = spy.values(static_cast<pfopt::Index>(k), 0);
      }
    }
    return out;
  }();
  return aligned;
}

void BM_ParseTableCsv(benchmark::State& state) {
  const std::string& text = StockCsv();
  for (auto _ : state) {
    pfopt::Result<TimeSeriesTable> table = pfopt::ParseTableCsv(text);
    benchmark::DoNotOptimize(table);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_ParseTableCsv)->Unit(benchmark::kMillisecond);

void BM_ReturnsFromPrices(benchmark::State& state) {
  const Matrix& prices = StockPrices().values;
  const auto kind = static_cast<pfopt::ReturnKind>(state.range(0));
  for (auto _ : state) {
    pfopt::Result<Matrix> returns = pfopt::ReturnsFromPrices(prices, kind);
    benchmark::DoNotOptimize(returns);
  }
  state.SetLabel(std::string(pfopt::EnumToString(kind)));
}
BENCHMARK(BM_ReturnsFromPrices)
    ->Arg(static_cast<int>(pfopt::ReturnKind::kSimple))
    ->Arg(static_cast<int>(pfopt::ReturnKind::kLog))
    ->Unit(benchmark::kMicrosecond);

void BM_ReturnsFromPricesTable(benchmark::State& state) {
  const TimeSeriesTable& prices = StockPrices();
  for (auto _ : state) {
    pfopt::Result<TimeSeriesTable> returns = pfopt::ReturnsFromPrices(prices);
    benchmark::DoNotOptimize(returns);
  }
}
BENCHMARK(BM_ReturnsFromPricesTable)->Unit(benchmark::kMicrosecond);

void BM_ExpectedReturns(benchmark::State& state) {
  pfopt::ExpectedReturnsOptions options;
  options.method = static_cast<ExpectedReturnsMethod>(state.range(0));
  const bool spy_market = state.range(1) != 0;
  if (spy_market) options.market_returns = SpyReturnsAligned();
  const Matrix& returns = StockReturns();
  for (auto _ : state) {
    pfopt::Result<pfopt::Vector> mu = pfopt::EstimateExpectedReturns(returns, options);
    benchmark::DoNotOptimize(mu);
  }
  state.SetLabel(std::string(pfopt::EnumToString(options.method)) +
                 (spy_market ? " (SPY market)" : ""));
}
BENCHMARK(BM_ExpectedReturns)
    ->Args({static_cast<int>(ExpectedReturnsMethod::kMeanHistorical), 0})
    ->Args({static_cast<int>(ExpectedReturnsMethod::kMeanArithmetic), 0})
    ->Args({static_cast<int>(ExpectedReturnsMethod::kEma), 0})
    ->Args({static_cast<int>(ExpectedReturnsMethod::kCapm), 0})
    ->Args({static_cast<int>(ExpectedReturnsMethod::kCapm), 1})
    ->Unit(benchmark::kMicrosecond);

void BM_RiskModel(benchmark::State& state) {
  pfopt::RiskModelOptions options;
  options.model = static_cast<RiskModel>(state.range(0));
  options.missing = static_cast<MissingData>(state.range(1));
  const Matrix& returns = StockReturns();
  for (auto _ : state) {
    pfopt::Result<pfopt::CovarianceEstimate> estimate = pfopt::EstimateCovariance(returns, options);
    benchmark::DoNotOptimize(estimate);
  }
  state.SetLabel(std::string(pfopt::EnumToString(options.model)) + " " +
                 std::string(pfopt::EnumToString(options.missing)));
}

void RiskModelArgs(benchmark::internal::Benchmark* bench) {
  for (RiskModel model :
       {RiskModel::kSample, RiskModel::kSemicovariance, RiskModel::kExponential, RiskModel::kShrunk,
        RiskModel::kLedoitWolf, RiskModel::kLedoitWolfSingleFactor,
        RiskModel::kLedoitWolfConstantCorrelation, RiskModel::kOracleApproximating}) {
    for (MissingData missing : {MissingData::kModelDefault, MissingData::kAsZero}) {
      bench->Args({static_cast<int>(model), static_cast<int>(missing)});
    }
  }
}
BENCHMARK(BM_RiskModel)->Apply(RiskModelArgs)->Unit(benchmark::kMicrosecond);

void BM_PairwiseSampleCovariance(benchmark::State& state) {
  const bool general = state.range(0) != 0;
  const Matrix& returns = StockReturns();
  for (auto _ : state) {
    pfopt::Result<Matrix> cov = pfopt::internal::PairwiseSampleCovariance(returns, general);
    benchmark::DoNotOptimize(cov);
  }
  state.SetLabel(general ? "general (masked products)" : "leading blocks");
}
BENCHMARK(BM_PairwiseSampleCovariance)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// Returns + MEAN_HISTORICAL + SAMPLE from the price matrix: the estimation budget of max_sharpe.
void BM_EstimationPipeline(benchmark::State& state) {
  const Matrix& prices = StockPrices().values;
  for (auto _ : state) {
    pfopt::Result<Matrix> returns = pfopt::ReturnsFromPrices(prices);
    pfopt::Result<pfopt::Vector> mu = pfopt::EstimateExpectedReturns(*returns);
    pfopt::Result<pfopt::CovarianceEstimate> cov = pfopt::EstimateCovariance(*returns);
    benchmark::DoNotOptimize(mu);
    benchmark::DoNotOptimize(cov);
  }
}
BENCHMARK(BM_EstimationPipeline)->ComputeStatistics("min", Fastest)->Unit(benchmark::kMicrosecond);

// The same estimates in one call: the one-pass path (returns computed block by block inside
// the Gram kernel, mu from the telescoped growth). Arg: parallel (0: calling thread only, 1:
// with the helper thread). CPU time is the process's (both threads).
void BM_EstimateMomentsFromPrices(benchmark::State& state) {
  const Matrix& prices = StockPrices().values;
  pfopt::MomentsOptions options;
  options.parallel = state.range(0) != 0;
  for (auto _ : state) {
    pfopt::Result<pfopt::MomentsEstimate> moments =
        pfopt::EstimateMomentsFromPrices(prices, options);
    benchmark::DoNotOptimize(moments);
  }
  state.SetLabel(options.parallel ? "2 threads" : "1 thread");
}
BENCHMARK(BM_EstimateMomentsFromPrices)
    ->Arg(0)
    ->Arg(1)
    ->MeasureProcessCPUTime()
    ->ComputeStatistics("min", Fastest)
    ->Unit(benchmark::kMicrosecond);

// The core's throughput for the two operations that bound the estimation (bench/README.md
// has the arithmetic): divisions (4096 quotients of 4-wide vectors in L1) and multiply-adds
// (8 independent 4-wide accumulators, as in the Gram kernel). Counters: operations per ns.
void BM_CoreDivisionThroughput(benchmark::State& state) {
  std::vector<double> a(4100), b(4100), q(4096);
  for (std::size_t k = 0; k < a.size(); ++k) {
    a[k] = 100.0 + static_cast<double>(k % 97);
    b[k] = 90.0 + static_cast<double>(k % 89);
  }
  for (auto _ : state) {
    for (std::size_t k = 0; k < q.size(); k += 4) {
      Eigen::Map<Eigen::Array4d>(q.data() + k) = Eigen::Map<const Eigen::Array4d>(a.data() + k) /
                                                 Eigen::Map<const Eigen::Array4d>(b.data() + k);
    }
    benchmark::DoNotOptimize(q.data());
    benchmark::ClobberMemory();
  }
  state.counters["divisions_per_ns"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(q.size()),
                         benchmark::Counter::kIsRate);
  state.counters["divisions_per_ns"].value /= 1e9;
}
BENCHMARK(BM_CoreDivisionThroughput);

void BM_CoreMultiplyAddThroughput(benchmark::State& state) {
  constexpr int kSteps = 4096;
  for (auto _ : state) {
    Eigen::Array4d c[8];
    for (Eigen::Array4d& lane : c) lane.setZero();
    Eigen::Array4d x = Eigen::Array4d::Constant(1.0000001);
    benchmark::DoNotOptimize(x);
    const Eigen::Array4d y = Eigen::Array4d::Constant(1e-9);
    for (int k = 0; k < kSteps; ++k) {
      for (Eigen::Array4d& lane : c) lane = lane * x + y;
    }
    benchmark::DoNotOptimize(c);
  }
  state.counters["multiply_adds_per_ns"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * kSteps * 8 * 4, benchmark::Counter::kIsRate);
  state.counters["multiply_adds_per_ns"].value /= 1e9;
}
BENCHMARK(BM_CoreMultiplyAddThroughput);

}  // namespace
