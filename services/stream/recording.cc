#include "services/stream/recording.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "services/stream/log.h"

namespace pfopt::stream {

Result<std::unique_ptr<Recorder>> Recorder::Open(const std::string& directory,
                                                 const TopicNames& names) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error || !std::filesystem::is_directory(directory)) {
    return MakeError(ErrorCode::kIoError, "cannot create the recording directory " + directory);
  }
  return std::unique_ptr<Recorder>(new Recorder(directory, names));
}

Recorder::~Recorder() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [topic, files] : files_) {
    if (files.data != nullptr) std::fclose(files.data);
    if (files.meta != nullptr) std::fclose(files.meta);
  }
}

void Recorder::OnPublished(Topic topic, const std::string& key, int64_t timestamp_ms,
                           const Record& record) {
  std::lock_guard<std::mutex> lock(mutex_);
  Files& files = files_[topic];
  if (files.data == nullptr) {
    const std::string base = directory_ + "/" + names_[topic];
    files.data = std::fopen((base + ".avro-stream").c_str(), "wb");
    files.meta = std::fopen((base + ".meta.jsonl").c_str(), "wb");
    std::FILE* schema = std::fopen((base + ".avsc").c_str(), "wb");
    if (schema != nullptr) {
      const std::string_view text = SchemaJson(RecordTypeOf(topic));
      std::fwrite(text.data(), 1, text.size(), schema);
      std::fclose(schema);
    }
    if (files.data == nullptr || files.meta == nullptr) {
      if (errors_++ == 0) Log(LogLevel::kError, "record", "cannot create files for " + base);
      return;
    }
  }
  if (!codecs_.Encode(record, &bytes_)) {
    ++errors_;
    return;
  }
  const auto n = static_cast<uint32_t>(bytes_.size());
  const unsigned char length[4] = {
      static_cast<unsigned char>(n >> 24), static_cast<unsigned char>(n >> 16),
      static_cast<unsigned char>(n >> 8), static_cast<unsigned char>(n)};
  std::fwrite(length, 1, 4, files.data);
  std::fwrite(bytes_.data(), 1, bytes_.size(), files.data);
  const std::string meta =
      nlohmann::json({{"key", key}, {"timestamp_ms", timestamp_ms}}).dump() + "\n";
  std::fwrite(meta.data(), 1, meta.size(), files.meta);
  ++records_;
  const int64_t now = WallClockMs();
  if (now - last_flush_ms_ >= 1000) {
    last_flush_ms_ = now;
    for (auto& [t, f] : files_) {
      if (f.data != nullptr) std::fflush(f.data);
      if (f.meta != nullptr) std::fflush(f.meta);
    }
  }
}

void Recorder::Flush() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [topic, files] : files_) {
    if (files.data != nullptr) std::fflush(files.data);
    if (files.meta != nullptr) std::fflush(files.meta);
  }
}

Result<std::vector<RecordedMessage>> ReadRecording(const std::string& directory,
                                                   const std::string& topic_name) {
  const std::string base = directory + "/" + topic_name;
  std::ifstream data(base + ".avro-stream", std::ios::binary);
  std::ifstream meta(base + ".meta.jsonl");
  if (!data || !meta) {
    return MakeError(ErrorCode::kIoError, "no recording of topic '" + topic_name + "' in " +
                                              directory + " (" + base +
                                              ".avro-stream and .meta.jsonl)");
  }
  std::vector<RecordedMessage> out;
  std::string line;
  for (;;) {
    unsigned char length[4];
    if (!data.read(reinterpret_cast<char*>(length), 4)) break;
    const uint32_t n = (uint32_t{length[0]} << 24) | (uint32_t{length[1]} << 16) |
                       (uint32_t{length[2]} << 8) | uint32_t{length[3]};
    RecordedMessage message;
    message.avro.resize(n);
    if (!data.read(message.avro.data(), n)) break;  // truncated tail
    if (!std::getline(meta, line)) break;           // sidecar cut short by a crash
    nlohmann::json entry = nlohmann::json::parse(line, nullptr, false);
    if (entry.is_discarded() || !entry.contains("key") || !entry.contains("timestamp_ms") ||
        !entry["key"].is_string() || !entry["timestamp_ms"].is_number_integer()) {
      return MakeError(ErrorCode::kParseError, base + ".meta.jsonl line " +
                                                   std::to_string(out.size() + 1) +
                                                   " is not {\"key\": ..., \"timestamp_ms\": ...}");
    }
    message.key = entry["key"].get<std::string>();
    message.timestamp_ms = entry["timestamp_ms"].get<int64_t>();
    out.push_back(std::move(message));
  }
  return out;
}

}  // namespace pfopt::stream
