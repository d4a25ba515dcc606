#include "apps/pfopt/serve_rebalancer.h"

#include <cmath>

#include "apps/pfopt/stream_cli.h"

namespace pfopt::cli {

Result<std::unique_ptr<EmbeddedRebalancer>> EmbeddedRebalancer::Start(
    const EmbeddedRebalancerOptions& options, rest::OptimizationService* service) {
  if (options.config_file.empty()) {
    return InvalidArgument("--rebalancer needs a portfolio configuration file", "--rebalancer");
  }
  if (!(std::isfinite(options.speed) && options.speed > 0.0)) {
    return InvalidArgument("--rebalancer-speed must be > 0", "--rebalancer-speed");
  }
  std::unique_ptr<EmbeddedRebalancer> self(new EmbeddedRebalancer());

  // Portfolios: the file, each overridden by the service's stored configuration.
  stream::FileConfigurationSource file(options.config_file);
  stream::StoredConfigurationSource configurations(&file, &service->configurations());
  auto portfolios = configurations.LoadPortfolios();
  if (!portfolios) return tl::unexpected(portfolios.error().WithFieldPrefix("--rebalancer"));
  self->disabled_ = configurations.disabled();
  self->overridden_ = configurations.overridden();
  if (portfolios->empty()) {
    return InvalidArgument(
        "every portfolio of " + options.config_file + " is disabled by its stored configuration",
        "--rebalancer");
  }
  for (const auto& p : *portfolios) self->portfolio_ids_.push_back(p.id);

  // The in-process bus with the default topic names.
  stream::TopicNames topics;
  stream::InProcessBusOptions bus_options;
  bus_options.topics = topics;
  auto bus = stream::InProcessBus::Create(bus_options);
  if (!bus) return tl::unexpected(bus.error());
  self->bus_ = std::move(*bus);

  // The simulated feed of the first portfolio, one quote per ticker per 2 s of event time.
  SourceFlags feed;
  feed.kind = "simulate";
  feed.config_file = options.config_file;
  feed.portfolio = portfolios->front().id;
  feed.seed = options.seed;
  feed.speed = options.speed;
  auto source = feed.Make(topics);
  if (!source) return tl::unexpected(source.error().WithFieldPrefix("--rebalancer"));
  self->source_ = std::move(*source);

  // The rebalancer: windows of one simulated period; the simulated quotes arrive in order, so
  // windows close as soon as the next period starts.
  stream::RebalancerOptions rebalancer_options;
  rebalancer_options.returns.window_ms =
      static_cast<int64_t>(std::llround(feed.period_seconds * 1000.0));
  rebalancer_options.returns.out_of_orderness_ms = 0;
  rebalancer_options.from_earliest = true;
  rebalancer_options.drain_quiet_ms = 0;
  rebalancer_options.status_interval_ms = 30000;
  auto rebalancer =
      stream::Rebalancer::Create(rebalancer_options, *portfolios, self->bus_.get(), nullptr);
  if (!rebalancer) return tl::unexpected(rebalancer.error().WithFieldPrefix("--rebalancer"));
  self->rebalancer_ = std::move(*rebalancer);
  self->results_ =
      std::make_unique<stream::ServiceResultsObserver>(&service->storage(), *portfolios);
  self->rebalancer_->AddObserver(self->results_.get());
  PFOPT_RETURN_IF_ERROR(self->rebalancer_->Start());

  stream::ProducerOptions producer_options;
  producer_options.block_when_full = true;
  auto producer = self->bus_->CreateProducer(producer_options);
  if (!producer) {
    (void)self->Stop();
    return tl::unexpected(producer.error());
  }
  EmbeddedRebalancer* raw = self.get();
  const stream::FeedOptions feed_options = feed.Feed();
  self->feed_ = std::thread([raw, feed_options, p = std::move(*producer)]() mutable {
    auto summary = stream::RunFeed(*raw->source_, *p, feed_options, {}, raw->feed_stop_);
    if (!summary) raw->feed_status_ = tl::unexpected(summary.error());
  });
  return self;
}

Status EmbeddedRebalancer::Stop() {
  if (stopped_) return Ok();
  stopped_ = true;
  feed_stop_ = true;
  Status status = Ok();
  if (rebalancer_) {
    rebalancer_->Stop();
    status = rebalancer_->Wait();
  }
  if (bus_) bus_->Close();  // wakes a feed blocked on back-pressure
  if (feed_.joinable()) feed_.join();
  if (!status) return status;
  return feed_status_;
}

EmbeddedRebalancer::~EmbeddedRebalancer() { (void)Stop(); }

}  // namespace pfopt::cli
