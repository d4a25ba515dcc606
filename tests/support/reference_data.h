// Test helpers: where the test data lives and how to read the reference values.
#ifndef PFOPT_TESTS_SUPPORT_REFERENCE_DATA_H_
#define PFOPT_TESTS_SUPPORT_REFERENCE_DATA_H_

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pfopt/core/types.h"
#include "pfopt/data/scenario_cube.h"
#include "pfopt/data/table.h"

namespace pfopt::testing {

// Absolute path of a file in the source tree, e.g. SourcePath("examples/data/stock_prices.csv").
std::string SourcePath(const std::string& relative);

// A JSON file of the source tree, parsed (aborts the test program if it cannot be read).
nlohmann::json ReadJsonFile(const std::string& relative);

// tests/data/pypfopt/reference.json, parsed once.
const nlohmann::json& PypfoptReference();

// Any JSON file of the source tree, parsed (aborts the test if it cannot be read).
nlohmann::json LoadJson(const std::string& relative);

// examples/data/stock_prices.csv and spy_prices.csv, read once (aborts the test on error).
const TimeSeriesTable& StockPrices();
const TimeSeriesTable& SpyPrices();

// The 20 tickers of stock_prices.csv in file order.
const std::vector<std::string>& Tickers();

// {"GOOG": 0.1, ...} -> vector in the order of `tickers`.
Vector TickerVector(const nlohmann::json& by_ticker, const std::vector<std::string>& tickers);
Vector JsonVector(const nlohmann::json& array);
Matrix JsonMatrix(const nlohmann::json& rows);

// max_ij |a - b| / max(max_ij |b|, tiny)
double MaxRelativeDifference(const MatrixRef& a, const MatrixRef& b);

// tests/data/scenario/reference.json (allopy 0.4.7 answers and high-accuracy optima on the
// developer cube), parsed once; and the path of that cube (.npy).
const nlohmann::json& ScenarioReference();
std::string ScenarioCubePath();
// That cube, read once (aborts the test on error).
std::shared_ptr<const ScenarioCube> ScenarioDevCube();

}  // namespace pfopt::testing

#endif  // PFOPT_TESTS_SUPPORT_REFERENCE_DATA_H_
