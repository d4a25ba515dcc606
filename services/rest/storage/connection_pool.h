// A bounded pool of idle database connections for readers (both storage backends).
#ifndef PFOPT_SERVICES_REST_STORAGE_CONNECTION_POOL_H_
#define PFOPT_SERVICES_REST_STORAGE_CONNECTION_POOL_H_

#include <memory>
#include <mutex>
#include <vector>

namespace pfopt::rest::internal {

template <class Connection>
class ConnectionPool {
 public:
  explicit ConnectionPool(int capacity) : capacity_(capacity) {}

  // An idle connection, or null if there is none (the caller opens one).
  std::unique_ptr<Connection> Take() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (idle_.empty()) return nullptr;
    std::unique_ptr<Connection> connection = std::move(idle_.back());
    idle_.pop_back();
    return connection;
  }

  // Keeps `connection` for the next reader unless `capacity` are already idle.
  void Return(std::unique_ptr<Connection> connection) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (static_cast<int>(idle_.size()) < capacity_) idle_.push_back(std::move(connection));
  }

 private:
  int capacity_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace pfopt::rest::internal

#endif  // PFOPT_SERVICES_REST_STORAGE_CONNECTION_POOL_H_
