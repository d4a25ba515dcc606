// Test helpers for the stream stages: an Emitter that records what it is given, message and
// portfolio builders, and the Casablanca configuration from examples/data/casablanca.
#ifndef PFOPT_SERVICES_STREAM_TESTING_STREAM_TEST_SUPPORT_H_
#define PFOPT_SERVICES_STREAM_TESTING_STREAM_TEST_SUPPORT_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "services/stream/portfolio_config.h"
#include "services/stream/stages/stage.h"

namespace pfopt::stream::testing {

struct Emitted {
  Topic topic;
  std::string key;
  int64_t timestamp_ms;
  Record record;
};

class RecordingEmitter final : public Emitter {
 public:
  void Emit(Topic topic, const std::string& key, int64_t timestamp_ms, Record record,
            int64_t) override {
    // Every portfolio record is keyed by its portfolio (the partitioning of docs/streaming.md).
    std::visit(
        [&](const auto& r) {
          if constexpr (requires { r.portfolio_id; }) {
            if (key != r.portfolio_id) {
              ADD_FAILURE() << "record of portfolio '" << r.portfolio_id << "' emitted with key '"
                            << key << "'";
            }
          }
        },
        record);
    emitted.push_back({topic, key, timestamp_ms, std::move(record)});
  }
  void Reject(const Message& message, const std::string& reason) override {
    rejected.push_back({message.offset, reason});
  }
  void Alert(const RebalanceAlert& alert) override { alerts.push_back(alert); }

  // The records emitted on `topic`, in order.
  template <class T>
  std::vector<T> On(Topic topic) const {
    std::vector<T> out;
    for (const Emitted& e : emitted) {
      if (e.topic == topic) out.push_back(std::get<T>(e.record));
    }
    return out;
  }

  std::vector<Emitted> emitted;
  std::vector<std::pair<int64_t, std::string>> rejected;  // offset, reason
  std::vector<RebalanceAlert> alerts;
};

inline Message MakeMessage(Topic topic, std::string key, Record record, int32_t partition = 0,
                           int64_t offset = 0) {
  Message message;
  message.topic = topic;
  message.key = std::move(key);
  message.partition = partition;
  message.offset = offset;
  message.record = std::make_shared<const Record>(std::move(record));
  return message;
}

// A BourseData quote with the fields the stages read.
inline BourseData Quote(const std::string& ticker, const std::string& price,
                        const std::string& time) {
  BourseData quote;
  quote.ticker = ticker;
  quote.field_cours_courant = price;
  quote.field_last_traded_time = time;
  return quote;
}

// A portfolio over `tickers` with a diagonal prior (variance 1e-4, mean 0, count `prior_count`).
inline PortfolioConfig SimplePortfolio(const std::string& id,
                                       const std::vector<std::string>& tickers,
                                       double prior_count = 0.0) {
  PortfolioConfig config;
  config.id = id;
  config.tickers = tickers;
  const Index n = static_cast<Index>(tickers.size());
  config.prior_mean = Vector::Zero(n);
  config.prior_covariance = 1e-4 * Matrix::Identity(n, n);
  config.prior_count = prior_count;
  config.initial_weights = Vector::Constant(n, 1.0 / static_cast<double>(n));
  return config;
}

// The Casablanca portfolio of examples/data/casablanca (weekly statistics, published
// initial weights, rf 0.0018 per week, 52 periods a year).
PortfolioConfig CasablancaPortfolio();

}  // namespace pfopt::stream::testing

#endif  // PFOPT_SERVICES_STREAM_TESTING_STREAM_TEST_SUPPORT_H_
