// The versioned schema migrations of each backend: the files under
// services/rest/storage/migrations/<backend>/NNNN_name.sql, embedded in the binary, in version
// order. Each storage applies the ones newer than its schema_migrations table says, one
// transaction per file, at start.
#ifndef PFOPT_SERVICES_REST_STORAGE_MIGRATIONS_H_
#define PFOPT_SERVICES_REST_STORAGE_MIGRATIONS_H_

#include <string>
#include <string_view>
#include <vector>

namespace pfopt::rest::internal {

struct Migration {
  int version = 0;   // NNNN of the file name
  std::string name;  // file name
  std::string_view sql;
};

// backend: "sqlite" or "postgres".
std::vector<Migration> MigrationsFor(std::string_view backend);

}  // namespace pfopt::rest::internal

#endif  // PFOPT_SERVICES_REST_STORAGE_MIGRATIONS_H_
