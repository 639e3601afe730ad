// minerwatch — SPDX-License-Identifier: Apache-2.0
// The REST API over a real socket on 127.0.0.1 with a real SQLite store.
#include "server/api_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <set>

#include "server/auth.h"
#include "store/sqlite_store.h"

namespace mw::server {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
constexpr TimestampUs kT0 = 1700000000LL * 1000000;

// A client that sends exactly the bytes given (what httplib's client would not: no
// Content-Length, NUL bytes, trickled headers) from a chosen loopback source address.
class RawConn {
 public:
  RawConn(int port, const char* source = "127.0.0.1", const char* to = "127.0.0.1") {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    inet_pton(AF_INET, source, &a.sin_addr);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    a.sin_port = htons(uint16_t(port));
    inet_pton(AF_INET, to, &a.sin_addr);
    ok_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  ~RawConn() { close(fd_); }
  bool ok() const { return ok_; }
  bool Send(std::string_view bytes) {
    return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == ssize_t(bytes.size());
  }
  // Reads until "want" bytes of a response are in (its status line at least), the peer closes, or
  // the timeout passes.
  std::string Read(int timeout_ms = 3000, bool until_close = false) {
    auto end = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (Clock::now() < end) {
      pollfd p{fd_, POLLIN, 0};
      int left =
          int(std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count());
      if (poll(&p, 1, std::max(1, left)) <= 0) break;
      char buf[65536];
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      got_.append(buf, size_t(n));
      if (!until_close && got_.find("\r\n\r\n") != std::string::npos) break;
    }
    return got_;
  }
  bool closed() const { return closed_; }
  static int Status(const std::string& r) {
    return r.rfind("HTTP/1.1 ", 0) == 0 ? std::atoi(r.c_str() + 9) : 0;
  }

 private:
  int fd_ = -1;
  bool ok_ = false;
  bool closed_ = false;
  std::string got_;
};

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mw_api_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store::SqliteOptions o;
    o.path = (dir_ / "mw.db").string();
    auto s = store::OpenSqliteStore(o);
    ASSERT_TRUE(s) << s.error().message();
    store_ = std::move(*s);
    viewer_ = CreateToken(*store_, "viewer1", store::Role::kViewer, "test", kT0)->plaintext;
    responder_ = CreateToken(*store_, "resp1", store::Role::kResponder, "test", kT0)->plaintext;
    admin_ = CreateToken(*store_, "admin1", store::Role::kAdmin, "test", kT0)->plaintext;

    Finding f;
    f.category = std::string(category::kPoolProtocol);
    f.resource.host_ip = "10.0.0.5";
    f.indicator = "pool.example:3333";
    f.id = Finding::MakeId(f.category, f.resource.host_ip, f.indicator);
    f.stage = Stage::kMining;
    f.severity = Severity::kHigh;
    f.evidence = {{"agent", "XMRig/6.16.0"}};
    f.first_seen = f.last_seen = kT0;
    f.count = 1;
    f.revision = 1;
    id_ = f.id;
    ASSERT_TRUE(store_->Upsert({&f, 1}, kT0));

    ServerOptions so;
    so.port = 0;
    so.max_body_bytes = 1024;
    server_ = std::make_unique<ApiServer>(*store_, metrics_, so, ServiceHooks{});
    ASSERT_TRUE(server_->Start());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }
  void TearDown() override {
    server_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  httplib::Headers Auth(const std::string& tok) { return {{"Authorization", "Bearer " + tok}}; }
  httplib::Result Post(const std::string& path, const std::string& tok, const std::string& body) {
    return client_->Post(path.c_str(), Auth(tok), body, "application/json");
  }
  static json Body(const httplib::Result& r) { return json::parse(r->body, nullptr, false); }

  std::filesystem::path dir_;
  store::StorePtr store_;
  Metrics metrics_;
  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<httplib::Client> client_;
  std::string viewer_, responder_, admin_, id_;
};

TEST_F(ApiTest, HealthNeedsNoTokenFindingsDo) {
  auto h = client_->Get("/api/v1/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(Body(h)["status"], "ok");
  auto r = client_->Get("/api/v1/findings");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_NE(Body(r)["error"]["message"].get<std::string>().find("Bearer"), std::string::npos);
  auto bad = client_->Get("/api/v1/findings", Auth("mw_000000000000_" + std::string(64, '0')));
  EXPECT_EQ(bad->status, 401);
  // A token with a wrong secret for a real id is refused too.
  std::string forged = viewer_.substr(0, viewer_.size() - 1) + (viewer_.back() == '0' ? "1" : "0");
  EXPECT_EQ(client_->Get("/api/v1/findings", Auth(forged))->status, 401);
}

TEST_F(ApiTest, ListGetAndFilter) {
  auto r = client_->Get("/api/v1/findings?stage=mining&severity=medium", Auth(viewer_));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = Body(r);
  ASSERT_EQ(j["findings"].size(), 1u);
  EXPECT_EQ(j["findings"][0]["id"], id_);
  EXPECT_EQ(j["findings"][0]["state"], "active");
  EXPECT_TRUE(j["next_cursor"].is_null());
  EXPECT_EQ(
      Body(client_->Get("/api/v1/findings?stage=precursor", Auth(viewer_)))["findings"].size(), 0u);

  auto one = client_->Get(("/api/v1/findings/" + id_).c_str(), Auth(viewer_));
  ASSERT_EQ(one->status, 200);
  EXPECT_EQ(Body(one)["evidence"]["agent"], "XMRig/6.16.0");
  EXPECT_EQ(Body(one)["evidence_samples"].size(), 1u);
  EXPECT_EQ(client_->Get("/api/v1/findings/doesnotexist", Auth(viewer_))->status, 404);

  auto counts = client_->Get("/api/v1/findings/counts", Auth(viewer_));
  ASSERT_EQ(counts->status, 200);
  EXPECT_EQ(Body(counts)["by_category"][std::string(category::kPoolProtocol)], 1);
  EXPECT_EQ(Body(counts)["by_stage"]["mining"], 1);
  EXPECT_EQ(Body(counts)["count_exact"], true);  // filtered by the counted columns only
}

TEST_F(ApiTest, WrongMethodOnAKnownPathIs405WithAllow) {
  auto r = client_->Delete("/api/v1/findings", Auth(admin_));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->get_header_value("Allow"), "GET, HEAD, POST");
  EXPECT_EQ(Body(r)["error"]["code"], "method_not_allowed");
  auto put = client_->Put(("/api/v1/findings/" + id_ + "/mute").c_str(), Auth(responder_), "{}",
                          "application/json");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 405);
  EXPECT_EQ(put->get_header_value("Allow"), "POST");
  auto get_tok = client_->Post("/api/v1/tokens/abc", Auth(admin_), "{}", "application/json");
  EXPECT_EQ(get_tok->status, 405);
  EXPECT_EQ(get_tok->get_header_value("Allow"), "DELETE");
  EXPECT_EQ(client_->Post("/api/v1/health", "", "text/plain")->get_header_value("Allow"),
            "GET, HEAD");
  // Unknown paths stay 404, without an Allow header; a refused method changed nothing.
  auto nf = client_->Delete("/api/v1/nothing", Auth(admin_));
  EXPECT_EQ(nf->status, 404);
  EXPECT_FALSE(nf->has_header("Allow"));
  EXPECT_EQ(Body(client_->Get(("/api/v1/findings/" + id_).c_str(), Auth(viewer_)))["state"],
            "active");
}

TEST_F(ApiTest, StateChangesReachTheHook) {
  std::vector<std::string> seen;
  ServiceHooks hooks;
  hooks.state_changed = [&seen](const store::StoredFinding& f) {
    seen.push_back(f.finding.id + ":" + std::string(store::StateName(f.state)));
  };
  ServerOptions so;
  so.port = 0;
  ApiServer api(*store_, metrics_, so, hooks);
  ASSERT_TRUE(api.Start());
  httplib::Client c("127.0.0.1", api.port());
  auto path = [&](const char* action) { return "/api/v1/findings/" + id_ + "/" + action; };
  EXPECT_EQ(
      c.Post(path("mute").c_str(), Auth(viewer_), R"({"reason":"x"})", "application/json")->status,
      403);
  EXPECT_TRUE(seen.empty()) << "a refused change must not be reported";
  EXPECT_EQ(c.Post(path("mute").c_str(), Auth(responder_), R"({"reason":"x"})", "application/json")
                ->status,
            200);
  EXPECT_EQ(c.Post(path("resolve").c_str(), Auth(responder_), "", "application/json")->status, 200);
  api.Stop();
  EXPECT_EQ(seen, (std::vector<std::string>{id_ + ":muted", id_ + ":resolved"}));
}

// docs/openapi.yaml documents exactly the routes the server registers, and its $refs resolve.
TEST_F(ApiTest, OpenApiCoversEveryRoute) {
  YAML::Node doc;
  ASSERT_NO_THROW(doc = YAML::LoadFile(std::string(MW_SOURCE_DIR) + "/docs/openapi.yaml"));
  ASSERT_EQ(doc["openapi"].as<std::string>().rfind("3.0", 0), 0u);
  YAML::Node paths = doc["paths"];
  ASSERT_TRUE(paths.IsMap());
  std::set<std::pair<std::string, std::string>> served;  // (method, documented path)
  for (const auto& r : server_->routes()) {
    std::string m = r.method;
    for (auto& c : m) c = char(std::tolower(static_cast<unsigned char>(c)));
    for (const auto& p : r.documented) {
      served.insert({m, p});
      EXPECT_TRUE(paths[p] && paths[p][m])
          << r.method << " " << p << " is served but not in docs/openapi.yaml";
    }
  }
  EXPECT_GE(served.size(), 20u);
  static const std::set<std::string> kMethods = {"get",   "put",  "post",   "delete",
                                                 "patch", "head", "options"};
  for (const auto& p : paths) {
    std::string path = p.first.as<std::string>();
    for (const auto& op : p.second) {
      std::string m = op.first.as<std::string>();
      if (!kMethods.count(m)) continue;
      EXPECT_TRUE(served.count({m, path})) << m << " " << path << " is documented but not served";
      EXPECT_TRUE(op.second["responses"] && op.second["responses"].size() > 0) << m << " " << path;
      // Every {param} of the path is declared as a path parameter.
      for (size_t b = path.find('{'); b != std::string::npos; b = path.find('{', b + 1)) {
        std::string name = path.substr(b + 1, path.find('}', b) - b - 1);
        bool declared = false;
        for (const auto& prm : op.second["parameters"]) {
          YAML::Node q = prm;
          if (prm["$ref"]) {
            std::string ref = prm["$ref"].as<std::string>();
            q = doc["components"]["parameters"][ref.substr(ref.rfind('/') + 1)];
          }
          declared |=
              q && q["in"].as<std::string>() == "path" && q["name"].as<std::string>() == name;
        }
        EXPECT_TRUE(declared) << m << " " << path << " does not declare path parameter " << name;
      }
    }
  }
  // Every $ref points at something in this document.
  std::function<void(const YAML::Node&)> walk = [&](const YAML::Node& n) {
    if (n.IsMap()) {
      for (const auto& kv : n) {
        if (kv.first.as<std::string>() == "$ref") {
          std::string ref = kv.second.as<std::string>();
          ASSERT_EQ(ref.rfind("#/", 0), 0u) << ref;
          YAML::Node at = YAML::Clone(doc);
          size_t pos = 2;
          while (pos <= ref.size()) {
            size_t slash = ref.find('/', pos);
            std::string key =
                ref.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
            at = at[key];
            ASSERT_TRUE(at) << "dangling $ref " << ref;
            if (slash == std::string::npos) break;
            pos = slash + 1;
          }
        } else {
          walk(kv.second);
        }
      }
    } else if (n.IsSequence()) {
      for (const auto& e : n) walk(e);
    }
  };
  walk(doc);
}

TEST_F(ApiTest, BadQueriesGet400) {
  for (const char* path :
       {"/api/v1/findings?stage=bogus", "/api/v1/findings?limit=0", "/api/v1/findings?limit=abc",
        "/api/v1/findings?since=yesterday", "/api/v1/findings?cursor=nope",
        "/api/v1/findings?colour=red", "/api/v1/incidents?state=maybe"}) {
    auto r = client_->Get(path, Auth(viewer_));
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 400) << path;
    EXPECT_FALSE(Body(r)["error"]["message"].get<std::string>().empty()) << path;
  }
  EXPECT_EQ(client_->Get("/api/v1/nope", Auth(viewer_))->status, 404);
}

TEST_F(ApiTest, MuteNeedsResponderAndIsAudited) {
  std::string path = "/api/v1/findings/" + id_ + "/mute";
  auto denied = Post(path, viewer_, R"({"reason":"lab"})");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 403);
  EXPECT_EQ((*store_->Get(id_))->state, store::FindingState::kActive);

  EXPECT_EQ(Post(path, responder_, "{not json")->status, 400);
  EXPECT_EQ(Post(path, responder_, R"({"reason": 5})")->status, 400);
  EXPECT_EQ(Post(path, responder_, R"({"reason":"x","extra":1})")->status, 400);
  EXPECT_EQ(Post(path, responder_, "{}")->status, 400);  // mute needs a reason
  EXPECT_EQ(
      client_->Post(path.c_str(), Auth(responder_), R"({"reason":"x"})", "text/plain")->status,
      415);
  auto big = Post(path, responder_, R"({"reason":")" + std::string(4096, 'a') + "\"}");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_NE(Body(big)["error"]["message"].get<std::string>().find("larger"), std::string::npos);
  EXPECT_EQ((*store_->Get(id_))->state, store::FindingState::kActive);

  auto ok = Post(path, responder_, R"({"reason":"lab machine"})");
  ASSERT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(Body(ok)["state"], "muted");
  EXPECT_EQ(Body(ok)["state_detail"]["by"], "token:resp1");

  auto audit = client_->Get("/api/v1/audit", Auth(admin_));
  ASSERT_EQ(audit->status, 200);
  auto a = Body(audit)["audit"];
  ASSERT_GE(a.size(), 1u);
  EXPECT_EQ(a[0]["action"], "finding.muted");
  EXPECT_EQ(a[0]["actor"], "token:resp1");
  EXPECT_EQ(a[0]["detail"]["reason"], "lab machine");
  EXPECT_EQ(client_->Get("/api/v1/audit", Auth(responder_))->status, 403);

  EXPECT_EQ(Post("/api/v1/findings/" + id_ + "/resolve", responder_, "")->status, 200);
  EXPECT_EQ((*store_->Get(id_))->state, store::FindingState::kResolved);
  EXPECT_EQ(Post("/api/v1/findings/nope/resolve", responder_, "")->status, 404);
  EXPECT_EQ(Post("/api/v1/findings/" + id_ + "/remediate", responder_, "")->status, 409);
}

TEST_F(ApiTest, AdminManagesTokens) {
  EXPECT_EQ(Post("/api/v1/tokens", responder_, R"({"name":"x","role":"viewer"})")->status, 403);
  auto r = Post("/api/v1/tokens", admin_, R"({"name":"ci","role":"viewer"})");
  ASSERT_EQ(r->status, 201) << r->body;
  std::string tok = Body(r)["token"];
  EXPECT_EQ(client_->Get("/api/v1/findings", Auth(tok))->status, 200);
  EXPECT_EQ(Post("/api/v1/tokens", admin_, R"({"name":"ci","role":"viewer"})")->status, 400);
  EXPECT_EQ(Post("/api/v1/tokens", admin_, R"({"name":"bad name!","role":"viewer"})")->status, 400);
  EXPECT_EQ(Post("/api/v1/tokens", admin_, R"({"name":"y","role":"root"})")->status, 400);
  auto list = client_->Get("/api/v1/tokens", Auth(admin_));
  ASSERT_EQ(list->status, 200);
  EXPECT_EQ(list->body.find(tok.substr(20)), std::string::npos);  // secrets never listed
  EXPECT_EQ(list->body.find("secret"), std::string::npos);
  EXPECT_EQ(client_->Delete("/api/v1/tokens/ci", Auth(admin_))->status, 204);
  EXPECT_EQ(client_->Get("/api/v1/findings", Auth(tok))->status, 401);
}

TEST_F(ApiTest, IncidentsAndMetricsAndConsole) {
  auto list = client_->Get("/api/v1/incidents", Auth(viewer_));
  ASSERT_EQ(list->status, 200);
  auto incidents = Body(list)["incidents"];
  ASSERT_EQ(incidents.size(), 1u);
  int64_t id = incidents[0]["id"];
  auto one = client_->Get(("/api/v1/incidents/" + std::to_string(id)).c_str(), Auth(viewer_));
  ASSERT_EQ(one->status, 200);
  EXPECT_EQ(Body(one)["timeline"][0]["phase"], "mining");
  EXPECT_EQ(client_->Get("/api/v1/incidents/999", Auth(viewer_))->status, 404);

  metrics_.AddCollector(
      [](MetricsText& t) { t.Sample("minerwatch_packets_total", "counter", "packets", 42); });
  auto m = client_->Get("/metrics");
  ASSERT_EQ(m->status, 200);
  EXPECT_NE(m->body.find("minerwatch_packets_total 42"), std::string::npos);
  EXPECT_NE(m->body.find("# TYPE minerwatch_http_requests_total counter"), std::string::npos);

  auto page = client_->Get("/");
  ASSERT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("minerwatch"), std::string::npos);
  EXPECT_EQ(client_->Get("/console/../etc/passwd")->status, 404);
}

}  // namespace
}  // namespace mw::server

namespace mw::server {
namespace {

// A server with short deadlines, for the tests that wait on them.
class HardeningTest : public ApiTest {
 protected:
  std::unique_ptr<ApiServer> Strict(ServerOptions so) {
    so.port = 0;
    if (so.host.empty()) so.host = "127.0.0.1";
    so.max_body_bytes = 1024;
    auto s = std::make_unique<ApiServer>(*store_, metrics_, so, ServiceHooks{});
    EXPECT_TRUE(s->Start());
    return s;
  }
  std::string Req(const std::string& method, const std::string& path, const std::string& extra,
                  const std::string& tok) {
    return method + " " + path + " HTTP/1.1\r\nHost: x\r\n" +
           (tok.empty() ? "" : "Authorization: Bearer " + tok + "\r\n") + extra + "\r\n";
  }
};

TEST_F(HardeningTest, JsonAnswersAreNeitherCachedNorSniffed) {
  std::vector<std::function<httplib::Result()>> asks = {
      [&] { return client_->Get("/api/v1/health"); },
      [&] { return client_->Get("/api/v1/findings"); },
      [&] { return client_->Get("/api/v1/findings", Auth(viewer_)); },
      [&] { return client_->Get("/metrics"); },
      [&] { return client_->Delete("/api/v1/findings", Auth(admin_)); }};
  for (const auto& ask : asks) {
    auto r = ask();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store") << r->status << r->body;
    EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff") << r->status;
  }
  auto page = client_->Get("/");
  EXPECT_EQ(page->get_header_value("Cache-Control"), "no-cache");  // the console's own policy
  EXPECT_EQ(page->get_header_value("X-Content-Type-Options"), "nosniff");
}

TEST_F(HardeningTest, UnknownQueryParametersAre400Everywhere) {
  for (const char* path :
       {"/api/v1/audit?bogus=1", "/api/v1/health?x=1", "/api/v1/whoami?x", "/api/v1/tokens?name=a",
        "/api/v1/config?x=1", "/metrics?x=1", "/api/v1/audit?limit=5&limit=6"}) {
    auto r = client_->Get(path, Auth(admin_));
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 400) << path;
    EXPECT_EQ(Body(r)["error"]["code"], "bad_request") << path;
  }
  EXPECT_EQ(client_->Get("/api/v1/audit?limit=5", Auth(admin_))->status, 200);
  // A name that is not UTF-8 is echoed replaced, not thrown on (found by http_front_fuzz).
  for (const char* path : {"/api/v1/findings?stag\x94\xc2m=5", "/api/v1/findings?%94=1"}) {
    RawConn c(server_->port());
    c.Send(std::string("GET ") + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + viewer_ +
           "\r\n\r\n");
    std::string r = c.Read();
    EXPECT_EQ(RawConn::Status(r), 400) << path;
  }
}

TEST_F(HardeningTest, TimestampsAreWholeOrRefused) {
  for (const char* bad :
       {"2024-01-01T00:00:00Z'%20OR%201", "2024-01-01T00:00:00Zjunk", "2024-01-01T00:00:00",
        "2024-13-01T00:00:00Z", "2024-01-01 00:00:00Z", "2024-01-01T00:00:00+25:00"}) {
    auto r = client_->Get((std::string("/api/v1/findings?since=") + bad).c_str(), Auth(viewer_));
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->status, 400) << bad;
  }
  // kT0 is 2023-11-14T22:13:20Z; an offset is applied, not ignored.
  auto n = [&](const char* since) {
    auto r = client_->Get((std::string("/api/v1/findings?since=") + since).c_str(), Auth(viewer_));
    return r && r->status == 200 ? int(Body(r)["findings"].size()) : -1;
  };
  EXPECT_EQ(n("2023-11-14T22:13:19Z"), 1);
  EXPECT_EQ(n("2023-11-14T22:13:21.5Z"), 0);
  EXPECT_EQ(n("2023-11-14T23:13:19%2B01:00"), 1);
  EXPECT_EQ(n("2023-11-14T21:13:21-01:00"), 0);
}

TEST_F(HardeningTest, TokensWithBytesOutsideTheAlphabetAre401) {
  for (std::string junk : {std::string("\0junk", 5), std::string(" x"), std::string("\x01")}) {
    RawConn c(server_->port());
    ASSERT_TRUE(c.ok());
    c.Send("GET /api/v1/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + viewer_ + junk +
           "\r\n\r\n");
    std::string r = c.Read();
    EXPECT_EQ(RawConn::Status(r), 401) << r;
    EXPECT_NE(r.find("unauthorized"), std::string::npos) << r;
  }
  RawConn ok(server_->port());
  ok.Send("GET /api/v1/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + viewer_ +
          "\r\n\r\n");
  EXPECT_EQ(RawConn::Status(ok.Read()), 200);
}

TEST_F(HardeningTest, BodiesAreCheckedBeforeTheyAreRead) {
  std::string path = "/api/v1/findings/" + id_ + "/mute";
  // No token: 401 on the headers, though the announced body never comes.
  RawConn anon(server_->port());
  anon.Send(Req("POST", path, "Content-Type: application/json\r\nContent-Length: 1000000\r\n", ""));
  EXPECT_EQ(RawConn::Status(anon.Read(1000)), 401);
  // Announced too large: 413 at once.
  RawConn big(server_->port());
  big.Send(
      Req("POST", path, "Content-Type: application/json\r\nContent-Length: 5000\r\n", responder_));
  std::string r = big.Read(1000);
  EXPECT_EQ(RawConn::Status(r), 413) << r;
  EXPECT_NE(r.find("payload_too_large"), std::string::npos);
  // Chunked past the limit: 413 as soon as the limit is passed, the rest never read.
  RawConn chunked(server_->port());
  chunked.Send(Req("POST", path, "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
                   responder_));
  for (int i = 0; i < 3; ++i) chunked.Send("200\r\n" + std::string(512, 'a') + "\r\n");
  r = chunked.Read(1000, true);
  EXPECT_EQ(RawConn::Status(r), 413) << r;
  EXPECT_NE(r.find("X-Content-Type-Options: nosniff"), std::string::npos) << r;
  EXPECT_NE(r.find("\"code\":\"payload_too_large\""), std::string::npos) << r;
  EXPECT_TRUE(chunked.closed());
  // Chunked within the limit is a body like any other.
  RawConn small(server_->port());
  std::string body = R"({"reason":"lab"})";
  char len[16];
  snprintf(len, sizeof(len), "%zx", body.size());
  small.Send(Req("POST", path, "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
                 responder_) +
             len + "\r\n" + body + "\r\n0\r\n\r\n");
  r = small.Read();
  EXPECT_EQ(RawConn::Status(r), 200) << r;
  EXPECT_EQ((*store_->Get(id_))->state, store::FindingState::kMuted);
  // multipart (and anything not JSON) is 415 before the body.
  RawConn mp(server_->port());
  mp.Send(Req("POST", path,
              "Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 100\r\n",
              responder_));
  EXPECT_EQ(RawConn::Status(mp.Read(1000)), 415);
}

TEST_F(HardeningTest, PostWithoutLengthIsAnEmptyBodyAnsweredAtOnce) {
  RawConn c(server_->port());
  auto t = Clock::now();
  c.Send(Req("POST", "/api/v1/findings/" + id_ + "/resolve", "", responder_));
  std::string r = c.Read(2000);
  EXPECT_EQ(RawConn::Status(r), 200) << r;
  EXPECT_LT(Clock::now() - t, std::chrono::milliseconds(500));
  EXPECT_EQ((*store_->Get(id_))->state, store::FindingState::kResolved);
  RawConn m(server_->port());
  m.Send(Req("POST", "/api/v1/findings/" + id_ + "/mute", "", responder_));
  EXPECT_EQ(RawConn::Status(m.Read(2000)), 400);  // an empty body: mute still needs its reason
}

TEST_F(HardeningTest, HeadersAreBounded) {
  std::string many;
  for (int i = 0; i < 150; ++i) many += "X-" + std::to_string(i) + ": 1\r\n";
  RawConn c(server_->port());
  c.Send(Req("GET", "/api/v1/health", many, ""));
  std::string r = c.Read();
  EXPECT_EQ(RawConn::Status(r), 431) << r;
  EXPECT_NE(r.find("request_header_fields_too_large"), std::string::npos);
  RawConn big(server_->port());
  big.Send(Req("GET", "/api/v1/health", "X-Big: " + std::string(20000, 'a') + "\r\n", viewer_));
  EXPECT_EQ(RawConn::Status(big.Read()), 431);
  // Past what the connection may hold at all: MHD's own 431, and nothing kept.
  RawConn huge(server_->port());
  huge.Send("GET /api/v1/health HTTP/1.1\r\nHost: x\r\n");
  for (int i = 0;
       i < 100 && huge.Send("X-Pad-" + std::to_string(i) + ": " + std::string(8000, 'a') + "\r\n");
       ++i) {
  }
  EXPECT_EQ(RawConn::Status(huge.Read()), 431);
}

TEST_F(HardeningTest, SlowAndIdleClientsAreDropped) {
  ServerOptions so;
  so.read_timeout_s = 1;
  so.idle_timeout_s = 1;
  auto s = Strict(so);
  // Slowloris: one header line every 200 ms never completes a request; dropped at ~1 s.
  RawConn slow(s->port());
  auto t = Clock::now();
  slow.Send("GET /api/v1/health HTTP/1.1\r\nHost: x\r\n");
  for (int i = 0; i < 15 && slow.Send("X-" + std::to_string(i) + ": 1\r\n"); ++i) {
    slow.Read(200, true);
    if (slow.closed()) break;
  }
  slow.Read(1000, true);
  EXPECT_TRUE(slow.closed());
  EXPECT_LT(Clock::now() - t, std::chrono::milliseconds(2200));
  EXPECT_GT(Clock::now() - t, std::chrono::milliseconds(800));
  // Kept alive, then idle: closed after the idle timeout.
  RawConn idle(s->port());
  idle.Send(Req("GET", "/api/v1/health", "", ""));
  EXPECT_EQ(RawConn::Status(idle.Read()), 200);
  idle.Read(3000, true);
  EXPECT_TRUE(idle.closed());
}

TEST_F(HardeningTest, ConnectionsPerSourceAreCappedOthersStillServed) {
  ServerOptions so;
  so.max_connections_per_ip = 3;
  auto s = Strict(so);
  std::vector<std::unique_ptr<RawConn>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawConn>(s->port(), "127.0.0.5"));
    held.back()->Send("GET /api/v1/health HTTP/1.1\r\n");  // and never more
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  RawConn fourth(s->port(), "127.0.0.5");
  fourth.Send(Req("GET", "/api/v1/health", "", ""));
  fourth.Read(1000, true);
  EXPECT_TRUE(fourth.closed());
  EXPECT_EQ(RawConn::Status(fourth.Read(10)), 0);
  RawConn other(s->port(), "127.0.0.1");
  other.Send(Req("GET", "/api/v1/health", "", ""));
  EXPECT_EQ(RawConn::Status(other.Read()), 200);
}

// This machine's first IPv4 address outside 127/8, or "" (then the test is skipped).
std::string NonLoopbackAddress() {
  ifaddrs* list = nullptr;
  std::string out;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i && out.empty(); i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    auto* in = reinterpret_cast<sockaddr_in*>(i->ifa_addr);
    if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) continue;
    char buf[INET_ADDRSTRLEN];
    out = inet_ntop(AF_INET, &in->sin_addr, buf, sizeof(buf));
  }
  freeifaddrs(list);
  return out;
}

// Remote sources may fill the connections only up to the loopback reserve: a local admin still
// gets in when every other slot is taken.
TEST_F(HardeningTest, RemoteSourcesCannotTakeTheLoopbackReserve) {
  std::string ip = NonLoopbackAddress();
  if (ip.empty()) GTEST_SKIP() << "no IPv4 address outside 127/8 on this machine";
  ServerOptions so;
  so.host = "0.0.0.0";
  so.max_connections = 34;  // 32 of them reserved for loopback: 2 for everyone else
  auto s = Strict(so);
  std::vector<std::unique_ptr<RawConn>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::make_unique<RawConn>(s->port(), ip.c_str(), ip.c_str()));
    held.back()->Send("GET /api/v1/health HTTP/1.1\r\n");  // and never more
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  RawConn third(s->port(), ip.c_str(), ip.c_str());
  third.Send(Req("GET", "/api/v1/health", "", ""));
  third.Read(1000, true);
  EXPECT_TRUE(third.closed()) << "a third remote connection was let into the loopback reserve";
  RawConn local(s->port(), "127.0.0.1");
  local.Send(Req("GET", "/api/v1/health", "", ""));
  EXPECT_EQ(RawConn::Status(local.Read()), 200);
  held.clear();  // once they are gone, remote clients are served again
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  RawConn later(s->port(), ip.c_str(), ip.c_str());
  later.Send(Req("GET", "/api/v1/health", "", ""));
  EXPECT_EQ(RawConn::Status(later.Read()), 200);
}

}  // namespace
}  // namespace mw::server
