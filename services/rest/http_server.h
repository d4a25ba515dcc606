// The HTTP front of the service (cpp-httplib): routes of ApiRoutes() onto ApiHandlers, API-key
// check, body limit, socket timeouts, per-request metrics and the optional access log.
//
// Threads: a pool of `http_threads` connection threads (cpp-httplib keeps one thread per open
// keep-alive connection); the handlers bound the CPU work with their solve slots.
#ifndef PFOPT_SERVICES_REST_HTTP_SERVER_H_
#define PFOPT_SERVICES_REST_HTTP_SERVER_H_

#include <atomic>
#include <memory>
#include <string>

#include "pfopt/core/error.h"
#include "services/rest/handlers.h"

namespace pfopt::rest {

class HttpServer {
 public:
  // `handlers` and `metrics` must outlive the server.
  HttpServer(ApiHandlers* handlers, Metrics* metrics);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds host:port of the handlers' configuration (port 0 picks a free one).
  Status Bind();
  int port() const { return port_; }
  // Serves until Stop(); returns after the in-flight requests finished.
  Status Serve();
  // Stops accepting connections; requests being served finish. Safe from any thread.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  ApiHandlers* handlers_;
  Metrics* metrics_;
  int port_ = 0;
  std::atomic<bool> serving_{false};
  std::atomic<bool> stop_requested_{false};
};

}  // namespace pfopt::rest

#endif  // PFOPT_SERVICES_REST_HTTP_SERVER_H_
