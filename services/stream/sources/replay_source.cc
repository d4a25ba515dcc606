#include "services/stream/sources/replay_source.h"

#include <cmath>
#include <cstdio>

namespace pfopt::stream {

Result<std::unique_ptr<ReplaySource>> ReplaySource::FromCsv(const std::string& path) {
  auto table = ReadTableCsv(path);
  if (!table) return tl::unexpected(table.error());
  std::unique_ptr<ReplaySource> source(new ReplaySource());
  for (std::size_t r = 0; r < table->periods.size(); ++r) {
    const std::string& label = table->periods[r];
    auto time = ParseIsoTimestampMs(label.size() == 10 ? label + "T00:00:00Z" : label);
    if (!time) {
      return InvalidArgument(path + " row " + std::to_string(r + 2) + ": '" + label +
                                 "' is not a date or an ISO-8601 date-time with an offset",
                             "replay");
    }
    source->row_times_.push_back(*time);
  }
  source->table_ = std::move(*table);
  return source;
}

Result<std::unique_ptr<ReplaySource>> ReplaySource::FromRecording(const std::string& directory,
                                                                  const std::string& prices_topic) {
  auto recorded = ReadRecording(directory, prices_topic);
  if (!recorded) return tl::unexpected(recorded.error());
  std::unique_ptr<ReplaySource> source(new ReplaySource());
  source->recorded_ = std::move(*recorded);
  source->from_recording_ = true;
  return source;
}

Result<bool> ReplaySource::Next(std::vector<BourseData>* out, const std::atomic<bool>&) {
  if (from_recording_) {
    // A batch of up to 256 records.
    for (int k = 0; k < 256 && next_record_ < recorded_.size(); ++k, ++next_record_) {
      auto record = codecs_.Decode(RecordType::kBourseData, recorded_[next_record_].avro);
      if (!record) {
        ++undecodable_;
        continue;
      }
      out->push_back(std::move(std::get<BourseData>(*record)));
      ++replayed_;
    }
    return next_record_ < recorded_.size();
  }
  if (row_ >= table_.num_periods()) return false;
  const std::string time = FormatIsoTimestampMs(row_times_[static_cast<std::size_t>(row_)]);
  char price[64];
  for (Index a = 0; a < table_.num_assets(); ++a) {
    const double value = table_.values(row_, a);
    if (std::isnan(value)) continue;
    std::snprintf(price, sizeof(price), "%.10g", value);
    BourseData& quote = out->emplace_back();
    quote.ticker = table_.assets[static_cast<std::size_t>(a)];
    quote.label = quote.ticker;
    quote.field_cours_courant = price;
    quote.field_last_traded_price = price;
    quote.field_last_traded_time = time;
    ++replayed_;
  }
  ++row_;
  return row_ < table_.num_periods();
}

}  // namespace pfopt::stream
