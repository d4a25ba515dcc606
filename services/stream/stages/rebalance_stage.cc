#include "services/stream/stages/rebalance_stage.h"

#include <algorithm>
#include <cmath>

#include "services/stream/stages/metrics_stage.h"
#include "services/stream/state/byte_io.h"

namespace pfopt::stream {

Result<std::unique_ptr<RebalanceStage>> RebalanceStage::Create(
    const std::vector<PortfolioConfig>& portfolios, Clock clock) {
  std::vector<PortfolioOptimizer> optimizers;
  for (const PortfolioConfig& config : portfolios) {
    auto optimizer = PortfolioOptimizer::Create(config);
    if (!optimizer) return tl::unexpected(optimizer.error());
    optimizers.push_back(std::move(*optimizer));
  }
  return std::unique_ptr<RebalanceStage>(
      new RebalanceStage(portfolios, std::move(optimizers), std::move(clock)));
}

RebalanceStage::RebalanceStage(const std::vector<PortfolioConfig>& portfolios,
                               std::vector<PortfolioOptimizer> optimizers, Clock clock)
    : portfolios_(portfolios), optimizers_(std::move(optimizers)), clock_(std::move(clock)) {
  for (const PortfolioConfig& config : portfolios_) {
    auto& index = asset_index_.emplace_back();
    for (std::size_t i = 0; i < config.tickers.size(); ++i) {
      index[config.tickers[i]] = static_cast<Index>(i);
    }
  }
}

Status RebalanceStage::Open(int32_t partition, int32_t num_partitions,
                            const std::optional<std::string>& saved, Emitter& out) {
  struct Saved {
    ThresholdTrigger::State trigger;
    Vector weights, mean;
    Matrix covariance;
    int64_t weights_timestamp_ms = 0, stats_timestamp_ms = 0;
  };
  std::map<std::string, Saved> restored;
  if (saved) {
    ByteReader in(*saved);
    int64_t count = 0;
    auto fail = [&]() {
      return MakeError(ErrorCode::kParseError, "the rebalance stage's saved state of partition " +
                                                   std::to_string(partition) + " is damaged");
    };
    if (!in.Count(8, &count)) return fail();
    for (int64_t k = 0; k < count; ++k) {
      std::string id;
      Saved s;
      uint8_t below = 0, fired = 0;
      in.Str(&id);
      in.U8(&below);
      in.U8(&fired);
      in.I64(&s.trigger.last_fired_ms);
      in.Vec(&s.weights);
      in.I64(&s.weights_timestamp_ms);
      in.Vec(&s.mean);
      in.Mat(&s.covariance);
      in.I64(&s.stats_timestamp_ms);
      if (!in.ok()) return fail();
      s.trigger.below = below != 0;
      s.trigger.has_fired = fired != 0;
      restored[id] = std::move(s);
    }
    if (!in.AtEnd()) return fail();
  }
  for (std::size_t p = 0; p < portfolios_.size(); ++p) {
    const PortfolioConfig& config = portfolios_[p];
    if (PartitionForKey(config.id, num_partitions) != partition) continue;
    PortfolioState state;
    state.index = p;
    state.partition = partition;
    const Index n = static_cast<Index>(config.tickers.size());
    auto it = restored.find(config.id);
    if (it != restored.end() &&
        (it->second.weights.size() == 0 || it->second.weights.size() == n)) {
      state.trigger = ThresholdTrigger(config.trigger, it->second.trigger);
      state.weights = it->second.weights;
      state.weights_timestamp_ms = it->second.weights_timestamp_ms;
      if (it->second.mean.size() == n) {
        state.mean = it->second.mean;
        state.covariance = it->second.covariance;
        state.stats_timestamp_ms = it->second.stats_timestamp_ms;
      }
      states_[config.id] = std::move(state);
      continue;
    }
    state.trigger = ThresholdTrigger(config.trigger);
    auto weights = StartupWeights(config, optimizers_[p]);
    if (!weights) return tl::unexpected(weights.error());
    PortfolioState& stored = states_[config.id] = std::move(state);
    PublishWeights(stored, *weights, clock_(), 0, out);
  }
  return Ok();
}

void RebalanceStage::Close(int32_t partition) {
  std::erase_if(states_, [&](const auto& entry) { return entry.second.partition == partition; });
}

void RebalanceStage::PublishWeights(PortfolioState& state, const Vector& weights,
                                    int64_t timestamp_ms, int64_t trace_ns, Emitter& out) {
  const PortfolioConfig& config = portfolios_[state.index];
  state.weights = weights;
  state.weights_timestamp_ms = timestamp_ms;
  ++published_;
  out.Emit(Topic::kWeights, config.id, timestamp_ms,
           PortfolioWeights{timestamp_ms, config.id, config.tickers, weights}, trace_ns);
}

void RebalanceStage::Process(const Message& message, Emitter& out) {
  const std::string* portfolio =
      PortfolioIdOfInput<PortfolioStats, PortfolioMetrics>(message, out, "rebalance", &rejected_);
  if (portfolio == nullptr) return;
  const std::string& id = *portfolio;
  const auto* stats = std::get_if<PortfolioStats>(message.record.get());
  const auto* metrics = std::get_if<PortfolioMetrics>(message.record.get());
  auto found = states_.find(id);
  if (found == states_.end()) {
    ++rejected_;
    out.Reject(message, "unknown portfolio '" + id + "'");
    return;
  }
  PortfolioState& state = found->second;
  const PortfolioConfig& config = portfolios_[state.index];
  if (stats != nullptr) {
    Status valid = CheckStats(*stats);
    const auto& index = asset_index_[state.index];
    const Index n = static_cast<Index>(config.tickers.size());
    if (valid && static_cast<Index>(stats->assets.size()) != n) {
      valid = InvalidArgument("statistics of " + std::to_string(stats->assets.size()) +
                              " assets for a portfolio of " + std::to_string(n));
    }
    if (!valid) {
      ++rejected_;
      out.Reject(message, valid.error().message());
      return;
    }
    if (stats->assets == config.tickers) {
      state.mean = stats->mean;
      state.covariance = stats->covariance;
    } else {
      std::vector<Index> order;
      for (const auto& asset : stats->assets) {
        auto it = index.find(asset);
        if (it == index.end()) {
          ++rejected_;
          out.Reject(message, "statistics name '" + asset + "', not a ticker of '" + id + "'");
          return;
        }
        order.push_back(it->second);
      }
      state.mean.resize(n);
      state.covariance.resize(n, n);
      for (Index i = 0; i < n; ++i) {
        state.mean[order[static_cast<std::size_t>(i)]] = stats->mean[i];
        for (Index j = 0; j < n; ++j) {
          state.covariance(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]) =
              stats->covariance(i, j);
        }
      }
    }
    state.stats_timestamp_ms = stats->timestamp_ms;
    return;
  }
  if (!std::isfinite(metrics->expected_return) || !std::isfinite(metrics->risk)) {
    ++rejected_;
    out.Reject(message, "metrics with a non-finite value");
    return;
  }
  if (!state.trigger.Update(metrics->sharpe_ratio, metrics->timestamp_ms)) return;
  ++triggers_;
  out.Alert(RebalanceAlert{id, metrics->sharpe_ratio, config.trigger.threshold,
                           metrics->expected_return, metrics->risk, metrics->timestamp_ms});
  if (state.mean.size() == 0) {
    ++no_statistics_;
    return;
  }
  ++reoptimizations_;
  auto result = optimizers_[state.index].Reoptimize(state.mean, state.covariance, metrics->risk);
  if (result) {
    last_seconds_ = result->seconds;
    reoptimization_seconds_ += result->seconds;
  }
  if (!result || !result->solved) {
    ++failed_;
    return;
  }
  if (state.weights.size() == result->weights.size() &&
      (state.weights - result->weights).cwiseAbs().maxCoeff() <=
          config.reoptimization.weight_tolerance) {
    ++unchanged_;
    return;
  }
  PublishWeights(state, result->weights, metrics->timestamp_ms, message.trace_ns, out);
}

std::string RebalanceStage::Save(int32_t partition) const {
  std::vector<std::string> ids;
  for (const auto& [id, state] : states_) {
    if (state.partition == partition) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  ByteWriter out;
  out.I64(static_cast<int64_t>(ids.size()));
  for (const std::string& id : ids) {
    const PortfolioState& state = states_.at(id);
    const ThresholdTrigger::State& trigger = state.trigger.state();
    out.Str(id);
    out.U8(trigger.below ? 1 : 0);
    out.U8(trigger.has_fired ? 1 : 0);
    out.I64(trigger.last_fired_ms);
    out.Vec(state.weights);
    out.I64(state.weights_timestamp_ms);
    out.Vec(state.mean);
    out.Mat(state.covariance);
    out.I64(state.stats_timestamp_ms);
  }
  return out.Take();
}

std::vector<std::pair<std::string, int64_t>> RebalanceStage::Counters() const {
  return {{"triggers", triggers_},
          {"reoptimizations", reoptimizations_},
          {"reoptimization_microseconds", static_cast<int64_t>(reoptimization_seconds_ * 1e6)},
          {"weights_published", published_},
          {"weights_unchanged", unchanged_},
          {"reoptimizations_failed", failed_},
          {"triggers_without_statistics", no_statistics_},
          {"rejected_rebalance_inputs", rejected_}};
}

nlohmann::ordered_json RebalanceStage::Describe() const {
  std::vector<std::string> ids;
  for (const auto& entry : states_) ids.push_back(entry.first);
  std::sort(ids.begin(), ids.end());
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const std::string& id : ids) {
    const PortfolioState& state = states_.at(id);
    const PortfolioConfig& config = portfolios_[state.index];
    nlohmann::ordered_json weights = nlohmann::ordered_json::object();
    for (Index i = 0; i < state.weights.size(); ++i) {
      weights[config.tickers[static_cast<std::size_t>(i)]] = state.weights[i];
    }
    out[id] = {{"weights", weights},
               {"weights_timestamp_ms", state.weights_timestamp_ms},
               {"below_threshold", state.trigger.state().below}};
  }
  return out;
}

}  // namespace pfopt::stream
