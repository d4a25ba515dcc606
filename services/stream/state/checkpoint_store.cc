#include "services/stream/state/checkpoint_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "services/stream/state/byte_io.h"

namespace pfopt::stream {

namespace {

constexpr char kMagic[4] = {'P', 'F', 'C', 'K'};
constexpr int32_t kFormatVersion = 1;

Status CheckName(const std::string& name) {
  if (name.empty()) return InvalidArgument("empty checkpoint name", "name");
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return InvalidArgument("checkpoint name '" + name + "' has a bad character", "name");
  }
  return Ok();
}

tl::unexpected<Error> IoError(const std::string& what, const std::string& path) {
  return MakeError(ErrorCode::kIoError, what + " " + path + ": " + std::strerror(errno));
}

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot write", path);
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return Ok();
}

}  // namespace

Result<std::unique_ptr<DirectoryCheckpointStore>> DirectoryCheckpointStore::Open(
    const std::string& directory, bool fsync) {
  if (directory.empty()) return InvalidArgument("empty checkpoint directory", "checkpoint_dir");
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error || !std::filesystem::is_directory(directory)) {
    return MakeError(ErrorCode::kIoError, "cannot create the checkpoint directory " + directory +
                                              (error ? ": " + error.message() : ""));
  }
  return std::unique_ptr<DirectoryCheckpointStore>(new DirectoryCheckpointStore(directory, fsync));
}

Status CheckpointStore::SaveAll(const std::vector<std::pair<std::string, std::string>>& blobs) {
  for (const auto& [name, bytes] : blobs) PFOPT_RETURN_IF_ERROR(Save(name, bytes));
  return Ok();
}

Status DirectoryCheckpointStore::WriteTemporary(const std::string& name, std::string_view bytes) {
  PFOPT_RETURN_IF_ERROR(CheckName(name));
  ByteWriter framed;
  for (char c : kMagic) framed.U8(static_cast<uint8_t>(c));
  framed.I32(kFormatVersion);
  framed.I32(static_cast<int32_t>(Crc32(bytes)));
  framed.Str(bytes);
  const std::string temporary = directory_ + "/" + name + ".ckpt.tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("cannot create", temporary);
  Status written = WriteAll(fd, framed.bytes(), temporary);
  if (written && fsync_ && ::fsync(fd) != 0) written = IoError("cannot fsync", temporary);
  ::close(fd);
  return written;
}

Status DirectoryCheckpointStore::Publish(const std::string& name) {
  const std::string path = directory_ + "/" + name + ".ckpt";
  if (::rename((path + ".tmp").c_str(), path.c_str()) != 0) {
    return IoError("cannot rename to", path);
  }
  return Ok();
}

Status DirectoryCheckpointStore::SyncDirectory() {
  if (!fsync_) return Ok();
  const int dir = ::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return IoError("cannot open", directory_);
  const int rc = ::fsync(dir);
  ::close(dir);
  if (rc != 0) return IoError("cannot fsync", directory_);
  return Ok();
}

Status DirectoryCheckpointStore::Save(const std::string& name, std::string_view bytes) {
  PFOPT_RETURN_IF_ERROR(WriteTemporary(name, bytes));
  PFOPT_RETURN_IF_ERROR(Publish(name));
  return SyncDirectory();
}

Status DirectoryCheckpointStore::SaveAll(
    const std::vector<std::pair<std::string, std::string>>& blobs) {
  for (const auto& [name, bytes] : blobs) PFOPT_RETURN_IF_ERROR(WriteTemporary(name, bytes));
  for (const auto& [name, bytes] : blobs) PFOPT_RETURN_IF_ERROR(Publish(name));
  return SyncDirectory();
}

Result<std::optional<std::string>> DirectoryCheckpointStore::Load(const std::string& name) {
  PFOPT_RETURN_IF_ERROR(CheckName(name));
  const std::string path = directory_ + "/" + name + ".ckpt";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path)) return std::optional<std::string>();
    return IoError("cannot read", path);
  }
  std::stringstream content;
  content << in.rdbuf();
  const std::string bytes = content.str();
  ByteReader reader(bytes);
  uint8_t magic[4];
  int32_t version = 0, crc = 0;
  std::string payload;
  for (auto& m : magic) reader.U8(&m);
  if (!reader.ok() || std::memcmp(magic, kMagic, 4) != 0) {
    return MakeError(ErrorCode::kParseError, path + " is not a pfopt checkpoint");
  }
  if (!reader.I32(&version) || version != kFormatVersion) {
    return MakeError(ErrorCode::kParseError, path + " has checkpoint format version " +
                                                 std::to_string(version) + "; this build reads " +
                                                 std::to_string(kFormatVersion));
  }
  if (!reader.I32(&crc) || !reader.Str(&payload) || !reader.AtEnd() ||
      static_cast<uint32_t>(crc) != Crc32(payload)) {
    return MakeError(ErrorCode::kParseError, path + " is damaged (length or CRC-32 mismatch)");
  }
  return std::optional<std::string>(std::move(payload));
}

Status MemoryCheckpointStore::Save(const std::string& name, std::string_view bytes) {
  PFOPT_RETURN_IF_ERROR(CheckName(name));
  std::lock_guard<std::mutex> lock(mutex_);
  blobs_[name] = std::string(bytes);
  return Ok();
}

Result<std::optional<std::string>> MemoryCheckpointStore::Load(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = blobs_.find(name);
  if (it == blobs_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

}  // namespace pfopt::stream
