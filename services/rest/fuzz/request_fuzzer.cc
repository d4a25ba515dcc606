// libFuzzer target for the parsing of everything the service reads from a client: the JSON
// reader (plain and with number arrays kept apart), the request codec, the configuration body
// and timestamps. Built by the `fuzz` preset (clang, ASan + UBSan), run by scripts/fuzz.sh.
// A crash, a sanitizer report, a leak or a hang is a failure.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "services/common/json_parse.h"
#include "services/common/request_json.h"
#include "services/rest/storage/configuration_store.h"
#include "services/rest/time_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)pfopt::service::ParseJson(text);
  auto request = pfopt::service::ParseOptimizationRequest(text);
  if (request) {
    // What was decoded encodes again (the CLI's --print-request path).
    (void)pfopt::service::OptimizationRequestToJson(*request).dump();
  }
  (void)pfopt::rest::ParseConfiguration("fuzz", text);
  if (size < 80) (void)pfopt::rest::ParseTimestamp(text, "from");
  return 0;
}
