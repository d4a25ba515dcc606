// Test helper of the service layer: the bundled 20-stock price file as an OptimizationRequest.
#ifndef PFOPT_SERVICES_COMMON_TESTING_STOCK_REQUEST_H_
#define PFOPT_SERVICES_COMMON_TESTING_STOCK_REQUEST_H_

#include <utility>

#include "services/common/request.h"
#include "support/reference_data.h"

namespace pfopt::testing {

// One strategy per column of stock_prices.csv with its price history (NaN where missing).
inline service::OptimizationRequest StockRequest(
    service::RequestObjective objective,
    service::RequestMethod method = service::RequestMethod::kMeanVariance) {
  const TimeSeriesTable& prices = StockPrices();
  service::OptimizationRequest request;
  request.portfolio_id = "stocks";
  request.method = method;
  request.objective = objective;
  for (Index j = 0; j < prices.num_assets(); ++j) {
    service::StrategyDefinition s;
    s.id = prices.assets[static_cast<std::size_t>(j)];
    for (Index t = 0; t < prices.num_periods(); ++t) s.prices.push_back(prices.values(t, j));
    request.strategies.push_back(std::move(s));
  }
  return request;
}

}  // namespace pfopt::testing

#endif  // PFOPT_SERVICES_COMMON_TESTING_STOCK_REQUEST_H_
