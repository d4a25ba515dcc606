// The real-time rebalancer inside `pfopt serve` (--rebalancer FILE; docs/streaming.md "Inside
// the service"): a simulated price feed of the file's first portfolio (seeded correlated GBM
// from its statistics), the in-process bus, all four stages, the service's stored
// configurations honoured and the published weights stored as service results with their
// portfolio_optimized events (services/stream/service_link.h).
#ifndef PFOPT_APPS_PFOPT_SERVE_REBALANCER_H_
#define PFOPT_APPS_PFOPT_SERVE_REBALANCER_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "pfopt/core/error.h"
#include "services/rest/service.h"
#include "services/stream/bus/in_process_bus.h"
#include "services/stream/rebalancer.h"
#include "services/stream/service_link.h"
#include "services/stream/sources/source.h"

namespace pfopt::cli {

struct EmbeddedRebalancerOptions {
  std::string config_file;  // portfolios (docs/streaming.md "Configuration file"); required
  // Event-time seconds per wall-clock second of the simulated feed (> 0). Default 1: one
  // simulated period (2 s of event time, one returns window) every 2 s.
  double speed = 1.0;
  uint64_t seed = 1;  // of the simulated feed
};

class EmbeddedRebalancer {
 public:
  // Loads the portfolios (stored configurations applied), builds the bus, the rebalancer and
  // the feed, and starts them. Errors name the flag or configuration field.
  static Result<std::unique_ptr<EmbeddedRebalancer>> Start(const EmbeddedRebalancerOptions& options,
                                                           rest::OptimizationService* service);
  ~EmbeddedRebalancer();
  // Stops the feed and the rebalancer (final checkpoint in memory), idempotent. The loop's
  // error, if it failed.
  Status Stop();

  // The portfolios run, and those a stored configuration disabled or overrode.
  const std::vector<std::string>& portfolios() const { return portfolio_ids_; }
  const std::vector<std::string>& disabled() const { return disabled_; }
  const std::vector<std::string>& overridden() const { return overridden_; }
  int64_t results_stored() const { return results_->stored(); }

 private:
  EmbeddedRebalancer() = default;

  std::unique_ptr<stream::InProcessBus> bus_;
  std::unique_ptr<stream::Rebalancer> rebalancer_;
  std::unique_ptr<stream::ServiceResultsObserver> results_;
  std::unique_ptr<stream::PriceSource> source_;
  std::thread feed_;
  std::atomic<bool> feed_stop_{false};
  Status feed_status_ = Ok();
  bool stopped_ = false;
  std::vector<std::string> portfolio_ids_, disabled_, overridden_;
};

}  // namespace pfopt::cli

#endif  // PFOPT_APPS_PFOPT_SERVE_REBALANCER_H_
