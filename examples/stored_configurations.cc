// Reading stored portfolio configurations from another component (what the rebalancer does):
// open the service's storage, store a configuration as `PUT .../configuration` would, list the
// enabled ones and turn one into an optimisation request for the one request path.
// Run: stored_configurations [sqlite:PATH | postgresql://...]   (default: a temporary SQLite file)
#include <cstdio>
#include <filesystem>
#include <string>

#include "services/common/optimization_service.h"
#include "services/rest/storage/storage.h"

int main(int argc, char** argv) {
  const std::filesystem::path folder =
      std::filesystem::temp_directory_path() / "pfopt_stored_configurations_example";
  const std::string url = argc > 1 ? argv[1] : "sqlite:" + (folder / "pfopt.db").string();
  auto storage = pfopt::rest::OpenStorage(url, pfopt::rest::StorageOptions{});
  if (!storage) {
    std::fprintf(stderr, "%s\n", storage.error().ToString().c_str());
    return 1;
  }
  // What PUT /api/v1/portfolios/balanced/configuration stores (every field validated).
  auto configuration = pfopt::rest::ParseConfiguration(
      "balanced", R"({"objective": "MIN_VOLATILITY", "constraints": {"max_weight": 0.7}})");
  if (!configuration || !(*storage)->PutConfiguration(*configuration)) return 1;

  // The reader's side: every enabled configuration, then a request for its strategies.
  pfopt::rest::ConfigurationStore& store = **storage;
  auto enabled = store.ListConfigurations(/*enabled_only=*/true);
  if (!enabled) return 1;
  for (const pfopt::rest::PortfolioConfiguration& c : *enabled) {
    pfopt::service::StrategyDefinition stocks, bonds;
    stocks.id = "stocks";
    stocks.returns = {0.012, -0.004, 0.021, -0.013, 0.008, 0.015, -0.02, 0.01};
    bonds.id = "bonds";
    bonds.returns = {0.002, 0.001, -0.001, 0.003, 0.002, -0.002, 0.004, 0.001};
    auto request = c.ToRequest({stocks, bonds});
    if (!request) return 1;
    auto response = pfopt::service::RunOptimization(*request);
    if (!response) return 1;
    std::printf("%s (%s, enabled): stocks %.4f, bonds %.4f, volatility %.4f\n",
                c.portfolio_id.c_str(), response->objective.c_str(),
                response->optimal_weights[0].second, response->optimal_weights[1].second,
                response->expected_volatility);
  }
  storage->reset();
  std::filesystem::remove_all(folder);
  return 0;
}
