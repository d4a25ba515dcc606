// The request path of the service without HTTP: JSON reading, request decoding, the whole
// optimisation (estimation + max Sharpe) and response encoding for the load benchmark's
// request (20 assets x 1000 days of returns, bench/service/make_request.py).
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

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
