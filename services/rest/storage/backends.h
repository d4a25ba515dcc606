// The two Storage implementations; use OpenStorage() (storage.h) rather than these.
#ifndef PFOPT_SERVICES_REST_STORAGE_BACKENDS_H_
#define PFOPT_SERVICES_REST_STORAGE_BACKENDS_H_

#include <memory>
#include <string>

#include "services/rest/storage/storage.h"

namespace pfopt::rest::internal {

// SQLite file at `path` (its folder is created), WAL journal, synchronous=NORMAL.
Result<std::unique_ptr<Storage>> OpenSqliteStorage(const std::string& path,
                                                   const StorageOptions& options);

// PostgreSQL at the libpq connection URI `url`.
Result<std::unique_ptr<Storage>> OpenPostgresStorage(const std::string& url,
                                                     const StorageOptions& options);

// Non-finite values are stored as NULL and read back as NaN.
inline bool StoredAsNull(double value) { return !(value - value == 0.0); }

}  // namespace pfopt::rest::internal

#endif  // PFOPT_SERVICES_REST_STORAGE_BACKENDS_H_
