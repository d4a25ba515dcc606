// The rebalancer inside the optimisation service (`pfopt serve --rebalancer FILE`,
// docs/streaming.md "Inside the service"): the two seams between them.
//
// StoredConfigurationSource: the portfolios of a configuration file, each overridden by the
// service's stored configuration of the same portfolio_id (`PUT
// /api/v1/portfolios/{id}/configuration`): objective, method, constraints and risk parameters
// become the portfolio's `optimization` (the first rung of the re-optimisation ladder and its
// constraints); a stored configuration with `enabled: false` takes the portfolio out of the run.
//
// ServiceResultsObserver: every weights record the rebalancer publishes (start-up and
// re-optimised) is stored as an optimisation result of the service, with its time-series row
// and its portfolio_optimized event in one transaction (rest::Storage::SaveResult), so that
// `GET /api/v1/optimization/{id}/latest` and `/history` show the rebalancer's weights and the
// event reaches Kafka through the outbox like any other. The stored performance is the new
// weights' under the latest statistics the process published (annualised: return x
// periods_per_year, volatility x sqrt(periods_per_year)); null before any statistics.
#ifndef PFOPT_SERVICES_STREAM_SERVICE_LINK_H_
#define PFOPT_SERVICES_STREAM_SERVICE_LINK_H_

#include <map>
#include <string>
#include <vector>

#include "services/rest/storage/storage.h"
#include "services/stream/portfolio_config.h"
#include "services/stream/rebalancer.h"

namespace pfopt::stream {

class StoredConfigurationSource final : public ConfigurationSource {
 public:
  // Neither is owned; both must outlive the source.
  StoredConfigurationSource(ConfigurationSource* base, rest::ConfigurationStore* store)
      : base_(base), store_(store) {}
  // Errors: the base's; the store unreachable; a stored configuration whose JSON no longer
  // parses (naming the portfolio).
  Result<std::vector<PortfolioConfig>> LoadPortfolios() override;
  // Portfolios left out by the last LoadPortfolios (stored configuration disabled).
  const std::vector<std::string>& disabled() const { return disabled_; }
  // Portfolios that took a stored configuration in the last LoadPortfolios.
  const std::vector<std::string>& overridden() const { return overridden_; }

 private:
  ConfigurationSource* base_;
  rest::ConfigurationStore* store_;
  std::vector<std::string> disabled_;
  std::vector<std::string> overridden_;
};

class ServiceResultsObserver final : public PublishObserver {
 public:
  // `portfolios` gives each portfolio's periods_per_year and risk-free rate (per period).
  // `storage` is not owned. SaveResult blocks the loop thread for one commit; weights are
  // published rarely (start-up, then after a trigger), so this is a few ms now and then.
  ServiceResultsObserver(rest::Storage* storage, const std::vector<PortfolioConfig>& portfolios);
  void OnPublished(Topic topic, const std::string& key, int64_t timestamp_ms,
                   const Record& record) override;
  int64_t stored() const { return stored_; }
  int64_t errors() const { return errors_; }

 private:
  struct Annualisation {
    double periods_per_year = 52.0;
    double risk_free_rate = 0.0;  // per period
  };
  rest::Storage* storage_;
  std::map<std::string, Annualisation> annualisation_;
  std::map<std::string, PortfolioStats> latest_stats_;
  int64_t stored_ = 0;
  int64_t errors_ = 0;
};

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_SERVICE_LINK_H_
