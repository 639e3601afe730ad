// minerwatch — SPDX-License-Identifier: Apache-2.0
// The API's HTTP front with arbitrary bytes on a real loopback socket: header scan (NUL-cut
// values), framing (Content-Length, chunked), route, query parameters, token and the handlers
// behind them, with a real SQLite store. "TOKEN" in the input becomes a valid admin token, so the
// fuzzer gets past authentication. Traps on any sanitizer report and on a server that stops
// answering (a request that hangs the front for longer than its own deadlines).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "server/api_server.h"
#include "server/auth.h"
#include "store/sqlite_store.h"

namespace {

using mw::server::ApiServer;

struct Fixture {
  mw::store::StorePtr store;
  mw::server::Metrics metrics;
  std::unique_ptr<ApiServer> server;
  std::string token;
};

Fixture& Get() {
  static Fixture* f = [] {
    auto* fx = new Fixture;
    auto dir =
        std::filesystem::temp_directory_path() / ("mw_http_front_fuzz_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    mw::store::SqliteOptions o;
    o.path = (dir / "fuzz.db").string();
    o.synchronous_full = false;
    fx->store = std::move(*mw::store::OpenSqliteStore(o));
    fx->token =
        mw::server::CreateToken(*fx->store, "fuzz", mw::store::Role::kAdmin, "fuzz", 0)->plaintext;
    mw::server::ServerOptions so;
    so.port = 0;
    so.max_body_bytes = 4096;
    so.read_timeout_s = 2;
    so.idle_timeout_s = 1;
    fx->server =
        std::make_unique<ApiServer>(*fx->store, fx->metrics, so, mw::server::ServiceHooks{});
    if (!fx->server->Start()) std::abort();
    return fx;
  }();
  return *f;
}

// Sends the bytes, half-closes, and reads until the server closes. True if it did in time.
bool Exchange(int port, const std::string& bytes) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(port));
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return true;  // refused (a cap): not the front's fault
  }
  (void)send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  shutdown(fd, SHUT_WR);
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  bool closed = false;
  char buf[65536];
  while (!closed && std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    closed = recv(fd, buf, sizeof(buf), 0) <= 0;
  }
  close(fd);
  return closed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16384) return 0;
  Fixture& f = Get();
  std::string in(reinterpret_cast<const char*>(data), size);
  for (size_t at = in.find("TOKEN"); at != std::string::npos; at = in.find("TOKEN", at)) {
    in.replace(at, 5, f.token);
    at += f.token.size();
  }
  if (!Exchange(f.server->port(), in)) std::abort();  // the front stopped answering
  return 0;
}
