#include "services/rest/storage/storage.h"

#include "services/rest/storage/backends.h"

namespace pfopt::rest {

Status StorageOptions::Validate() const {
  if (read_connections < 1 || read_connections > 256) {
    return InvalidArgument(
        "read_connections is " + std::to_string(read_connections) + "; it must be in 1..256",
        "read_connections");
  }
  if (max_write_batch < 1 || max_write_batch > 100000) {
    return InvalidArgument(
        "max_write_batch is " + std::to_string(max_write_batch) + "; it must be in 1..100000",
        "max_write_batch");
  }
  if (connect_timeout_seconds < 1) {
    return InvalidArgument("connect_timeout_seconds must be >= 1", "connect_timeout_seconds");
  }
  if (sqlite_checkpoint_frames < 1 || sqlite_checkpoint_frames > 1000000) {
    return InvalidArgument("sqlite_checkpoint_frames is " +
                               std::to_string(sqlite_checkpoint_frames) +
                               "; it must be in 1..1000000",
                           "sqlite_checkpoint_frames");
  }
  return Ok();
}

Result<std::unique_ptr<Storage>> OpenStorage(std::string_view url, const StorageOptions& options) {
  PFOPT_RETURN_IF_ERROR(options.Validate());
  if (url.rfind("sqlite:", 0) == 0) {
    const std::string path(url.substr(7));
    if (path.empty()) {
      return InvalidArgument("sqlite: needs a file path, e.g. sqlite:run-data/pfopt.db", "db");
    }
    return internal::OpenSqliteStorage(path, options);
  }
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) {
    return internal::OpenPostgresStorage(std::string(url), options);
  }
  return InvalidArgument("unknown database URL '" + RedactedStorageUrl(url) +
                             "'; use sqlite:PATH or postgresql://USER@HOST:PORT/DB",
                         "db");
}

std::string RedactedStorageUrl(std::string_view url) {
  std::string out(url);
  // scheme://user:password@host -> scheme://user:***@host
  const auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    const auto at = out.find('@', scheme + 3);
    const auto colon = out.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at) {
      out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // ...?password=secret -> ...?password=***
  for (std::size_t pos = out.find("password="); pos != std::string::npos;
       pos = out.find("password=", pos + 1)) {
    const std::size_t start = pos + 9;
    const std::size_t end = out.find('&', start);
    out.replace(start, (end == std::string::npos ? out.size() : end) - start, "***");
  }
  return out;
}

}  // namespace pfopt::rest
