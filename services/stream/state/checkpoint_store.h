// Where the rebalancer's state goes: named blobs replaced atomically and durably.
//
// DirectoryCheckpointStore writes <dir>/<name>.ckpt via a temporary file, fsync, rename and an
// fsync of the directory, so after a crash (even SIGKILL or power loss) a checkpoint is either
// the previous one or the new one, whole. Each file carries a magic number, a format version and
// a CRC-32; a damaged file is an error, never silently ignored.
#ifndef PFOPT_SERVICES_STREAM_STATE_CHECKPOINT_STORE_H_
#define PFOPT_SERVICES_STREAM_STATE_CHECKPOINT_STORE_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pfopt/core/error.h"

namespace pfopt::stream {

class CheckpointStore {
 public:
  virtual ~CheckpointStore() = default;
  // Durably replaces checkpoint `name` ([A-Za-z0-9._-]+) with `bytes`.
  virtual Status Save(const std::string& name, std::string_view bytes) = 0;
  // Saves several; each one is atomic on its own (a crash may leave some old, some new). The
  // default calls Save for each.
  virtual Status SaveAll(const std::vector<std::pair<std::string, std::string>>& blobs);
  // The last saved bytes, or nullopt when there is none. Errors: unreadable or damaged.
  virtual Result<std::optional<std::string>> Load(const std::string& name) = 0;
};

class DirectoryCheckpointStore final : public CheckpointStore {
 public:
  // Creates the directory if needed. `fsync` false skips the fsyncs (tests, benchmarks: the
  // data then survives a killed process but not a power loss).
  static Result<std::unique_ptr<DirectoryCheckpointStore>> Open(const std::string& directory,
                                                                bool fsync = true);
  Status Save(const std::string& name, std::string_view bytes) override;
  // One fsync per file and one of the directory for all of them.
  Status SaveAll(const std::vector<std::pair<std::string, std::string>>& blobs) override;
  Result<std::optional<std::string>> Load(const std::string& name) override;

 private:
  // Writes and fsyncs <name>.ckpt.tmp.
  Status WriteTemporary(const std::string& name, std::string_view bytes);
  Status Publish(const std::string& name);  // rename into place
  Status SyncDirectory();
  DirectoryCheckpointStore(std::string directory, bool fsync)
      : directory_(std::move(directory)), fsync_(fsync) {}
  std::string directory_;
  bool fsync_;
};

// In memory (tests; or a process that wants no persistence).
class MemoryCheckpointStore final : public CheckpointStore {
 public:
  Status Save(const std::string& name, std::string_view bytes) override;
  Result<std::optional<std::string>> Load(const std::string& name) override;

 private:
  std::mutex mutex_;
  std::map<std::string, std::string> blobs_;
};

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_STATE_CHECKPOINT_STORE_H_
