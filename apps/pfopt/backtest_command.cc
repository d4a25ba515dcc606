// pfopt backtest: walk-forward simulation of optimisation requests (and equal-weight and
// buy-and-hold benchmarks) over a price history; a table on stdout, files and SVG charts in
// --out DIR (docs/backtest.md).
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "apps/pfopt/cli_common.h"
#include "apps/pfopt/commands.h"
#include "apps/pfopt/svg_chart.h"
#include "pfopt/backtest/metrics.h"
#include "pfopt/data/table.h"
#include "services/common/backtest_json.h"
#include "services/common/backtest_service.h"
#include "services/common/error_mapping.h"
#include "services/common/request_json.h"

namespace pfopt::cli {

namespace {

struct BacktestFlags {
  std::string prices_file;
  std::vector<std::string> request_files;
  bool equal_weight = false;
  bool buy_and_hold = false;
  std::string backtest_request_file;
  std::optional<Index> window, min_history, every;
  std::optional<std::string> window_type, rebalance;
  std::optional<double> drift_threshold, cost_bps, risk_free_rate, cash_rate, periods_per_year;
  std::vector<std::string> asset_costs;  // ID=BPS
  std::optional<std::string> from, to;
  std::string out_dir;
  std::string format = "table";
  bool print_request = false;
  bool progress = false;
  bool quiet = false;

  bool any_setting() const {
    return window || min_history || every || window_type || rebalance || drift_threshold ||
           cost_bps || risk_free_rate || cash_rate || periods_per_year || !asset_costs.empty() ||
           from || to;
  }
};

Status ApplySettings(const BacktestFlags& flags, BacktestOptions* o) {
  if (flags.window) o->window = *flags.window;
  if (flags.min_history) o->min_observations = *flags.min_history;
  if (flags.window_type) {
    auto type = EnumFromString<WindowType>(*flags.window_type, "window type");
    if (!type)
      return tl::unexpected(Error(type.error().code(), type.error().message(), "--window-type"));
    o->window_type = *type;
  }
  if (flags.rebalance) {
    const std::string& text = *flags.rebalance;
    if (!text.empty() &&
        std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      o->rebalance = RebalanceSchedule::kPeriodic;
      o->rebalance_every = std::stoll(text);
    } else {
      auto schedule = EnumFromString<RebalanceSchedule>(text, "rebalance schedule");
      if (!schedule) {
        return tl::unexpected(Error(schedule.error().code(),
                                    schedule.error().message() + " (or a number of periods)",
                                    "--rebalance"));
      }
      o->rebalance = *schedule;
    }
  }
  if (flags.every) o->rebalance_every = *flags.every;
  if (flags.drift_threshold) o->drift_threshold = *flags.drift_threshold;
  if (flags.cost_bps) o->cost_bps = *flags.cost_bps;
  for (const std::string& text : flags.asset_costs) {
    const auto eq = text.find('=');
    char* end = nullptr;
    const std::string value = eq == std::string::npos ? "" : text.substr(eq + 1);
    const double bps = std::strtod(value.c_str(), &end);
    if (eq == std::string::npos || eq == 0 || value.empty() ||
        end != value.c_str() + value.size() || !std::isfinite(bps)) {
      return InvalidArgument("--asset-cost expects ASSET=BPS, got '" + text + "'", "--asset-cost");
    }
    o->asset_cost_bps[text.substr(0, eq)] = bps;
  }
  if (flags.risk_free_rate) o->risk_free_rate = *flags.risk_free_rate;
  if (flags.cash_rate) o->cash_rate = *flags.cash_rate;
  if (flags.periods_per_year) o->periods_per_year = *flags.periods_per_year;
  if (flags.from) o->start = *flags.from;
  if (flags.to) o->end = *flags.to;
  return Ok();
}

// The request from --backtest-request, or assembled from --prices and the strategy flags.
// `sources` gets, per strategy, the file it came from (for error messages).
Result<service::BacktestRequest> BuildBacktestRequest(const BacktestFlags& flags,
                                                      std::vector<std::string>* sources) {
  if (!flags.backtest_request_file.empty()) {
    if (!flags.prices_file.empty() || !flags.request_files.empty() || flags.equal_weight ||
        flags.buy_and_hold || flags.any_setting()) {
      return InvalidArgument(
          "--backtest-request carries the prices, strategies and settings; give no other "
          "input or setting flag with it",
          "--backtest-request");
    }
    auto text = ReadInput(flags.backtest_request_file);
    if (!text) return tl::unexpected(text.error());
    auto request = service::ParseBacktestRequest(*text);
    if (request) sources->assign(request->strategies.size(), flags.backtest_request_file);
    return request;
  }
  if (flags.prices_file.empty()) {
    return InvalidArgument("give --prices FILE.csv (or --backtest-request FILE)", "--prices");
  }
  service::BacktestRequest request;
  auto prices = ReadTableCsv(flags.prices_file);
  if (!prices) return tl::unexpected(prices.error());
  request.prices = std::move(*prices);
  for (const std::string& file : flags.request_files) {
    auto text = ReadInput(file);
    if (!text) return tl::unexpected(text.error());
    auto parsed = service::ParseOptimizationRequest(*text);
    if (!parsed) {
      const Error& e = parsed.error();
      return tl::unexpected(Error(e.code(), file + ": " + e.message(), e.field()));
    }
    request.strategies.push_back(service::BacktestStrategySpec{.request = std::move(*parsed)});
    sources->push_back(file);
  }
  if (flags.equal_weight) {
    request.strategies.push_back({.type = service::BacktestStrategyType::kEqualWeight});
    sources->push_back("--equal-weight");
  }
  if (flags.buy_and_hold) {
    request.strategies.push_back({.type = service::BacktestStrategyType::kBuyAndHold});
    sources->push_back("--buy-and-hold");
  }
  if (request.strategies.empty()) {
    return InvalidArgument(
        "give at least one strategy: --request FILE, --equal-weight or "
        "--buy-and-hold",
        "--request");
  }
  PFOPT_RETURN_IF_ERROR(ApplySettings(flags, &request.settings));
  return request;
}

// "strategies[2]...." -> " (in FILE)" for errors about a strategy.
std::string SourceOf(const Error& error, const std::vector<std::string>& sources) {
  const std::string& field = error.field();
  if (field.rfind("strategies[", 0) != 0) return "";
  const std::size_t index = std::strtoul(field.c_str() + 11, nullptr, 10);
  return index < sources.size() ? " (" + sources[index] + ")" : "";
}

// A directory name for each strategy: [A-Za-z0-9._-] kept, the rest '_', made unique.
std::vector<std::string> DirectoryNames(const std::vector<StrategyResult>& strategies) {
  std::vector<std::string> names;
  std::set<std::string> used;
  for (std::size_t s = 0; s < strategies.size(); ++s) {
    std::string name;
    for (char c : strategies[s].name) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
      name += ok ? c : '_';
    }
    if (name.empty() || name.find_first_not_of('.') == std::string::npos) {
      name = "strategy_" + std::to_string(s + 1);
    }
    std::string unique = name;
    for (int k = 2; used.count(unique); ++k) unique = name + "_" + std::to_string(k);
    used.insert(unique);
    names.push_back(unique);
  }
  return names;
}

Status WriteFile(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  out.close();
  if (!out) return MakeError(ErrorCode::kIoError, "cannot write '" + path.string() + "'", "--out");
  return Ok();
}

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string RebalancesCsv(const StrategyResult& s) {
  std::string csv =
      "date,outcome,status,initial,eligible_assets,turnover,cost,cost_fraction,message\n";
  char buffer[160];
  for (const RebalanceRecord& r : s.rebalances) {
    std::string message = r.message;
    for (const std::string& w : r.warnings) message += (message.empty() ? "" : "; ") + w;
    std::snprintf(buffer, sizeof(buffer), ",%s,%s,%d,%lld,%.17g,%.17g,%.17g,",
                  std::string(EnumToString(r.outcome)).c_str(),
                  std::string(EnumToString(r.status)).c_str(), r.initial ? 1 : 0,
                  static_cast<long long>(r.eligible_assets), r.turnover, r.cost, r.cost_fraction);
    csv += CsvField(r.date) + buffer + CsvField(message) + "\n";
  }
  return csv;
}

std::string Ratio(double value) {
  if (!std::isfinite(value)) return "-";
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.3f", value);
  return buffer;
}

std::string SettingsLine(const service::BacktestResponse& response) {
  const BacktestOptions& o = response.settings;
  const BacktestResult& r = response.result;
  char buffer[256];
  const double years = static_cast<double>(r.periods.size() - 1) / o.periods_per_year;
  std::string schedule = std::string(EnumToString(o.rebalance));
  std::transform(schedule.begin(), schedule.end(), schedule.begin(),
                 [](char c) { return static_cast<char>(std::tolower(c)); });
  if (o.rebalance == RebalanceSchedule::kPeriodic) {
    schedule = "every " + std::to_string(o.rebalance_every) + " periods";
  } else if (o.rebalance == RebalanceSchedule::kDrift) {
    schedule = "on drift above " + Percent(o.drift_threshold, 1);
  }
  std::snprintf(buffer, sizeof(buffer),
                "pfopt backtest: %s .. %s, %zu periods (%.1f years); %s %lld-period window; "
                "rebalancing %s; costs %g bps per side",
                r.periods.front().c_str(), r.periods.back().c_str(), r.periods.size(), years,
                o.window_type == WindowType::kRolling ? "rolling" : "expanding",
                static_cast<long long>(o.window), schedule.c_str(), o.cost_bps);
  return buffer;
}

void PrintTable(const service::BacktestResponse& response) {
  std::printf("%s\n", SettingsLine(response).c_str());
  std::size_t width = 8;
  for (const auto& s : response.result.strategies) width = std::max(width, s.name.size());
  const int w = static_cast<int>(width);
  std::printf("%-*s %11s %9s %9s %7s %7s %9s %7s %9s %8s %6s %6s\n", w, "strategy", "total",
              "annual", "vol", "sharpe", "sortino", "max dd", "calmar", "turn/yr", "costs", "rebal",
              "failed");
  for (const auto& s : response.result.strategies) {
    const BacktestMetrics& m = s.metrics;
    std::printf("%-*s %11s %9s %9s %7s %7s %9s %7s %9s %8s %6lld %6lld\n", w, s.name.c_str(),
                Percent(m.total_return, 1).c_str(), Percent(m.annual_return).c_str(),
                Percent(m.annual_volatility).c_str(), Ratio(m.sharpe_ratio).c_str(),
                Ratio(m.sortino_ratio).c_str(), Percent(-m.max_drawdown).c_str(),
                Ratio(m.calmar_ratio).c_str(), Percent(m.annual_turnover, 1).c_str(),
                Percent(m.costs).c_str(), static_cast<long long>(m.rebalances),
                static_cast<long long>(m.failed_rebalances));
  }
  std::printf(
      "(total/annual: return; vol: annualised volatility; sharpe/sortino: risk-free rate %s; "
      "turn/yr: turnover per year after the initial investment; costs: sum of the "
      "fractions of wealth paid)\n",
      Percent(response.settings.risk_free_rate).c_str());
}

std::string IndexHtml(const service::BacktestResponse& response,
                      const std::vector<std::string>& dirs) {
  std::string html =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>pfopt backtest</title>\n"
      "<style>body{font-family:Helvetica,Arial,sans-serif;margin:2em}table{border-collapse:"
      "collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:right}"
      "td:first-child,th:first-child{text-align:left}</style></head><body>\n<h1>pfopt "
      "backtest</h1>\n<p>" +
      SettingsLine(response).substr(16) +
      "</p>\n<table>\n<tr><th>strategy</th><th>total</th>"
      "<th>annual</th><th>volatility</th><th>Sharpe</th><th>Sortino</th><th>max drawdown</th>"
      "<th>turnover / year</th><th>costs</th><th>failed rebalances</th></tr>\n";
  for (const auto& s : response.result.strategies) {
    const BacktestMetrics& m = s.metrics;
    html += "<tr><td>" + s.name + "</td><td>" + Percent(m.total_return, 1) + "</td><td>" +
            Percent(m.annual_return) + "</td><td>" + Percent(m.annual_volatility) + "</td><td>" +
            Ratio(m.sharpe_ratio) + "</td><td>" + Ratio(m.sortino_ratio) + "</td><td>" +
            Percent(m.max_drawdown) + "</td><td>" + Percent(m.annual_turnover, 1) + "</td><td>" +
            Percent(m.costs) + "</td><td>" + std::to_string(m.failed_rebalances) + "</td></tr>\n";
  }
  html +=
      "</table>\n<p><img src=\"wealth.svg\" alt=\"wealth\"></p>\n<p><img src=\"drawdown.svg\" "
      "alt=\"drawdown\"></p>\n";
  for (std::size_t s = 0; s < dirs.size(); ++s) {
    html += "<p><img src=\"" + dirs[s] + "/weights.svg\" alt=\"weights\"></p>\n";
  }
  return html + "</body></html>\n";
}

Status WriteOutputs(const service::BacktestResponse& response, const std::string& out_dir) {
  namespace fs = std::filesystem;
  const fs::path root(out_dir);
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) {
    return MakeError(ErrorCode::kIoError, "cannot create '" + out_dir + "': " + ec.message(),
                     "--out");
  }
  PFOPT_RETURN_IF_ERROR(WriteFile(root / "summary.json",
                                  service::BacktestResponseToJson(response, false).dump(2) + "\n"));
  const BacktestResult& r = response.result;
  const std::vector<std::string> dirs = DirectoryNames(r.strategies);
  std::vector<ChartSeries> wealth, drawdown;
  for (std::size_t s = 0; s < r.strategies.size(); ++s) {
    const StrategyResult& strategy = r.strategies[s];
    const fs::path dir = root / dirs[s];
    fs::create_directories(dir, ec);
    if (ec) {
      return MakeError(ErrorCode::kIoError, "cannot create '" + dir.string() + "': " + ec.message(),
                       "--out");
    }
    TimeSeriesTable table{.periods = r.periods, .assets = {"wealth"}, .values = strategy.wealth};
    PFOPT_RETURN_IF_ERROR(WriteFile(dir / "wealth.csv", FormatTableCsv(table)));
    table.assets = strategy.assets;
    table.values = strategy.weights;
    PFOPT_RETURN_IF_ERROR(WriteFile(dir / "weights.csv", FormatTableCsv(table)));
    PFOPT_RETURN_IF_ERROR(WriteFile(dir / "rebalances.csv", RebalancesCsv(strategy)));
    std::vector<ChartSeries> layers;
    for (Index j = 0; j < strategy.weights.cols(); ++j) {
      if (strategy.weights.col(j).cwiseAbs().maxCoeff() > 0.0) {
        layers.push_back({strategy.assets[static_cast<std::size_t>(j)], strategy.weights.col(j)});
      }
    }
    PFOPT_RETURN_IF_ERROR(
        WriteFile(dir / "weights.svg",
                  StackedAreaSvg(r.periods, layers,
                                 {.title = strategy.name + ": weights held (the rest is cash)",
                                  .y_label = "weight",
                                  .percent = true})));
    wealth.push_back({strategy.name, strategy.wealth});
    drawdown.push_back({strategy.name, -DrawdownSeries(strategy.wealth)});
  }
  PFOPT_RETURN_IF_ERROR(WriteFile(
      root / "wealth.svg",
      LineChartSvg(
          r.periods, wealth,
          {.title = "Wealth (start = 1, log scale)", .y_label = "wealth", .log_scale = true})));
  PFOPT_RETURN_IF_ERROR(WriteFile(
      root / "drawdown.svg",
      LineChartSvg(
          r.periods, drawdown,
          {.title = "Drawdown from the running peak", .y_label = "drawdown", .percent = true})));
  return WriteFile(root / "index.html", IndexHtml(response, dirs));
}

class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled) {}
  void operator()(Index done, Index total) {
    if (!enabled_ || total <= 0) return;
    const int percent = static_cast<int>(100 * done / total);
    if (percent == last_ && done != total) return;
    last_ = percent;
    const int filled = percent * 40 / 100;
    std::fprintf(stderr, "\rbacktest [%s%s] %3d%% %lld/%lld periods",
                 std::string(filled, '#').c_str(), std::string(40 - filled, '.').c_str(), percent,
                 static_cast<long long>(done), static_cast<long long>(total));
    if (done == total) std::fputc('\n', stderr);
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  int last_ = -1;
};

int Run(const BacktestFlags& flags) {
  std::vector<std::string> sources;
  auto fail = [&](const Error& error) {
    PrintError("backtest",
               Error(error.code(), error.message() + SourceOf(error, sources), error.field()));
    if (flags.format == "json") std::cout << service::ErrorToJson(error).dump(2) << "\n";
    return service::ExitCodeFor(error.code());
  };
  auto request = BuildBacktestRequest(flags, &sources);
  if (!request) return fail(request.error());
  if (flags.print_request) {
    std::cout << service::BacktestRequestToJson(*request).dump(2) << "\n";
    return service::kExitSolved;
  }
  auto bar = std::make_shared<ProgressBar>(flags.progress ||
                                           (!flags.quiet && isatty(fileno(stderr)) == 1));
  auto response = service::RunBacktestRequest(
      *request, [bar](Index done, Index total) { (*bar)(done, total); });
  if (!response) return fail(response.error());
  if (!flags.out_dir.empty()) {
    if (auto status = WriteOutputs(*response, flags.out_dir); !status) return fail(status.error());
  }
  if (flags.format == "json") {
    std::cout << service::BacktestResponseToJson(*response, false).dump(2) << "\n";
  } else {
    PrintTable(*response);
    if (!flags.out_dir.empty()) {
      std::printf(
          "wrote %s/summary.json, wealth.svg, drawdown.svg, index.html and per strategy "
          "wealth.csv, weights.csv, rebalances.csv, weights.svg\n",
          flags.out_dir.c_str());
    }
  }
  long long failed = 0;
  for (const auto& s : response->result.strategies) {
    for (const std::string& w : s.warnings) {
      std::cerr << "pfopt backtest: warning: strategy '" << s.name << "': " << w << "\n";
    }
    if (s.metrics.failed_rebalances == 0) continue;
    failed += s.metrics.failed_rebalances;
    for (const RebalanceRecord& r : s.rebalances) {
      if (r.outcome != RebalanceOutcome::kFailed) continue;
      std::cerr << "pfopt backtest: strategy '" << s.name << "': " << s.metrics.failed_rebalances
                << " of " << s.metrics.rebalances
                << " rebalances failed and kept the drifted weights; the first, at " << r.date
                << ": " << r.message << "\n";
      break;
    }
  }
  for (const std::string& w : response->result.warnings) {
    std::cerr << "pfopt backtest: warning: " << w << "\n";
  }
  return service::ExitCodeForBacktest(failed);
}

}  // namespace

void AddBacktestCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<BacktestFlags>();
  CLI::App* command = app.add_subcommand(
      "backtest",
      "Walk-forward backtest over a price CSV: at each rebalance every --request (an "
      "OptimizationRequest whose strategies name price columns) is optimised on the history "
      "before that date, then held with drifting weights, costs and cash; --equal-weight and "
      "--buy-and-hold add benchmarks. Prints a table; --out DIR writes summary.json, CSVs and "
      "SVG charts (docs/backtest.md).");
  command->add_option("--prices", flags->prices_file,
                      "CSV of prices: a date column then one column per asset (docs/data.md)");
  command->add_option("--request", flags->request_files,
                      "OptimizationRequest JSON file, repeatable; its strategies list asset ids "
                      "(price columns) without histories; the strategy is named by portfolio_id");
  command->add_flag("--equal-weight", flags->equal_weight,
                    "add an equal-weight strategy over every asset, rebalanced on schedule");
  command->add_flag(
      "--buy-and-hold", flags->buy_and_hold,
      "add an equal-weight buy-and-hold benchmark (bought at the start, never traded)");
  command->add_option("--backtest-request", flags->backtest_request_file,
                      "a whole BacktestRequest JSON (prices, strategies, settings): the body of "
                      "POST /api/v1/backtest; '-' reads stdin");
  command->add_option("--window", flags->window,
                      "estimation window in return periods (default 252); also the history needed "
                      "before the start");
  command->add_option("--window-type", flags->window_type, "rolling (default) | expanding");
  command->add_option("--min-history", flags->min_history,
                      "returns an asset needs in the window to be eligible (default: the window)");
  command->add_option("--rebalance", flags->rebalance,
                      "monthly (default) | quarterly | periodic | drift | never, or a number N "
                      "(every N periods)");
  command->add_option("--every", flags->every,
                      "periods between rebalances of 'periodic' (default 21)");
  command->add_option(
      "--drift-threshold", flags->drift_threshold,
      "'drift': rebalance when a weight is this far from its target (default 0.05)");
  command->add_option("--cost-bps", flags->cost_bps,
                      "proportional cost per side, basis points of the traded value (default 0)");
  command->add_option("--asset-cost", flags->asset_costs,
                      "ASSET=BPS cost of one asset, repeatable");
  command->add_option("--risk-free-rate", flags->risk_free_rate,
                      "annualised, for the Sharpe and Sortino ratios (default 0)");
  command->add_option("--cash-rate", flags->cash_rate,
                      "annualised rate earned by cash (default 0)");
  command->add_option("--periods-per-year", flags->periods_per_year, "default 252");
  command->add_option("--from", flags->from,
                      "first date to simulate (earlier data feed the window)");
  command->add_option("--to", flags->to, "last date to simulate");
  command->add_option("--out", flags->out_dir, "directory for summary.json, CSVs and SVG charts");
  command->add_option("--format", flags->format, "stdout: table (default) | json")
      ->check(CLI::IsMember({"json", "table"}));
  command->add_flag("--print-request", flags->print_request,
                    "print the BacktestRequest JSON built from the flags and exit");
  command->add_flag("--progress", flags->progress,
                    "draw the progress bar even if stderr is not a terminal");
  command->add_flag("--quiet", flags->quiet, "no progress bar");
  command->footer(
      "A failed optimisation at a rebalance keeps the drifted weights and is recorded "
      "(rebalances.csv, summary.json 'failures'); an error at a strategy's first optimisation "
      "stops the run.\nExit codes: 0 every rebalance solved, 1 some rebalance unsolved (results "
      "still written), 2 bad input, 3 internal error.\nExample: pfopt backtest --prices "
      "examples/data/stock_prices.csv --request examples/requests/backtest_max_sharpe.json "
      "--equal-weight --buy-and-hold --window 252 --rebalance monthly --cost-bps 10 --out "
      "backtest_out");
  command->callback([flags, exit_code] { *exit_code = Run(*flags); });
}

}  // namespace pfopt::cli
