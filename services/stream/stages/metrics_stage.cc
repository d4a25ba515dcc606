#include "services/stream/stages/metrics_stage.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "services/stream/state/byte_io.h"

namespace pfopt::stream {

PortfolioMetrics ComputeMetrics(const std::string& portfolio_id, const VectorRef& weights,
                                const VectorRef& mean, const MatrixRef& covariance,
                                double risk_free_rate, double periods_per_year,
                                int64_t timestamp_ms) {
  PortfolioMetrics metrics;
  metrics.portfolio_id = portfolio_id;
  metrics.timestamp_ms = timestamp_ms;
  metrics.expected_return = weights.dot(mean);
  const double variance = weights.dot(covariance.selfadjointView<Eigen::Lower>() * weights);
  metrics.risk = std::sqrt(std::max(0.0, variance));
  metrics.sharpe_ratio =
      metrics.risk > 0.0
          ? std::sqrt(periods_per_year) * (metrics.expected_return - risk_free_rate) / metrics.risk
          : kNaN;
  return metrics;
}

namespace {

Status UniqueNames(const std::vector<std::string>& names, const char* what) {
  std::set<std::string> seen;
  for (const auto& name : names) {
    if (!seen.insert(name).second) {
      return InvalidArgument(std::string(what) + " name '" + name + "' twice");
    }
  }
  return Ok();
}

void WriteStats(ByteWriter& out, const PortfolioStats& stats) {
  out.I64(stats.timestamp_ms);
  out.Str(stats.portfolio_id);
  out.I64(static_cast<int64_t>(stats.assets.size()));
  for (const auto& a : stats.assets) out.Str(a);
  out.Vec(stats.mean);
  out.Mat(stats.covariance);
}

bool ReadStats(ByteReader& in, PortfolioStats* stats) {
  int64_t n = 0;
  in.I64(&stats->timestamp_ms);
  in.Str(&stats->portfolio_id);
  if (!in.Count(8, &n)) return false;
  stats->assets.resize(static_cast<std::size_t>(n));
  for (auto& a : stats->assets) in.Str(&a);
  in.Vec(&stats->mean);
  in.Mat(&stats->covariance);
  return in.ok();
}

void WriteWeights(ByteWriter& out, const PortfolioWeights& weights) {
  out.I64(weights.timestamp_ms);
  out.Str(weights.portfolio_id);
  out.I64(static_cast<int64_t>(weights.assets.size()));
  for (const auto& a : weights.assets) out.Str(a);
  out.Vec(weights.weights);
}

bool ReadWeights(ByteReader& in, PortfolioWeights* weights) {
  int64_t n = 0;
  in.I64(&weights->timestamp_ms);
  in.Str(&weights->portfolio_id);
  if (!in.Count(8, &n)) return false;
  weights->assets.resize(static_cast<std::size_t>(n));
  for (auto& a : weights->assets) in.Str(&a);
  in.Vec(&weights->weights);
  return in.ok();
}

}  // namespace

Status CheckStats(const PortfolioStats& stats) {
  const Index n = static_cast<Index>(stats.assets.size());
  if (n == 0 || stats.mean.size() != n || stats.covariance.rows() != n ||
      stats.covariance.cols() != n) {
    return InvalidArgument("statistics of " + std::to_string(n) + " assets have a mean of " +
                           std::to_string(stats.mean.size()) + " and a covariance of " +
                           std::to_string(stats.covariance.rows()) + "x" +
                           std::to_string(stats.covariance.cols()));
  }
  if (!stats.mean.allFinite() || !stats.covariance.allFinite()) {
    return InvalidArgument("statistics with a non-finite value");
  }
  return UniqueNames(stats.assets, "statistics");
}

Status CheckWeights(const PortfolioWeights& weights) {
  if (weights.assets.empty() ||
      weights.weights.size() != static_cast<Index>(weights.assets.size())) {
    return InvalidArgument("weights of " + std::to_string(weights.assets.size()) + " assets have " +
                           std::to_string(weights.weights.size()) + " values");
  }
  if (!weights.weights.allFinite()) return InvalidArgument("weights with a non-finite value");
  return UniqueNames(weights.assets, "weights");
}

MetricsStage::MetricsStage(const std::vector<PortfolioConfig>& portfolios)
    : portfolios_(portfolios) {}

Status MetricsStage::Open(int32_t partition, int32_t num_partitions,
                          const std::optional<std::string>& saved, Emitter&) {
  std::map<std::string, PortfolioState> restored;
  if (saved) {
    ByteReader in(*saved);
    int64_t count = 0;
    auto fail = [&]() {
      return MakeError(ErrorCode::kParseError, "the metrics stage's saved state of partition " +
                                                   std::to_string(partition) + " is damaged");
    };
    if (!in.Count(8, &count)) return fail();
    for (int64_t k = 0; k < count; ++k) {
      std::string id;
      uint8_t has_stats = 0, has_weights = 0, has_emitted = 0;
      PortfolioState state;
      in.Str(&id);
      in.U8(&has_stats);
      if (has_stats != 0) {
        auto stats = std::make_shared<PortfolioStats>();
        if (!ReadStats(in, stats.get())) return fail();
        state.stats = std::move(stats);
      }
      in.U8(&has_weights);
      if (has_weights != 0) {
        auto weights = std::make_shared<PortfolioWeights>();
        if (!ReadWeights(in, weights.get())) return fail();
        state.weights = std::move(weights);
      }
      in.U8(&has_emitted);
      in.F64(&state.last_return);
      in.F64(&state.last_risk);
      if (!in.ok()) return fail();
      state.has_emitted = has_emitted != 0;
      restored[id] = std::move(state);
    }
    if (!in.AtEnd()) return fail();
  }
  for (const PortfolioConfig& config : portfolios_) {
    if (PartitionForKey(config.id, num_partitions) != partition) continue;
    PortfolioState state;
    if (auto it = restored.find(config.id); it != restored.end()) state = std::move(it->second);
    state.config = &config;
    state.partition = partition;
    state.aligned_valid = false;
    states_[config.id] = std::move(state);
  }
  return Ok();
}

void MetricsStage::Close(int32_t partition) {
  std::erase_if(states_, [&](const auto& entry) { return entry.second.partition == partition; });
}

bool MetricsStage::Align(PortfolioState& state) {
  if (state.aligned_valid) return true;
  const PortfolioStats& stats = *state.stats;
  const PortfolioWeights& weights = *state.weights;
  state.aligned = Vector::Zero(static_cast<Index>(stats.assets.size()));
  if (weights.assets == stats.assets) {
    state.aligned = weights.weights;
  } else {
    for (std::size_t i = 0; i < weights.assets.size(); ++i) {
      auto it = std::find(stats.assets.begin(), stats.assets.end(), weights.assets[i]);
      if (it == stats.assets.end()) {
        if (weights.weights[static_cast<Index>(i)] != 0.0) return false;
        continue;
      }
      state.aligned[it - stats.assets.begin()] = weights.weights[static_cast<Index>(i)];
    }
  }
  state.aligned_valid = true;
  return true;
}

void MetricsStage::Process(const Message& message, Emitter& out) {
  const std::string* portfolio =
      PortfolioIdOfInput<PortfolioStats, PortfolioWeights>(message, out, "metrics", &rejected_);
  if (portfolio == nullptr) return;
  const std::string& id = *portfolio;
  const auto* stats = std::get_if<PortfolioStats>(message.record.get());
  const auto* weights = std::get_if<PortfolioWeights>(message.record.get());
  auto found = states_.find(id);
  if (found == states_.end()) {
    ++rejected_;
    out.Reject(message, "unknown portfolio '" + id + "'");
    return;
  }
  PortfolioState& state = found->second;
  Status valid = stats != nullptr ? CheckStats(*stats) : CheckWeights(*weights);
  if (!valid) {
    ++rejected_;
    out.Reject(message, valid.error().message());
    return;
  }
  // Keep the record itself (shared with the bus): no copy of the covariance.
  std::shared_ptr<const Record> record = message.record;
  if (stats != nullptr) {
    if (state.stats == nullptr || state.stats->assets != stats->assets) state.aligned_valid = false;
    state.stats = std::shared_ptr<const PortfolioStats>(record, stats);
  } else {
    state.weights = std::shared_ptr<const PortfolioWeights>(record, weights);
    state.aligned_valid = false;
  }
  if (state.stats == nullptr || state.weights == nullptr) return;
  if (!Align(state)) {
    ++mismatched_;
    out.Reject(message, "portfolio '" + id + "' has weights for assets its statistics lack");
    return;
  }
  ++computed_;
  const int64_t timestamp = stats != nullptr ? stats->timestamp_ms : weights->timestamp_ms;
  PortfolioMetrics metrics =
      ComputeMetrics(id, state.aligned, state.stats->mean, state.stats->covariance,
                     state.config->risk_free_rate, state.config->periods_per_year, timestamp);
  if (state.has_emitted && metrics.expected_return == state.last_return &&
      metrics.risk == state.last_risk) {
    ++deduplicated_;
    return;
  }
  state.has_emitted = true;
  state.last_return = metrics.expected_return;
  state.last_risk = metrics.risk;
  ++emitted_;
  const int64_t timestamp_ms = metrics.timestamp_ms;  // read before the record is moved
  out.Emit(Topic::kMetrics, id, timestamp_ms, std::move(metrics), message.trace_ns);
}

std::string MetricsStage::Save(int32_t partition) const {
  std::vector<std::string> ids;
  for (const auto& [id, state] : states_) {
    if (state.partition == partition) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  ByteWriter out;
  out.I64(static_cast<int64_t>(ids.size()));
  for (const std::string& id : ids) {
    const PortfolioState& state = states_.at(id);
    out.Str(id);
    out.U8(state.stats != nullptr ? 1 : 0);
    if (state.stats != nullptr) WriteStats(out, *state.stats);
    out.U8(state.weights != nullptr ? 1 : 0);
    if (state.weights != nullptr) WriteWeights(out, *state.weights);
    out.U8(state.has_emitted ? 1 : 0);
    out.F64(state.last_return);
    out.F64(state.last_risk);
  }
  return out.Take();
}

std::vector<std::pair<std::string, int64_t>> MetricsStage::Counters() const {
  return {{"metrics_computed", computed_},
          {"metrics_emitted", emitted_},
          {"metrics_deduplicated", deduplicated_},
          {"rejected_metric_inputs", rejected_ + mismatched_}};
}

nlohmann::ordered_json MetricsStage::Describe() const {
  std::vector<std::string> ids;
  for (const auto& entry : states_) ids.push_back(entry.first);
  std::sort(ids.begin(), ids.end());
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const std::string& id : ids) {
    const PortfolioState& state = states_.at(id);
    if (!state.has_emitted) {
      out[id] = nullptr;
      continue;
    }
    out[id] = {{"expected_return", state.last_return}, {"risk", state.last_risk}};
  }
  return out;
}

}  // namespace pfopt::stream
