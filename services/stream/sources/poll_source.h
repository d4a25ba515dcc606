// Polled quotes: GET an exchange's JSON API every `interval_seconds`.
//
// The answer is a JSON array of quote objects, or an object holding one under `records_path`
// (dotted, e.g. "data.quotes"). Each BourseData field is read from the JSON field of the same
// name unless `field_map` renames it (e.g. ticker <- "symbol", field_cours_courant <- "last",
// field_last_traded_time <- "time"); strings are taken as they are, numbers printed in their
// shortest exact form, null and missing fields give "". Quotes whose (time, price) did not
// change since the last poll are skipped (skip_unchanged), so a quiet market does not repeat
// its last trade.
// Counted, never fatal: HTTP errors, timeouts, connection failures, answers that are not JSON or
// not of the expected shape, quotes that are not objects.
#ifndef PFOPT_SERVICES_STREAM_SOURCES_POLL_SOURCE_H_
#define PFOPT_SERVICES_STREAM_SOURCES_POLL_SOURCE_H_

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "services/stream/sources/source.h"

namespace pfopt::stream {

struct PollOptions {
  std::string url;
  // Seconds between two polls (> 0). Default 2.
  double interval_seconds = 2.0;
  // Timeout of one request, seconds (> 0). Default 5.
  double timeout_seconds = 5.0;
  // Where the array of quotes is in the answer ("" = the answer itself). Default "".
  std::string records_path;
  // BourseData field name -> JSON field name, for the fields named differently.
  std::map<std::string, std::string> field_map;
  // Skip a quote whose ticker, time and price equal the last one published. Default true.
  bool skip_unchanged = true;
  // Stop after this many polls (0 = no limit; tests).
  int64_t max_polls = 0;

  Status Validate() const;
};

class PollSource final : public PriceSource {
 public:
  // Errors: invalid options (a field_map key that is not a BourseData field, ...).
  static Result<std::unique_ptr<PollSource>> Create(const PollOptions& options);
  Result<bool> Next(std::vector<BourseData>* out, const std::atomic<bool>& stop) override;
  bool has_event_time() const override { return false; }
  std::vector<std::pair<std::string, int64_t>> Counters() const override;

  // Parses one answer into quotes (appended); errors describe why the answer is unusable.
  Status Parse(const std::string& body, std::vector<BourseData>* out);

 private:
  explicit PollSource(const PollOptions& options) : options_(options) {}
  PollOptions options_;
  std::vector<std::string> json_names_;  // per BourseData field (kBourseFields order)
  std::vector<std::string> path_;
  std::unordered_map<std::string, std::pair<std::string, std::string>>
      last_;  // ticker -> time, price
  std::chrono::steady_clock::time_point next_poll_{};
  int64_t polls_ = 0, http_errors_ = 0, timeouts_ = 0, connection_errors_ = 0, malformed_ = 0,
          bad_items_ = 0, quotes_ = 0, unchanged_ = 0;
};

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_SOURCES_POLL_SOURCE_H_
