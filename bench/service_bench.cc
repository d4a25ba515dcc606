// The request path of the service without HTTP: JSON reading, request decoding, the whole
// optimisation (estimation + max Sharpe) and response encoding for the load benchmark's
// request (20 assets x 1000 days of returns, bench/service/make_request.py).
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "services/common/json_parse.h"
#include "services/common/optimization_service.h"
#include "services/common/request_json.h"

namespace {

// The server's malloc settings (apps/pfopt/serve_command.cc): request-sized buffers stay in the
// heap instead of being mmap'ed, and page-faulted, afresh for every request.
[[maybe_unused]] const bool kServerMalloc = [] {
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  return true;
}();

const std::string& Body() {
  static const std::string body = [] {
    std::ifstream in(PFOPT_SOURCE_DIR "/bench/service/request_20x1000.json");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }();
  return body;
}

void BM_ParseJsonFast(benchmark::State& state) {
  for (auto _ : state) {
    auto document = pfopt::service::ParseJson(Body());
    benchmark::DoNotOptimize(document);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * Body().size()));
}
BENCHMARK(BM_ParseJsonFast);

void BM_ParseJsonNlohmann(benchmark::State& state) {
  for (auto _ : state) {
    auto document = nlohmann::json::parse(Body());
    benchmark::DoNotOptimize(document);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * Body().size()));
}
BENCHMARK(BM_ParseJsonNlohmann);

// The request's number format (6 decimals, as make_request.py writes them), 20 000 numbers in
// one array read into a vector: the reader's cost per number (items/s).
void BM_ReadNumberArray(benchmark::State& state) {
  static const std::string text = [] {
    std::string out = "[";
    std::uint64_t state_bits = 20240611;
    for (int i = 0; i < 20000; ++i) {
      state_bits = state_bits * 6364136223846793005ULL + 1442695040888963407ULL;
      const double x = static_cast<double>(static_cast<std::int64_t>(state_bits >> 33) % 40000) /
                       1e6;  // |x| < 0.04, 6 decimals
      char number[32];
      std::snprintf(number, sizeof(number), "%s%.6g", i == 0 ? "" : ",",
                    (state_bits & 1) != 0 ? -x : x);
      out += number;
    }
    return out + "]";
  }();
  std::vector<std::vector<double>> arrays;
  pfopt::service::JsonParseOptions options;
  options.number_arrays = &arrays;
  for (auto _ : state) {
    arrays.clear();
    auto document = pfopt::service::ParseJson(text, options);
    benchmark::DoNotOptimize(document);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 20000));
}
BENCHMARK(BM_ReadNumberArray);

void BM_ParseRequest(benchmark::State& state) {
  for (auto _ : state) {
    auto request = pfopt::service::ParseOptimizationRequest(Body());
    benchmark::DoNotOptimize(request);
  }
}
BENCHMARK(BM_ParseRequest);

void BM_RunOptimization(benchmark::State& state) {
  const auto request = pfopt::service::ParseOptimizationRequest(Body()).value();
  for (auto _ : state) {
    auto response = pfopt::service::RunOptimization(request);
    benchmark::DoNotOptimize(response);
  }
}
BENCHMARK(BM_RunOptimization);

void BM_WholeRequestPath(benchmark::State& state) {
  for (auto _ : state) {
    auto request = pfopt::service::ParseOptimizationRequest(Body()).value();
    auto response = pfopt::service::RunOptimization(request).value();
    std::string out = pfopt::service::OptimizationResponseToJson(response).dump();
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_WholeRequestPath);

}  // namespace
