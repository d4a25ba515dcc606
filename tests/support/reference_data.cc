#include "support/reference_data.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

namespace pfopt::testing {

std::string SourcePath(const std::string& relative) {
  return std::string(PFOPT_SOURCE_DIR) + "/" + relative;
}

nlohmann::json ReadJsonFile(const std::string& relative) {
  std::ifstream in(SourcePath(relative));
  if (!in) {
    std::cerr << "cannot open " << relative << "\n";
    std::abort();
  }
  return nlohmann::json::parse(in);
}

const nlohmann::json& PypfoptReference() {
  static const nlohmann::json reference = ReadJsonFile("tests/data/pypfopt/reference.json");
  return reference;
}

nlohmann::json LoadJson(const std::string& relative) {
  std::ifstream in(SourcePath(relative));
  if (!in) {
    std::cerr << "cannot open " << relative << "\n";
    std::abort();
  }
  return nlohmann::json::parse(in);
}

namespace {
TimeSeriesTable ReadOrDie(const std::string& relative) {
  auto table = ReadTableCsv(SourcePath(relative));
  if (!table) {
    std::cerr << "cannot read " << relative << ": " << table.error().ToString() << "\n";
    std::abort();
  }
  return *table;
}
}  // namespace

const TimeSeriesTable& StockPrices() {
  static const TimeSeriesTable table = ReadOrDie("examples/data/stock_prices.csv");
  return table;
}

const TimeSeriesTable& SpyPrices() {
  static const TimeSeriesTable table = ReadOrDie("examples/data/spy_prices.csv");
  return table;
}

const std::vector<std::string>& Tickers() { return StockPrices().assets; }

Vector TickerVector(const nlohmann::json& by_ticker, const std::vector<std::string>& tickers) {
  Vector v(static_cast<Index>(tickers.size()));
  for (std::size_t i = 0; i < tickers.size(); ++i) {
    v[static_cast<Index>(i)] = by_ticker.at(tickers[i]).get<double>();
  }
  return v;
}

Vector JsonVector(const nlohmann::json& array) {
  Vector v(static_cast<Index>(array.size()));
  for (std::size_t i = 0; i < array.size(); ++i) v[static_cast<Index>(i)] = array[i].get<double>();
  return v;
}

Matrix JsonMatrix(const nlohmann::json& rows) {
  const Index r = static_cast<Index>(rows.size());
  const Index c = r == 0 ? 0 : static_cast<Index>(rows[0].size());
  Matrix m(r, c);
  for (Index i = 0; i < r; ++i) {
    for (Index j = 0; j < c; ++j)
      m(i, j) = rows[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)].get<double>();
  }
  return m;
}

double MaxRelativeDifference(const MatrixRef& a, const MatrixRef& b) {
  const double scale = std::max(b.cwiseAbs().maxCoeff(), 1e-300);
  return (a - b).cwiseAbs().maxCoeff() / scale;
}

const nlohmann::json& ScenarioReference() {
  static const nlohmann::json reference = [] {
    std::ifstream in(SourcePath("tests/data/scenario/reference.json"));
    if (!in) {
      std::cerr << "cannot open tests/data/scenario/reference.json\n";
      std::abort();
    }
    return nlohmann::json::parse(in);
  }();
  return reference;
}

std::string ScenarioCubePath() {
  return SourcePath("tests/data/scenario/cube_20x2000x6_seed7.npy");
}

std::shared_ptr<const ScenarioCube> ScenarioDevCube() {
  static const std::shared_ptr<const ScenarioCube> cube = [] {
    auto read = ReadScenarioCubeNpy(ScenarioCubePath());
    if (!read) {
      std::cerr << "cannot read the scenario cube: " << read.error().ToString() << "\n";
      std::abort();
    }
    return std::make_shared<const ScenarioCube>(std::move(*read));
  }();
  return cube;
}

}  // namespace pfopt::testing
