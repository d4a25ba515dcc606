// Recordings of the messages a process publishes (`--record DIR`), and reading them back
// (`pfopt feed replay --from-record DIR`).
//
// Per topic, three files in DIR:
//   <topic>.avro-stream  the records: each a 4-byte big-endian length N, then N bytes of Avro
//                        binary (schemaless, the topic's schema; never the Confluent header);
//   <topic>.meta.jsonl   one JSON line per record, same order: {"key": ..., "timestamp_ms": ...};
//   <topic>.avsc         the schema, so any Avro implementation can decode the records
//                        (docs/streaming.md shows a 10-line Python reader).
// A recording cut short by a crash ends with at most one incomplete record, which readers skip.
#ifndef PFOPT_SERVICES_STREAM_RECORDING_H_
#define PFOPT_SERVICES_STREAM_RECORDING_H_

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "services/stream/avro/avro_codec.h"
#include "services/stream/rebalancer.h"

namespace pfopt::stream {

class Recorder final : public PublishObserver {
 public:
  // Creates DIR if needed; files are created per topic on its first record (truncating an
  // older recording of that topic). Errors: DIR cannot be created.
  static Result<std::unique_ptr<Recorder>> Open(const std::string& directory,
                                                const TopicNames& names);
  ~Recorder() override;

  // Thread-safe (a feed thread and the stream loop may record at once).
  void OnPublished(Topic topic, const std::string& key, int64_t timestamp_ms,
                   const Record& record) override;
  // Flushes the files to the OS (also done every second and on destruction).
  void Flush();
  int64_t records() const { return records_; }
  int64_t errors() const { return errors_; }

 private:
  Recorder(std::string directory, const TopicNames& names)
      : directory_(std::move(directory)), names_(names) {}
  struct Files {
    std::FILE* data = nullptr;
    std::FILE* meta = nullptr;
  };
  std::string directory_;
  TopicNames names_;
  std::mutex mutex_;
  std::map<Topic, Files> files_;
  AvroCodecs codecs_;
  std::string bytes_;
  int64_t records_ = 0, errors_ = 0;
  int64_t last_flush_ms_ = 0;
};

struct RecordedMessage {
  std::string key;
  int64_t timestamp_ms = 0;
  std::string avro;  // the record's Avro bytes
};

// Reads DIR/<topic>.avro-stream and its sidecar. Errors: the files are missing or the sidecar
// disagrees with the records (count, JSON); a truncated last record is dropped silently.
Result<std::vector<RecordedMessage>> ReadRecording(const std::string& directory,
                                                   const std::string& topic_name);

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_RECORDING_H_
