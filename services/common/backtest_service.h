// Running a BacktestRequest: each OPTIMIZATION strategy is applied at every rebalance through
// RunOptimization (the one request path), so every method and objective that the request path
// supports is backtestable, with the same validation and the same answers as `pfopt optimize`.
//
// Errors (bad input, with the request field at fault, e.g. "strategies[1].request.strategies[3].id"
// or "settings.window"): a strategy naming an asset that is not a price column, histories or
// current weights inside a strategy's request (the backtester supplies them), market_returns
// (not supported in backtests yet), invalid settings, and an Error at a strategy's first
// optimisation (its request cannot run). A failed optimisation at a later rebalance is not an
// error: it is recorded in the response and the portfolio keeps its drifted weights.
#ifndef PFOPT_SERVICES_COMMON_BACKTEST_SERVICE_H_
#define PFOPT_SERVICES_COMMON_BACKTEST_SERVICE_H_

#include "pfopt/backtest/backtest.h"
#include "pfopt/core/error.h"
#include "services/common/backtest_request.h"

namespace pfopt::service {

// Validates and runs `request`; `progress` (optional) is called after each simulated period.
Result<BacktestResponse> RunBacktestRequest(const BacktestRequest& request,
                                            const BacktestProgress& progress = {});

// The allocator that applies `request` at a rebalance: the request restricted to the eligible
// assets (their id-keyed entries too: expected_returns, covariance, risk_budgets, market caps;
// sector limits of sectors without an eligible asset are dropped; Black-Litterman views on an
// ineligible asset are dropped with a warning; a sector minimum without any eligible asset is
// an infeasible rebalance), with the window's returns as histories and the drifted weights as
// current weights, sent through RunOptimization. Error fields are prefixed with `field_prefix`.
AllocationFunction RequestAllocator(OptimizationRequest request, std::string field_prefix = {});

}  // namespace pfopt::service

#endif  // PFOPT_SERVICES_COMMON_BACKTEST_SERVICE_H_
