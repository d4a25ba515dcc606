#include "services/stream/stages/returns_stage.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "services/stream/state/byte_io.h"

namespace pfopt::stream {

int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status ReturnsOptions::Validate() const {
  if (window_ms <= 0) {
    return InvalidArgument("window is " + std::to_string(window_ms) + " ms; it must be > 0",
                           "window_ms");
  }
  if (out_of_orderness_ms < 0) {
    return InvalidArgument("out-of-orderness must be >= 0 ms", "out_of_orderness_ms");
  }
  return Ok();
}

ReturnsStage::ReturnsStage(const ReturnsOptions& options,
                           const std::vector<PortfolioConfig>& portfolios)
    : options_(options), batch_(portfolios.size()) {
  for (std::size_t p = 0; p < portfolios.size(); ++p) {
    portfolio_ids_.push_back(portfolios[p].id);
    for (const std::string& ticker : portfolios[p].tickers) {
      auto [it, inserted] =
          ticker_index_.emplace(ticker, static_cast<int32_t>(ticker_names_.size()));
      if (inserted) {
        ticker_names_.push_back(ticker);
        ticker_portfolios_.emplace_back();
      }
      ticker_portfolios_[static_cast<std::size_t>(it->second)].push_back(static_cast<int32_t>(p));
    }
  }
}

int64_t ReturnsStage::WindowOf(int64_t time_ms) const {
  const int64_t w = options_.window_ms;
  return time_ms >= 0 ? time_ms / w : -((-time_ms + w - 1) / w);
}

Status ReturnsStage::Open(int32_t partition, int32_t num_partitions,
                          const std::optional<std::string>& saved, Emitter&) {
  PartitionState state;
  state.num_partitions = num_partitions;
  state.tickers.resize(ticker_names_.size());
  if (saved) {
    ByteReader in(*saved);
    auto fail = [&]() {
      return MakeError(ErrorCode::kParseError, "the returns stage's saved state of partition " +
                                                   std::to_string(partition) + " is damaged");
    };
    int32_t saved_partitions = 0;
    int64_t tickers = 0, windows = 0;
    in.I32(&saved_partitions);
    in.I64(&state.max_event_ms);
    in.I64(&state.watermark_ms);
    in.I64(&state.marker_window);
    if (!in.Count(8, &tickers)) return fail();
    for (int64_t t = 0; t < tickers; ++t) {
      std::string name;
      double last = kNaN;
      int64_t open = 0;
      in.Str(&name);
      in.F64(&last);
      if (!in.Count(24, &open)) return fail();
      TickerState ticker;
      ticker.last_closed_price = last;
      for (int64_t k = 0; k < open; ++k) {
        OpenWindow w{};
        in.I64(&w.window);
        in.F64(&w.price);
        in.I64(&w.time_ms);
        ticker.open.push_back(w);
      }
      auto it = ticker_index_.find(name);
      if (it != ticker_index_.end()) state.tickers[static_cast<std::size_t>(it->second)] = ticker;
    }
    if (!in.Count(16, &windows)) return fail();
    for (int64_t k = 0; k < windows; ++k) {
      int64_t window = 0, count = 0;
      in.I64(&window);
      if (!in.Count(8, &count)) return fail();
      for (int64_t i = 0; i < count; ++i) {
        std::string name;
        in.Str(&name);
        auto it = ticker_index_.find(name);
        if (it != ticker_index_.end()) state.windows[window].push_back(it->second);
      }
    }
    if (!in.AtEnd()) return fail();
    // A ticker dropped from the configuration leaves entries to forget.
    for (auto& entry : state.windows) {
      const auto window = entry.first;  // a plain variable: lambdas may capture it
      std::erase_if(entry.second, [&](int32_t id) {
        const auto& open = state.tickers[static_cast<std::size_t>(id)].open;
        return std::none_of(open.begin(), open.end(),
                            [&](const OpenWindow& w) { return w.window == window; });
      });
    }
    state.num_partitions = num_partitions;
  }
  partitions_[partition] = std::move(state);
  return Ok();
}

void ReturnsStage::Process(const Message& message, Emitter& out) {
  ++ticks_;
  if (message.record == nullptr) {
    ++rejected_;
    out.Reject(message, "undecodable BourseData: " + message.error);
    return;
  }
  const auto* quote = std::get_if<BourseData>(message.record.get());
  if (quote == nullptr) {
    ++rejected_;
    out.Reject(message, "not a BourseData record");
    return;
  }
  auto tick = ReadTick(*quote);
  if (!tick) {
    ++rejected_;
    out.Reject(message, tick.error().message() + " [" + tick.error().field() + "]");
    return;
  }
  auto index = ticker_index_.find(quote->ticker);
  if (index == ticker_index_.end()) {
    ++rejected_;
    out.Reject(message, "unknown ticker '" + quote->ticker + "' (in no configured portfolio)");
    return;
  }
  auto part = partitions_.find(message.partition);
  if (part == partitions_.end()) {
    ++rejected_;
    out.Reject(message, "partition " + std::to_string(message.partition) + " is not open");
    return;
  }
  PartitionState& state = part->second;
  const int64_t window = WindowOf(tick->event_time_ms);
  if (state.watermark_ms != kNone && (window + 1) * options_.window_ms <= state.watermark_ms) {
    ++late_;
    return;
  }
  TickerState& ticker = state.tickers[static_cast<std::size_t>(index->second)];
  auto it = std::find_if(ticker.open.rbegin(), ticker.open.rend(),
                         [&](const OpenWindow& w) { return w.window <= window; });
  if (it != ticker.open.rend() && it->window == window) {
    if (tick->event_time_ms >= it->time_ms) {
      it->price = tick->price;
      it->time_ms = tick->event_time_ms;
    }
  } else {
    ticker.open.insert(it.base(), OpenWindow{window, tick->price, tick->event_time_ms});
    state.windows[window].push_back(index->second);
  }
  if (state.max_event_ms == kNone || tick->event_time_ms > state.max_event_ms) {
    state.max_event_ms = tick->event_time_ms;
    const int64_t watermark = state.max_event_ms - options_.out_of_orderness_ms;
    if (state.watermark_ms == kNone || watermark > state.watermark_ms) {
      state.watermark_ms = watermark;
      CloseWindows(message.partition, state, message.trace_ns, out);
    }
  }
}

void ReturnsStage::CloseWindows(int32_t partition, PartitionState& state, int64_t trace_ns,
                                Emitter& out) {
  const int64_t w = options_.window_ms;
  bool any = false;
  while (!state.windows.empty() && (state.windows.begin()->first + 1) * w <= state.watermark_ms) {
    const int64_t window = state.windows.begin()->first;
    const int64_t window_end = (window + 1) * w;
    ++windows_closed_;
    for (int32_t id : state.windows.begin()->second) {
      TickerState& ticker = state.tickers[static_cast<std::size_t>(id)];
      const OpenWindow closed = ticker.open.front();
      ticker.open.erase(ticker.open.begin());
      if (!std::isnan(ticker.last_closed_price)) {
        const double r = std::log(closed.price / ticker.last_closed_price);
        for (int32_t p : ticker_portfolios_[static_cast<std::size_t>(id)]) {
          auto& messages = batch_[static_cast<std::size_t>(p)];
          if (messages.empty() || messages.back().window_end_ms != window_end) {
            WindowReturns& m = messages.emplace_back();
            m.portfolio_id = portfolio_ids_[static_cast<std::size_t>(p)];
            m.source_partition = partition;
            m.source_partitions = state.num_partitions;
            m.window_end_ms = window_end;
            m.watermark_ms = window_end;
          }
          messages.back().tickers.push_back(ticker_names_[static_cast<std::size_t>(id)]);
          messages.back().returns.push_back(r);
          ++returns_;
        }
        any = true;
      }
      ticker.last_closed_price = closed.price;
    }
    state.windows.erase(state.windows.begin());
  }
  const int64_t watermark_window = WindowOf(state.watermark_ms);
  const bool crossed = state.marker_window == kNone || watermark_window > state.marker_window;
  if (!any && !crossed) return;
  for (std::size_t p = 0; p < batch_.size(); ++p) {
    auto& messages = batch_[p];
    if (messages.empty()) {
      if (!crossed) continue;
      WindowReturns marker;
      marker.portfolio_id = portfolio_ids_[p];
      marker.source_partition = partition;
      marker.source_partitions = state.num_partitions;
      marker.window_end_ms = 0;
      marker.watermark_ms = state.watermark_ms;
      ++markers_;
      out.Emit(Topic::kWindowReturns, portfolio_ids_[p], state.watermark_ms, std::move(marker),
               trace_ns);
      continue;
    }
    messages.back().watermark_ms = state.watermark_ms;
    for (WindowReturns& m : messages) {
      ++messages_;
      const int64_t end = m.window_end_ms;
      out.Emit(Topic::kWindowReturns, portfolio_ids_[p], end, std::move(m), trace_ns);
    }
    messages.clear();
  }
  if (crossed) state.marker_window = watermark_window;
}

std::string ReturnsStage::Save(int32_t partition) const {
  ByteWriter out;
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) return out.Take();
  const PartitionState& state = it->second;
  out.I32(state.num_partitions);
  out.I64(state.max_event_ms);
  out.I64(state.watermark_ms);
  out.I64(state.marker_window);
  int64_t used = 0;
  for (const TickerState& t : state.tickers) {
    used += (!std::isnan(t.last_closed_price) || !t.open.empty()) ? 1 : 0;
  }
  out.I64(used);
  for (std::size_t id = 0; id < state.tickers.size(); ++id) {
    const TickerState& t = state.tickers[id];
    if (std::isnan(t.last_closed_price) && t.open.empty()) continue;
    out.Str(ticker_names_[id]);
    out.F64(t.last_closed_price);
    out.I64(static_cast<int64_t>(t.open.size()));
    for (const OpenWindow& w : t.open) {
      out.I64(w.window);
      out.F64(w.price);
      out.I64(w.time_ms);
    }
  }
  out.I64(static_cast<int64_t>(state.windows.size()));
  for (const auto& [window, ids] : state.windows) {
    out.I64(window);
    out.I64(static_cast<int64_t>(ids.size()));
    for (int32_t id : ids) out.Str(ticker_names_[static_cast<std::size_t>(id)]);
  }
  return out.Take();
}

std::vector<std::pair<std::string, int64_t>> ReturnsStage::Counters() const {
  return {{"ticks", ticks_},
          {"late_ticks", late_},
          {"rejected_ticks", rejected_},
          {"windows_closed", windows_closed_},
          {"returns", returns_},
          {"window_messages", messages_},
          {"watermark_markers", markers_}};
}

nlohmann::ordered_json ReturnsStage::Describe() const {
  nlohmann::ordered_json partitions = nlohmann::ordered_json::object();
  for (const auto& [partition, state] : partitions_) {
    nlohmann::ordered_json last_prices = nlohmann::ordered_json::object();
    int64_t open = 0;
    for (std::size_t id = 0; id < state.tickers.size(); ++id) {
      if (!std::isnan(state.tickers[id].last_closed_price)) {
        last_prices[ticker_names_[id]] = state.tickers[id].last_closed_price;
      }
      open += static_cast<int64_t>(state.tickers[id].open.size());
    }
    partitions[std::to_string(partition)] = {
        {"watermark_ms", state.watermark_ms == kNone ? nlohmann::ordered_json(nullptr)
                                                     : nlohmann::ordered_json(state.watermark_ms)},
        {"open_windows", state.windows.size()},
        {"open_ticker_windows", open},
        {"last_closed_prices", last_prices}};
  }
  return partitions;
}

}  // namespace pfopt::stream
