// minerwatch — SPDX-License-Identifier: Apache-2.0
// `up` (the findings service), `config check`, `token create|list|revoke`, `doctor`.
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "config/config_check.h"
#include "config/service_config.h"
#include "doctor/doctor.h"
#include "server/auth.h"
#include "server/service.h"
#include "store/sqlite_store.h"
#include "store/store_json.h"

namespace mw::cli {
namespace {

// The URL a local client reaches `listen` at: a wildcard address is asked on loopback.
std::string LocalUrlOf(const std::string& listen) {
  auto colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  std::string port = colon == std::string::npos ? "" : listen.substr(colon);
  if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
  if (host == "[::]" || host == "::") host = "[::1]";
  return "http://" + host + port;
}

TimestampUs WallNow() {
  return TimestampUs(std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count());
}

config::ServiceConfig LoadOrThrow(const std::string& path) {
  if (path.empty()) return config::ServiceConfig{};
  auto c = config::LoadConfig(path);
  if (!c) throw std::runtime_error("invalid config:\n" + c.error().message());
  return *c;
}

store::StorePtr OpenStoreOrThrow(const config::ServiceConfig& c) {
  store::SqliteOptions o;
  o.path = c.store.path;
  o.synchronous_full = c.store.synchronous == "full";
  auto s = store::OpenSqliteStore(o);
  if (!s) throw std::runtime_error(s.error().message());
  return std::move(*s);
}

// The one check `config check` and `up` share: the config file, the detectors' settings, then
// every file it names. Prints warnings; on error prints every error and returns false.
bool CheckConfig(const config::ServiceConfig& cfg, const char* who) {
  if (auto detectors = engine::ResolveDetectorConfig(cfg); !detectors) {
    std::fprintf(stderr, "%s: invalid config:\n%s\n", who, detectors.error().message().c_str());
    return false;
  }
  auto report = config::CheckReferencedFiles(cfg);
  if (!report) {
    std::fprintf(stderr, "%s: invalid config:\n%s\n", who, report.error().message().c_str());
    return false;
  }
  for (const auto& w : report->warnings) std::fprintf(stderr, "%s: warning: %s\n", who, w.c_str());
  return true;
}

int RunUp(const std::string& config_path, const std::string& listen, const std::string& store_path,
          bool no_sensor) {
  config::ServiceConfig cfg = LoadOrThrow(config_path);
  if (!listen.empty()) cfg.server.listen = listen;
  if (!store_path.empty()) cfg.store.path = store_path;
  if (no_sensor) cfg.sensor.enabled = false;
  if (!CheckConfig(cfg, "minerwatch up")) return kExitError;

  // Block the shutdown signals before any thread starts, so only sigtimedwait below sees them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto svc = server::Service::Start(cfg);
  if (!svc) {
    std::fprintf(stderr, "minerwatch up: %s\n", svc.error().message().c_str());
    return kExitError;
  }
  std::fprintf(stderr, "minerwatch up: serving on http://%s (store %s, sensor %s)\n",
               cfg.server.listen.c_str(), cfg.store.path.c_str(),
               (*svc)->Health()["sensor"]["status"].get<std::string>().c_str());
  std::fflush(stderr);
  for (;;) {
    struct timespec ts = {1, 0};
    int sig = sigtimedwait(&set, nullptr, &ts);
    if (sig == SIGTERM || sig == SIGINT) break;
    (*svc)->Tick();
  }
  std::fprintf(stderr, "minerwatch up: shutting down\n");
  (*svc)->Stop();
  std::fprintf(stderr, "minerwatch up: stopped cleanly\n");
  return kExitClean;
}

// Storage for parsed options: CLI11 binds to addresses that must outlive AddServiceCommands.
struct ServiceOptions {
  std::string up_config{};
  std::string up_listen{};
  std::string up_store{};
  bool up_no_sensor{false};
  std::string check_path{};
  std::string tok_config{};
  std::string tok_store{};
  std::string tok_name{};
  std::string tok_role{"viewer"};
  std::string revoke_id{};
  std::string doc_config{};
  std::string doc_url{};
  std::string doc_token{};
  bool doc_json{false};
};

}  // namespace

void AddServiceCommands(CLI::App& app, CommandContext& ctx) {
  static ServiceOptions opts;
  // ---- up ----
  auto* up = app.add_subcommand(
      "up", "Run the findings service: sensor, host scan, store, API and console");
  auto* up_config = &opts.up_config;
  auto* up_listen = &opts.up_listen;
  auto* up_store = &opts.up_store;
  auto* up_no_sensor = &opts.up_no_sensor;
  up->add_option("-c,--config", *up_config,
                 "config file (docs/config.md); defaults apply without one");
  up->add_option("--listen", *up_listen, "override server.listen (host:port)");
  up->add_option("--store", *up_store, "override store.path");
  up->add_flag("--no-sensor", *up_no_sensor, "do not capture (API and store only)");
  up->callback([&ctx, up_config, up_listen, up_store, up_no_sensor] {
    ctx.exit_code = RunUp(*up_config, *up_listen, *up_store, *up_no_sensor);
  });

  // ---- config check ----
  auto* cfg = app.add_subcommand("config", "Service config file tools");
  cfg->require_subcommand(1);
  auto* check = cfg->add_subcommand(
      "check",
      "Validate a config file and every file it names, exactly as `up` does at start-up; "
      "errors give file:line");
  auto* check_path = &opts.check_path;
  check->add_option("file", *check_path, "config file")->required();
  check->callback([&ctx, check_path] {
    auto c = config::LoadConfig(*check_path);
    if (!c) {
      std::fprintf(stderr, "%s\n", c.error().message().c_str());
      ctx.exit_code = kExitError;
      return;
    }
    if (!CheckConfig(*c, "minerwatch config check")) {
      ctx.exit_code = kExitError;
      return;
    }
    std::printf("%s: OK (%zu contacts, store %s, listen %s)\n", check_path->c_str(),
                c->notify.contacts.size(), c->store.path.c_str(), c->server.listen.c_str());
  });

  // ---- token ----
  auto* token =
      app.add_subcommand("token", "API tokens (run on the service host; writes the store)");
  token->require_subcommand(1);
  auto* tok_config = &opts.tok_config;
  auto* tok_store = &opts.tok_store;
  token->add_option("-c,--config", *tok_config, "config file (for store.path)");
  token->add_option("--store", *tok_store, "override store.path");
  auto open_store = [tok_config, tok_store] {
    auto c = LoadOrThrow(*tok_config);
    if (!tok_store->empty()) c.store.path = *tok_store;
    return OpenStoreOrThrow(c);
  };
  auto* create = token->add_subcommand("create", "Create a token; prints it once");
  auto* tok_name = &opts.tok_name;
  auto* tok_role = &opts.tok_role;
  create->add_option("--name", *tok_name, "unique name")->required();
  create->add_option("--role", *tok_role, "viewer | responder | admin")
      ->check(CLI::IsMember({"viewer", "responder", "admin"}));
  create->callback([&ctx, open_store, tok_name, tok_role] {
    auto st = open_store();
    auto t = server::CreateToken(*st, *tok_name, *store::ParseRole(*tok_role), "cli", WallNow());
    if (!t) {
      std::fprintf(stderr, "minerwatch token create: %s\n", t.error().message().c_str());
      ctx.exit_code = kExitError;
      return;
    }
    std::printf("%s\n", t->plaintext.c_str());
  });
  auto* list = token->add_subcommand("list", "List tokens (never their secrets)");
  list->callback([&ctx, open_store] {
    auto st = open_store();
    auto l = st->ListTokens();
    if (!l) {
      std::fprintf(stderr, "%s\n", l.error().message().c_str());
      ctx.exit_code = kExitError;
      return;
    }
    for (const auto& t : *l) {
      std::printf("%-14s %-24s %-10s %s\n", t.id.c_str(), t.name.c_str(),
                  std::string(store::RoleName(t.role)).c_str(),
                  FormatTimestamp(t.created_at).c_str());
    }
  });
  auto* revoke = token->add_subcommand("revoke", "Delete a token by id or name");
  auto* revoke_id = &opts.revoke_id;
  revoke->add_option("id", *revoke_id, "token id or name")->required();
  revoke->callback([&ctx, open_store, revoke_id] {
    auto st = open_store();
    auto r = st->DeleteToken(*revoke_id);
    if (!r || !*r) {
      std::fprintf(stderr, "minerwatch token revoke: no token %s\n", revoke_id->c_str());
      ctx.exit_code = kExitError;
      return;
    }
    (void)st->AppendAudit({0, WallNow(), "cli", "token.delete", *revoke_id, "{}"});
    std::printf("revoked %s\n", revoke_id->c_str());
  });

  // ---- doctor ----
  auto* doc = app.add_subcommand(
      "doctor",
      "Check a deployment and its running service: one line per check, pass/warn/fail with a fix; "
      "without -c, the deployment `minerwatch up` runs without -c (embedded defaults, "
      "http://127.0.0.1:8080)");
  doc->footer(
      "Exit status: 0 every check passed; 1 warnings only (including checks that could not be "
      "made, each saying what it could not reach); 2 at least one failure (the service not "
      "answering is one), or the config file is invalid.");
  auto* doc_config = &opts.doc_config;
  auto* doc_url = &opts.doc_url;
  auto* doc_token = &opts.doc_token;
  auto* doc_json = &opts.doc_json;
  doc->add_option("-c,--config", *doc_config,
                  "config file of the deployment (default: none, the embedded defaults, as `up`)");
  doc->add_option(
      "--url", *doc_url,
      "service URL (default: http://<server.listen>, a wildcard address asked on loopback)");
  doc->add_option("--token", *doc_token, "API token (default: $MINERWATCH_TOKEN)");
  doc->add_flag("--json", *doc_json, "print the checks as JSON");
  doc->callback([&ctx, doc_config, doc_url, doc_token, doc_json] {
    // The config `up` would run: the file given, else the embedded defaults (as `up` without -c).
    Result<config::ServiceConfig> c = config::ServiceConfig{};
    if (!doc_config->empty()) c = config::LoadConfig(*doc_config);
    if (!c) {
      std::fprintf(stderr, "minerwatch doctor: invalid config:\n%s\n", c.error().message().c_str());
      ctx.exit_code = kExitError;
      return;
    }
    doctor::DoctorOptions o;
    o.url = doc_url->empty() ? LocalUrlOf(c->server.listen) : *doc_url;
    o.token = *doc_token;
    if (o.token.empty() && std::getenv("MINERWATCH_TOKEN"))
      o.token = std::getenv("MINERWATCH_TOKEN");
    auto report = doctor::RunDoctor(*c, o);
    std::fputs((*doc_json ? doctor::RenderJson(report) : doctor::RenderTable(report)).c_str(),
               stdout);
    ctx.exit_code = doctor::ExitCode(report);
  });
}

}  // namespace mw::cli
