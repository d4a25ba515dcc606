// Replayed quotes: a price CSV, or a recording of the price topic (`--from-record DIR`).
//
// CSV: the price tables of pfopt (docs/data.md): a header `date,<ticker>,...`, one row per time,
// oldest first, empty cells for no trade. The row label is the event time: an ISO-8601 date-time
// with an offset, or a date (taken as 00:00 UTC). Each non-empty cell becomes a quote with the
// price printed to 10 significant digits.
// Recording: the BourseData records of <DIR>/<price topic>.avro-stream, in recorded order, as
// they were published (undecodable ones are counted and skipped).
#ifndef PFOPT_SERVICES_STREAM_SOURCES_REPLAY_SOURCE_H_
#define PFOPT_SERVICES_STREAM_SOURCES_REPLAY_SOURCE_H_

#include <memory>
#include <string>
#include <vector>

#include "pfopt/data/table.h"
#include "services/stream/recording.h"
#include "services/stream/sources/source.h"

namespace pfopt::stream {

class ReplaySource final : public PriceSource {
 public:
  // Errors: the CSV does not read (file, row and column named), a row label is not a time.
  static Result<std::unique_ptr<ReplaySource>> FromCsv(const std::string& path);
  // Errors: the recording does not read.
  static Result<std::unique_ptr<ReplaySource>> FromRecording(const std::string& directory,
                                                             const std::string& prices_topic);

  Result<bool> Next(std::vector<BourseData>* out, const std::atomic<bool>& stop) override;
  bool has_event_time() const override { return true; }
  std::vector<std::pair<std::string, int64_t>> Counters() const override {
    return {{"replayed", replayed_}, {"undecodable_records", undecodable_}};
  }

 private:
  ReplaySource() = default;
  TimeSeriesTable table_;
  std::vector<int64_t> row_times_;
  Index row_ = 0;
  std::vector<RecordedMessage> recorded_;
  std::size_t next_record_ = 0;
  AvroCodecs codecs_;
  bool from_recording_ = false;
  int64_t replayed_ = 0, undecodable_ = 0;
};

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_SOURCES_REPLAY_SOURCE_H_
