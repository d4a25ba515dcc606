// The optimisation service assembled: storage (migrated), the Kafka publisher of the outbox
// (when brokers are configured), the handlers and the HTTP server. `pfopt serve` and the
// integration tests run it; the rebalancer can share its storage (configurations()).
//
// Lifecycle: Create() opens everything and binds the port (errors: bad configuration, database
// unreachable, port in use); Run() serves until Shutdown(); Shutdown() (any thread, e.g. on
// SIGINT/SIGTERM) stops accepting connections, lets in-flight requests finish, gives event
// delivery up to shutdown_grace_seconds, then Run() returns.
#ifndef PFOPT_SERVICES_REST_SERVICE_H_
#define PFOPT_SERVICES_REST_SERVICE_H_

#include <memory>
#include <string>

#include "pfopt/core/error.h"
#include "services/rest/service_config.h"
#include "services/rest/storage/storage.h"

namespace pfopt::rest {

class KafkaPublisher;
class ApiHandlers;
class HttpServer;
class Metrics;

class OptimizationService {
 public:
  static Result<std::unique_ptr<OptimizationService>> Create(const ServiceConfig& config);
  ~OptimizationService();
  OptimizationService(const OptimizationService&) = delete;
  OptimizationService& operator=(const OptimizationService&) = delete;

  int port() const;
  // "http://HOST:PORT"
  std::string base_url() const;
  Status Run();
  void Shutdown();

  Storage& storage() { return *storage_; }
  // The stored configurations (what the rebalancer reads).
  ConfigurationStore& configurations() { return *storage_; }
  const ServiceConfig& config() const { return config_; }

 private:
  explicit OptimizationService(const ServiceConfig& config);

  ServiceConfig config_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<KafkaPublisher> publisher_;
  std::unique_ptr<ApiHandlers> handlers_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace pfopt::rest

#endif  // PFOPT_SERVICES_REST_SERVICE_H_
