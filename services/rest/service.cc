#include "services/rest/service.h"

#include "services/rest/events/kafka_publisher.h"
#include "services/rest/handlers.h"
#include "services/rest/http_server.h"
#include "services/rest/metrics.h"

namespace pfopt::rest {

OptimizationService::OptimizationService(const ServiceConfig& config) : config_(config) {}

OptimizationService::~OptimizationService() {
  server_.reset();
  if (publisher_) publisher_->Stop(0);
  publisher_.reset();
  handlers_.reset();
  storage_.reset();
}

Result<std::unique_ptr<OptimizationService>> OptimizationService::Create(
    const ServiceConfig& config) {
  PFOPT_RETURN_IF_ERROR(config.Validate());
  std::unique_ptr<OptimizationService> service(new OptimizationService(config));
  StorageOptions storage_options;
  storage_options.read_connections = config.db_read_connections;
  storage_options.max_write_batch = config.db_write_batch;
  storage_options.sqlite_checkpoint_frames = config.db_checkpoint_frames;
  auto storage = OpenStorage(config.db, storage_options);
  if (!storage) return tl::unexpected(storage.error());
  service->storage_ = std::move(*storage);
  service->metrics_ = std::make_unique<Metrics>();
  if (!config.kafka_brokers.empty()) {
    KafkaPublisherOptions options;
    options.brokers = config.kafka_brokers;
    options.topic = config.kafka_topic;
    auto publisher = KafkaPublisher::Create(service->storage_.get(), options);
    if (!publisher) return tl::unexpected(publisher.error());
    service->publisher_ = std::move(*publisher);
    service->publisher_->Start();
  }
  KafkaPublisher* publisher = service->publisher_.get();
  const std::string brokers = config.kafka_brokers;
  service->handlers_ = std::make_unique<ApiHandlers>(
      config, service->storage_.get(), service->metrics_.get(),
      [publisher] {
        if (publisher != nullptr) publisher->Notify();
      },
      [publisher, brokers] {
        ApiHandlers::EventsStatus status;
        status.kafka = publisher != nullptr ? brokers : "disabled";
        if (publisher != nullptr) {
          const KafkaPublisher::Stats stats = publisher->stats();
          status.published = stats.published;
          status.in_flight = stats.in_flight;
          status.last_error = stats.last_error;
        }
        return status;
      });
  service->server_ =
      std::make_unique<HttpServer>(service->handlers_.get(), service->metrics_.get());
  PFOPT_RETURN_IF_ERROR(service->server_->Bind());
  return service;
}

int OptimizationService::port() const { return server_->port(); }

std::string OptimizationService::base_url() const {
  return "http://" + config_.host + ":" + std::to_string(port());
}

Status OptimizationService::Run() {
  Status status = server_->Serve();
  if (publisher_) {
    publisher_->Stop(static_cast<int>(config_.shutdown_grace_seconds * 1000.0));
  }
  return status;
}

void OptimizationService::Shutdown() { server_->Stop(); }

}  // namespace pfopt::rest
