// minerwatch — SPDX-License-Identifier: Apache-2.0
#include "server/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

namespace mw::server {
namespace {

using Clock = std::chrono::steady_clock;

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

bool IsLoopback(const sockaddr* a) {
  if (a->sa_family == AF_INET) {
    return (ntohl(reinterpret_cast<const sockaddr_in*>(a)->sin_addr.s_addr) >> 24) == 127;
  }
  if (a->sa_family == AF_INET6) {
    const in6_addr& v6 = reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

std::string AddressText(const sockaddr* a) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (a->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a)->sin_addr, buf, sizeof(buf));
  } else if (a->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr, buf, sizeof(buf));
  }
  return buf;
}

// The bytes of a whole response, for the one case MHD cannot send: an answer while the body is
// still arriving (MHD_queue_response is refused from an upload-data call).
std::string RawResponse(const HttpResponse& r) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " +
                    MHD_get_reason_phrase_for(unsigned(r.status)) + "\r\n";
  for (const auto& [k, v] : r.headers) out += k + ": " + v + "\r\n";
  if (!r.content_type.empty()) out += "Content-Type: " + r.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(r.body.size()) + "\r\nConnection: close\r\n\r\n";
  return out + r.body;
}

Result<int> Listen(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string where = host + ":" + std::to_string(port);
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 || !res) {
    return Fail(Error::IoError("cannot bind " + where + " (not a local address?)"));
  }
  int fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int one = 1;
  bool ok = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
            bind(fd, res->ai_addr, res->ai_addrlen) == 0 && listen(fd, 1024) == 0;
  freeaddrinfo(res);
  if (!ok) {
    int err = errno;
    if (fd >= 0) close(fd);
    return Fail(Error::IoError("cannot bind " + where + ": " + std::strerror(err) +
                               " (in use, or not a local address?)"));
  }
  return fd;
}

int LocalPort(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

}  // namespace

std::string HttpRequest::get_header_value(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (IEquals(k, name)) return v;
  }
  return {};
}

bool HttpRequest::has_header(std::string_view name) const {
  for (const auto& h : headers) {
    if (IEquals(h.first, name)) return true;
  }
  return false;
}

std::string HttpRequest::get_param_value(const std::string& key) const {
  auto it = params.find(key);
  return it == params.end() ? std::string() : it->second;
}

void HttpResponse::set_header(std::string name, std::string value) {
  for (auto& h : headers) {
    if (IEquals(h.first, name)) {
      h.second = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

std::string HttpResponse::get_header_value(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (IEquals(k, name)) return v;
  }
  return {};
}

// One per open connection (MHD's socket_context).
struct HttpServer::Conn {
  int fd = -1;
  Clock::time_point request_began;  // the connection opened, or the previous answer was sent
  bool responding = false;          // a handler or an answer is under way: not a slow reader
  bool dropped = false;
};

// One per request (MHD's con_cls).
struct HttpServer::Pending {
  HttpRequest req;
  bool refused = false;  // answered before the body: the body is discarded
};

struct MhdCallbacks {
  static MHD_Result Access(void* cls, MHD_Connection* c, const char* url, const char* method,
                           const char* /*version*/, const char* data, size_t* size,
                           void** con_cls) {
    auto* self = static_cast<HttpServer*>(cls);
    try {  // nothing may unwind into C: a throwing handler closes its connection, not the process
      if (*con_cls == nullptr) {
        auto* p = new HttpServer::Pending;
        *con_cls = p;
        return MHD_Result(self->OnFirstCall(c, url, method, *p));
      }
      auto* p = static_cast<HttpServer::Pending*>(*con_cls);
      if (*size != 0) return MHD_Result(self->OnBody(c, data, size, *p));
      self->SetResponding(c, true);
      HttpResponse r = self->handlers_.on_request(p->req);
      return MHD_Result(self->Queue(c, r));
    } catch (const std::exception&) {
      if (self->handlers_.on_response) self->handlers_.on_response(500);
      return MHD_NO;
    }
  }

  static void Completed(void* cls, MHD_Connection* c, void** con_cls,
                        enum MHD_RequestTerminationCode) {
    delete static_cast<HttpServer::Pending*>(*con_cls);
    *con_cls = nullptr;
    static_cast<HttpServer*>(cls)->SetResponding(c, false);
  }

  static void Notify(void* cls, MHD_Connection* c, void** socket_context,
                     enum MHD_ConnectionNotificationCode toe) {
    auto* self = static_cast<HttpServer*>(cls);
    std::lock_guard<std::mutex> lock(self->mu_);
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
      auto* conn = new HttpServer::Conn;
      const MHD_ConnectionInfo* fd = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
      conn->fd = fd ? fd->connect_fd : -1;
      conn->request_began = Clock::now();
      *socket_context = conn;
      self->conns_[c] = conn;
      ++self->live_;
    } else {
      // MHD closes the socket after this returns, so the sweep never touches a reused fd.
      delete static_cast<HttpServer::Conn*>(*socket_context);
      *socket_context = nullptr;
      if (self->conns_.erase(c)) --self->live_;
    }
  }

  static MHD_Result Accept(void* cls, const struct sockaddr* addr, socklen_t) {
    auto* self = static_cast<HttpServer*>(cls);
    const HttpLimits& l = self->limits_;
    if (IsLoopback(addr)) return MHD_YES;
    size_t open_to_all =
        l.max_connections > l.loopback_reserve ? l.max_connections - l.loopback_reserve : 0;
    return self->live_.load() < open_to_all ? MHD_YES : MHD_NO;
  }

  // MHD parses the header block in place, ending each line with NUL bytes over its CR LF and
  // measuring values with strlen: "Bearer <token>\0junk" would arrive as a valid token. A value
  // whose NUL is followed by anything but the line's other NUL (or, for a bare-LF line, by the
  // next field's name) was cut short by a NUL of the client's.
  struct HeaderScan {
    HttpRequest* req;
    const char* end_of_last = nullptr;  // one past the previous value's terminating NUL
    bool nul = false;
    std::string cut;  // the first field cut short
    void Cut() {
      if (!nul) cut = req->headers.back().first;
      nul = true;
    }
  };
  static MHD_Result Header(void* cls, enum MHD_ValueKind, const char* key, size_t key_size,
                           const char* value, size_t value_size) {
    auto* scan = static_cast<HeaderScan*>(cls);
    if (scan->end_of_last && *scan->end_of_last != '\0' && scan->end_of_last != key) scan->Cut();
    scan->end_of_last = value ? value + value_size + 1 : nullptr;
    scan->req->headers.emplace_back(std::string(key, key_size),
                                    value ? std::string(value, value_size) : std::string());
    return MHD_YES;
  }

  static MHD_Result Param(void* cls, enum MHD_ValueKind, const char* key, size_t key_size,
                          const char* value, size_t value_size) {
    auto* req = static_cast<HttpRequest*>(cls);
    req->params.emplace(std::string(key, key_size),
                        value ? std::string(value, value_size) : std::string());
    return MHD_YES;
  }
};

HttpServer::HttpServer(HttpLimits limits, HttpHandlers handlers)
    : limits_(limits), handlers_(std::move(handlers)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start(const std::string& host, int port) {
  auto fd = Listen(host, port);
  if (!fd) return Fail(fd.error());
  port_ = LocalPort(*fd);
  // The pool holds the request's headers and MHD's read/write buffers: headers past
  // max_header_bytes get our own 431, and this is the hard stop behind it (MHD's own 431). MHD
  // sends an answer through the pool's free part, so a small pool costs a 100-finding page
  // (~50 KB) several rounds: 48 KiB gave p50 5-8 ms, 128 KiB 1.8 ms (api_bench,
  // docs/benchmarks.md). Pages are touched only as used: an idle connection holds a few KB.
  size_t pool = std::max<size_t>(128 * 1024, limits_.max_header_bytes * 2 + 16 * 1024);
  unsigned threads = unsigned(std::max(1, limits_.threads));
  daemon_ = MHD_start_daemon(
      // Turbo: optimistic reads and writes on epoll (fewer round trips per request).
      MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO, 0, &MhdCallbacks::Accept, this,
      &MhdCallbacks::Access, this, MHD_OPTION_LISTEN_SOCKET, MHD_socket(*fd),
      MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT, limits_.max_connections,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, limits_.max_connections_per_ip,
      MHD_OPTION_CONNECTION_TIMEOUT, unsigned(std::max(1, limits_.idle_timeout_s)),
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool, MHD_OPTION_NOTIFY_COMPLETED,
      &MhdCallbacks::Completed, this, MHD_OPTION_NOTIFY_CONNECTION, &MhdCallbacks::Notify, this,
      MHD_OPTION_END);
  if (!daemon_) {
    close(*fd);
    return Fail(
        Error::IoError("cannot start the HTTP server on " + host + ":" + std::to_string(port)));
  }
  stopping_ = false;
  sweeper_ = std::thread([this] { Sweep(); });
  return Ok();
}

void HttpServer::Stop() {
  if (sweeper_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    stop_cv_.notify_all();
    sweeper_.join();
  }
  if (daemon_) MHD_stop_daemon(daemon_);  // closes the listening socket and every connection
  daemon_ = nullptr;
}

// A quarter of a second of granularity on a 10 s deadline; the walk is over open sockets only.
void HttpServer::Sweep() {
  const auto deadline = std::chrono::seconds(std::max(1, limits_.read_timeout_s));
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_cv_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stopping_; })) {
    auto now = Clock::now();
    for (auto& [c, conn] : conns_) {
      if (conn->responding || conn->dropped || conn->fd < 0) continue;
      if (now - conn->request_began < deadline) continue;
      // MHD owns the socket; shutting it down makes its next read see the end and close it.
      shutdown(conn->fd, SHUT_RDWR);
      conn->dropped = true;
    }
  }
}

void HttpServer::SetResponding(MHD_Connection* c, bool responding) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = conns_.find(c);
  if (it == conns_.end()) return;
  it->second->responding = responding;
  if (!responding) it->second->request_began = Clock::now();
}

int HttpServer::OnFirstCall(MHD_Connection* c, const char* url, const char* method, Pending& p) {
  HttpRequest& req = p.req;
  req.method = method;
  req.path = url;
  if (const auto* ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS)) {
    req.peer = AddressText(ci->client_addr);
  }
  MhdCallbacks::HeaderScan scan{&req};
  MHD_get_connection_values_n(c, MHD_HEADER_KIND, &MhdCallbacks::Header, &scan);
  if (scan.end_of_last && *scan.end_of_last != '\0') scan.Cut();
  MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, &MhdCallbacks::Param, &req);
  size_t header_bytes = 0;
  for (const auto& [k, v] : req.headers) header_bytes += k.size() + v.size() + 4;
  auto refuse = [&](int status, std::string msg) {
    p.refused = true;
    SetResponding(c, true);
    return Queue(c, handlers_.error(status, std::move(msg)));
  };
  if (req.headers.size() > limits_.max_headers || header_bytes > limits_.max_header_bytes) {
    return refuse(431, "request headers are larger than " +
                           std::to_string(limits_.max_header_bytes) + " bytes or more than " +
                           std::to_string(limits_.max_headers) + " fields");
  }
  if (scan.nul && IEquals(scan.cut, "Authorization")) {
    return refuse(401, "unknown or malformed API token");
  }
  if (scan.nul) return refuse(400, "request header '" + scan.cut + "' contains a NUL byte");
  req.chunked = req.has_header("Transfer-Encoding");
  if (req.has_header("Content-Length")) {
    std::string cl = req.get_header_value("Content-Length");
    bool digits = !cl.empty() && cl.size() <= 19;
    for (char ch : cl) digits = digits && ch >= '0' && ch <= '9';
    if (!digits) return refuse(400, "Content-Length is not a number");
    req.content_length = std::stoull(cl);
  }
  // The application first (route, token: a client without one learns nothing about limits).
  if (auto early = handlers_.on_headers(req)) {
    p.refused = true;
    SetResponding(c, true);
    return Queue(c, *early);
  }
  if (req.content_length.value_or(0) > limits_.max_body_bytes) {
    return refuse(413, "request body is larger than the configured limit");
  }
  return MHD_YES;
}

int HttpServer::OnBody(MHD_Connection* c, const char* data, size_t* size, Pending& p) {
  if (p.req.body.size() + *size > limits_.max_body_bytes) {
    RefuseMidBody(c, 413, "request body is larger than the configured limit");
    return MHD_NO;
  }
  p.req.body.append(data, *size);
  *size = 0;
  return MHD_YES;
}

// Writes the answer on the socket and lets MHD drop the connection: the rest of the body is never
// read. The answer is a few hundred bytes on a socket that has sent nothing for this request, so
// one non-blocking send fits; FIN follows so the client reads it before the close.
void HttpServer::RefuseMidBody(MHD_Connection* c, int status, std::string message) {
  const auto* ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
  if (!ci) return;
  std::string bytes = RawResponse(handlers_.error(status, std::move(message)));
  (void)send(ci->connect_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  shutdown(ci->connect_fd, SHUT_WR);
  if (handlers_.on_response) handlers_.on_response(status);
}

int HttpServer::Queue(MHD_Connection* c, const HttpResponse& r) {
  MHD_Response* resp = MHD_create_response_from_buffer(
      r.body.size(), const_cast<char*>(r.body.data()), MHD_RESPMEM_MUST_COPY);
  if (!resp) return MHD_NO;
  for (const auto& [k, v] : r.headers) MHD_add_response_header(resp, k.c_str(), v.c_str());
  if (!r.content_type.empty()) {
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r.content_type.c_str());
  }
  MHD_Result ok = MHD_queue_response(c, unsigned(r.status), resp);
  MHD_destroy_response(resp);
  if (ok == MHD_YES && handlers_.on_response) handlers_.on_response(r.status);
  return ok;
}

}  // namespace mw::server
