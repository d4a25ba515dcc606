#include "services/rest/storage/migrations.h"

#include <algorithm>
#include <span>

#include "services/common/embedded_file.h"

namespace pfopt {
std::span<const EmbeddedFile> ServiceMigrationFiles();  // generated (cmake/EmbedFiles.cmake)
}  // namespace pfopt

namespace pfopt::rest::internal {

std::vector<Migration> MigrationsFor(std::string_view backend) {
  std::vector<Migration> out;
  const std::string prefix = std::string(backend) + "/";
  for (const EmbeddedFile& file : ServiceMigrationFiles()) {
    if (file.path.substr(0, prefix.size()) != prefix) continue;
    Migration m;
    m.name = std::string(file.path.substr(prefix.size()));
    m.sql = file.content;
    for (char c : m.name) {
      if (c < '0' || c > '9') break;
      m.version = m.version * 10 + (c - '0');
    }
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  return out;
}

}  // namespace pfopt::rest::internal
