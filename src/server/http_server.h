// minerwatch — SPDX-License-Identifier: Apache-2.0
#pragma once
// The HTTP front of the API: libmicrohttpd (event-driven, epoll, a small pool of polling threads),
// so an idle, kept-alive or slow client costs a socket and a few KB, never a worker thread.
// Every bound is enforced here, before any route code runs:
//   - headers: count and total size (431); the connection memory pool is the hard stop behind it
//   - a request must arrive whole within read_timeout (headers and body, from the connection's
//     start or the previous response): a slowloris client is dropped however it trickles
//   - no traffic for idle_timeout closes the connection (kept-alive, or not reading its answer)
//   - connections: a global cap, a per-source-address cap, and a reserve only loopback may use
//   - bodies: Content-Length over the limit is refused from the headers; a chunked body is
//     counted as it arrives and refused with 413 as soon as it passes the limit
// The caller sees each request twice: OnHeaders (headers only: route, auth, framing checks; may
// answer at once, then the body is never read) and OnRequest (the complete, bounded body).
//
// Thread-safety: Start/Stop from one thread; the callbacks run on the polling threads, several at
// once.
#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "mw/core/result.h"

struct MHD_Daemon;
struct MHD_Connection;

namespace mw::server {

struct HttpLimits {
  size_t max_body_bytes = 64 * 1024;
  size_t max_header_bytes = 16 * 1024;  // request line excluded; all header names and values
  size_t max_headers = 100;
  int read_timeout_s = 10;  // a whole request, headers and body
  int idle_timeout_s = 5;   // no bytes either way
  unsigned max_connections = 512;
  unsigned max_connections_per_ip = 64;
  unsigned loopback_reserve = 32;  // of max_connections, never given to non-loopback sources
  int threads = 4;                 // polling threads
};

struct HttpRequest {
  std::string method;                              // HEAD arrives as HEAD; routes treat it as GET
  std::string path;                                // percent-decoded, without the query
  std::multimap<std::string, std::string> params;  // query, percent-decoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string peer;                  // source address, for logs
  std::vector<std::string> matches;  // route regex groups, [0] = whole path
  std::optional<size_t> content_length;
  bool chunked = false;
  int route = -1;             // the application's: set in on_headers, read in on_request
  std::shared_ptr<void> app;  // the application's per-request state (the caller's token)

  // Case-insensitive; the first value; empty if absent.
  std::string get_header_value(std::string_view name) const;
  bool has_header(std::string_view name) const;
  bool has_param(const std::string& key) const { return params.count(key) > 0; }
  std::string get_param_value(const std::string& key) const;
  bool has_body() const { return chunked || content_length.value_or(0) > 0; }
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string content_type;

  void set_header(std::string name, std::string value);
  void set_content(std::string b, std::string type) {
    body = std::move(b);
    content_type = std::move(type);
  }
  std::string get_header_value(std::string_view name) const;
};

struct HttpHandlers {
  // After the headers: an answer now (the body is then never read), or nullopt to read the body.
  std::function<std::optional<HttpResponse>(HttpRequest&)> on_headers;
  // With the whole body (within max_body_bytes).
  std::function<HttpResponse(HttpRequest&)> on_request;
  // The answers the server writes itself (413 mid-body, 431): status, message → response.
  std::function<HttpResponse(int, std::string)> error;
  // Every answer sent, the server's own included.
  std::function<void(int)> on_response;
};

class HttpServer {
 public:
  HttpServer(HttpLimits limits, HttpHandlers handlers);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds host:port (0 = any free port) and serves on background threads.
  Status Start(const std::string& host, int port);
  // Stops accepting, closes every connection. Idempotent.
  void Stop();
  int port() const { return port_; }
  // Connections open now (for tests and /metrics).
  size_t open_connections() const { return live_.load(); }

 private:
  struct Conn;
  struct Pending;
  friend struct MhdCallbacks;  // the C callbacks, in http_server.cc

  int OnFirstCall(MHD_Connection* c, const char* url, const char* method, Pending& p);
  int OnBody(MHD_Connection* c, const char* data, size_t* size, Pending& p);
  int Queue(MHD_Connection* c, const HttpResponse& r);
  void RefuseMidBody(MHD_Connection* c, int status, std::string message);
  void SetResponding(MHD_Connection* c, bool responding);
  void Sweep();

  HttpLimits limits_;
  HttpHandlers handlers_;
  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;
  std::atomic<size_t> live_{0};

  // Every open connection and when its current request began arriving: the sweep drops the ones
  // past read_timeout (MHD has only an inactivity timeout, which a trickling client resets).
  std::mutex mu_;
  std::map<MHD_Connection*, Conn*> conns_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread sweeper_;
};

}  // namespace mw::server
