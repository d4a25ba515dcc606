#include "services/stream/testing/stream_test_support.h"

#include <gtest/gtest.h>

namespace pfopt::stream::testing {

PortfolioConfig CasablancaPortfolio() {
  const nlohmann::json document = {
      {"portfolios",
       {{{"id", "casablanca"},
         {"tickers", {"AKT", "ATW", "BOA", "BCP", "MDP", "MUT", "IAM", "RIS", "TGC", "ADI", "IMO"}},
         {"initial_statistics",
          {{"mean", "mean_returns.json"}, {"covariance", "covariance.json"}, {"count", 52}}},
         {"initial_weights", "initial_weights.json"}}}}};
  auto configs =
      ParsePortfolioConfigs(document, std::string(PFOPT_SOURCE_DIR) + "/examples/data/casablanca");
  EXPECT_TRUE(configs.has_value()) << configs.error().ToString();
  return configs->front();
}

}  // namespace pfopt::stream::testing
