#include "services/stream/sources/poll_source.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "services/stream/http_client.h"
#include "services/stream/log.h"

namespace pfopt::stream {

Status PollOptions::Validate() const {
  if (url.empty()) return InvalidArgument("no URL to poll", "url");
  if (!(interval_seconds > 0.0) || !std::isfinite(interval_seconds)) {
    return InvalidArgument("the poll interval must be > 0 seconds", "interval_seconds");
  }
  if (!(timeout_seconds > 0.0) || !std::isfinite(timeout_seconds)) {
    return InvalidArgument("the request timeout must be > 0 seconds", "timeout_seconds");
  }
  for (const auto& [field, json_name] : field_map) {
    bool known = false;
    for (const auto& f : kBourseFields) known = known || f.name == field;
    if (!known) {
      return InvalidArgument(
          "'" + field + "' is not a BourseData field (schemas/avro/BourseData.avsc)",
          "field_map." + field);
    }
    if (json_name.empty())
      return InvalidArgument("empty JSON name for " + field, "field_map." + field);
  }
  if (max_polls < 0) return InvalidArgument("max_polls must be >= 0", "max_polls");
  return Ok();
}

Result<std::unique_ptr<PollSource>> PollSource::Create(const PollOptions& options) {
  PFOPT_RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<PollSource> source(new PollSource(options));
  for (const auto& field : kBourseFields) {
    auto it = options.field_map.find(std::string(field.name));
    source->json_names_.push_back(it != options.field_map.end() ? it->second
                                                                : std::string(field.name));
  }
  std::stringstream path(options.records_path);
  for (std::string part; std::getline(path, part, '.');) {
    if (!part.empty()) source->path_.push_back(part);
  }
  return source;
}

Status PollSource::Parse(const std::string& body, std::vector<BourseData>* out) {
  nlohmann::json document = nlohmann::json::parse(body, nullptr, false);
  if (document.is_discarded()) return InvalidArgument("the answer is not JSON");
  const nlohmann::json* node = &document;
  for (const std::string& part : path_) {
    if (!node->is_object() || !node->contains(part)) {
      return InvalidArgument("the answer has no '" + options_.records_path + "'");
    }
    node = &(*node)[part];
  }
  if (!node->is_array()) {
    return InvalidArgument(
        "the quotes are not a JSON array" +
        (options_.records_path.empty() ? std::string() : " at '" + options_.records_path + "'"));
  }
  for (const auto& item : *node) {
    if (!item.is_object()) {
      ++bad_items_;
      continue;
    }
    BourseData quote;
    bool ok = true;
    for (std::size_t f = 0; f < kBourseFields.size() && ok; ++f) {
      auto it = item.find(json_names_[f]);
      if (it == item.end() || it->is_null()) continue;
      std::string& target = quote.*kBourseFields[f].member;
      if (it->is_string()) {
        target = it->get<std::string>();
      } else if (it->is_number() || it->is_boolean()) {
        target = it->dump();
      } else {
        ok = false;
      }
    }
    if (!ok) {
      ++bad_items_;
      continue;
    }
    if (options_.skip_unchanged && !quote.ticker.empty()) {
      const std::string& price = quote.field_cours_courant.empty() ? quote.field_last_traded_price
                                                                   : quote.field_cours_courant;
      auto [it, inserted] = last_.try_emplace(quote.ticker, quote.field_last_traded_time, price);
      if (!inserted) {
        if (it->second.first == quote.field_last_traded_time && it->second.second == price) {
          ++unchanged_;
          continue;
        }
        it->second = {quote.field_last_traded_time, price};
      }
    }
    ++quotes_;
    out->push_back(std::move(quote));
  }
  return Ok();
}

Result<bool> PollSource::Next(std::vector<BourseData>* out, const std::atomic<bool>& stop) {
  if (options_.max_polls > 0 && polls_ >= options_.max_polls) return false;
  while (!stop && std::chrono::steady_clock::now() < next_poll_) {
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(50), next_poll_ - std::chrono::steady_clock::now()));
  }
  if (stop) return false;
  next_poll_ = std::chrono::steady_clock::now() +
               std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                   std::chrono::duration<double>(options_.interval_seconds));
  ++polls_;
  HttpRequest request;
  request.url = options_.url;
  request.timeout_seconds = options_.timeout_seconds;
  request.headers = {"Accept: application/json"};
  bool timed_out = false;
  auto response = SendHttp(request, &timed_out);
  auto warn = [&](const std::string& message) {
    const int64_t problems = http_errors_ + timeouts_ + connection_errors_ + malformed_;
    if (problems <= 10 || problems % 100 == 0) Log(LogLevel::kWarning, "poll", message);
  };
  if (!response) {
    ++(timed_out ? timeouts_ : connection_errors_);
    warn(response.error().message());
  } else if (response->status != 200) {
    ++http_errors_;
    warn("GET " + options_.url + ": HTTP " + std::to_string(response->status));
  } else if (Status parsed = Parse(response->body, out); !parsed) {
    ++malformed_;
    warn("GET " + options_.url + ": " + parsed.error().message());
  }
  return options_.max_polls == 0 || polls_ < options_.max_polls;
}

std::vector<std::pair<std::string, int64_t>> PollSource::Counters() const {
  return {{"polls", polls_},
          {"http_errors", http_errors_},
          {"timeouts", timeouts_},
          {"connection_errors", connection_errors_},
          {"malformed_answers", malformed_},
          {"bad_quote_items", bad_items_},
          {"quotes", quotes_},
          {"unchanged_skipped", unchanged_}};
}

}  // namespace pfopt::stream
