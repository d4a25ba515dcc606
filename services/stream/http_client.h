// A small blocking HTTP client over libcurl for the poll source and the sinks.
#ifndef PFOPT_SERVICES_STREAM_HTTP_CLIENT_H_
#define PFOPT_SERVICES_STREAM_HTTP_CLIENT_H_

#include <string>
#include <utility>
#include <vector>

#include "pfopt/core/error.h"

namespace pfopt::stream {

struct HttpRequest {
  std::string method = "GET";  // GET or POST
  std::string url;
  std::string body;
  std::vector<std::string> headers;  // "Name: value"
  double timeout_seconds = 5.0;      // whole transfer
};

struct HttpResponse {
  long status = 0;  // HTTP status code
  std::string body;
};

// Errors (kIoError): the request could not complete (connection refused, DNS, TLS, timeout);
// `timed_out` is set when the cause was the timeout. An HTTP error status is a response, not an
// Error. Thread-safe (one curl handle per call).
Result<HttpResponse> SendHttp(const HttpRequest& request, bool* timed_out = nullptr);

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_HTTP_CLIENT_H_
