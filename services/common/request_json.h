// JSON codecs of the request model (docs/api.md).
//
// Parsing is strict: wrong types, unknown fields (typos like "max_weigth" would otherwise be
// ignored silently), non-finite numbers and malformed JSON are Errors whose `field` is the
// dotted path of the offending value (e.g. "strategies[2].returns[17]") and whose message says
// what was expected. Enum names are accepted in any case, '-' or '_'.
#ifndef PFOPT_SERVICES_COMMON_REQUEST_JSON_H_
#define PFOPT_SERVICES_COMMON_REQUEST_JSON_H_

#include <nlohmann/json.hpp>
#include <string_view>

#include "pfopt/core/error.h"
#include "services/common/request.h"

namespace pfopt::service {

Result<OptimizationRequest> ParseOptimizationRequest(std::string_view json_text);
Result<OptimizationRequest> OptimizationRequestFromJson(const nlohmann::json& json);

// Outputs keep the order of insertion (weights in request order), hence ordered_json.
nlohmann::ordered_json OptimizationRequestToJson(const OptimizationRequest& request);
nlohmann::ordered_json OptimizationResponseToJson(const OptimizationResponse& response);

// {"error": {"code": "...", "message": "...", "field": "..."}}
nlohmann::ordered_json ErrorToJson(const Error& error);

}  // namespace pfopt::service

#endif  // PFOPT_SERVICES_COMMON_REQUEST_JSON_H_
