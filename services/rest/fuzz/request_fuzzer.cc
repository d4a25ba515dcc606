// libFuzzer target for everything the service reads from a request body: the JSON reader, the
// request codec and, for small requests, the whole request path (estimation, solve); also the
// configuration body and timestamps. Built by the `fuzz` preset (clang), run by scripts/fuzz.sh.
// A crash, a sanitizer report, a leak or a hang is a failure.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "services/common/json_parse.h"
#include "services/common/optimization_service.h"
#include "services/common/request_json.h"
#include "services/rest/storage/configuration_store.h"
#include "services/rest/time_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)pfopt::service::ParseJson(text);
  auto request = pfopt::service::ParseOptimizationRequest(text);
  if (request && request->strategies.size() <= 32) {
    std::size_t numbers = 0;
    for (const auto& s : request->strategies) numbers += s.returns.size() + s.prices.size();
    if (numbers <= 4096) (void)pfopt::service::RunOptimization(*request);
  }
  (void)pfopt::rest::ParseConfiguration("fuzz", text);
  if (size < 80) (void)pfopt::rest::ParseTimestamp(text, "from");
  return 0;
}
