#include "services/stream/stages/statistics_stage.h"

#include <algorithm>
#include <cmath>

#include "services/stream/state/byte_io.h"

namespace pfopt::stream {

StatisticsStage::StatisticsStage(const std::vector<PortfolioConfig>& portfolios, Clock clock)
    : portfolios_(portfolios), clock_(std::move(clock)) {
  for (std::size_t p = 0; p < portfolios_.size(); ++p) {
    portfolio_index_[portfolios_[p].id] = p;
    auto& index = asset_index_.emplace_back();
    for (std::size_t i = 0; i < portfolios_[p].tickers.size(); ++i) {
      index[portfolios_[p].tickers[i]] = static_cast<Index>(i);
    }
  }
}

Result<OnlineMoments> StatisticsStage::Seed(const PortfolioConfig& config, const VectorRef& mean,
                                            const MatrixRef& covariance) const {
  OnlineMomentsOptions options;
  options.half_life = config.half_life;
  return OnlineMoments::FromPrior(mean, covariance, config.prior_count, options);
}

Status StatisticsStage::Open(int32_t partition, int32_t num_partitions,
                             const std::optional<std::string>& saved, Emitter& out) {
  std::vector<std::string> restored;
  if (saved) {
    auto fail = [&]() {
      return MakeError(ErrorCode::kParseError, "the statistics stage's saved state of partition " +
                                                   std::to_string(partition) + " is damaged");
    };
    ByteReader in(*saved);
    int64_t count = 0;
    if (!in.Count(8, &count)) return fail();
    for (int64_t k = 0; k < count; ++k) {
      std::string id;
      PortfolioState state;
      OnlineMoments::State moments;
      int64_t sources = 0, pending = 0;
      in.Str(&id);
      in.I64(&state.seed_timestamp_ms);
      in.Vec(&moments.mean);
      in.Mat(&moments.scatter);
      in.F64(&moments.scatter_scale);
      in.F64(&moments.weight_sum);
      in.F64(&moments.weight_square_sum);
      in.F64(&moments.observations);
      in.I32(&state.source_partitions);
      if (!in.Count(16, &sources)) return fail();
      state.watermarks.resize(static_cast<std::size_t>(sources));
      state.last_window.resize(static_cast<std::size_t>(sources));
      for (int64_t s = 0; s < sources; ++s) {
        in.I64(&state.watermarks[static_cast<std::size_t>(s)]);
        in.I64(&state.last_window[static_cast<std::size_t>(s)]);
      }
      if (!in.Count(16, &pending)) return fail();
      for (int64_t i = 0; i < pending; ++i) {
        int64_t end = 0;
        Pending entry;
        in.I64(&end);
        in.Vec(&entry.returns);
        state.pending[end] = std::move(entry);
      }
      in.I64(&state.closed_through);
      in.I64(&state.updates);
      if (!in.ok()) return fail();
      auto index = portfolio_index_.find(id);
      if (index == portfolio_index_.end()) continue;  // no longer configured
      const PortfolioConfig& config = portfolios_[index->second];
      if (moments.mean.size() != static_cast<Index>(config.tickers.size())) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "portfolio '" + id + "' has " + std::to_string(config.tickers.size()) +
                             " tickers but its saved statistics have " +
                             std::to_string(moments.mean.size()) +
                             "; a changed universe needs a fresh state (remove its checkpoint)");
      }
      OnlineMomentsOptions options;
      options.half_life = config.half_life;
      auto restored_moments = OnlineMoments::FromState(std::move(moments), options);
      if (!restored_moments) return fail();
      state.moments = std::move(*restored_moments);
      state.config = &config;
      state.partition = partition;
      restored.push_back(id);
      states_[id] = std::move(state);
    }
    if (!in.AtEnd()) return fail();
  }
  for (const PortfolioConfig& config : portfolios_) {
    if (PartitionForKey(config.id, num_partitions) != partition) continue;
    if (std::find(restored.begin(), restored.end(), config.id) != restored.end()) continue;
    auto moments = Seed(config, config.prior_mean, config.prior_covariance);
    if (!moments)
      return tl::unexpected(moments.error().WithFieldPrefix("portfolios[" + config.id + "]"));
    PortfolioState state;
    state.config = &config;
    state.partition = partition;
    state.moments = std::move(*moments);
    state.seed_timestamp_ms = clock_();
    PortfolioState& stored = states_[config.id] = std::move(state);
    Publish(Topic::kInitialStats, stored, stored.seed_timestamp_ms, 0, out);
    Publish(Topic::kUpdatedStats, stored, stored.seed_timestamp_ms, 0, out);
  }
  return Ok();
}

void StatisticsStage::Close(int32_t partition) {
  std::erase_if(states_, [&](const auto& entry) { return entry.second.partition == partition; });
}

void StatisticsStage::Process(const Message& message, Emitter& out) {
  if (message.record == nullptr) {
    ++rejected_;
    out.Reject(message, "undecodable record: " + message.error);
    return;
  }
  if (const auto* window = std::get_if<WindowReturns>(message.record.get())) {
    ProcessWindow(message, *window, out);
  } else if (const auto* stats = std::get_if<PortfolioStats>(message.record.get())) {
    ProcessSeed(message, *stats, out);
  } else {
    ++rejected_;
    out.Reject(message, "unexpected record type on an input of the statistics stage");
  }
}

void StatisticsStage::ProcessWindow(const Message& message, const WindowReturns& window,
                                    Emitter& out) {
  auto found = states_.find(window.portfolio_id);
  if (found == states_.end()) {
    ++rejected_;
    out.Reject(message, "unknown portfolio '" + window.portfolio_id + "'");
    return;
  }
  PortfolioState& state = found->second;
  if (window.source_partitions < 1 || window.source_partition < 0 ||
      window.source_partition >= window.source_partitions) {
    ++rejected_;
    out.Reject(message, "source partition " + std::to_string(window.source_partition) + " of " +
                            std::to_string(window.source_partitions) + " is impossible");
    return;
  }
  if (state.source_partitions == 0) {
    state.source_partitions = window.source_partitions;
    state.watermarks.assign(static_cast<std::size_t>(window.source_partitions), kNone);
    state.last_window.assign(static_cast<std::size_t>(window.source_partitions), kNone);
  } else if (state.source_partitions != window.source_partitions) {
    ++rejected_;
    out.Reject(message, "the price topic had " + std::to_string(state.source_partitions) +
                            " partitions and now has " + std::to_string(window.source_partitions) +
                            "; repartitioning needs a fresh state");
    return;
  }
  const auto source = static_cast<std::size_t>(window.source_partition);
  if (window.tickers.size() != window.returns.size()) {
    ++rejected_;
    out.Reject(message, "tickers and returns differ in number");
    return;
  }
  if (!window.tickers.empty()) {
    ++windows_received_;
    if (window.window_end_ms <= state.last_window[source]) {
      ++duplicates_;
      return;
    }
    if (window.window_end_ms <= state.closed_through) {
      ++late_windows_;
    } else {
      const auto& index = asset_index_[portfolio_index_.at(window.portfolio_id)];
      for (std::size_t i = 0; i < window.tickers.size(); ++i) {
        if (index.count(window.tickers[i]) == 0 || !std::isfinite(window.returns[i])) {
          ++rejected_;
          out.Reject(message, index.count(window.tickers[i]) == 0
                                  ? "ticker '" + window.tickers[i] + "' is not in portfolio '" +
                                        window.portfolio_id + "'"
                                  : "the return of '" + window.tickers[i] + "' is not finite");
          return;
        }
      }
      Pending& pending = state.pending[window.window_end_ms];
      if (pending.returns.size() == 0) {
        pending.returns = Vector::Zero(static_cast<Index>(state.config->tickers.size()));
      }
      for (std::size_t i = 0; i < window.tickers.size(); ++i) {
        pending.returns[index.at(window.tickers[i])] = window.returns[i];
      }
      pending.trace_ns = std::max(pending.trace_ns, message.trace_ns);
    }
    state.last_window[source] = window.window_end_ms;
  } else {
    ++markers_;
  }
  state.watermarks[source] = std::max(state.watermarks[source], window.watermark_ms);
  CloseReady(state, message.trace_ns, out);
}

void StatisticsStage::CloseReady(PortfolioState& state, int64_t trace_ns, Emitter& out) {
  int64_t watermark = std::numeric_limits<int64_t>::max();
  for (int64_t w : state.watermarks) watermark = std::min(watermark, w);
  if (state.watermarks.empty() || watermark == kNone) return;
  while (!state.pending.empty() && state.pending.begin()->first <= watermark) {
    const int64_t end = state.pending.begin()->first;
    const Pending& pending = state.pending.begin()->second;
    // Finite by construction (checked on the way in), so Add cannot fail.
    (void)state.moments->Add(pending.returns);
    ++state.updates;
    ++updates_;
    state.closed_through = std::max(state.closed_through, end);
    Publish(Topic::kUpdatedStats, state, end, std::max(trace_ns, pending.trace_ns), out);
    state.pending.erase(state.pending.begin());
  }
  state.closed_through = std::max(state.closed_through, watermark);
}

void StatisticsStage::ProcessSeed(const Message& message, const PortfolioStats& stats,
                                  Emitter& out) {
  auto found = states_.find(stats.portfolio_id);
  if (found == states_.end()) {
    ++rejected_;
    out.Reject(message, "unknown portfolio '" + stats.portfolio_id + "'");
    return;
  }
  PortfolioState& state = found->second;
  if (stats.timestamp_ms <= state.seed_timestamp_ms) return;  // our own seed, or an older one
  const PortfolioConfig& config = *state.config;
  const auto& index = asset_index_[portfolio_index_.at(config.id)];
  const Index n = static_cast<Index>(config.tickers.size());
  if (static_cast<Index>(stats.assets.size()) != n || stats.mean.size() != n ||
      stats.covariance.rows() != n || stats.covariance.cols() != n) {
    ++rejected_;
    out.Reject(message, "initial statistics of " + std::to_string(stats.assets.size()) +
                            " assets for a portfolio of " + std::to_string(n) + " tickers");
    return;
  }
  std::vector<Index> order(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) {
    auto it = index.find(stats.assets[static_cast<std::size_t>(i)]);
    if (it == index.end()) {
      ++rejected_;
      out.Reject(message, "initial statistics name '" + stats.assets[static_cast<std::size_t>(i)] +
                              "', not a ticker of portfolio '" + config.id + "'");
      return;
    }
    order[static_cast<std::size_t>(i)] = it->second;
  }
  Vector mean(n);
  Matrix covariance(n, n);
  for (Index i = 0; i < n; ++i) {
    mean[order[static_cast<std::size_t>(i)]] = stats.mean[i];
    for (Index j = 0; j < n; ++j) {
      covariance(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]) =
          stats.covariance(i, j);
    }
  }
  auto moments = Seed(config, mean, covariance);
  if (!moments) {
    ++rejected_;
    out.Reject(message, "invalid initial statistics: " + moments.error().message());
    return;
  }
  state.moments = std::move(*moments);
  state.seed_timestamp_ms = stats.timestamp_ms;
  ++reseeds_;
  Publish(Topic::kUpdatedStats, state, stats.timestamp_ms, message.trace_ns, out);
}

void StatisticsStage::Publish(Topic topic, const PortfolioState& state, int64_t timestamp_ms,
                              int64_t trace_ns, Emitter& out) {
  PortfolioStats stats;
  if (!state.moments->CovarianceInto(&stats.covariance)) {
    ++unpublished_;  // fewer than two observations and no prior
    return;
  }
  stats.timestamp_ms = timestamp_ms;
  stats.portfolio_id = state.config->id;
  stats.assets = state.config->tickers;
  stats.mean = state.moments->mean();
  const std::string& key = state.config->id;  // not stats.portfolio_id: stats is moved below
  out.Emit(topic, key, timestamp_ms, std::move(stats), trace_ns);
}

std::string StatisticsStage::Save(int32_t partition) const {
  ByteWriter out;
  std::vector<const std::pair<const std::string, PortfolioState>*> owned;
  for (const auto& entry : states_) {
    if (entry.second.partition == partition) owned.push_back(&entry);
  }
  std::sort(owned.begin(), owned.end(), [](auto* a, auto* b) { return a->first < b->first; });
  out.I64(static_cast<int64_t>(owned.size()));
  for (const auto* entry : owned) {
    const PortfolioState& state = entry->second;
    const OnlineMoments::State moments = state.moments->state();
    out.Str(entry->first);
    out.I64(state.seed_timestamp_ms);
    out.Vec(moments.mean);
    out.Mat(moments.scatter);
    out.F64(moments.scatter_scale);
    out.F64(moments.weight_sum);
    out.F64(moments.weight_square_sum);
    out.F64(moments.observations);
    out.I32(state.source_partitions);
    out.I64(static_cast<int64_t>(state.watermarks.size()));
    for (std::size_t s = 0; s < state.watermarks.size(); ++s) {
      out.I64(state.watermarks[s]);
      out.I64(state.last_window[s]);
    }
    out.I64(static_cast<int64_t>(state.pending.size()));
    for (const auto& [end, pending] : state.pending) {
      out.I64(end);
      out.Vec(pending.returns);
    }
    out.I64(state.closed_through);
    out.I64(state.updates);
  }
  return out.Take();
}

std::vector<std::pair<std::string, int64_t>> StatisticsStage::Counters() const {
  return {{"windows_received", windows_received_}, {"watermark_markers_received", markers_},
          {"duplicate_windows", duplicates_},      {"late_windows", late_windows_},
          {"statistics_updates", updates_},        {"reseeds", reseeds_},
          {"rejected_window_messages", rejected_}, {"statistics_not_published", unpublished_}};
}

nlohmann::ordered_json StatisticsStage::Describe() const {
  std::vector<std::string> ids;
  for (const auto& entry : states_) ids.push_back(entry.first);
  std::sort(ids.begin(), ids.end());
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const std::string& id : ids) {
    const PortfolioState& state = states_.at(id);
    nlohmann::ordered_json mean = nlohmann::ordered_json::object();
    nlohmann::ordered_json covariance = nlohmann::ordered_json::object();
    Matrix sigma;
    const bool has_covariance = state.moments->CovarianceInto(&sigma);
    for (std::size_t i = 0; i < state.config->tickers.size(); ++i) {
      const std::string& a = state.config->tickers[i];
      mean[a] = state.moments->mean()[static_cast<Index>(i)];
      if (!has_covariance) continue;
      nlohmann::ordered_json row = nlohmann::ordered_json::object();
      for (std::size_t j = 0; j < state.config->tickers.size(); ++j) {
        row[state.config->tickers[j]] = sigma(static_cast<Index>(i), static_cast<Index>(j));
      }
      covariance[a] = row;
    }
    out[id] = {{"partition", state.partition},
               {"observations", state.moments->observations()},
               {"updates", state.updates},
               {"closed_through_ms", state.closed_through == kNone
                                         ? nlohmann::ordered_json(nullptr)
                                         : nlohmann::ordered_json(state.closed_through)},
               {"pending_windows", state.pending.size()},
               {"mean", mean},
               {"covariance", covariance}};
  }
  return out;
}

}  // namespace pfopt::stream
