#include "services/rest/http_server.h"

// httplib.h defines a `_res` macro that breaks Eigen (docs: PLATFORM_NOTES): include it last and
// drop the macro.
#include <httplib.h>
#undef _res

#include <cstdio>
#include <thread>

namespace pfopt::rest {

namespace {

using Clock = std::chrono::steady_clock;

// "/api/v1/optimization/{portfolio_id}/latest" -> "/api/v1/optimization/([^/]+)/latest"
std::string PathRegex(std::string_view path) {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '{') {
      i = path.find('}', i);
      out += "([^/]+)";
    } else if (path[i] == '.') {
      out += "\\.";
    } else {
      out += path[i];
    }
  }
  return out;
}

// Compares without leaking the position of the first difference through timing.
bool SameKey(const std::string& given, const std::string& key) {
  unsigned char diff = given.size() == key.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size(); ++i) {
    diff |= static_cast<unsigned char>(given[i] ^ key[i % key.size()]);
  }
  return diff == 0;
}

void Write(httplib::Response& res, const HttpReply& reply) {
  res.status = reply.status;
  for (const auto& [name, value] : reply.headers) res.set_header(name, value);
  res.set_content(reply.body, reply.content_type);
}

}  // namespace

struct HttpServer::Impl {
  httplib::Server server;
};

HttpServer::HttpServer(ApiHandlers* handlers, Metrics* metrics)
    : impl_(std::make_unique<Impl>()), handlers_(handlers), metrics_(metrics) {
  const ServiceConfig& config = handlers_->config();
  httplib::Server& server = impl_->server;
  server.set_tcp_nodelay(true);  // otherwise every response waits 40 ms (Nagle + delayed ACK)
  server.set_keep_alive_max_count(1000000);
  server.set_keep_alive_timeout(5);
  server.set_read_timeout(config.socket_timeout_seconds, 0);
  server.set_write_timeout(config.socket_timeout_seconds, 0);
  server.set_payload_max_length(config.max_body_bytes);
  const int threads = config.http_threads;
  server.new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };

  const std::string api_key = config.api_key;
  server.set_pre_routing_handler(
      [api_key, this](const httplib::Request& req, httplib::Response& res) {
        if (api_key.empty() || req.path.rfind("/api/", 0) != 0) {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        std::string given = req.get_header_value("X-API-Key");
        const std::string authorization = req.get_header_value("Authorization");
        if (given.empty() && authorization.rfind("Bearer ", 0) == 0)
          given = authorization.substr(7);
        if (!given.empty() && SameKey(given, api_key)) {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        HttpReply reply = ErrorReply(Error(ErrorCode::kUnauthenticated,
                                           given.empty() ? "this service needs an API key: send "
                                                           "'Authorization: Bearer KEY' or "
                                                           "'X-API-Key: KEY'"
                                                         : "the API key is not valid"));
        reply.headers.emplace_back("WWW-Authenticate", "Bearer");
        Write(res, reply);
        metrics_->RecordError(reply.error_code);
        metrics_->RecordRequest("unauthenticated", req.method, reply.status, 0.0);
        if (handlers_->config().access_log) {
          std::fprintf(stderr, "pfopt serve: %s %s -> %d (API key missing or wrong)\n",
                       req.method.c_str(), req.path.c_str(), reply.status);
        }
        return httplib::Server::HandlerResponse::Handled;
      });

  for (const Route& route : ApiRoutes()) {
    const std::string pattern = PathRegex(route.path);
    auto handle = [this, &route](const httplib::Request& req, httplib::Response& res) {
      const auto start = Clock::now();
      RouteRequest request;
      request.body = req.body;
      for (std::size_t i = 1; i < req.matches.size(); ++i) {
        request.path_params.push_back(req.matches[i].str());
      }
      for (const auto& [name, value] : req.params) request.query[name] = value;
      request.deadline =
          start + std::chrono::duration_cast<Clock::duration>(
                      std::chrono::duration<double>(handlers_->config().request_timeout_seconds));
      HttpReply reply;
      try {
        reply = route.handle(*handlers_, request);
      } catch (const std::exception& e) {
        reply = ErrorReply(Error(ErrorCode::kInternal, std::string("internal error: ") + e.what()));
      }
      Write(res, reply);
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      if (!reply.error_code.empty()) metrics_->RecordError(reply.error_code);
      metrics_->RecordRequest(route.path, route.method, reply.status, seconds);
      if (handlers_->config().access_log) {
        std::fprintf(stderr, "pfopt serve: %s %s -> %d (%.3f ms)\n", req.method.c_str(),
                     req.path.c_str(), reply.status, seconds * 1e3);
      }
    };
    if (route.method == "GET") {
      server.Get(pattern, handle);
    } else if (route.method == "POST") {
      server.Post(pattern, handle);
    } else if (route.method == "PUT") {
      server.Put(pattern, handle);
    }
  }

  // Answers that httplib makes itself (no route, body too large, bad request line) get the
  // JSON error body too.
  server.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    Error error(ErrorCode::kInvalidArgument, "bad request");
    if (res.status == 404) {
      error = Error(ErrorCode::kNotFound,
                    "no route " + req.method + " " + req.path + "; see GET /api/v1/openapi.yaml");
    } else if (res.status == 413) {
      const bool form =
          req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0;
      error = Error(ErrorCode::kResourceExhausted,
                    form ? "form-encoded bodies are limited to 8192 bytes: send the JSON with "
                           "'Content-Type: application/json'"
                         : "the body is larger than max_body_bytes (" +
                               std::to_string(handlers_->config().max_body_bytes) + " bytes)");
    } else if (res.status == 405) {
      error = Error(ErrorCode::kInvalidArgument, "method " + req.method + " is not allowed here");
    } else if (res.status >= 500) {
      error = Error(ErrorCode::kInternal, "internal error");
    }
    HttpReply reply = ErrorReply(error);
    reply.status = res.status;
    Write(res, reply);
    metrics_->RecordError(reply.error_code);
    metrics_->RecordRequest("unrouted", req.method, res.status, 0.0);
  });
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        Write(res, ErrorReply(Error(ErrorCode::kInternal, "internal error")));
      });
}

HttpServer::~HttpServer() = default;

Status HttpServer::Bind() {
  const ServiceConfig& config = handlers_->config();
  if (config.port == 0) {
    port_ = impl_->server.bind_to_any_port(config.host);
    if (port_ <= 0) {
      return MakeError(ErrorCode::kUnavailable, "cannot listen on " + config.host);
    }
  } else {
    if (!impl_->server.bind_to_port(config.host, config.port)) {
      return MakeError(ErrorCode::kUnavailable, "cannot listen on " + config.host + ":" +
                                                    std::to_string(config.port) +
                                                    " (in use, or not an address of this machine)");
    }
    port_ = config.port;
  }
  return Ok();
}

Status HttpServer::Serve() {
  serving_ = true;
  if (stop_requested_) {
    serving_ = false;
    return Ok();
  }
  const bool ok = impl_->server.listen_after_bind();
  serving_ = false;
  if (!ok && !stop_requested_) {
    return MakeError(ErrorCode::kUnavailable, "the HTTP server stopped unexpectedly");
  }
  return Ok();
}

void HttpServer::Stop() {
  stop_requested_ = true;
  // cpp-httplib ignores stop() until its listen loop runs: wait for it if Serve() is starting.
  while (serving_ && !impl_->server.is_running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  impl_->server.stop();
}

}  // namespace pfopt::rest
